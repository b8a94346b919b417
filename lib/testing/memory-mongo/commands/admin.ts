/** Collections, databases and indexes: create, drop, list, rename; createIndexes and friends. */
import { badValue, commandError, ErrorCode } from '../engine/command-error.js';
import type { IndexSpec } from '../engine/collection-index.js';
import { ID_INDEX_NAME } from '../engine/collection.js';
import { buildQuery } from '../engine/filter.js';
import { isPlainObject, type Doc } from '../engine/values.js';
import { collectionName, type CommandHandler } from './context.js';

const INDEX_PLUGINS = new Set(['text', '2d', '2dsphere', 'hashed']);

function indexName(key: Doc): string {
  return Object.entries(key)
    .map(([field, kind]) => `${field}_${String(kind)}`)
    .join('_');
}

/**
 * A text index as MongoDB stores and lists it: its text fields become `_fts: 'text', _ftsx: 1` in
 * the key and move to `weights` (1 unless given), with the text-search defaults made explicit.
 * One text index per collection then follows: any two have the same key.
 */
function normalizeTextIndex(spec: IndexSpec): IndexSpec {
  if ('_fts' in spec.key || !Object.values(spec.key).includes('text')) return spec;
  const key: Doc = {};
  const weights: Doc = {};
  for (const [field, kind] of Object.entries(spec.key)) {
    if (kind !== 'text') key[field] = kind;
    else {
      weights[field] = 1;
      if (!('_fts' in key)) Object.assign(key, { _fts: 'text', _ftsx: 1 });
    }
  }
  if (isPlainObject(spec.weights)) Object.assign(weights, spec.weights);
  return {
    ...spec,
    key,
    weights,
    default_language: spec.default_language ?? 'english',
    language_override: spec.language_override ?? 'language',
    textIndexVersion: 3,
  };
}

function readIndexSpec(value: unknown): IndexSpec {
  if (!isPlainObject(value) || !isPlainObject(value.key) || Object.keys(value.key).length === 0) {
    throw commandError(ErrorCode.CannotCreateIndex, 'Index keys cannot be empty.');
  }
  for (const [field, kind] of Object.entries(value.key)) {
    // Any non-zero number is a direction (its sign); a string names an index type.
    if (typeof kind === 'number' && kind !== 0 && Number.isFinite(kind)) continue;
    if (typeof kind === 'string' && INDEX_PLUGINS.has(kind)) continue;
    throw commandError(
      ErrorCode.CannotCreateIndex,
      typeof kind === 'string'
        ? `Unknown index plugin '${kind}'`
        : `Values in the index key pattern can't be ${JSON.stringify(kind)}: ${field}`,
    );
  }
  const name = typeof value.name === 'string' ? value.name : indexName(value.key);
  return normalizeTextIndex({ v: 2, ...value, key: value.key, name });
}

export const createIndexes: CommandHandler = (ctx) => {
  const specs = ctx.cmd.indexes;
  if (!Array.isArray(specs) || specs.length === 0) throw badValue('Must specify at least one index to create');
  const parsed = specs.map(readIndexSpec);
  const existed = ctx.workspace.collection(ctx.db, collectionName(ctx), false) !== undefined;
  const collection = ctx.workspace.collection(ctx.db, collectionName(ctx), true)!;
  const before = collection.indexSpecs().length;
  for (const spec of parsed) collection.createIndex(spec);
  return {
    createdCollectionAutomatically: !existed,
    numIndexesBefore: before,
    numIndexesAfter: collection.indexSpecs().length,
  };
};

export const listIndexes: CommandHandler = (ctx) => {
  const name = collectionName(ctx);
  const collection = ctx.workspace.collection(ctx.db, name, false);
  if (!collection) throw commandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  return ctx.server.cursors.firstBatch(`${ctx.db}.${name}`, collection.indexSpecs() as Doc[]);
};

export const dropIndexes: CommandHandler = (ctx) => {
  const name = collectionName(ctx);
  const collection = ctx.workspace.collection(ctx.db, name, false);
  if (!collection) throw commandError(ErrorCode.NamespaceNotFound, `ns not found ${ctx.db}.${name}`);
  const nIndexesWas = collection.dropIndexes(ctx.cmd.index);
  return { nIndexesWas };
};

export const listCollections: CommandHandler = (ctx) => {
  const database = ctx.server.store.databases.get(ctx.db);
  const nameOnly = ctx.cmd.nameOnly === true;
  let entries: Doc[] = [...(database?.values() ?? [])].map((c) =>
    nameOnly
      ? { name: c.name, type: 'collection' }
      : {
          name: c.name,
          type: 'collection',
          options: c.options,
          info: { readOnly: false },
          idIndex: { v: 2, key: { _id: 1 }, name: ID_INDEX_NAME },
        },
  );
  if (isPlainObject(ctx.cmd.filter) && Object.keys(ctx.cmd.filter).length > 0) {
    const query = buildQuery(ctx.cmd.filter);
    entries = entries.filter((e) => query.test(e));
  }
  return ctx.server.cursors.firstBatch(`${ctx.db}.$cmd.listCollections`, entries);
};

/** `changeStreamPreAndPostImages` must be `{ enabled: <bool> }`, as mongod's command parser requires. */
function checkPreAndPostImages(value: unknown, command: string): void {
  if (value === undefined) return;
  if (!isPlainObject(value) || typeof value.enabled !== 'boolean' || Object.keys(value).length !== 1)
    throw commandError(
      ErrorCode.TypeMismatch,
      `BSON field '${command}.changeStreamPreAndPostImages' must be a document { enabled: <boolean> }`,
    );
}

export const create: CommandHandler = (ctx) => {
  const { create: name, ...options } = ctx.cmd;
  if (typeof name !== 'string') throw commandError(ErrorCode.InvalidNamespace, 'create needs a collection name');
  const kept: Doc = {};
  for (const [k, v] of Object.entries(options))
    if (
      !k.startsWith('$') &&
      !['lsid', 'txnNumber', 'autocommit', 'startTransaction', 'writeConcern', 'comment'].includes(k)
    )
      kept[k] = v;
  checkPreAndPostImages(kept.changeStreamPreAndPostImages, 'create');
  ctx.server.store.createCollection(ctx.db, name, kept);
  return {};
};

/** The options `collMod` changes here: all are kept as collection options (validators are not enforced). */
const COLLMOD_OPTIONS = new Set(['changeStreamPreAndPostImages', 'validator', 'validationLevel', 'validationAction']);
/** Fields of any command that are not options (sessions, transactions, cluster time gossip). */
const GENERIC_FIELDS = new Set(['lsid', 'txnNumber', 'autocommit', 'startTransaction', 'writeConcern', 'comment']);

/** `collMod`: the options change streams and validation read; other modifications are refused by name. */
export const collMod: CommandHandler = (ctx) => {
  const name = collectionName(ctx);
  const changes: Doc = {};
  for (const [field, value] of Object.entries(ctx.cmd)) {
    if (field === 'collMod' || field.startsWith('$') || GENERIC_FIELDS.has(field)) continue;
    if (!COLLMOD_OPTIONS.has(field))
      throw badValue(`collMod option '${field}' is not supported by the in-memory MongoDB`);
    changes[field] = value;
  }
  checkPreAndPostImages(changes.changeStreamPreAndPostImages, 'collMod');
  const collection = ctx.server.store.collection(ctx.db, name);
  if (!collection) throw commandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  collection.modifyOptions(changes);
  return {};
};

export const drop: CommandHandler = (ctx) => {
  const name = collectionName(ctx);
  const existing = ctx.server.store.collection(ctx.db, name);
  if (!existing) throw commandError(ErrorCode.NamespaceNotFound, 'ns not found');
  const nIndexesWas = existing.indexSpecs().length;
  ctx.server.store.dropCollection(ctx.db, name);
  return { nIndexesWas, ns: `${ctx.db}.${name}` };
};

export const dropDatabase: CommandHandler = (ctx) => {
  ctx.server.store.dropDatabase(ctx.db);
  return { dropped: ctx.db };
};

export const listDatabases: CommandHandler = (ctx) => {
  let databases: Doc[] = [...ctx.server.store.databases.entries()].map(([name, colls]) => ({
    name,
    sizeOnDisk: [...colls.values()].reduce((n, c) => n + c.size, 0) * 100,
    empty: [...colls.values()].every((c) => c.size === 0),
  }));
  if (isPlainObject(ctx.cmd.filter) && Object.keys(ctx.cmd.filter).length > 0) {
    const query = buildQuery(ctx.cmd.filter);
    databases = databases.filter((d) => query.test(d));
  }
  if (ctx.cmd.nameOnly === true) return { databases: databases.map((d) => ({ name: d.name })) };
  return { databases, totalSize: databases.reduce((n, d) => n + Number(d.sizeOnDisk), 0) };
};

function splitNamespace(ns: unknown): [string, string] {
  if (typeof ns !== 'string' || !ns.includes('.'))
    throw commandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${String(ns)}'`);
  const dot = ns.indexOf('.');
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}

export const renameCollection: CommandHandler = (ctx) => {
  const { store } = ctx.server;
  const [fromDb, fromName] = splitNamespace(ctx.cmd.renameCollection);
  const [toDb, toName] = splitNamespace(ctx.cmd.to);
  if (!store.collection(fromDb, fromName))
    throw commandError(ErrorCode.NamespaceNotFound, 'source namespace does not exist');
  if (store.collection(toDb, toName) && ctx.cmd.dropTarget !== true)
    throw commandError(ErrorCode.NamespaceExists, 'target namespace exists');
  store.renameCollection({ db: fromDb, coll: fromName }, { db: toDb, coll: toName });
  return {};
};
