/**
 * The SDK's own diagnostics: leveled, to stderr by default, or to a user's function.
 * Library code never writes to stdout.
 */

/** Log levels, quietest last. @example `"warn"` */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** A sink for mltrail's diagnostics. @example `(level, msg) => myLogger[level](msg)` */
export type LogSink = (level: Exclude<LogLevel, "silent">, message: string) => void;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Leveled logger. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Writes `mltrail <level>: message` lines to stderr. */
export const stderrSink: LogSink = (level, message) => {
  process.stderr.write(`mltrail ${level}: ${message}\n`);
};

/** Creates a logger that drops messages below `level`. */
export function createLogger(level: LogLevel, sink: LogSink = stderrSink): Logger {
  const min = ORDER[level];
  const at = (lvl: Exclude<LogLevel, "silent">) => (message: string) => {
    if (ORDER[lvl] >= min) sink(lvl, message);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
