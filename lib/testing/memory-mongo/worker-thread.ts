/**
 * Entry of the worker thread that runs the built-in MongoDB (see memory-mongo-worker.ts): the
 * whole server (its sockets, commands and data) lives here, so nothing it does can hold up the
 * host's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MemoryMongoServer } from './server.js';
import type { FromWorker, ToWorker, WorkerMemory, WorkerOptions } from './worker-messages.js';

function send(message: FromWorker): void {
  parentPort?.postMessage(message);
}

function memory(): WorkerMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Twice: the first collection may leave garbage it only found reachable from finalizers.
  gc?.();
  gc?.();
  const { heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, heapTotal, external, arrayBuffers };
}

async function main(): Promise<void> {
  let server: MemoryMongoServer;
  try {
    server = await MemoryMongoServer.start(workerData as WorkerOptions);
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  parentPort?.on('message', (message: ToWorker) => {
    if (message.type === 'memory') send({ type: 'memory', memory: memory() });
    else if (message.type === 'stop') {
      void server.stop().then(
        () => {
          send({ type: 'stopped' });
          parentPort?.close();
        },
        (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
      );
    }
  });
  send({ type: 'ready', port: server.port });
}

void main();
