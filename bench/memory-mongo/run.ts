/**
 * Benchmark of plinth's in-memory MongoDB, through the official driver, 10 operations in flight:
 * insert throughput, find by _id / by an indexed field / unindexed scan at 10k and 100k documents,
 * and the server's memory per stored document. A stub server that answers from canned replies
 * gives the floor: the cost of the driver and the protocol alone.
 *
 * Each server runs in its own child process (pinned to core 0 when `taskset` works) and this
 * process generates the load (pinned to core 1). Run with `npm run bench:memory-mongo`; the server
 * runs in a worker thread of its child, as `startMemoryMongo()` runs it, or with `-- --caller` in the
 * child's main thread (to compare the two).
 * Progress goes to stderr; the result table to stdout and to bench/results/.
 */
import { fileURLToPath } from 'node:url';
import { MongoClient, type Collection, type Db } from 'mongodb';
import { LOAD_CORE, pinningAvailable, pinSelfToLoadCore, SERVER_CORE, ServerChild } from '../shared/child.js';
import { makeBatches, meanBsonSize, type BenchDoc } from './documents.js';
import type { MemorySample } from '../shared/ipc.js';
import type { ServerKind } from './server-process.js';
import { drainTasks, pairedRuns, timedRun, type CpuMeter, type LoadResult, type TimedRunOptions } from './load.js';
import { currentLoad, driverVersion, log, machineInfo, RESULTS_DIR } from '../shared/machine.js';
import { check, markdownReport, writeResults, type BenchReport, type Row } from './report.js';
import { findById, findByIndexedField, insertBatch, unindexedScan } from './scenarios.js';

const CONCURRENCY = 10;
const BATCH_SIZE = 1000;
const SMALL = 10_000;
const LARGE = 100_000;
const INDEX_NAME = 'name_1';

const READ_RUN: TimedRunOptions = {
  concurrency: CONCURRENCY,
  warmupMs: 1000,
  durationMs: 3000,
  minOps: 20,
  maxMs: 15_000,
  windowMs: 500,
};
/**
 * The driver needs 2–3 s of traffic before V8 has optimized its hot paths (measured: the first
 * second runs at a quarter of the steady rate), so it is warmed up against the stub first.
 */
const DRIVER_WARMUP: TimedRunOptions = { ...READ_RUN, warmupMs: 3000, durationMs: 0, minOps: 0 };
/** Floor and find-by-_id at 100k alternate in short rounds, so both see the same machine load. */
const PAIRED_RUN: TimedRunOptions = { ...READ_RUN, warmupMs: 300, durationMs: 1000 };
const PAIRED_ROUNDS = 4;
/** JIT warm-up of a fresh server process before the memory baseline and the first timed insert. */
const WARMUP_DOCS = 5_000;
const WARMUP_READS: TimedRunOptions = { ...READ_RUN, warmupMs: 1000, durationMs: 0, minOps: 0 };

/** The bench must end by itself; past this the process exits (and its exit hook kills the children). */
const WATCHDOG_MS = 170_000;

/** Targets from the brief. */
const TARGET_INSERT_DOCS_PER_S = 20_000;
const TARGET_ID_VS_FLOOR = 0.7;
const TARGET_SCAN_MS = 300;
const TARGET_MEMORY_RATIO = 3;

const SERVER_SCRIPT = fileURLToPath(new URL('./server-process.js', import.meta.url));

interface ReadResults {
  byId: LoadResult;
  byIndexedField: LoadResult;
  scan: LoadResult;
}

interface MemoryResults {
  baseline: MemorySample;
  afterSmallInsert: MemorySample;
  afterInsert: MemorySample;
  afterReads: MemorySample;
  withoutSecondaryIndex: MemorySample;
}

interface ServerResults {
  floor: LoadResult;
  insert: LoadResult[];
  reads: Record<number, ReadResults>;
  memory: MemoryResults;
}

/** A server child with a connected driver, and the timed-run options that meter its CPU. */
interface Connected {
  child: ServerChild;
  db: Db;
  collection: Collection<BenchDoc>;
  /** {@link READ_RUN} plus a CPU meter reading this server and the load process. */
  readRun: TimedRunOptions;
}

/** CPU of the server child and of this process, read between warm-up and timed part of a run. */
function cpuMeter(child: ServerChild): CpuMeter {
  return async () => {
    const serverMicros = await child.cpuMicros();
    const { user, system } = process.cpuUsage();
    return { serverMicros, clientMicros: user + system };
  };
}

/** Starts a server child, connects the driver, runs `body`, and always tears both down. */
async function withServer<T>(kind: ServerKind, pin: boolean, body: (server: Connected) => Promise<T>): Promise<T> {
  const child = await ServerChild.start(SERVER_SCRIPT, [kind], pin);
  let client: MongoClient | undefined;
  try {
    // One pooled connection per worker: 10 in flight means 10 sockets, as 10 app requests would use.
    client = await MongoClient.connect(`mongodb://127.0.0.1:${child.port}/`, {
      maxPoolSize: CONCURRENCY,
      serverSelectionTimeoutMS: 5000,
    });
    const db = client.db('bench');
    return await body({
      child,
      db,
      collection: db.collection<BenchDoc>('docs'),
      readRun: { ...READ_RUN, meter: cpuMeter(child) },
    });
  } finally {
    await client?.close().catch(() => undefined);
    await child.stop();
  }
}

/** Runs every operation once briefly in a scratch collection, then drops it, so V8 has optimized both sides. */
async function warmUp(db: Db): Promise<void> {
  const scratch = db.collection<BenchDoc>('warmup');
  await scratch.createIndex({ name: 1 });
  await drainTasks(makeBatches(0, WARMUP_DOCS, BATCH_SIZE), CONCURRENCY, insertBatch(scratch));
  for (const op of [
    findById(scratch, WARMUP_DOCS, true),
    findByIndexedField(scratch, WARMUP_DOCS),
    unindexedScan(scratch, WARMUP_DOCS),
  ]) {
    await timedRun(op, WARMUP_READS);
  }
  await scratch.drop();
}

/**
 * The three reads at one collection size. With the stub given, find by _id alternates with the
 * floor measurement (see {@link PAIRED_RUN}) and the floor is returned too.
 */
async function measureReads(
  server: Connected,
  docCount: number,
  stub?: Connected,
): Promise<ReadResults & { floor?: LoadResult }> {
  const { collection, readRun } = server;
  let byId: LoadResult;
  let floor: LoadResult | undefined;
  if (stub) {
    log(`${docCount} docs: find by _id, alternating with the stub (floor)`);
    const floorOp = findById(stub.collection, docCount, false);
    const byIdOp = findById(collection, docCount, true);
    [floor, byId] = await pairedRuns(
      floorOp,
      byIdOp,
      PAIRED_ROUNDS,
      { ...PAIRED_RUN, meter: stub.readRun.meter },
      { ...PAIRED_RUN, meter: readRun.meter },
    );
  } else {
    log(`${docCount} docs: find by _id`);
    byId = await timedRun(findById(collection, docCount, true), readRun);
  }
  log(`${docCount} docs: find by indexed field`);
  const byIndexedField = await timedRun(findByIndexedField(collection, docCount), readRun);
  log(`${docCount} docs: unindexed scan`);
  const scan = await timedRun(unindexedScan(collection, docCount), readRun);
  return floor ? { byId, byIndexedField, scan, floor } : { byId, byIndexedField, scan };
}

/** Grows the collection to `to` documents with timed insertMany batches, and checks the count. */
async function insertUpTo(collection: Collection<BenchDoc>, from: number, to: number): Promise<LoadResult> {
  const batches = makeBatches(from, to, BATCH_SIZE);
  log(`insert ${from} → ${to}`);
  const result = await drainTasks(batches, CONCURRENCY, insertBatch(collection));
  const count = await collection.estimatedDocumentCount();
  if (count !== to) throw new Error(`expected ${to} documents after inserting, the server counts ${count}`);
  return result;
}

/**
 * The whole measurement. Both servers run for its duration (each in its own process, on the same
 * core; the idle one costs nothing), so the floor can be measured right next to the real thing.
 */
async function measureAll(pin: boolean, kind: ServerKind): Promise<ServerResults> {
  return withServer('stub', pin, (stub) => withServer(kind, pin, (server) => measureMemoryServer(server, stub)));
}

async function measureMemoryServer(server: Connected, stub: Connected): Promise<ServerResults> {
  const { child, collection } = server;
  log('warm-up: driver (against the stub), then server');
  await timedRun(findById(stub.collection, LARGE, false), DRIVER_WARMUP);
  await collection.createIndex({ name: 1 }, { name: INDEX_NAME });
  await warmUp(server.db);
  const baseline = await child.memory();
  const insert = [await insertUpTo(collection, 0, SMALL)];
  // Sampling memory forces full GCs, which also clears the insert's garbage before reads are timed.
  const afterSmallInsert = await child.memory();
  const reads: Record<number, ReadResults> = { [SMALL]: await measureReads(server, SMALL) };
  insert.push(await insertUpTo(collection, SMALL, LARGE));
  const afterInsert = await child.memory();
  const { floor, ...large } = await measureReads(server, LARGE, stub);
  if (!floor) throw new Error('the floor was not measured');
  reads[LARGE] = large;
  const afterReads = await child.memory();
  // Dropping the secondary index splits the growth into documents and index entries.
  await collection.dropIndex(INDEX_NAME);
  const withoutSecondaryIndex = await child.memory();
  return {
    floor,
    insert,
    reads,
    memory: { baseline, afterSmallInsert, afterInsert, afterReads, withoutSecondaryIndex },
  };
}

/** Heap the server gained, per document: V8 heap plus off-heap buffers (in case a store keeps raw BSON). */
function bytesPerDoc(after: MemorySample, baseline: MemorySample, docs: number): number {
  return (after.heapUsed + after.external - (baseline.heapUsed + baseline.external)) / docs;
}

function combineInserts(parts: LoadResult[]): { docsPerSecond: number; docs: number; ms: number } {
  const docs = parts.reduce((n, p) => n + p.units, 0);
  const ms = parts.reduce((n, p) => n + p.elapsedMs, 0);
  return { docsPerSecond: (docs * 1000) / ms, docs, ms };
}

function percentOf(value: number, reference: number): string {
  return `${Math.round((value / reference) * 100)}% of floor`;
}

/** "server 180 µs CPU/op": what one operation costs the server, unaffected by other load. */
function serverCpuNote(result: LoadResult): string {
  const micros = result.cpu?.serverMicrosPerOp;
  if (micros === undefined) return '';
  return micros >= 1000
    ? `server ${(micros / 1000).toFixed(1)} ms CPU/query`
    : `server ${Math.round(micros)} µs CPU/op`;
}

function readRow(id: string, metric: string, result: LoadResult, floorOps: number): Row {
  return {
    id,
    metric,
    value: result.unitsPerSecond,
    unit: 'ops/s',
    target: null,
    note: `${percentOf(result.unitsPerSecond, floorOps)}; ${serverCpuNote(result)}`,
  };
}

function scanRow(id: string, metric: string, result: LoadResult, target: Row['target']): Row {
  return {
    id,
    metric,
    value: result.msPerOp,
    unit: 'ms/query',
    target,
    note: `${result.ops} queries; ${serverCpuNote(result)}`,
  };
}

/** The by-_id comparison redone on CPU capacity, which other load on the machine barely moves. */
function cpuCapacityRow(byId: LoadResult, floor: LoadResult): Row[] {
  if (!byId.cpu || !floor.cpu) return [];
  const note = `capacity ${Math.round(byId.cpu.capacityPerSecond)} vs ${Math.round(floor.cpu.capacityPerSecond)} ops/s; client ${Math.round(byId.cpu.clientMicrosPerOp)} µs, server ${Math.round(byId.cpu.serverMicrosPerOp)} µs CPU/op`;
  return [
    {
      id: 'findById100kCpu',
      metric: 'find by _id, 100k docs, CPU-bound capacity',
      value: (byId.cpu.capacityPerSecond / floor.cpu.capacityPerSecond) * 100,
      unit: '% of floor',
      target: null,
      note,
    },
  ];
}

function buildRows(server: ServerResults, bsonSize: number): Row[] {
  const { floor, memory } = server;
  const insert = combineInserts(server.insert);
  const small = server.reads[SMALL]!;
  const large = server.reads[LARGE]!;
  const floorOps = floor.unitsPerSecond;
  const perDoc = bytesPerDoc(memory.afterInsert, memory.baseline, LARGE);
  const perDocDataOnly = bytesPerDoc(memory.withoutSecondaryIndex, memory.baseline, LARGE);
  const ratio = (bytes: number): string => `${Math.round(bytes)} B/doc vs ${Math.round(bsonSize)} B BSON`;
  const byIdTarget = { kind: 'atLeast', value: floorOps * TARGET_ID_VS_FLOOR, label: '70% of floor' } as const;
  return [
    {
      id: 'insert',
      metric: 'insertMany (batches of 1,000)',
      value: insert.docsPerSecond,
      unit: 'docs/s',
      target: { kind: 'atLeast', value: TARGET_INSERT_DOCS_PER_S },
      note: `${insert.docs} docs in ${(insert.ms / 1000).toFixed(2)} s`,
    },
    {
      id: 'floor',
      metric: 'floor: find by _id, stub server',
      value: floorOps,
      unit: 'ops/s',
      target: null,
      note: `driver + protocol alone; ${serverCpuNote(floor)}`,
    },
    readRow('findById10k', 'find by _id, 10k docs', small.byId, floorOps),
    { ...readRow('findById100k', 'find by _id, 100k docs', large.byId, floorOps), target: byIdTarget },
    ...cpuCapacityRow(large.byId, floor),
    readRow('findIndexed10k', 'find on indexed field, 10k docs', small.byIndexedField, floorOps),
    readRow('findIndexed100k', 'find on indexed field, 100k docs', large.byIndexedField, floorOps),
    scanRow('scan10k', 'unindexed scan (5 matches), 10k docs', small.scan, null),
    scanRow('scan100k', 'unindexed scan (5 matches), 100k docs', large.scan, { kind: 'below', value: TARGET_SCAN_MS }),
    {
      id: 'memory',
      metric: 'server heap per document (with name index)',
      value: perDoc / bsonSize,
      unit: '× BSON',
      target: { kind: 'below', value: TARGET_MEMORY_RATIO },
      note: ratio(perDoc),
    },
    {
      id: 'memoryDataOnly',
      metric: 'server heap per document (_id only)',
      value: perDocDataOnly / bsonSize,
      unit: '× BSON',
      target: null,
      note: ratio(perDocDataOnly),
    },
  ];
}

/** Pins this process to the load core when possible; describes what was done. */
function setUpPinning(): { pin: boolean; description: string } {
  if (!pinningAvailable())
    return { pin: false, description: 'no CPU pinning (taskset unavailable or fewer than 2 cores)' };
  if (!pinSelfToLoadCore()) return { pin: false, description: 'no CPU pinning (taskset could not pin this process)' };
  return { pin: true, description: `server pinned to core ${SERVER_CORE}, load generator to core ${LOAD_CORE}` };
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = currentLoad();
  const kind: ServerKind = process.argv.includes('--caller') ? 'memory-caller' : 'memory';
  const pinning = setUpPinning();
  const description = `${pinning.description}; server in ${kind === 'memory' ? 'a worker thread' : 'the main thread'}`;
  log(description);
  const bsonSize = meanBsonSize(LARGE);
  const server = await measureAll(pinning.pin, kind);
  const rows = buildRows(server, bsonSize).map(check);
  const report: BenchReport = {
    machine: machineInfo(await driverVersion(), description, loadAtStart),
    rows,
    details: { meanBsonSize: bsonSize, ...server },
    durationSeconds: (Date.now() - started) / 1000,
  };
  await writeResults(RESULTS_DIR, report);
  process.stdout.write(`${markdownReport(report)}\n`);
  log(`results written to ${RESULTS_DIR}`);
  if (rows.some((r) => r.pass === false))
    log(
      `missed targets: ${rows
        .filter((r) => r.pass === false)
        .map((r) => r.id)
        .join(', ')}`,
    );
}

// Ctrl-C or a kill ends the run through process.exit, whose hook (child.ts) kills the server child.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
const watchdog = setTimeout(() => {
  log(`aborting: the bench ran longer than ${WATCHDOG_MS / 1000} s`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
