/**
 * Parent-side handle on a server child process of a benchmark: start it (pinned to a core when
 * `taskset` is usable), ask it for samples over IPC, stop it. Every child started here is also
 * killed when the parent exits for any reason, so no server outlives the bench.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { isChildMessage, type ChildMessage, type MemorySample, type ParentMessage } from './ipc.js';

const START_TIMEOUT_MS = 30_000;
const REPLY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** True when `taskset` exists, there are two cores, and pinning to both is permitted here. */
export function pinningAvailable(): boolean {
  if (cpus().length < 2) return false;
  const probe = spawnSync('taskset', ['-c', `${SERVER_CORE},${LOAD_CORE}`, 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Pins this process (all its threads, hence `-a`) to the load core. */
export function pinSelfToLoadCore(): boolean {
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  return result.status === 0;
}

export class ServerChild {
  private readonly inbox: ChildMessage[] = [];
  private waiter: (() => void) | null = null;
  private exited = false;
  private listeningPort = 0;
  private info: Record<string, number> = {};

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: unknown) => this.receive(message));
    child.on('exit', () => this.onExit());
  }

  /** The loopback port the server listens on. */
  get port(): number {
    return this.listeningPort;
  }

  /** Starts `node --expose-gc script ...args` and waits until it reports that it listens. */
  static async start(script: string, args: readonly string[], pin: boolean, core = SERVER_CORE): Promise<ServerChild> {
    const nodeArgs = ['--expose-gc', script, ...args];
    const [command, commandArgs] = pin
      ? ['taskset', ['-c', String(core), process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
    // The 'ipc' slot makes Node open a channel; taskset exec()s node, which inherits it.
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    live.add(child);
    const handle = new ServerChild(child);
    try {
      const ready = await handle.next('ready', START_TIMEOUT_MS);
      handle.listeningPort = ready.port;
      handle.info = ready.info ?? {};
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    return handle;
  }

  /** The server's memory after forced full garbage collections. */
  async memory(): Promise<MemorySample> {
    this.post({ type: 'memory' });
    return (await this.next('memory', REPLY_TIMEOUT_MS)).sample;
  }

  /** CPU time the server process has used so far (user + system), in microseconds. */
  async cpuMicros(): Promise<number> {
    this.post({ type: 'cpu' });
    return (await this.next('cpu', REPLY_TIMEOUT_MS)).micros;
  }

  /** The process's peak resident set size so far, in bytes. */
  async peakRss(): Promise<number> {
    this.post({ type: 'peakRss' });
    return (await this.next('peakRss', REPLY_TIMEOUT_MS)).bytes;
  }

  /** Database commands the server sent since the last call, by name (from driver command monitoring). */
  async takeCommands(): Promise<Record<string, number>> {
    this.post({ type: 'commands' });
    return (await this.next('commands', REPLY_TIMEOUT_MS)).counts;
  }

  /** A value the child reported when it started (e.g. its startup time). */
  get startInfo(): Record<string, number> {
    return this.info;
  }

  /** Asks the child to stop, and kills it if it has not exited in time. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.post({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private post(message: ParentMessage): void {
    this.child.send(message);
  }

  private receive(message: unknown): void {
    if (!isChildMessage(message)) return;
    this.inbox.push(message);
    this.waiter?.();
  }

  private onExit(): void {
    this.exited = true;
    live.delete(this.child);
    this.waiter?.();
  }

  /** The next message of a type; fails on a child error report, an exit, or a timeout. */
  private async next<T extends ChildMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
      const found = index >= 0 ? this.inbox.splice(index, 1)[0] : undefined;
      if (found?.type === 'error') throw new Error(`server process failed: ${found.message}`);
      if (found) return found as Extract<ChildMessage, { type: T }>;
      if (this.exited) throw new Error(`server process exited while waiting for '${type}'`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`server process did not send '${type}' within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }
}
