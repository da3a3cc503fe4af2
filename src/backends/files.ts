/**
 * The file targets as backends: `tensorboard:<folder>` (event files) and `dvc:<folder>` (DVCLive
 * folders). They receive the run log's records through a replication sink and answer no
 * queries (the local run log does); registered at load, like any third party's scheme.
 */
import * as path from "node:path";
import { ValidationError } from "../errors.js";
import { DvcSink } from "../targets/dvc/sink.js";
import { TensorBoardSink } from "../targets/tensorboard/sink.js";
import { registerBackend } from "./schemes.js";
import type { BackendCapabilities, BackendContext, ReplicationSink, TrackingBackend } from "./types.js";

/** What a folder of files can do: receive records, append-only; everything else stays local. */
export const FILE_CAPABILITIES: BackendCapabilities = Object.freeze({
  replication: true,
  queries: false,
  search: false,
  registry: false,
  artifacts: false,
  readBack: false,
  appendOnly: true,
});

/**
 * The folder of a file target URI, resolved against `cwd`: `tensorboard:./tb`,
 * `tensorboard://./tb` and `tensorboard:/abs/tb` are accepted.
 * @example `targetFolder("dvc:./dvclive", "/p")` → `"/p/dvclive"`
 */
export function targetFolder(uri: string, cwd: string): string {
  const colon = uri.indexOf(":");
  const rest = uri.slice(colon + 1).replace(/^\/\/(?=\.|\/)/, "");
  if (rest === "") throw new ValidationError("target", uri, `must name a folder after "${uri.slice(0, colon + 1)}", e.g. ${uri.slice(0, colon + 1)}./out`);
  return path.resolve(cwd, rest);
}

function fileBackend(kind: "tensorboard" | "dvc", ctx: BackendContext): TrackingBackend {
  const dir = targetFolder(ctx.uri, ctx.cwd);
  return {
    kind,
    target: `${kind}:${dir}`,
    capabilities: FILE_CAPABILITIES,
    sink: (): ReplicationSink => (kind === "tensorboard" ? new TensorBoardSink(dir, ctx.limits) : new DvcSink(dir, ctx.limits)),
    close: () => undefined,
  };
}

registerBackend("tensorboard", (ctx) => fileBackend("tensorboard", ctx));
registerBackend("dvc", (ctx) => fileBackend("dvc", ctx));
