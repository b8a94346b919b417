/** find, getMore, killCursors, count, distinct and aggregate. */
import { Aggregator } from 'mingo';
import { Long } from 'bson';
import { badValue, CommandError, commandError, ErrorCode } from '../engine/command-error.js';
import { parseCollation, type Collection } from '../engine/collection.js';
import { preparePipeline } from '../engine/pipeline.js';
import { compileProjection } from '../engine/projection.js';
import { Transaction } from '../engine/store.js';
import { cloneValue, isPlainObject, keyOf, valuesAtPath, type Doc } from '../engine/values.js';
import { isChangeStreamPipeline, parseChangeStream } from './change-stream-spec.js';
import { collectionName, integerOption, type CommandContext, type CommandHandler } from './context.js';

function sourceCollection(ctx: CommandContext): Collection | undefined {
  return ctx.workspace.collection(ctx.db, collectionName(ctx), false);
}

function namespace(ctx: CommandContext): string {
  return `${ctx.db}.${collectionName(ctx)}`;
}

function batchSizeOf(cmd: Doc): number | undefined {
  const cursor = isPlainObject(cmd.cursor) ? cmd.cursor : cmd;
  return typeof cursor.batchSize === 'number' ? cursor.batchSize : undefined;
}

export const find: CommandHandler = (ctx) => {
  const { cmd } = ctx;
  const collection = sourceCollection(ctx);
  const limit = integerOption(cmd, 'limit', 0);
  const skip = integerOption(cmd, 'skip', 0);
  const batchSize = batchSizeOf(cmd);
  // MongoDB's command parser checks these ranges with code 51024.
  if (skip < 0) throw commandError(51024, `BSON field 'skip' value must be >= 0, actual value '${skip}'`);
  if (batchSize !== undefined && batchSize < 0)
    throw commandError(51024, `BSON field 'batchSize' value must be >= 0, actual value '${batchSize}'`);
  const collation = parseCollation(cmd.collation);
  const project = compileProjection(cmd.projection, isPlainObject(cmd.filter) ? cmd.filter : {}, collation);
  if (!collection) return ctx.server.cursors.firstBatch(namespace(ctx), []);
  const filter = collection.compile(cmd.filter, collation);
  const { docs, scores } = ctx.evaluate(() =>
    collection.read(filter, { sort: cmd.sort, skip, limit: Math.abs(limit), collation }),
  );
  return ctx.server.cursors.firstBatch(namespace(ctx), docs, {
    batchSize,
    singleBatch: cmd.singleBatch === true || limit < 0,
    project,
    scores,
  });
};

export const getMore: CommandHandler = (ctx) => {
  const id = ctx.raw.getMore;
  const cursorId = id instanceof Long ? id.toBigInt() : typeof id === 'number' ? BigInt(id) : null;
  if (cursorId === null) throw badValue('getMore needs a cursor id');
  const collection = typeof ctx.cmd.collection === 'string' ? ctx.cmd.collection : '';
  const ns = `${ctx.db}.${collection}`;
  if (ctx.server.changeStreams.has(cursorId)) {
    // On a tailable awaitData cursor, maxTimeMS is how long to await events, not a time limit.
    const maxTimeMS = typeof ctx.cmd.maxTimeMS === 'number' ? ctx.cmd.maxTimeMS : undefined;
    const options = { batchSize: batchSizeOf(ctx.cmd), maxTimeMS, connectionId: ctx.connectionId };
    return ctx.server.changeStreams.getMore(cursorId, ns, options);
  }
  return ctx.server.cursors.nextBatch(cursorId, ns, batchSizeOf(ctx.cmd));
};

export const killCursors: CommandHandler = (ctx) => {
  const { cursors: raw } = ctx.raw;
  const { cursors: normalized } = ctx.cmd;
  if (!Array.isArray(raw) || !Array.isArray(normalized))
    throw commandError(ErrorCode.TypeMismatch, "BSON field 'killCursors.cursors' is missing or not an array");
  // A Long keeps all 64 bits only in its raw form; other numbers are read normalized.
  const ids = raw.map((id: unknown, i) => {
    if (id instanceof Long) return id.toBigInt();
    const n = normalized[i];
    if (typeof n === 'number' && Number.isInteger(n)) return BigInt(n);
    throw commandError(ErrorCode.TypeMismatch, "BSON field 'killCursors.cursors' must hold cursor ids (longs)");
  });
  const { killed, notFound: notCursors } = ctx.server.cursors.kill(ids);
  const notFound: bigint[] = [];
  for (const id of notCursors) (ctx.server.changeStreams.kill(id) ? killed : notFound).push(id);
  const asLong = (values: bigint[]): Long[] => values.map((v) => Long.fromBigInt(v));
  return { cursorsKilled: asLong(killed), cursorsNotFound: asLong(notFound), cursorsAlive: [], cursorsUnknown: [] };
};

export const count: CommandHandler = (ctx) => {
  const { cmd } = ctx;
  const collection = sourceCollection(ctx);
  if (!collection) return { n: 0 };
  const skip = integerOption(cmd, 'skip', 0);
  const limit = Math.abs(integerOption(cmd, 'limit', 0));
  const noFilter = !isPlainObject(cmd.query) || Object.keys(cmd.query).length === 0;
  if (noFilter) return { n: Math.max(0, Math.min(limit || Infinity, collection.size - skip)) };
  const filter = collection.compile(cmd.query, parseCollation(cmd.collation));
  return { n: ctx.evaluate(() => collection.read(filter, { skip, limit }).docs.length) };
};

export const distinct: CommandHandler = (ctx) => {
  const { cmd } = ctx;
  if (typeof cmd.key !== 'string') throw badValue('distinct needs a key string');
  const collection = sourceCollection(ctx);
  if (!collection) return { values: [] };
  const collation = parseCollation(cmd.collation);
  const filter = collection.compile(cmd.query, collation);
  const seen = new Map<string, unknown>();
  for (const doc of ctx.evaluate(() => collection.read(filter).docs)) {
    for (const value of valuesAtPath(doc, cmd.key)) {
      if (value === undefined || Array.isArray(value)) continue;
      const key = keyOf(value, collation);
      if (!seen.has(key)) seen.set(key, value);
    }
  }
  return { values: [...seen.values()] };
};

/** An `aggregate` whose pipeline starts with `$changeStream`: opens a change stream. */
function openChangeStream(ctx: CommandContext, pipeline: Doc[]): Doc {
  if (ctx.workspace instanceof Transaction)
    throw commandError(
      ErrorCode.OperationNotSupportedInTransaction,
      'Operation not permitted in transaction :: caused by :: $changeStream cannot be used in a transaction',
    );
  const spec = parseChangeStream(ctx.db, ctx.cmd.aggregate, pipeline);
  const ns = spec.scope.kind === 'collection' ? namespace(ctx) : `${ctx.db}.$cmd.aggregate`;
  return ctx.server.changeStreams.open(spec, ns, batchSizeOf(ctx.cmd));
}

export const aggregate: CommandHandler = (ctx) => {
  const { cmd } = ctx;
  if (isChangeStreamPipeline(cmd.pipeline)) return openChangeStream(ctx, cmd.pipeline);
  const stages = preparePipeline(cmd.pipeline);
  if (cmd.aggregate === 1) throw badValue('database-level aggregation is not supported by the in-memory MongoDB');
  const collection = sourceCollection(ctx);
  const collation = parseCollation(cmd.collation);
  const resolver = (name: string): Doc[] => {
    const other = ctx.workspace.collection(ctx.db, name, false);
    return other ? [...other.allDocuments()].map(cloneValue) : [];
  };
  const output = ctx.evaluate(() => {
    // A leading $match runs through the collection (indexes, $text, geo, collation); mingo runs the rest.
    let input: Doc[] = [];
    let rest = stages;
    if (collection) {
      const first = stages[0];
      const matchFirst = first && isPlainObject(first.$match);
      const filter = collection.compile(matchFirst ? first.$match : {}, collation);
      input = collection.read(filter).docs.map(cloneValue);
      if (matchFirst) rest = stages.slice(1);
    }
    try {
      return new Aggregator(rest, { collectionResolver: resolver, scriptEnabled: false }).run(input) as Doc[];
    } catch (err) {
      if (err instanceof CommandError) throw err;
      throw badValue(err instanceof Error ? err.message : String(err));
    }
  });
  return ctx.server.cursors.firstBatch(namespace(ctx), output, { batchSize: batchSizeOf(cmd) });
};

const EXPLAIN_VERBOSITIES = new Set(['queryPlanner', 'executionStats', 'allPlansExecution']);

/**
 * explain of a find or count: the plan in MongoDB's reply shape. This server has no query planner, so
 * the plan is always a collection scan; with more than `queryPlanner` verbosity the query runs and
 * its counts are reported, as mongod reports them.
 */
export const explain: CommandHandler = (ctx) => {
  const inner = ctx.cmd.explain;
  if (!isPlainObject(inner)) throw commandError(ErrorCode.TypeMismatch, 'explain needs a command document');
  const verbosity = ctx.cmd.verbosity ?? 'allPlansExecution';
  if (typeof verbosity !== 'string' || !EXPLAIN_VERBOSITIES.has(verbosity))
    throw badValue(`verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}`);
  const kind = Object.keys(inner)[0];
  if (kind !== 'find' && kind !== 'count')
    throw commandError(ErrorCode.CommandNotFound, `Explain is not supported here for '${String(kind)}'`);
  const name = inner[kind];
  if (typeof name !== 'string' || name === '')
    throw commandError(ErrorCode.InvalidNamespace, `collection name has invalid type ${typeof name}`);
  const filter = (kind === 'find' ? inner.filter : inner.query) ?? {};
  if (!isPlainObject(filter)) throw commandError(ErrorCode.TypeMismatch, 'the filter must be a document');
  const collection = ctx.workspace.collection(ctx.db, name, false);
  const skip = integerOption(inner, 'skip', 0);
  const limit = Math.abs(integerOption(inner, 'limit', 0));
  const plan: Doc = { stage: collection ? 'COLLSCAN' : 'EOF', filter, direction: 'forward' };
  const reply: Doc = {
    explainVersion: '1',
    queryPlanner: { namespace: `${ctx.db}.${name}`, parsedQuery: filter, winningPlan: plan, rejectedPlans: [] },
    command: { ...inner, $db: ctx.db },
  };
  if (verbosity !== 'queryPlanner') {
    const started = Date.now();
    const compiled = collection?.compile(filter, parseCollation(inner.collation));
    const returned =
      collection && compiled
        ? ctx.evaluate(() => collection.read(compiled, { sort: inner.sort, skip, limit }).docs.length)
        : 0;
    reply.executionStats = {
      executionSuccess: true,
      nReturned: returned,
      executionTimeMillis: Date.now() - started,
      totalKeysExamined: 0,
      totalDocsExamined: collection?.size ?? 0,
      executionStages: { ...plan, nReturned: returned, docsExamined: collection?.size ?? 0 },
    };
    if (verbosity === 'allPlansExecution') (reply.executionStats as Doc).allPlansExecution = [];
  }
  return reply;
};
