/**
 * One collection: documents by `_id` (O(1) lookups), its secondary indexes, and the read and write
 * primitives the commands are built from. Stored documents are never mutated: an update stores a
 * new object, so cursors and transaction snapshots can keep references safely.
 */
import { BSONRegExp, ObjectId } from 'bson';
import type { ChangeSink } from './change-log.js';
import { CollectionIndex, type IndexSpec } from './collection-index.js';
import { badValue, commandError, ErrorCode } from './command-error.js';
import { compileFilter, equalityConditions, nearDistance, type CompiledFilter } from './filter.js';
import type { NearCondition } from './geo.js';
import { buildOrderedView, scanOrdered, type OrderedView } from './ordered-scan.js';
import { parseSort, sortDocuments, type SortKey } from './sort.js';
import { compactDocument, storedDocument } from './stored.js';
import { describeUpdate } from './update-description.js';
import { keyOf, isPlainObject, storageKey, type Collation, type Doc } from './values.js';

/** Options of a read. */
export interface ReadOptions {
  sort?: unknown;
  skip?: number;
  limit?: number;
  collation?: Collation | null;
}

/** What a read returns: the documents, and text scores when the filter had `$text`. */
export interface ReadResult {
  docs: Doc[];
  scores?: Map<Doc, number>;
}

export const ID_INDEX_NAME = '_id_';

/** Reads the `strength` of a collation document (3, case-sensitive, when absent). */
export function parseCollation(value: unknown): Collation | null {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value) || typeof value.locale !== 'string')
    throw badValue('collation must be a document with a locale');
  const strength = value.strength === undefined ? 3 : Number(value.strength);
  if (![1, 2, 3, 4, 5].includes(strength)) throw badValue('collation strength must be an integer from 1 to 5');
  return value.locale === 'simple' ? null : { strength };
}

export class Collection {
  readonly db: string;
  readonly name: string;
  readonly options: Doc;
  /** Bumped by every write; a transaction compares it to detect conflicting writes. */
  version = 0;
  /** Where document writes are reported for change streams (none for a scratch copy). */
  changeSink: ChangeSink | null = null;
  private docs = new Map<string, Doc>();
  private indexes: CollectionIndex[] = [];
  /** The documents in the order of the last field a sorted read walked (see ordered-scan.ts). */
  private ordered: OrderedView | null = null;

  constructor(db: string, name: string, options: Doc = {}) {
    this.db = db;
    this.name = name;
    this.options = options;
  }

  get namespace(): string {
    return `${this.db}.${this.name}`;
  }

  get size(): number {
    return this.docs.size;
  }

  /** Whether change streams get this collection's pre- and post-images (`changeStreamPreAndPostImages`). */
  get recordsImages(): boolean {
    const setting = this.options.changeStreamPreAndPostImages;
    return isPlainObject(setting) && setting.enabled === true;
  }

  /** Changes options (`collMod`); clones share them, as they describe the same collection. */
  modifyOptions(changes: Doc): void {
    Object.assign(this.options, changes);
  }

  /** A copy sharing the (immutable) documents, for a transaction's private view. */
  clone(): Collection {
    const copy = new Collection(this.db, this.name, this.options);
    copy.docs = new Map(this.docs);
    copy.indexes = this.indexes.map((i) => i.clone());
    copy.version = this.version;
    return copy;
  }

  /** Takes over another collection's contents (a committed transaction's view). */
  adopt(other: Collection): void {
    this.docs = other.docs;
    this.indexes = other.indexes;
    this.version++;
  }

  allDocuments(): IterableIterator<Doc> {
    return this.docs.values();
  }

  // ---- indexes ----

  indexSpecs(): IndexSpec[] {
    return [{ v: 2, key: { _id: 1 }, name: ID_INDEX_NAME }, ...this.indexes.map((i) => i.spec)];
  }

  /** Creates an index; returns false when an identical one already exists. */
  createIndex(spec: IndexSpec): boolean {
    if (spec.name === ID_INDEX_NAME) return false;
    const sameName = this.indexes.find((i) => i.spec.name === spec.name);
    const sameKey = this.indexes.find(
      (i) => keyOf(i.spec.key) === keyOf(spec.key) && keyOf(i.spec.collation ?? null) === keyOf(spec.collation ?? null),
    );
    if (sameName && keyOf(sameName.spec.key) !== keyOf(spec.key)) {
      throw commandError(
        ErrorCode.IndexKeySpecsConflict,
        `An existing index has the same name as the requested index. Requested index: ${spec.name}`,
      );
    }
    if (sameKey) {
      if (sameKey.spec.name !== spec.name || Boolean(sameKey.spec.unique) !== Boolean(spec.unique)) {
        throw commandError(
          ErrorCode.IndexOptionsConflict,
          `Index already exists with a different name or options: ${sameKey.spec.name}`,
        );
      }
      return false;
    }
    const index = new CollectionIndex(spec);
    for (const [id, doc] of this.docs) {
      index.check(doc, id, this.namespace);
      index.add(doc, id);
    }
    this.indexes.push(index);
    this.version++;
    return true;
  }

  /** Drops indexes by name, key pattern or `'*'` (all but `_id_`); returns how many existed. */
  dropIndexes(which: unknown): number {
    const before = this.indexes.length + 1;
    if (which === '*') {
      this.indexes = [];
    } else {
      const names = Array.isArray(which) ? which : [which];
      for (const target of names) {
        if (target === ID_INDEX_NAME) throw commandError(ErrorCode.InvalidOptions, 'cannot drop _id index');
        const found = this.indexes.find((i) =>
          typeof target === 'string' ? i.spec.name === target : keyOf(i.spec.key) === keyOf(target),
        );
        if (!found)
          throw commandError(
            ErrorCode.IndexNotFound,
            `index not found with name [${typeof target === 'string' ? target : JSON.stringify(target)}]`,
          );
        this.indexes = this.indexes.filter((i) => i !== found);
      }
    }
    this.version++;
    return before;
  }

  textWeights(): Record<string, number> | null {
    const text = this.indexes.find((i) => i.isText);
    if (!text) return null;
    const weights: Record<string, number> = {};
    // Text fields are in `weights` (see createIndexes); a key may still name them (older data files).
    for (const [field, kind] of Object.entries(text.spec.key))
      if (kind === 'text' && field !== '_fts') weights[field] = 1;
    for (const [field, w] of Object.entries(text.spec.weights ?? {})) weights[field] = Number(w);
    return weights;
  }

  // ---- reads ----

  compile(filter: unknown, collation: Collation | null): CompiledFilter {
    const compiled = compileFilter(filter, collation, () => this.textWeights());
    if (compiled.near && !this.hasGeoIndexFor(compiled.near)) {
      throw commandError(
        ErrorCode.NoQueryExecutionPlans,
        'error processing query: planner returned error :: caused by :: unable to find index for $geoNear query',
      );
    }
    return compiled;
  }

  /** `$near` needs a 2dsphere index on its field, or a 2d one for a legacy point, as in MongoDB. */
  private hasGeoIndexFor(near: NearCondition): boolean {
    return this.indexes.some(
      (i) => i.spec.key[near.path] === '2dsphere' || (i.spec.key[near.path] === '2d' && !near.geoJson),
    );
  }

  /** The documents an index (or `_id`) narrows the filter to, or all of them. */
  private candidates(filter: CompiledFilter): Iterable<Doc> {
    const equalities = equalityConditions(filter.residual);
    const ids = equalities.get('_id');
    if (ids && !(filter.collation && ids.some((v) => typeof v === 'string'))) {
      return ids.map((v) => this.docs.get(storageKey(v))).filter((d): d is Doc => d !== undefined);
    }
    let best: string[] | null = null;
    for (const index of this.indexes) {
      const values = equalities.get(index.fields[0]!);
      if (!values) continue;
      const found = index.lookup(values, filter.collation);
      if (found && (best === null || found.length < best.length)) best = found;
    }
    if (best === null) return this.docs.values();
    return best.map((id) => this.docs.get(id)).filter((d): d is Doc => d !== undefined);
  }

  /**
   * A sorted, limited read walked in an indexed field's order, when MongoDB would walk its index:
   * one sort key with an index on it, no collation, no `$near`/`$text`, and no equality on an
   * indexed field (the hash lookup is better then). Null when this does not apply.
   */
  private orderedRead(
    filter: CompiledFilter,
    sort: SortKey[],
    wanted: number,
    collation: Collation | null,
  ): Doc[] | null {
    const [key] = sort;
    if (
      sort.length !== 1 ||
      key!.textScore ||
      wanted === Infinity ||
      filter.near ||
      filter.text ||
      collation ||
      filter.collation
    )
      return null;
    if (!this.indexes.some((i) => i.fields[0] === key!.path && !i.isText && i.collation === null)) return null;
    const equalities = equalityConditions(filter.residual);
    if (equalities.has('_id') || this.indexes.some((i) => equalities.has(i.fields[0]!))) return null;
    if (this.ordered?.path !== key!.path || this.ordered.version !== this.version)
      this.ordered = buildOrderedView(this.docs.values(), key!.path, this.version);
    if (this.ordered.multikey) return null;
    return scanOrdered(this.ordered, filter.residual, key!.direction, (doc) => filter.matches(doc), wanted);
  }

  /** Runs a compiled filter with sort, skip and limit. */
  read(filter: CompiledFilter, options: ReadOptions = {}): ReadResult {
    const sort: SortKey[] = parseSort(options.sort);
    const skip = options.skip ?? 0;
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const walked = this.orderedRead(filter, sort, skip + limit, options.collation ?? null);
    if (walked) return { docs: walked.slice(skip) };
    const needsAll = sort.length > 0 || filter.near !== null || filter.text !== null;
    const docs: Doc[] = [];
    let scores: Map<Doc, number> | undefined;
    if (filter.text) scores = new Map();
    for (const doc of this.candidates(filter)) {
      if (!filter.matches(doc)) continue;
      if (filter.text && scores) {
        const score = filter.text.score(doc);
        if (score <= 0) continue;
        scores.set(doc, score);
      }
      docs.push(doc);
      if (!needsAll && docs.length >= skip + limit) break;
    }
    if (filter.near && sort.length === 0) {
      const near = filter.near;
      const distances = new Map(docs.map((d) => [d, nearDistance(d, near) ?? Infinity]));
      docs.sort((a, b) => distances.get(a)! - distances.get(b)!);
    }
    sortDocuments(docs, sort, options.collation ?? null, scores);
    const page = docs.slice(skip, limit === Infinity ? undefined : skip + limit);
    return scores ? { docs: page, scores } : { docs: page };
  }

  getById(id: unknown): Doc | undefined {
    return this.docs.get(storageKey(id));
  }

  // ---- writes ----

  /** Validates and stores a new document, giving it an ObjectId `_id` when it has none. */
  insert(doc: Doc): Doc {
    // MongoDB keeps `_id` as the first field.
    // A null `_id` is kept (it is a valid `_id`); only a missing one is generated.
    const stored = storedDocument(doc, Object.hasOwn(doc, '_id') ? doc._id : new ObjectId());
    validateDocument(stored);
    const id = storageKey(stored._id);
    if (this.docs.has(id)) {
      throw commandError(
        ErrorCode.DuplicateKey,
        `E11000 duplicate key error collection: ${this.namespace} index: _id_ dup key: { _id: ${JSON.stringify(stored._id)} }`,
        {
          keyPattern: { _id: 1 },
          keyValue: { _id: stored._id },
        },
      );
    }
    for (const index of this.indexes) index.check(stored, id, this.namespace);
    for (const index of this.indexes) index.add(stored, id);
    this.docs.set(id, stored);
    this.version++;
    this.changeSink?.record({ op: 'insert', db: this.db, coll: this.name, id: stored._id, after: stored });
    return stored;
  }

  /**
   * Replaces a stored document with its updated version (same `_id`). `change` says what happened
   * for change streams: a replacement, or an update and the paths its operators changed.
   */
  replace(previous: Doc, updated: Doc, change: 'replacement' | readonly string[]): void {
    validateDocument(updated);
    const id = storageKey(previous._id);
    if (storageKey(updated._id) !== id) {
      throw commandError(
        ErrorCode.ImmutableField,
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    const next = compactDocument(updated);
    for (const index of this.indexes) index.check(next, id, this.namespace);
    for (const index of this.indexes) index.remove(previous, id);
    for (const index of this.indexes) index.add(next, id);
    this.docs.set(id, next);
    this.version++;
    if (this.changeSink) this.reportReplace(previous, next, change);
  }

  private reportReplace(previous: Doc, next: Doc, change: 'replacement' | readonly string[]): void {
    const where = { db: this.db, coll: this.name, id: next._id };
    const images = this.recordsImages;
    if (change === 'replacement') {
      this.changeSink?.record({ op: 'replace', ...where, after: next, ...(images ? { before: previous } : {}) });
      return;
    }
    const description = describeUpdate(previous, next, change);
    this.changeSink?.record({
      op: 'update',
      ...where,
      description,
      ...(images ? { before: previous, after: next } : {}),
    });
  }

  remove(doc: Doc): void {
    const id = storageKey(doc._id);
    if (!this.docs.delete(id)) return;
    for (const index of this.indexes) index.remove(doc, id);
    this.version++;
    const before = this.recordsImages ? { before: doc } : {};
    this.changeSink?.record({ op: 'delete', db: this.db, coll: this.name, id: doc._id, ...before });
  }
}

/** MongoDB's storage rules for a document: a valid `_id`, no `$`-prefixed top-level fields. */
function validateDocument(doc: Doc): void {
  if (Array.isArray(doc._id) || doc._id instanceof RegExp || doc._id instanceof BSONRegExp || doc._id === undefined) {
    throw commandError(
      ErrorCode.InvalidIdField,
      `The '_id' value cannot be of type ${Array.isArray(doc._id) ? 'array' : typeof doc._id}`,
    );
  }
  for (const key of Object.keys(doc)) {
    if (key.startsWith('$')) {
      throw commandError(ErrorCode.DollarPrefixedFieldName, `Document can't have $ prefixed field names: ${key}`);
    }
  }
}
