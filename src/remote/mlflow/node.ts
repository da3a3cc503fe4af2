/**
 * The Node convenience constructor of the MLflow client: from a tracking URI and auth to a
 * client on the axios transport. Kept apart from the client so the client imports nothing
 * from Node.
 *
 * @packageDocumentation
 */
import { createHttpClient } from "../http.js";
import type { HttpOptions } from "../http-types.js";
import type { MlflowClientOptions } from "./base.js";
import { MlflowClient } from "./client.js";

/**
 * A {@link MlflowClient} on its own Node transport (`createHttpClient(options)`), closed by
 * `client.close()`. Given `{ http }` instead, the transport is shared and left open.
 *
 * @example
 * ```ts
 * const client = createMlflowClient({ trackingUri: "http://127.0.0.1:5000", ...authFromEnv(process.env) });
 * const exp = await client.getOrCreateExperiment("churn");
 * client.close();
 * ```
 */
export function createMlflowClient(options: HttpOptions | MlflowClientOptions): MlflowClient {
  if ("http" in options) return new MlflowClient(options);
  return new MlflowClient({ http: createHttpClient(options), ownsHttp: true });
}
