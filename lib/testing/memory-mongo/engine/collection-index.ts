/**
 * A secondary index: the entries for one key pattern, kept in a map from the index key to the
 * documents that carry it, so that equality lookups and uniqueness checks are O(1).
 */
import type { Query } from 'mingo';
import { commandError, ErrorCode } from './command-error.js';
import { buildQuery } from './filter.js';
import { isSphereIndexable } from './geo.js';
import { keyOf, storageKey, valuesAtPath, type Collation, type Doc } from './values.js';

/** An index as `createIndexes` describes it (and `listIndexes` returns it). */
export interface IndexSpec {
  v?: number;
  key: Record<string, unknown>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  collation?: Doc;
  expireAfterSeconds?: number;
  weights?: Doc;
  default_language?: string;
  language_override?: string;
  textIndexVersion?: number;
  [option: string]: unknown;
}

const MAX_KEYS_PER_DOCUMENT = 10000;

type Entry = string | Set<string>;

/** Adds `id` under `key` in an entry map, storing a lone id without a Set. */
function addEntry(map: Map<string, Entry>, key: string, id: string): void {
  const current = map.get(key);
  if (current === undefined) map.set(key, id);
  else if (typeof current === 'string') {
    if (current !== id) map.set(key, new Set([current, id]));
  } else current.add(id);
}

function removeEntry(map: Map<string, Entry>, key: string, id: string): void {
  const current = map.get(key);
  if (current === undefined) return;
  if (typeof current === 'string') {
    if (current === id) map.delete(key);
  } else {
    current.delete(id);
    if (current.size === 1) map.set(key, current.values().next().value as string);
    else if (current.size === 0) map.delete(key);
  }
}

function idsOf(entry: Entry | undefined): string[] {
  if (entry === undefined) return [];
  return typeof entry === 'string' ? [entry] : [...entry];
}

/** One index of a collection. The `_id` index is not one of these: the collection's map is it. */
export class CollectionIndex {
  readonly spec: IndexSpec;
  readonly fields: string[];
  readonly collation: Collation | null;
  /** Text indexes are used by `$text` only and hold no entries. */
  readonly isText: boolean;
  private readonly partial: Query | null;
  private readonly entries = new Map<string, Entry>();
  /** For compound indexes, entries by the first field alone, so a prefix lookup is O(1) too. */
  private readonly prefixEntries: Map<string, Entry> | null;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.isText = Object.values(spec.key).includes('text');
    const strength = spec.collation ? Number(spec.collation.strength ?? 3) : 3;
    this.collation = strength < 3 ? { strength } : null;
    this.partial = spec.partialFilterExpression ? buildQuery(spec.partialFilterExpression) : null;
    this.prefixEntries = this.fields.length > 1 && !this.isText ? new Map() : null;
  }

  /** A copy with the same entries, for a transaction's private view of the collection. */
  clone(): CollectionIndex {
    const copy = new CollectionIndex(this.spec);
    for (const [k, v] of this.entries) copy.entries.set(k, typeof v === 'string' ? v : new Set(v));
    if (this.prefixEntries && copy.prefixEntries) {
      for (const [k, v] of this.prefixEntries) copy.prefixEntries.set(k, typeof v === 'string' ? v : new Set(v));
    }
    return copy;
  }

  /** Whether the index covers the document at all (sparse and partial indexes skip some). */
  private covers(doc: Doc): boolean {
    if (this.partial && !this.partial.test(doc)) return false;
    if (this.spec.sparse && this.fields.every((f) => valuesAtPath(doc, f).every((v) => v === undefined))) return false;
    return true;
  }

  /** The index keys of a document: one per combination of its (multikey) field values. */
  keysOf(doc: Doc): string[] {
    if (this.isText || !this.covers(doc)) return [];
    // A single-field key is the value's storage key, which for a string shares the document's string.
    if (this.fields.length === 1)
      return [...new Set(valuesAtPath(doc, this.fields[0]!).map((v) => storageKey(v, this.collation)))];
    let keys = [''];
    for (const field of this.fields) {
      const parts = [...new Set(valuesAtPath(doc, field).map((v) => keyOf(v, this.collation)))];
      const next: string[] = [];
      for (const prefix of keys) for (const part of parts) next.push(prefix === '' ? part : `${prefix}\u0001${part}`);
      if (next.length > MAX_KEYS_PER_DOCUMENT) {
        throw commandError(
          ErrorCode.BadValue,
          `cannot index parallel arrays or too many keys in index ${this.spec.name}`,
        );
      }
      keys = next;
    }
    return keys;
  }

  private prefixKeysOf(doc: Doc): string[] {
    const first = this.fields[0]!;
    return [...new Set(valuesAtPath(doc, first).map((v) => keyOf(v, this.collation)))];
  }

  /**
   * Throws MongoDB's error if `doc` cannot go into this index: a field of a 2dsphere index that
   * is not geometry, or (for a unique index) a key another document already has.
   */
  check(doc: Doc, id: string, ns: string): void {
    for (const [field, kind] of Object.entries(this.spec.key)) {
      if (kind !== '2dsphere') continue;
      const value = valuesAtPath(doc, field, false).find((v) => !isSphereIndexable(v));
      if (value !== undefined) {
        throw commandError(
          ErrorCode.Location16755,
          `Can't extract geo keys: { _id: ${JSON.stringify(doc._id)} } Point must only contain numeric elements or be valid GeoJSON: ${field}: ${JSON.stringify(value)}`,
        );
      }
    }
    if (!this.spec.unique) return;
    for (const key of this.keysOf(doc)) {
      const holders = idsOf(this.entries.get(key));
      if (holders.some((h) => h !== id)) throw this.duplicateKeyError(doc, ns);
    }
  }

  private duplicateKeyError(doc: Doc, ns: string): Error {
    const keyPattern: Doc = {};
    const keyValue: Doc = {};
    for (const field of this.fields) {
      keyPattern[field] = this.spec.key[field];
      keyValue[field] = valuesAtPath(doc, field).find((v) => !Array.isArray(v)) ?? null;
    }
    const shown = Object.entries(keyValue)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join(', ');
    return commandError(
      ErrorCode.DuplicateKey,
      `E11000 duplicate key error collection: ${ns} index: ${this.spec.name} dup key: { ${shown} }`,
      { keyPattern, keyValue },
    );
  }

  add(doc: Doc, id: string): void {
    for (const key of this.keysOf(doc)) addEntry(this.entries, key, id);
    if (this.prefixEntries && this.covers(doc))
      for (const key of this.prefixKeysOf(doc)) addEntry(this.prefixEntries, key, id);
  }

  remove(doc: Doc, id: string): void {
    for (const key of this.keysOf(doc)) removeEntry(this.entries, key, id);
    if (this.prefixEntries && this.covers(doc))
      for (const key of this.prefixKeysOf(doc)) removeEntry(this.prefixEntries, key, id);
  }

  /**
   * Ids of the documents whose first indexed field equals one of `values`, or null when this index
   * cannot answer (sparse or partial indexes may omit matching documents).
   */
  lookup(values: unknown[], collation: Collation | null): string[] | null {
    if (this.isText || this.spec.sparse || this.partial) return null;
    if ((collation?.strength ?? 3) !== (this.collation?.strength ?? 3)) return null;
    const map = this.prefixEntries ?? this.entries;
    const keyFor = this.prefixEntries ? keyOf : storageKey;
    const ids = new Set<string>();
    for (const value of values) for (const id of idsOf(map.get(keyFor(value, this.collation)))) ids.add(id);
    return [...ids];
  }
}
