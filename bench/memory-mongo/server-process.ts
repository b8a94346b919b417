/**
 * Child process entry: runs one server (plinth's in-memory MongoDB, or the stub) alone in its own
 * process, so that its heap can be measured without the load generator's, and so that it can be
 * pinned to its own core. Usage: `node --expose-gc server-process.js memory|memory-caller|stub`:
 * `memory` runs the server in a worker thread, as `startMemoryMongo()` does; `memory-caller` in the
 * process's main thread.
 *
 * It exits when told to, and also when the parent disappears (IPC disconnect), so an aborted
 * bench never leaves a server behind.
 */
import { MemoryMongoServer, MemoryMongoWorker } from 'plinth/testing';
import { cpuMicros, isParentMessage, type ChildMessage, type MemorySample } from '../shared/ipc.js';
import { StubServer } from './stub-server.js';

/** Which server the child runs. */
export type ServerKind = 'memory' | 'memory-caller' | 'stub';
const KINDS: readonly string[] = ['memory', 'memory-caller', 'stub'] satisfies ServerKind[];

interface RunningServer {
  port: number;
  stop(): Promise<void>;
  /** The heap holding the server's data (the worker's, for a server in a worker thread). */
  memory(): Promise<MemorySample>;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function startServer(kind: ServerKind): Promise<RunningServer> {
  if (kind === 'memory') {
    const worker = await MemoryMongoWorker.start();
    return {
      port: worker.port,
      stop: () => worker.stop(),
      memory: async () => ({ ...(await worker.memoryUsage()), rss: process.memoryUsage().rss }),
    };
  }
  const server = kind === 'stub' ? await StubServer.start() : await MemoryMongoServer.start();
  return { port: server.port, stop: () => server.stop(), memory: async () => sampleMemory() };
}

/** Heap after full collections, so only live data is counted (twice: the first may leave floating garbage). */
function sampleMemory(): MemorySample {
  const gc = globalThis.gc;
  if (!gc) throw new Error('the server process needs --expose-gc');
  gc();
  gc();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  if (kind === undefined || !KINDS.includes(kind))
    throw new Error(`usage: server-process.js ${KINDS.join('|')} (got ${String(kind)})`);
  if (!process.send) throw new Error('server-process.js must be started with an IPC channel');
  const server = await startServer(kind as ServerKind);
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === 'memory') void server.memory().then((sample) => send({ type: 'memory', sample }));
    else if (message.type === 'cpu') send({ type: 'cpu', micros: cpuMicros() });
    else if (message.type === 'stop') void shutdown();
  });
  process.on('disconnect', () => void shutdown());
  send({ type: 'ready', port: server.port });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
