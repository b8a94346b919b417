/**
 * Password hashing off the main thread, bounded. bcrypt costs tens of milliseconds of CPU per
 * hash or comparison; run on the event loop, a burst of logins would stall every other request.
 * Hashes are computed in a pool of worker threads (one per core by default) running bcryptjs;
 * logins are checked by the native `@node-rs/bcrypt` when the host installs it (its work already
 * runs off the main thread, with about a third less CPU), or in the same pool. Either way at most `threads` run at once and at most `maxQueue` wait; past that a
 * request is refused at once with 503/100, so that a flood cannot queue without bound.
 *
 * Hashes are bcrypt at cost 10 (`$2b$`), compatible with the hashes parse-server stores.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { importOptional } from '../environment/optional-package.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

const COST = 10;
/**
 * A real hash at the same cost, compared against when no user matched, so a miss takes as long as
 * a wrong password. A constant: hashing one when the backend starts would cost a hash.
 */
const DUMMY_HASH = '$2b$10$v30VwBgmOQ0mo4ZPqh06J.HtuqpqeQgm2CrsFHz57uWsZnmGDwCly';

export interface PasswordHasherOptions {
  /** Hashes computed at once; default one per core. */
  threads?: number;
  /** Hashes that may wait for a thread; past it, 503/100. Default 100. */
  maxQueue?: number;
  /**
   * `'auto'` (default): the native `@node-rs/bcrypt` when installed, else bcryptjs in worker
   * threads; `'bcryptjs'`: always bcryptjs in worker threads.
   */
  engine?: 'auto' | 'bcryptjs';
}

type Job = { op: 'hash'; password: string } | { op: 'compare'; password: string; hash: string };

interface NativeBcrypt {
  verify(password: string, hash: string): Promise<boolean>;
}

/** The code each worker runs: bcryptjs, synchronously, one job at a time. CommonJS, loaded by path. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, job }) => {
  try {
    const result = job.op === 'hash' ? bcrypt.hashSync(job.password, workerData.cost) : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ id, result });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** One worker thread and the jobs sent to it. */
class HashWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(bcryptjsPath: string, onExit: () => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: bcryptjsPath, cost: COST } });
    // Idle workers must not keep the host's process alive.
    this.worker.unref();
    this.worker.on('message', ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
      const job = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) job?.reject(new Error(error));
      else job?.resolve(result);
    });
    const fail = (err: unknown) => {
      for (const job of this.pending.values()) job.reject(err);
      this.pending.clear();
      onExit();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the password worker stopped')));
  }

  run(job: Job): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, job });
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** At most `limit` holders at once and at most `maxQueue` waiting; past that, 503/100 at once. */
class Gate {
  private running = 0;
  private readonly waiting: ((open: boolean) => void)[] = [];
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly maxQueue: number,
  ) {}

  async enter(): Promise<void> {
    if (this.closed) throw busy('The backend is closed.');
    if (this.running < this.limit) {
      this.running++;
      return;
    }
    if (this.waiting.length >= this.maxQueue) throw busy('The server is busy checking passwords; try again shortly.');
    // The place is handed over by `leave`, so `running` already counts this holder.
    if (!(await new Promise<boolean>((resume) => this.waiting.push(resume)))) throw busy('The backend is closed.');
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.running--;
  }

  close(): void {
    this.closed = true;
    for (const resume of this.waiting.splice(0)) resume(false);
  }
}

/** One backend's password hashing. */
export class PasswordHasher {
  private readonly threads: number;
  private readonly engine: 'auto' | 'bcryptjs';
  private readonly workerGate: Gate;
  private readonly nativeGate: Gate;
  private readonly workers: HashWorker[] = [];
  private readonly idle: HashWorker[] = [];
  private native: Promise<NativeBcrypt | null> | undefined;
  private closed = false;

  constructor(options: PasswordHasherOptions = {}) {
    this.threads = Math.max(1, options.threads ?? availableParallelism());
    const maxQueue = Math.max(0, options.maxQueue ?? 100);
    this.engine = options.engine ?? 'auto';
    this.workerGate = new Gate(this.threads, maxQueue);
    this.nativeGate = new Gate(this.threads, maxQueue);
  }

  /** A bcrypt hash of `password`. */
  async hash(password: string): Promise<string> {
    return (await this.run({ op: 'hash', password })) as string;
  }

  /** Whether `password` matches `hash`; with no hash, spends the same time and answers false. */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    const known = typeof hash === 'string' && hash !== '';
    try {
      const matches = (await this.run({ op: 'compare', password, hash: known ? hash : DUMMY_HASH })) as boolean;
      return known && matches;
    } catch (err) {
      if (err instanceof BackendError) throw err;
      // A malformed stored hash matches nothing.
      return false;
    }
  }

  /** Ends the worker threads; later calls are refused with 100. */
  async close(): Promise<void> {
    this.closed = true;
    this.workerGate.close();
    this.nativeGate.close();
    this.idle.length = 0;
    await Promise.all(this.workers.splice(0).map((worker) => worker.terminate()));
  }

  private async run(job: Job): Promise<unknown> {
    if (this.closed) throw busy('The backend is closed.');
    const native = this.engine === 'auto' ? await (this.native ??= loadNative()) : null;
    // Comparisons may use the native library; hashes are always bcryptjs's `$2b$` (the native one
    // writes `$2y$`), the form parse-server's own bcryptjs reads and writes.
    if (native && job.op === 'compare') {
      await this.nativeGate.enter();
      try {
        return await native.verify(job.password, job.hash);
      } finally {
        this.nativeGate.leave();
      }
    }
    await this.workerGate.enter();
    // The gate admits at most `threads` jobs, so a worker is idle or may be started.
    const worker = this.idle.pop() ?? this.spawn();
    try {
      return await worker.run(job);
    } catch (err) {
      // A job cut off by close() is not a wrong password.
      throw this.closed ? busy('The backend is closed.') : err;
    } finally {
      if (this.workers.includes(worker)) this.idle.push(worker);
      this.workerGate.leave();
    }
  }

  private spawn(): HashWorker {
    const worker: HashWorker = new HashWorker(bcryptjsPath(), () => this.forget(worker));
    this.workers.push(worker);
    return worker;
  }

  /** A worker that stopped is replaced on next use. */
  private forget(worker: HashWorker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    const idleIndex = this.idle.indexOf(worker);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);
  }
}

function busy(message: string): BackendError {
  return new BackendError(ErrorCode.CONNECTION_FAILED, message, { status: 503 });
}

function bcryptjsPath(): string {
  return createRequire(import.meta.url).resolve('bcryptjs');
}

async function loadNative(): Promise<NativeBcrypt | null> {
  const native = await importOptional<NativeBcrypt>('@node-rs/bcrypt');
  return native && typeof native.verify === 'function' ? native : null;
}
