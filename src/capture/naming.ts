/**
 * Run-name templates (`"{experiment}-{date}-{seq}"`, `"{random}-{seq}"`) and name policies
 * (a RegExp every run, experiment or model name must match).
 *
 * @packageDocumentation
 */

import { ValidationError } from "../errors.js";
import { randomPair } from "./random-names.js";

/**
 * Template used when no run name and no template is given: a readable adjective-noun pair
 * and the experiment's sequence number, e.g. `brave-otter-3`.
 * @default "{random}-{seq}"
 */
export const DEFAULT_RUN_NAME_TEMPLATE = "{random}-{seq}";

/**
 * Placeholders a template may use.
 * @example `NAME_PLACEHOLDERS.includes("date") // true`
 */
export const NAME_PLACEHOLDERS = ["experiment", "date", "time", "datetime", "seq", "user", "branch", "commit", "random", "id"] as const;

/** One of {@link NAME_PLACEHOLDERS}. @example `"seq"` */
export type NamePlaceholder = (typeof NAME_PLACEHOLDERS)[number];

/**
 * Values substituted into a template. A placeholder whose value is absent renders as nothing,
 * together with one neighbouring separator (`-`, `_`, `.`, `/`, space): `"{experiment}-{branch}-{seq}"`
 * outside git gives `"churn-3"`.
 *
 * @example `{ experiment: "churn", seq: 3, date: new Date(), seed: 42, runId: "0192f3a4-…" }`
 */
export interface NameVars {
  /** `{experiment}`: experiment name. */
  readonly experiment?: string;
  /** `{date}` (YYYYMMDD), `{time}` (HHMMSS), `{datetime}` (YYYYMMDD-HHMMSS), all UTC. @default new Date() */
  readonly date?: Date;
  /** `{seq}`: the run's sequence number within its experiment. */
  readonly seq?: number;
  /** `{user}`: user name. */
  readonly user?: string;
  /** `{branch}`: git branch. */
  readonly branch?: string;
  /** `{commit}`: git commit; its first 7 characters are used. */
  readonly commit?: string;
  /** Seed of `{random}`: the same seed gives the same pair. @default a random seed */
  readonly seed?: number;
  /** `{id}`: run id; its first 8 characters are used. */
  readonly runId?: string;
}

type Token = { readonly text: string } | { readonly name: NamePlaceholder };

const KNOWN = new Set<string>(NAME_PLACEHOLDERS);
const KNOWN_LIST = NAME_PLACEHOLDERS.map((p) => `{${p}}`).join(", ");

/** Splits a template into literal text and placeholders, or throws ValidationError. */
function parse(template: unknown): Token[] {
  if (typeof template !== "string" || template === "") {
    throw new ValidationError("name template", template, "must be a non-empty string");
  }
  if (template.includes("\u0000")) {
    throw new ValidationError("name template", template, "must not contain NUL characters");
  }
  const tokens: Token[] = [];
  let text = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    const next = template[i + 1];
    if ((c === "{" && next === "{") || (c === "}" && next === "}")) {
      text += c;
      i++;
    } else if (c === "{") {
      const end = template.indexOf("}", i);
      if (end === -1) {
        throw new ValidationError("name template", template, `unclosed "{" at position ${i}; write "{{" for a literal brace`);
      }
      const name = template.slice(i + 1, end);
      if (!KNOWN.has(name)) {
        throw new ValidationError("name template", template, `unknown placeholder {${name}}; use one of ${KNOWN_LIST}`);
      }
      if (text !== "") tokens.push({ text });
      text = "";
      tokens.push({ name: name as NamePlaceholder });
      i = end;
    } else if (c === "}") {
      throw new ValidationError("name template", template, `unmatched "}" at position ${i}; write "}}" for a literal brace`);
    } else {
      text += c;
    }
  }
  if (text !== "") tokens.push({ text });
  return tokens;
}

/**
 * Checks a template without rendering it, so misconfiguration fails when options are
 * resolved rather than at the first run.
 *
 * @param template - The template.
 * @throws ValidationError for an empty template, an unknown placeholder (named in the
 *   message), or an unmatched `{` / `}` (write `{{` / `}}` for literal braces).
 * @example
 * ```ts
 * validateTemplate("{experiment}-{seq}"); // ok
 * validateTemplate("{exp}-{seq}");        // ValidationError: … unknown placeholder {exp} …
 * ```
 */
export function validateTemplate(template: string): void {
  parse(template);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

function placeholderValue(name: NamePlaceholder, vars: NameVars, now: Date): string {
  const date = `${pad(now.getUTCFullYear(), 4)}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  switch (name) {
    case "experiment":
      return vars.experiment ?? "";
    case "date":
      return date;
    case "time":
      return time;
    case "datetime":
      return `${date}-${time}`;
    case "seq":
      return vars.seq === undefined ? "" : String(vars.seq);
    case "user":
      return vars.user ?? "";
    case "branch":
      return vars.branch ?? "";
    case "commit":
      return (vars.commit ?? "").slice(0, 7);
    case "random":
      return vars.seed === undefined ? randomPair() : randomPair(vars.seed);
    case "id":
      return (vars.runId ?? "").slice(0, 8);
  }
}

/** Marks where an absent value was, so one neighbouring separator can go with it. */
const HOLE = "\u0000";

/**
 * Renders a run-name template. Placeholders: `{experiment}`, `{date}` (YYYYMMDD, UTC),
 * `{time}` (HHMMSS, UTC), `{datetime}` (YYYYMMDD-HHMMSS), `{seq}`, `{user}`, `{branch}`,
 * `{commit}` (7 chars), `{random}` (adjective-noun, seeded by `vars.seed`), `{id}` (8 chars
 * of the run id). `{{` and `}}` are literal braces. An absent value is dropped with one
 * adjacent separator; the result is empty only when every placeholder was absent and the
 * template has no other text.
 *
 * @param template - The template. @default DEFAULT_RUN_NAME_TEMPLATE (callers pass it)
 * @param vars - Values for the placeholders.
 * @throws ValidationError as {@link validateTemplate} does.
 * @example
 * ```ts
 * renderName("{experiment}-{date}-{seq}", { experiment: "churn", seq: 3, date: new Date("2025-01-02T03:04:05Z") });
 * // "churn-20250102-3"
 * renderName(DEFAULT_RUN_NAME_TEMPLATE, { seq: 3, seed: 7 }); // e.g. "brave-otter-3"
 * ```
 */
export function renderName(template: string, vars: NameVars): string {
  const tokens = parse(template);
  const now = vars.date ?? new Date();
  let out = "";
  for (const token of tokens) {
    if ("text" in token) {
      out += token.text;
    } else {
      const value = placeholderValue(token.name, vars, now);
      out += value === "" ? HOLE : value;
    }
  }
  if (!out.includes(HOLE)) return out;
  return out
    .replace(/[-_./ ]\u0000(?=[-_./ ])/g, "")
    .replace(/^(?:\u0000[-_./ ]?)+/, "")
    .replace(/(?:[-_./ ]?\u0000)+$/, "")
    .replace(/\u0000/g, "");
}

/**
 * Enforces a naming policy: throws unless `name` matches `policy`. No policy, no check.
 * Flags `g`/`y` on the policy are ignored (the check has no state between calls).
 *
 * @param kind - What is being named.
 * @param name - The proposed name.
 * @param policy - Pattern the name must match, e.g. `namePolicy.run`. @default undefined (no check)
 * @throws ValidationError with field `"<kind> name"` and rule `must match /…/ (namePolicy.<kind>)`.
 * @example
 * ```ts
 * checkNamePolicy("model", "churn-clf", /^[a-z][a-z0-9-]*$/); // ok
 * checkNamePolicy("run", "Baseline", /^[a-z-]+$/); // ValidationError: run name: "Baseline" is not valid: must match /^[a-z-]+$/ (namePolicy.run)
 * ```
 */
export function checkNamePolicy(kind: "run" | "experiment" | "model", name: string, policy: RegExp | undefined): void {
  if (policy === undefined) return;
  const pattern = policy.global || policy.sticky ? new RegExp(policy.source, policy.flags.replace(/[gy]/g, "")) : policy;
  if (!pattern.test(name)) {
    throw new ValidationError(`${kind} name`, name, `must match ${String(policy)} (namePolicy.${kind})`);
  }
}
