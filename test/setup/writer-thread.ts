/**
 * The unit tests run the TypeScript sources, where no built `writer-thread.js` exists: the
 * writer thread (src/log/writer-thread.ts) starts through tsx instead, as the built script
 * would start it.
 */
import { Worker } from "node:worker_threads";
import { setThreadStarter } from "../../src/log/write-behind.js";

const boot = new URL("./writer-thread-boot.mjs", import.meta.url);
const module = new URL("../../src/log/writer-thread.ts", import.meta.url).href;

setThreadStarter((workerData) => new Worker(boot, { workerData: { ...workerData, module } }));
