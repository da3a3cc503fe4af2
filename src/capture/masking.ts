/**
 * Masking of secrets in command-line arguments and printed text: secret names (`--token x`,
 * `password=x`, the same names inside JSON or YAML-ish values), URL credentials and query
 * strings, and bearer- or token-shaped values. Used for the captured `argv` and by console
 * capture.
 */
import { hideUrlCredentials, MASK } from "../internal/redact.js";

/** Substrings that mark a name as secret wherever they appear (`clientSecret`, `DB_PASSWORD`). */
const SECRET_SUBSTRING = /secret|passw(or)?d|passphrase|credential|apikey|accesskey|privatekey/;

/** Whole name segments that mark a secret (`--token`, `HF_TOKEN`, `--auth`; not `--max-tokens`, `--tokenizer`). */
const SECRET_SEGMENTS = new Set(["token", "auth", "pwd", "key", "authorization", "bearer", "sig", "signature"]);

/** Short names that mark a secret as a name's LAST segment (`--pass`, `DB_PASS`, `--pw`; not `--pass-through`). */
const SECRET_LAST_SEGMENTS = new Set(["pass", "pw"]);

/** Flags that turn something off: never a secret, and the next argument is not their value. */
const NEGATED = /^--no-/;

/** Values that are secrets by their shape: bearer headers and well-known token prefixes. */
const SECRET_VALUE = /\b(Bearer|Basic|token)\s+\S+|\b(sk|pk|rk|ghp|gho|ghs|ghu|github_pat|glpat|hf|xox[abprs]|AKIA)[-_][A-Za-z0-9_-]{8,}/gi;

/** A query string, which often carries signatures and tokens (`?sig=…`, `&access_token=…`). */
const URL_QUERY = /(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s?#]*)\?[^\s#]*/g;

/** Whether a flag or key name (`--api-key`, `db.password`, `accessToken`) names a secret. */
function isSecretName(raw: string): boolean {
  const name = raw
    .replace(/^-+/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
  if (SECRET_SUBSTRING.test(name.replace(/[-_.]/g, ""))) return true;
  const segments = name.split(/[-_.]/);
  return segments.some((segment) => SECRET_SEGMENTS.has(segment)) || SECRET_LAST_SEGMENTS.has(segments.at(-1) ?? "");
}

/** A name (optionally quoted) and `=` or `:` inside a value: `"password": "x"`, `API_KEY=x`, `token: x`. */
const EMBEDDED_NAME = /(["']?)([A-Za-z_][\w.-]*)\1(\s*[:=]\s*)/g;

/** The value after an embedded name: a quoted string, else up to a space, comma, `;`, `&`, `}` or `]`. */
const EMBEDDED_VALUE = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&}\]]+)/;

/** Masks the values of secret names embedded in one argument (JSON, `env=K=V` lists, YAML-ish). */
function maskEmbedded(arg: string): string {
  let out = "";
  let from = 0;
  EMBEDDED_NAME.lastIndex = 0;
  for (let m = EMBEDDED_NAME.exec(arg); m !== null; m = EMBEDDED_NAME.exec(arg)) {
    const valueAt = m.index + m[0].length;
    const value = EMBEDDED_VALUE.exec(arg.slice(valueAt))?.[1];
    if (value === undefined || !isSecretName(m[2] ?? "")) continue;
    const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : "";
    out += `${arg.slice(from, valueAt)}${quote}${MASK}${quote}`;
    from = valueAt + value.length;
    EMBEDDED_NAME.lastIndex = from;
  }
  return out + arg.slice(from);
}

/**
 * Masks secret values in command-line arguments: `--token=x` and `--password x` (any flag or
 * `key=value` whose name contains `secret`, `password`, `passwd`, `passphrase`, `credential`,
 * `api-key`, `access-key`, `private-key`, has a `token`, `auth`, `key`, `pwd` or `bearer`
 * segment, or ends in `pass` or `pw`), the same names inside an argument (`'{"password":"x"}'`,
 * `--env=API_KEY=x`, `token: x`), credentials in URLs (`postgres://u:pw@h` →
 * `postgres://***@h`), URL query strings, and bearer- or token-shaped values.
 *
 * @param args - The user's arguments (without node and the script).
 * @example `maskArgs(["--api-key", "k1", "--lr=0.1"]) // ["--api-key", "***", "--lr=0.1"]`
 */
export function maskArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  let maskNext = false;
  for (const arg of args) {
    if (maskNext && !arg.startsWith("--")) {
      out.push(MASK);
      maskNext = false;
      continue;
    }
    maskNext = false;
    const eq = arg.indexOf("=");
    const key = eq > 0 ? arg.slice(0, eq) : "";
    if (/^-{0,2}[A-Za-z_][\w.-]*$/.test(key) && !NEGATED.test(key) && isSecretName(key)) {
      out.push(`${arg.slice(0, eq + 1)}${MASK}`);
    } else if (eq === -1 && /^--?[A-Za-z]/.test(arg) && !NEGATED.test(arg) && isSecretName(arg)) {
      out.push(arg);
      maskNext = true;
    } else {
      out.push(maskValue(arg));
    }
  }
  return out;
}

/** Masks credentials inside one value: URL userinfo, URL query strings, bearer-shaped tokens. */
function maskValue(arg: string): string {
  return maskEmbedded(hideUrlCredentials(arg).replace(URL_QUERY, `$1?${MASK}`).replace(SECRET_VALUE, MASK));
}

/**
 * Everything one of the masking rules needs to see before it can match: a URL, a secret word
 * (the names of {@link isSecretName} without separators: `apikey` holds `key`, `password` holds
 * `pass`), or a token prefix. A line without any is returned as it is, without running them.
 */
const MAY_HOLD_SECRET =
  /:\/\/|secret|pass|credential|key|token|auth|pwd|bearer|basic|sig|pw|\b(?:sk|pk|rk|ghp|gho|ghs|ghu|github_pat|glpat|hf|xox[abprs]|AKIA)[-_]/i;

/**
 * Masks secrets in free text, such as a line a program printed, with the rules of
 * {@link maskArgs}: `--token x` and `password=x` forms, the same names inside JSON or YAML-ish
 * text, URL credentials and query strings, and bearer- or token-shaped values. Whitespace is
 * kept as it was.
 * @example `maskText("connecting with --api-key k1 to https://u:p@host") // "connecting with --api-key *** to https://***@host"`
 */
export function maskText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text; // most printed lines: nothing any rule below could match
  // As maskValue, but `token x` / `Bearer x` keep their word: in prose the word is not the secret.
  const once = maskEmbedded(
    hideUrlCredentials(text)
      .replace(URL_QUERY, `$1?${MASK}`)
      .replace(SECRET_VALUE, (_m, word: string | undefined) => (word === undefined ? MASK : `${word} ${MASK}`)),
  );
  const parts = once.split(/(\s+)/);
  const at: number[] = [];
  const tokens: string[] = [];
  parts.forEach((part, i) => {
    if (i % 2 === 0 && part !== "") {
      at.push(i);
      tokens.push(part);
    }
  });
  const masked = maskArgs(tokens);
  at.forEach((i, k) => {
    parts[i] = masked[k] as string;
  });
  return parts.join("");
}
