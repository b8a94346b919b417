/** The messages between {@link MemoryMongoWorker} and the worker thread that runs the server. */
import type { MemoryMongoServerOptions } from './server.js';

/** The heap of the worker thread, after full collections when the process runs with `--expose-gc`. */
export interface WorkerMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** What the host sends: stop (saving the data when `persist` is set), or report memory. */
export type ToWorker = { type: 'stop' } | { type: 'memory' };

/** What the worker sends back. */
export type FromWorker =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'stopped' }
  | { type: 'memory'; memory: WorkerMemory };

/** The worker's `workerData`. */
export type WorkerOptions = MemoryMongoServerOptions;
