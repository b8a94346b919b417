/**
 * The built-in MongoDB in a worker thread. The server runs each command synchronously, so in the
 * host's own thread a slow command (a scan of a large collection, a catastrophic regex) would hold
 * up everything else the host does, its HTTP requests included. In a worker, the host's event loop
 * stays free; the driver reaches the server over loopback TCP exactly as before.
 */
import { Worker } from 'node:worker_threads';
import type { MemoryMongoServerOptions } from './server.js';
import type { FromWorker, ToWorker, WorkerMemory, WorkerOptions } from './worker-messages.js';

const WORKER_SCRIPT = new URL('./worker-thread.js', import.meta.url);

/** A built-in MongoDB server running in its own worker thread. */
export class MemoryMongoWorker {
  private exited = false;
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    /** The loopback port the server listens on. */
    readonly port: number,
  ) {
    worker.on('exit', (code) => {
      this.exited = true;
      if (!this.stopping) process.stderr.write(`The built-in MongoDB's worker thread ended (exit code ${code}).\n`);
    });
  }

  /** Starts the server in a new worker thread; resolves once it listens. */
  static async start(options: MemoryMongoServerOptions = {}): Promise<MemoryMongoWorker> {
    const worker = new Worker(WORKER_SCRIPT, { workerData: options satisfies WorkerOptions });
    const port = await new Promise<number>((resolve, reject) => {
      const onMessage = (message: FromWorker): void => {
        if (message.type === 'ready') resolve(message.port);
        else if (message.type === 'failed') reject(new Error(message.message));
        else return;
        worker.off('message', onMessage);
        worker.off('error', reject);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the built-in MongoDB's worker ended at start (code ${code})`)));
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new MemoryMongoWorker(worker, port);
  }

  /** A connection string for the driver. */
  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  /** The worker's heap (after full collections when the process runs with `--expose-gc`). */
  memoryUsage(): Promise<WorkerMemory> {
    return this.request({ type: 'memory' }, 'memory').then((reply) => (reply as { memory: WorkerMemory }).memory);
  }

  /** Closes every connection, stops listening, saves the data when `persist` was set, and ends the thread. */
  stop(): Promise<void> {
    const stopping =
      this.stopping ??
      (this.exited
        ? Promise.resolve()
        : this.request({ type: 'stop' }, 'stopped').then(
            async () => void (await this.worker.terminate()),
            async (err: unknown) => {
              await this.worker.terminate();
              throw err;
            },
          ));
    this.stopping = stopping;
    return stopping;
  }

  /** Sends `message` and waits for the reply of type `answer` (or the worker's failure or end). */
  private request(message: ToWorker, answer: FromWorker['type']): Promise<FromWorker> {
    if (this.exited) return Promise.reject(new Error("the built-in MongoDB's worker has ended"));
    return new Promise<FromWorker>((resolve, reject) => {
      const cleanup = (): void => {
        this.worker.off('message', onMessage);
        this.worker.off('exit', onExit);
      };
      const onMessage = (reply: FromWorker): void => {
        if (reply.type !== answer && reply.type !== 'failed') return;
        cleanup();
        if (reply.type === 'failed') reject(new Error(reply.message));
        else resolve(reply);
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error("the built-in MongoDB's worker has ended"));
      };
      this.worker.on('message', onMessage);
      this.worker.on('exit', onExit);
      this.worker.postMessage(message);
    });
  }
}
