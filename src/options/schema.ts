/** The option schema (zod) with the numeric bounds the environment variables share, and the check of given options against it. */
import { z } from "zod";
import { ValidationError } from "../errors.js";
import type { LogSink } from "../internal/logger.js";
import { MLFLOW_LIMITS, type BackendLimits } from "../model/limits.js";
import type { TrackerOptions } from "./types.js";

const regex = z.custom<RegExp>((v) => v instanceof RegExp, { message: "must be a RegExp" });

/** Bounds of the numeric options, shared by the option schema and their environment variables. */
export const BOUNDS = {
  fsyncIntervalMs: [1, 3_600_000],
  commitIntervalMs: [0, 60_000],
  exitFlushTimeoutMs: [0, 60_000],
  requestTimeoutMs: [1, 600_000],
  maxConcurrentRequests: [1, 64],
  replicationIntervalMs: [10, 600_000],
  retryBaseMs: [1, 600_000],
  retryMaxMs: [1, 3_600_000],
  authRetryMs: [10, 3_600_000],
  closeTimeoutMs: [0, 3_600_000],
} as const satisfies Record<string, readonly [number, number]>;

const bounded = (name: keyof typeof BOUNDS) => z.number().int().min(BOUNDS[name][0]).max(BOUNDS[name][1]).optional();

const schema = z.strictObject({
  trackingUri: z.string().min(1).optional(),
  experiment: z.string().min(1).optional(),
  durability: z.enum(["interval", "always"]).optional(),
  fsyncIntervalMs: bounded("fsyncIntervalMs"),
  commitIntervalMs: bounded("commitIntervalMs"),
  writerThread: z.boolean().optional(),
  logLevel: z.enum(["debug", "info", "warn", "error", "silent"]).optional(),
  logger: z.custom<LogSink>((v) => typeof v === "function", { message: "must be a function" }).optional(),
  captureContext: z.boolean().optional(),
  systemMetrics: z.unknown().optional(),
  captureConsole: z.unknown().optional(),
  runNameTemplate: z.string().min(1).optional(),
  namePolicy: z.strictObject({ run: regex.optional(), experiment: regex.optional(), model: regex.optional() }).optional(),
  handleExit: z.boolean().optional(),
  exitFlushTimeoutMs: bounded("exitFlushTimeoutMs"),
  cwd: z.string().min(1).optional(),
  mode: z.enum(["online", "offline"]).optional(),
  spoolDir: z.string().min(1).optional(),
  targets: z.array(z.string().min(1)).optional(),
  auth: z
    .strictObject({
      token: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      headers: z.record(z.string(), z.string()).optional(),
      headerProvider: z.custom<() => Promise<Readonly<Record<string, string>>>>((v) => typeof v === "function", { message: "must be a function" }).optional(),
      insecureTls: z.boolean().optional(),
      caCert: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
      workspace: z.string().optional(),
    })
    .optional(),
  requestTimeoutMs: bounded("requestTimeoutMs"),
  limits: z
    .strictObject(
      Object.fromEntries(Object.keys(MLFLOW_LIMITS).map((k) => [k, z.number().int().min(1).optional()])) as Record<
        keyof BackendLimits,
        z.ZodOptional<z.ZodNumber>
      >,
    )
    .optional(),
  maxConcurrentRequests: bounded("maxConcurrentRequests"),
  replicationIntervalMs: bounded("replicationIntervalMs"),
  retryBaseMs: bounded("retryBaseMs"),
  retryMaxMs: bounded("retryMaxMs"),
  authRetryMs: bounded("authRetryMs"),
  drainOnStart: z.boolean().optional(),
  syncEarlierRuns: z.boolean().optional(),
  closeTimeoutMs: bounded("closeTimeoutMs"),
  versionTag: z.string().min(1).max(250).optional(),
  requireRationale: z.boolean().optional(),
});

/** Given options after the schema: known keys, each of its type and within its bounds. */
export type ParsedOptions = z.infer<typeof schema>;

/** Checks given options against the schema. Throws ValidationError naming the first bad option (a credential never quoted). */
export function parseOptions(options: TrackerOptions | undefined): ParsedOptions {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue?.code === "unrecognized_keys" ? issue.keys : [];
    const at = [...(issue?.path ?? []), ...keys.slice(0, 1)].map(String).join(".");
    let value: unknown = options;
    for (const part of at.split(".")) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
    // A credential given in the wrong shape is still a credential: never quote it.
    if (at.startsWith("auth") && typeof value === "string") value = "***";
    const rule = issue?.code === "unrecognized_keys" ? "is not a known option (see TrackerOptions)" : (issue?.message ?? "is invalid");
    throw new ValidationError(`options.${at}`, value, rule);
  }
  return parsed.data;
}
