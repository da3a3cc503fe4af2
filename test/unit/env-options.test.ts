/**
 * Every environment variable reads the same words, and an option's bounds are the same whether
 * it is given in code or through its environment variable.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { resolveOptions } from "../../src/options.js";
import { authFromEnv } from "../../src/remote/http.js";

describe("boolean environment variables", () => {
  it.each(["1", "true", "TRUE", " yes ", "on"])("%j is true for the SDK's and MLflow's variables alike", (word) => {
    expect(resolveOptions({}, { MLTRAIL_HANDLE_EXIT: word }).handleExit).toBe(true);
    expect(authFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: word }).insecureTls).toBe(true);
  });

  it.each(["0", "false", "No", "off"])("%j is false for both", (word) => {
    expect(resolveOptions({}, { MLTRAIL_HANDLE_EXIT: word }).handleExit).toBe(false);
    expect(resolveOptions({}, { MLTRAIL_WRITER_THREAD: word }).writerThread).toBe(false);
    expect(authFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: word }).insecureTls).not.toBe(true);
  });

  it("anything else is a ValidationError naming the variable, for both", () => {
    for (const call of [() => resolveOptions({}, { MLTRAIL_HANDLE_EXIT: "maybe" }), () => authFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: "maybe" })]) {
      expect(call).toThrow(ValidationError);
      expect(call).toThrow(/env MLTRAIL_HANDLE_EXIT|env MLFLOW_TRACKING_INSECURE_TLS/);
    }
  });
});

describe("writerThread", () => {
  it("is on by default, off with the option or env MLTRAIL_WRITER_THREAD, and the option wins", () => {
    expect(resolveOptions({}, {}).writerThread).toBe(true);
    expect(resolveOptions({ writerThread: false }, {}).writerThread).toBe(false);
    expect(resolveOptions({ writerThread: true }, { MLTRAIL_WRITER_THREAD: "0" }).writerThread).toBe(true);
    expect(() => resolveOptions({ writerThread: "yes" as unknown as boolean }, {})).toThrow(/writerThread/);
  });
});

describe("numeric bounds", () => {
  it.each([
    ["maxConcurrentRequests", "MLTRAIL_MAX_CONCURRENT_REQUESTS", 1, 64],
    ["replicationIntervalMs", "MLTRAIL_REPLICATION_INTERVAL_MS", 10, 600_000],
    ["commitIntervalMs", "MLTRAIL_COMMIT_INTERVAL_MS", 0, 60_000],
  ] as const)("%s takes the same range in code and from %s", (option, variable, min, max) => {
    for (const ok of [min, max]) {
      expect(resolveOptions({ [option]: ok })[option]).toBe(ok);
      expect(resolveOptions({}, { [variable]: String(ok) })[option]).toBe(ok);
    }
    for (const bad of [min - 1, max + 1]) {
      expect(() => resolveOptions({ [option]: bad })).toThrow(ValidationError);
      if (bad >= 0) expect(() => resolveOptions({}, { [variable]: String(bad) })).toThrow(ValidationError);
    }
  });
});
