/**
 * Benchmark: Plinth side by side with parse-server and a raw baseline (Express + the `mongodb`
 * driver), on the same machine, the same in-memory MongoDB engine and the same workload, in one
 * run. Run with `npm run bench` (never part of `npm test`).
 *
 * The in-memory MongoDB runs in its own process; each target in its own process on its own fresh,
 * identically seeded database, pinned to core 0 when `taskset` works; this process generates the
 * load with autocannon (and shares core 1 with the database). Every scenario is checked on a few
 * requests per target first, then measured in interleaved rounds (A B C, B C A, ...), and the
 * medians are reported. Results go to bench/results/backends.{json,md}.
 *
 * Environment: BENCH_SECONDS (per measurement, default 3), BENCH_ROUNDS (default 3),
 * BENCH_CONNECTIONS (requests in flight, default 10), BENCH_PIN=0 (no core pinning),
 * BENCH_SCENARIOS (a comma-separated subset, e.g. `get,create`, printed but not written).
 */
import { fileURLToPath } from 'node:url';
import { LOAD_CORE, pinningAvailable, pinSelfToLoadCore, SERVER_CORE, ServerChild } from '../shared/child.js';
import { currentLoad, driverVersion, log, machineInfo, RESULTS_DIR } from '../shared/machine.js';
import { drive, send, type LoadResult } from './load.js';
import { driveLiveQuery, type LiveQueryResult } from './livequery-load.js';
import { markdownReport, writeReport, type Measurement, type ScenarioReport, type TargetSummary } from './report.js';
import { SCENARIOS, type Scenario, type TargetSession } from './scenarios.js';
import { seedDatabase } from './seed.js';
import type { TargetKind } from './target-process.js';
import { APP_ID, PASSWORD, USERNAME } from './workload.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP_SECONDS = 1;
const CHECKED_REQUESTS = 3;
const ROUND_TRIP_REQUESTS = 20;
/** The bench ends by itself: past this the process exits (and its exit hook kills the children). */
const WATCHDOG_MS = 30 * 60_000;

const TARGETS: TargetKind[] = ['plinth', 'parse-server', 'baseline'];
/** BENCH_SCENARIOS: a subset to run (printed only, not written to bench/results). */
const only = process.env.BENCH_SCENARIOS?.split(',');
/** The livequery scenario: 1,000 subscribers over 100 connections, 10 rooms, 1,000 creates. */
const LIVE_QUERY = { connections: 100, subscriptionsPerConnection: 10, rooms: 10, writes: 1000, concurrency: 10 };
const MEMORY_MONGO_SCRIPT = fileURLToPath(new URL('../memory-mongo/server-process.js', import.meta.url));
const TARGET_SCRIPT = fileURLToPath(new URL('./target-process.js', import.meta.url));

interface Target {
  kind: TargetKind;
  child: ServerChild;
  session: TargetSession;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function startTarget(kind: TargetKind, mongoPort: number, pin: boolean): Promise<Target> {
  const uri = `mongodb://127.0.0.1:${mongoPort}/bench_${kind.replace('-', '_')}`;
  await seedDatabase(uri);
  const child = await ServerChild.start(TARGET_SCRIPT, [kind, uri], pin, SERVER_CORE);
  const signUp = await send(child.port, {
    method: 'POST',
    path: '/parse/users',
    headers: { 'X-Parse-Application-Id': APP_ID, 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
  });
  const sessionToken = (signUp.body as { sessionToken?: unknown }).sessionToken;
  if (signUp.status !== 201 || typeof sessionToken !== 'string')
    throw new Error(`${kind}: sign-up failed: ${signUp.status} ${JSON.stringify(signUp.body)}`);
  log(`${kind} ready on port ${child.port} in ${child.startInfo.startupMs?.toFixed(1)} ms`);
  return { kind, child, session: { sessionToken } };
}

/** A few requests of the scenario, each checked, so nothing wrong is measured. */
async function validate(target: Target, scenario: Scenario): Promise<void> {
  for (let n = 1; n <= CHECKED_REQUESTS; n++) {
    const { status, body } = await send(target.child.port, scenario.request(n, target.session));
    const problem = scenario.check(status, body, n);
    if (problem) throw new Error(`${target.kind} fails ${scenario.name}: ${problem}`);
  }
}

/** Database commands per request, over a burst of sequential requests with warm caches. */
async function roundTrips(
  target: Target,
  scenario: Scenario,
): Promise<{ perRequest: number; commands: Record<string, number> }> {
  await target.child.takeCommands();
  for (let n = 100; n < 100 + ROUND_TRIP_REQUESTS; n++)
    await send(target.child.port, scenario.request(n, target.session));
  const commands = await target.child.takeCommands();
  const total = Object.values(commands).reduce((sum, count) => sum + count, 0);
  return {
    perRequest: total / ROUND_TRIP_REQUESTS,
    commands: Object.fromEntries(Object.entries(commands).map(([name, count]) => [name, count / ROUND_TRIP_REQUESTS])),
  };
}

async function measure(target: Target, scenario: Scenario, seconds: number): Promise<Measurement> {
  const cpuBefore = await target.child.cpuMicros();
  const load: LoadResult = await drive(target.child.port, scenario, target.session, CONNECTIONS, seconds);
  const cpuAfter = await target.child.cpuMicros();
  if (load.failures > 0) log(`${target.kind} ${scenario.name}: ${load.failures} failed requests`);
  return { ...load, cpuMicrosPerRequest: load.requests > 0 ? (cpuAfter - cpuBefore) / load.requests : 0 };
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAtStart = currentLoad();
  const pin = process.env.BENCH_PIN !== '0' && pinningAvailable() && pinSelfToLoadCore();
  log(
    pin
      ? `targets pinned to core ${SERVER_CORE}, load and database to core ${LOAD_CORE}`
      : 'taskset not usable: processes are not pinned',
  );
  const mongo = await ServerChild.start(MEMORY_MONGO_SCRIPT, ['memory'], pin, LOAD_CORE);
  const targets: Target[] = [];
  try {
    for (const kind of TARGETS) targets.push(await startTarget(kind, mongo.port, pin));
    const reports: ScenarioReport[] = [];
    for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
      for (const target of targets) await validate(target, scenario);
      const trips = Object.fromEntries(
        await Promise.all(targets.map(async (t) => [t.kind, await roundTrips(t, scenario)] as const)),
      );
      for (const target of targets)
        await drive(target.child.port, scenario, target.session, CONNECTIONS, WARMUP_SECONDS);
      const rounds: Record<string, Measurement[]> = Object.fromEntries(TARGETS.map((kind) => [kind, []]));
      for (let round = 0; round < ROUNDS; round++) {
        // Interleaved, with a rotating start, so no target always runs right after another.
        for (let i = 0; i < targets.length; i++) {
          const target = targets[(round + i) % targets.length]!;
          rounds[target.kind]!.push(await measure(target, scenario, SECONDS));
        }
      }
      const results = Object.fromEntries(
        TARGETS.map((kind) => {
          const runs = rounds[kind]!;
          return [
            kind,
            {
              requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
              p50Ms: median(runs.map((r) => r.p50Ms)),
              p99Ms: median(runs.map((r) => r.p99Ms)),
              cpuMicrosPerRequest: median(runs.map((r) => r.cpuMicrosPerRequest)),
              roundTrips: trips[kind]!.perRequest,
              commands: trips[kind]!.commands,
              rounds: runs,
            },
          ];
        }),
      );
      reports.push({ name: scenario.name, description: scenario.description, results });
      log(
        `${scenario.name}: ${TARGETS.map((kind) => `${kind} ${Math.round(results[kind]!.requestsPerSecond)} req/s`).join(', ')}`,
      );
    }
    const liveQuery: Record<string, LiveQueryResult> = {};
    if (!only || only.includes('livequery')) {
      for (const target of targets.filter((t) => t.kind !== 'baseline')) {
        liveQuery[target.kind] = await driveLiveQuery(target.child.port, target.child, LIVE_QUERY);
        const r = liveQuery[target.kind]!;
        log(
          `livequery: ${target.kind} ${Math.round(r.eventsPerSecond)} events/s, ${r.delivered} of ${r.expected}, p99 ${r.p99Ms.toFixed(1)} ms`,
        );
      }
    }
    const summaries: Record<string, TargetSummary> = {};
    for (const target of targets)
      summaries[target.kind] = {
        startupMs: target.child.startInfo.startupMs ?? NaN,
        peakRssBytes: await target.child.peakRss(),
      };
    const pinning = pin
      ? `targets on core ${SERVER_CORE}; autocannon and the in-memory MongoDB on core ${LOAD_CORE}`
      : 'not pinned';
    const report = {
      machine: machineInfo(await driverVersion(), pinning, loadAtStart),
      settings: { secondsPerMeasurement: SECONDS, rounds: ROUNDS, connections: CONNECTIONS },
      scenarios: reports,
      ...(Object.keys(liveQuery).length > 0 && { liveQuery }),
      targets: summaries,
      durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
    // A run of some scenarios only is printed, never written over the full results.
    if (!only) await writeReport(RESULTS_DIR, report);
    process.stdout.write(markdownReport(report));
  } finally {
    await Promise.all(targets.map((t) => t.child.stop()));
    await mongo.stop();
  }
}

const watchdog = setTimeout(() => {
  log('watchdog: the bench took too long; stopping');
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
