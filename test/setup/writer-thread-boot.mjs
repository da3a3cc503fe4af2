// Starts the writer thread from its TypeScript source (see writer-thread.ts next to this file).
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.module);
