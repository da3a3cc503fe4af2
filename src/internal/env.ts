/**
 * Reading settings from environment variables: one parser per type, so every variable accepts
 * the same words and fails with the same kind of error.
 */
import { ValidationError } from "../errors.js";

/** Environment variables, as `process.env` holds them. */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** `1/true/yes/on` or `0/false/no/off` (any case, surrounding spaces ignored); unset or empty → undefined. */
export function envBool(env: EnvVars, name: string): boolean | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ValidationError(`env ${name}`, env[name], "must be true or false (1/0, yes/no, on/off)");
}

/** A whole number within `[min, max]`; unset or empty → undefined. */
export function envInt(env: EnvVars, name: string, bounds: readonly [min: number, max: number]): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  const [min, max] = bounds;
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new ValidationError(`env ${name}`, env[name], `must be a whole number from ${min} to ${max}`);
  return value;
}

/** One of `allowed`; unset or empty → undefined. */
export function envEnum<T extends string>(env: EnvVars, name: string, allowed: readonly T[]): T | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ValidationError(`env ${name}`, env[name], `must be one of ${allowed.join(", ")}`);
}
