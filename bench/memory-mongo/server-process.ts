/**
 * Child process entry: runs one server (plinth's in-memory MongoDB, or the stub) alone in its own
 * process, so that its heap can be measured without the load generator's, and so that it can be
 * pinned to its own core. Usage: `node --expose-gc server-process.js memory|stub`.
 *
 * It exits when told to, and also when the parent disappears (IPC disconnect), so an aborted
 * bench never leaves a server behind.
 */
import { MemoryMongoServer } from 'plinth/testing';
import { cpuMicros, isParentMessage, type ChildMessage, type MemorySample } from '../shared/ipc.js';
import { StubServer } from './stub-server.js';

/** Which server the child runs. */
export type ServerKind = 'memory' | 'stub';

interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function startServer(kind: ServerKind): Promise<RunningServer> {
  return kind === 'stub' ? StubServer.start() : MemoryMongoServer.start();
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
  if (kind !== 'memory' && kind !== 'stub')
    throw new Error(`usage: server-process.js memory|stub (got ${String(kind)})`);
  if (!process.send) throw new Error('server-process.js must be started with an IPC channel');
  const server = await startServer(kind);
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === 'memory') send({ type: 'memory', sample: sampleMemory() });
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
