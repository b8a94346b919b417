/**
 * The load generator: a fixed number of async workers, each awaiting one operation at a time, so
 * exactly that many operations are in flight. Runs are bounded by time (reads) or by a work list
 * (inserts), after a warm-up that lets V8 optimize both sides before anything is timed.
 *
 * Timed runs are cut into fixed windows and report the median window's rate: on a shared 2-core
 * machine a burst of unrelated work (a compiler, a test run) can stall one window, and the median
 * ignores it where a plain mean would not.
 */
import { performance } from 'node:perf_hooks';

/** One operation; resolves to how many units it did (1 for a query, the batch size for an insert). */
export type Operation = (worker: number) => Promise<number>;

/** What a run measured. */
export interface LoadResult {
  /** Operations completed in the timed run(s). */
  ops: number;
  /** Units completed (documents for inserts, queries otherwise). */
  units: number;
  elapsedMs: number;
  /** The headline rate: median of the full windows' rates (or units / elapsed without windows). */
  unitsPerSecond: number;
  /** units / elapsed over the whole run, for comparison with the median. */
  meanUnitsPerSecond: number;
  /** Rate of each full window, in units per second. */
  windowRates: number[];
  /** Wall time per operation with `concurrency` in flight, from the headline rate. */
  msPerOp: number;
  /** Latency one caller saw, queueing behind the other in-flight operations included. */
  latencyMeanMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU per operation on each side, when the run had a {@link CpuMeter}. */
  cpu?: CpuCost;
}

/** CPU time used so far by the server process and by this (load) process, in microseconds. */
export interface CpuReading {
  serverMicros: number;
  clientMicros: number;
}

export type CpuMeter = () => Promise<CpuReading>;

/**
 * CPU per operation. Wall-clock rates on a machine shared with other work move with that work;
 * CPU per operation barely does, and with server and load on separate cores the busier side bounds
 * the throughput: `capacityPerSecond` = 1 s / max(server, client) CPU per operation.
 */
export interface CpuCost {
  serverMicrosPerOp: number;
  clientMicrosPerOp: number;
  capacityPerSecond: number;
}

/** Time bounds of a timed run. */
export interface TimedRunOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Keep going past `durationMs` until this many operations finished (slow operations), up to `maxMs`. */
  minOps: number;
  maxMs: number;
  windowMs: number;
  /** Reads CPU time before and after the timed part (not the warm-up). */
  meter?: CpuMeter;
}

/** Raw measurements of one run; several runs (rounds) can be summarized together. */
interface Samples {
  latencies: number[];
  units: number;
  elapsedMs: number;
  windowRates: number[];
  /** CPU used during the timed part, when metered. */
  cpu?: CpuReading;
}

/** A small seeded PRNG (mulberry32), so every run queries the same sequence of documents. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function summarize(runs: readonly Samples[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const windowRates = runs.flatMap((r) => r.windowRates);
  const units = runs.reduce((n, r) => n + r.units, 0);
  const elapsedMs = runs.reduce((n, r) => n + r.elapsedMs, 0);
  const ops = latencies.length;
  const meanUnitsPerSecond = elapsedMs > 0 ? (units * 1000) / elapsedMs : 0;
  const unitsPerSecond =
    windowRates.length > 0
      ? percentile(
          [...windowRates].sort((a, b) => a - b),
          0.5,
        )
      : meanUnitsPerSecond;
  const unitsPerOp = ops > 0 ? units / ops : 1;
  const cpu = cpuCost(runs, ops);
  return {
    ops,
    units,
    elapsedMs,
    unitsPerSecond,
    meanUnitsPerSecond,
    windowRates,
    msPerOp: unitsPerSecond > 0 ? (1000 * unitsPerOp) / unitsPerSecond : 0,
    latencyMeanMs: ops > 0 ? latencies.reduce((sum, l) => sum + l, 0) / ops : 0,
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP99Ms: percentile(latencies, 0.99),
    ...(cpu ? { cpu } : {}),
  };
}

function cpuCost(runs: readonly Samples[], ops: number): CpuCost | undefined {
  if (ops === 0 || runs.some((r) => !r.cpu)) return undefined;
  const serverMicrosPerOp = runs.reduce((n, r) => n + r.cpu!.serverMicros, 0) / ops;
  const clientMicrosPerOp = runs.reduce((n, r) => n + r.cpu!.clientMicros, 0) / ops;
  return {
    serverMicrosPerOp,
    clientMicrosPerOp,
    capacityPerSecond: 1e6 / Math.max(serverMicrosPerOp, clientMicrosPerOp),
  };
}

/**
 * Runs `concurrency` workers until `keepGoing` says stop. With a `windowMs`, also returns the
 * units finished in each full window of that length (the ragged tail is left out of the windows).
 */
async function runWorkers(
  concurrency: number,
  op: Operation,
  keepGoing: (completed: number) => boolean,
  windowMs = 0,
): Promise<Samples> {
  const latencies: number[] = [];
  const unitsPerWindow: number[] = [];
  let units = 0;
  const start = performance.now();
  const worker = async (id: number): Promise<void> => {
    while (keepGoing(latencies.length)) {
      const begun = performance.now();
      // Not `units += await op(id)`: that reads `units` before the await and loses concurrent updates.
      const done = await op(id);
      const finished = performance.now();
      units += done;
      latencies.push(finished - begun);
      if (windowMs > 0) {
        const window = Math.floor((finished - start) / windowMs);
        unitsPerWindow[window] = (unitsPerWindow[window] ?? 0) + done;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
  const elapsedMs = performance.now() - start;
  const fullWindows = windowMs > 0 ? Math.floor(elapsedMs / windowMs) : 0;
  const windowRates = Array.from({ length: fullWindows }, (_, i) => ((unitsPerWindow[i] ?? 0) * 1000) / windowMs);
  return { latencies, units, elapsedMs, windowRates };
}

/**
 * Warm-up, then a timed window. Workers stop starting operations at the deadline; the run ends
 * when the last one in flight completes, so every counted operation is fully inside it.
 */
async function timedSamples(op: Operation, options: TimedRunOptions): Promise<Samples> {
  const warmupEnd = performance.now() + options.warmupMs;
  await runWorkers(options.concurrency, op, () => performance.now() < warmupEnd);
  // The meter is read before the deadlines are set, so its IPC round trip does not shorten the run.
  const before = await options.meter?.();
  const start = performance.now();
  const softEnd = start + options.durationMs;
  const hardEnd = start + options.maxMs;
  const keepGoing = (completed: number): boolean => {
    const now = performance.now();
    return now < softEnd || (completed < options.minOps && now < hardEnd);
  };
  const samples = await runWorkers(options.concurrency, op, keepGoing, options.windowMs);
  const after = await options.meter?.();
  if (before && after) {
    samples.cpu = {
      serverMicros: after.serverMicros - before.serverMicros,
      clientMicros: after.clientMicros - before.clientMicros,
    };
  }
  return samples;
}

export async function timedRun(op: Operation, options: TimedRunOptions): Promise<LoadResult> {
  return summarize([await timedSamples(op, options)]);
}

/**
 * Alternates short timed runs of two operations, `rounds` times each, so that whatever else the
 * machine is doing slows both about equally and their ratio stays meaningful.
 */
export async function pairedRuns(
  a: Operation,
  b: Operation,
  rounds: number,
  optionsA: TimedRunOptions,
  optionsB: TimedRunOptions,
): Promise<[LoadResult, LoadResult]> {
  const samplesA: Samples[] = [];
  const samplesB: Samples[] = [];
  for (let round = 0; round < rounds; round++) {
    samplesA.push(await timedSamples(a, optionsA));
    samplesB.push(await timedSamples(b, optionsB));
  }
  return [summarize(samplesA), summarize(samplesB)];
}

/** Runs every task exactly once with `concurrency` in flight (workers pull from a shared list). */
export async function drainTasks<T>(
  tasks: readonly T[],
  concurrency: number,
  run: (task: T) => Promise<number>,
): Promise<LoadResult> {
  let next = 0;
  const op: Operation = () => run(tasks[next++]!);
  return summarize([await runWorkers(concurrency, op, () => next < tasks.length)]);
}
