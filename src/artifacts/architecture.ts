/**
 * Reads the architecture digest of a model folder, for `run.logModel`: the topology in a
 * TF.js `model.json` or a Keras `config.json` at the folder's root.
 *
 * @packageDocumentation
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { architectureDigestOf } from "../registry/architecture.js";

/** Topology files looked for at a model folder's root, in order. */
const TOPOLOGY_FILES = ["model.json", "config.json"] as const;
/** A topology file larger than this is not read (TF.js topologies are kilobytes; weights are elsewhere). */
const MAX_TOPOLOGY_BYTES = 32 * 1024 * 1024;

/**
 * The architecture digest of the model in `dir` ({@link architectureDigestOf} of its
 * `model.json`, else its `config.json`), or `undefined` when neither is a readable topology:
 * the model is then opaque to the registry, which is not an error.
 *
 * @example
 * ```ts
 * await readArchitectureDigest("./tfjs-model"); // "sha256:77e0…"
 * await readArchitectureDigest("./onnx-model"); // undefined
 * ```
 */
export async function readArchitectureDigest(dir: string): Promise<string | undefined> {
  for (const name of TOPOLOGY_FILES) {
    const file = path.join(dir, name);
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat?.isFile() !== true || stat.size > MAX_TOPOLOGY_BYTES) continue;
    let json: unknown;
    try {
      json = JSON.parse(await fsp.readFile(file, "utf8"));
    } catch {
      continue; // not JSON: not a topology
    }
    const digest = architectureDigestOf(json);
    if (digest !== undefined) return digest;
  }
  return undefined;
}
