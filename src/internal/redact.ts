/**
 * The one place that knows how to hide credentials carried in URLs. Every error message,
 * captured tag and log line that may quote a URL passes it through {@link hideUrlCredentials}.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";

/** Text that replaces a masked secret. */
export const MASK = "***";

/**
 * `scheme://`, then everything up to the LAST `@` of the same token (no whitespace, quotes or
 * angle brackets): the userinfo. Taking the last `@` covers passwords holding `/`, `?`, `#` or
 * `@` (`http://bob:SECRET3/x@host`), which a URL parser would read as a path. A path holding an
 * `@` is masked too: hiding a little more is the safe side.
 */
const URL_USERINFO = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s"'<>`]*@/g;

/**
 * Replaces the credential part of every URL in `text` (`scheme://user:password@`) with
 * `scheme://***@`, or with `scheme://` when `replacement` is `""`. Works on text that is not a
 * valid URL, which is exactly when error messages quote what the user gave.
 *
 * @param replacement - What stands for the userinfo. @default "***@"
 * @example
 * ```ts
 * hideUrlCredentials("http://bob:SECRET3/x@host/api"); // "http://***@host/api"
 * hideUrlCredentials("postgres://u:pw@db/x", "");       // "postgres://db/x"
 * ```
 */
export function hideUrlCredentials(text: string, replacement = `${MASK}@`): string {
  return text.replace(URL_USERINFO, (_match, scheme: string) => `${scheme}${replacement}`);
}

/**
 * The user name and password of a parsed URL, %-decoded. A bad %-escape (`%ZZ`) is a
 * ValidationError naming `field` that quotes the URI with its credentials hidden.
 *
 * @param given - The URI as the user wrote it (quoted, masked, in the error).
 * @example `uriCredentials(new URL("http://bob:s%40cret@host"), uri, "trackingUri") // { username: "bob", password: "s@cret" }`
 */
export function uriCredentials(url: URL, given: string, field: string): { username: string; password: string } {
  try {
    return { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  } catch {
    throw new ValidationError(field, hideUrlCredentials(given), "the user name or password has an invalid %-escape (write % as %25)");
  }
}
