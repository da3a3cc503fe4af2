/** Who makes a registry change in Node: the OS user (the browser tracker has none and says "unknown"). */
import * as os from "node:os";

/** The OS user name, else `$USER`/`$USERNAME`, else `"unknown"`. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env["USER"] ?? process.env["USERNAME"] ?? "unknown";
  }
}
