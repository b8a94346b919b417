/** insert, update, delete and findAndModify. */
import { CommandError, badValue } from '../engine/command-error.js';
import { parseCollation, type Collection } from '../engine/collection.js';
import { compileProjection } from '../engine/projection.js';
import { applyUpdate, parseUpdate, upsertSeed, type UpdateSpec } from '../engine/update.js';
import { checkArrayFilters } from '../engine/update-rules.js';
import { documentFromWire, isPlainObject, toWire, type Collation, type Doc } from '../engine/values.js';
import { collectionName, documentsOption, type CommandContext, type CommandHandler } from './context.js';

interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [extra: string]: unknown;
}

function toWriteError(err: unknown, index: number): WriteError {
  if (err instanceof CommandError) return { index, code: err.code, errmsg: err.message, ...err.extra };
  throw err;
}

/** Runs each statement of a bulk write, stopping at the first error when `ordered` (the default). */
function runStatements<T>(ctx: CommandContext, statements: T[], run: (s: T, index: number) => void): WriteError[] {
  const ordered = ctx.cmd.ordered !== false;
  const errors: WriteError[] = [];
  statements.forEach((statement, index) => {
    if (ordered && errors.length > 0) return;
    try {
      run(statement, index);
    } catch (err) {
      errors.push(toWriteError(err, index));
    }
  });
  return errors;
}

function withErrors(reply: Doc, errors: WriteError[]): Doc {
  return errors.length > 0 ? { ...reply, writeErrors: errors } : reply;
}

function targetCollection(ctx: CommandContext): Collection {
  return ctx.workspace.collection(ctx.db, collectionName(ctx), true)!;
}

export const insert: CommandHandler = (ctx) => {
  const collection = targetCollection(ctx);
  const documents = documentsOption(ctx.raw, 'documents');
  let n = 0;
  const errors = runStatements(ctx, documents, (doc) => {
    if (!isPlainObject(doc)) throw badValue('document to insert must be an object');
    collection.insert(documentFromWire(doc));
    n++;
  });
  return withErrors({ n }, errors);
};

interface UpdateStatement {
  filter: Doc;
  spec: UpdateSpec;
  multi: boolean;
  upsert: boolean;
  arrayFilters: Doc[] | undefined;
  collation: Collation | null;
}

function readUpdateStatement(normalized: Doc, raw: Doc | undefined): UpdateStatement {
  const spec = parseUpdate(normalized.u);
  const arrayFilters = Array.isArray(normalized.arrayFilters) ? (normalized.arrayFilters as Doc[]) : undefined;
  if (spec.kind === 'operators') checkArrayFilters(spec.operators, arrayFilters);
  // What gets stored keeps its exact numeric types: a replacement document, or the operands of operators.
  let exact = spec;
  if (raw && isPlainObject(raw.u)) {
    if (spec.kind === 'replacement') exact = { kind: 'replacement', document: documentFromWire(raw.u) };
    else if (spec.kind === 'operators') exact = { ...spec, typed: raw.u };
  }
  return {
    filter: isPlainObject(normalized.q) ? normalized.q : {},
    spec: exact,
    multi: normalized.multi === true,
    upsert: normalized.upsert === true,
    arrayFilters,
    collation: parseCollation(normalized.collation),
  };
}

/** Applies an update to one stored document; returns the new version, or null if unchanged. */
function updateDocument(collection: Collection, doc: Doc, s: UpdateStatement): Doc | null {
  const { document, changed } = applyUpdate(doc, s.spec, {
    filter: s.filter,
    arrayFilters: s.arrayFilters,
    inserting: false,
    collation: s.collation,
  });
  if (changed.length === 0) return null;
  collection.replace(doc, document, s.spec.kind === 'replacement' ? 'replacement' : changed);
  return document;
}

/** Inserts the document an upsert that matched nothing creates. */
function upsertDocument(collection: Collection, s: UpdateStatement): Doc {
  const seed = upsertSeed(s.filter);
  const { document } = applyUpdate(seed, s.spec, {
    filter: s.filter,
    arrayFilters: s.arrayFilters,
    inserting: true,
    collation: s.collation,
  });
  if (s.spec.kind === 'replacement' && seed._id !== undefined && document._id === undefined) {
    return collection.insert({ _id: seed._id, ...document });
  }
  return collection.insert(document);
}

export const update: CommandHandler = (ctx) => {
  const collection = targetCollection(ctx);
  const statements = documentsOption(ctx.cmd, 'updates');
  const rawStatements = Array.isArray(ctx.raw.updates) ? (ctx.raw.updates as Doc[]) : [];
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const errors = runStatements(ctx, statements, (statement, index) => {
    const s = readUpdateStatement(statement, rawStatements[index]);
    if (s.multi && s.spec.kind === 'replacement')
      throw badValue('multi update is not supported for replacement-style update');
    const filter = collection.compile(s.filter, s.collation);
    const matched = ctx.evaluate(() => collection.read(filter, { limit: s.multi ? 0 : 1 }).docs);
    if (matched.length === 0 && s.upsert) {
      const inserted = upsertDocument(collection, s);
      n++;
      upserted.push({ index, _id: inserted._id });
      return;
    }
    for (const doc of matched) {
      n++;
      if (updateDocument(collection, doc, s)) nModified++;
    }
  });
  const reply: Doc = { n, nModified };
  if (upserted.length > 0) reply.upserted = upserted;
  return withErrors(reply, errors);
};

export const remove: CommandHandler = (ctx) => {
  const collection = ctx.workspace.collection(ctx.db, collectionName(ctx), false);
  const statements = documentsOption(ctx.cmd, 'deletes');
  let n = 0;
  const errors = runStatements(ctx, statements, (statement) => {
    if (!collection) return;
    const limit = statement.limit === 1 ? 1 : 0;
    const filter = collection.compile(statement.q ?? {}, parseCollation(statement.collation));
    for (const doc of ctx.evaluate(() => collection.read(filter, { limit }).docs)) {
      collection.remove(doc);
      n++;
    }
  });
  return withErrors({ n }, errors);
};

export const findAndModify: CommandHandler = (ctx) => {
  const { cmd } = ctx;
  const collection = targetCollection(ctx);
  const filterDoc = isPlainObject(cmd.query) ? cmd.query : {};
  const collation = parseCollation(cmd.collation);
  const filter = collection.compile(filterDoc, collation);
  const [doc] = ctx.evaluate(() => collection.read(filter, { sort: cmd.sort, limit: 1 }).docs);
  const project = compileProjection(cmd.fields, filterDoc, collation);
  const shown = (d: Doc | null | undefined): Doc | null => (d ? toWire(project([d])[0]!) : null);
  if (cmd.remove === true) {
    if (cmd.update !== undefined) throw badValue('Cannot specify both an update and remove=true');
    if (doc) collection.remove(doc);
    return { lastErrorObject: { n: doc ? 1 : 0 }, value: shown(doc) };
  }
  if (cmd.update === undefined) throw badValue('Either an update or remove=true must be specified');
  const statement = readUpdateStatement(
    { q: filterDoc, u: cmd.update, upsert: cmd.upsert, arrayFilters: cmd.arrayFilters, collation: cmd.collation },
    { u: ctx.raw.update },
  );
  if (!doc) {
    if (!statement.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
    const inserted = upsertDocument(collection, statement);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: inserted._id },
      value: cmd.new === true ? shown(inserted) : null,
    };
  }
  const updated = updateDocument(collection, doc, statement) ?? doc;
  return { lastErrorObject: { n: 1, updatedExisting: true }, value: shown(cmd.new === true ? updated : doc) };
};
