/**
 * How values live inside the engine. Documents arrive deserialized with `promoteValues: false`
 * (so every BSON numeric type is visible) and are normalized to plain JavaScript values, which is
 * what mingo understands. The few values that plain JavaScript cannot carry exactly (a Double
 * holding an integer, a Long) are remembered as per-path type hints on the stored document and
 * restored when the document goes back on the wire, so values round-trip exactly.
 */
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  EJSON,
} from 'bson';
import { regexFromBson, regexText } from './regex.js';

/** A stored document. */
export type Doc = Record<string, unknown>;

type NumericHint = 'double' | 'long';
const typeHints = Symbol('typeHints');
type HintedDoc = Doc & { [typeHints]?: Map<string, NumericHint> };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function isInt32Range(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0);
}

/** True for a plain object (not an array, not a BSON value class, not a Date). */
export function isPlainObject(value: unknown): value is Doc {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function normalizeValue(value: unknown, path: string, hints: Map<string, NumericHint> | null): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Int32) return value.value;
  // bson's Timestamp is a subclass of Long: it must be kept before Long turns it into a number.
  if (value instanceof Timestamp) return value;
  // A stored regex stays as decoded, so it goes back exactly; in a command it becomes a RegExp to match with.
  if (value instanceof BSONRegExp) return hints ? value : regexFromBson(value);
  if (value instanceof Double) {
    const n = value.value;
    if (hints && isInt32Range(n)) hints.set(path, 'double');
    return n;
  }
  if (value instanceof Long) {
    const n = value.toNumber();
    if (!Number.isSafeInteger(n)) return value;
    if (hints) hints.set(path, 'long');
    return n;
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => normalizeValue(item, path === '' ? String(i) : `${path}.${i}`, hints));
  }
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const key of Object.keys(value)) {
      out[key] = normalizeValue(value[key], path === '' ? key : `${path}.${key}`, hints);
    }
    return out;
  }
  return value;
}

/** Normalizes a command argument (filter, update, options): numeric wrappers become numbers. */
export function fromWire(value: unknown): unknown {
  return normalizeValue(value, '', null);
}

/** Normalizes a document that will be stored, recording the type hints needed to restore it. */
export function documentFromWire(doc: Doc): Doc {
  const hints = new Map<string, NumericHint>();
  const out = normalizeValue(doc, '', hints) as HintedDoc;
  if (hints.size > 0) setHints(out, hints);
  return out;
}

function setHints(doc: HintedDoc, hints: Map<string, NumericHint>): void {
  Object.defineProperty(doc, typeHints, { value: hints, enumerable: false, configurable: true, writable: true });
}

/**
 * Carries type hints from a document's previous version to its updated version, dropping the
 * hints under any path the update changed (their new values came from the update itself).
 */
export function carryHints(from: Doc, to: Doc, changedPaths: readonly string[]): void {
  const hints = (from as HintedDoc)[typeHints];
  if (!hints) return;
  const kept = new Map<string, NumericHint>();
  for (const [path, hint] of hints) {
    const touched = changedPaths.some((p) => path === p || path.startsWith(`${p}.`) || p.startsWith(`${path}.`));
    if (!touched) kept.set(path, hint);
  }
  if (kept.size > 0) setHints(to as HintedDoc, kept);
}

/** The numeric BSON types, in the order arithmetic promotes them (int + double is a double). */
export const NUMERIC_TYPES = ['int', 'long', 'double', 'decimal'] as const;
export type NumericType = (typeof NUMERIC_TYPES)[number];

/** The numeric type of a value as it arrived on the wire (before normalization), or null. */
export function wireNumericType(raw: unknown): NumericType | null {
  if (raw instanceof Int32) return 'int';
  if (raw instanceof Double) return 'double';
  if (raw instanceof Timestamp) return null;
  if (raw instanceof Long) return 'long';
  if (raw instanceof Decimal128) return 'decimal';
  if (typeof raw === 'number') return isInt32Range(raw) ? 'int' : 'double';
  return null;
}

/** The numeric type of the value at a concrete path (no positional parts) of a stored document, or null. */
export function storedNumericType(doc: Doc, path: string): NumericType | null {
  const type = bsonTypeOf(valueAtPath(doc, path), (doc as HintedDoc)[typeHints]?.get(path));
  return (NUMERIC_TYPES as readonly string[]).includes(type) ? (type as NumericType) : null;
}

/** Replaces a document's hints at and under `path` (a concrete path) with `replacement`. */
function rehint(doc: Doc, path: string, replacement: Map<string, NumericHint>): void {
  const hints = new Map<string, NumericHint>();
  for (const [p, hint] of (doc as HintedDoc)[typeHints] ?? [])
    if (p !== path && !p.startsWith(`${path}.`)) hints.set(p, hint);
  for (const [p, hint] of replacement) hints.set(p, hint);
  if (hints.size > 0) setHints(doc as HintedDoc, hints);
  else delete (doc as HintedDoc)[typeHints];
}

/** Records that the number at `path` is of BSON type `type`, which a JavaScript number cannot say. */
export function setNumericType(doc: Doc, path: string, type: NumericType): void {
  const value = valueAtPath(doc, path);
  if (typeof value !== 'number') return;
  const hint = new Map<string, NumericHint>();
  if (type === 'double' && isInt32Range(value)) hint.set(path, 'double');
  // An int that outgrew 32 bits is a long, as in MongoDB's arithmetic.
  else if ((type === 'long' || (type === 'int' && !isInt32Range(value))) && Number.isSafeInteger(value))
    hint.set(path, 'long');
  rehint(doc, path, hint);
}

/** Records the numeric types of a value that arrived on the wire and is now stored at `path`. */
export function setWireTypes(doc: Doc, path: string, raw: unknown): void {
  const hints = new Map<string, NumericHint>();
  normalizeValue(raw, path, hints);
  rehint(doc, path, hints);
}

function restoreValue(value: unknown, path: string, hints: Map<string, NumericHint>): unknown {
  if (typeof value === 'number') {
    const hint = hints.get(path);
    if (hint === 'double') return new Double(value);
    if (hint === 'long') return Long.fromNumber(value);
    return value;
  }
  if (Array.isArray(value))
    return value.map((item, i) => restoreValue(item, path === '' ? String(i) : `${path}.${i}`, hints));
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const key of Object.keys(value))
      out[key] = restoreValue(value[key], path === '' ? key : `${path}.${key}`, hints);
    return out;
  }
  return value;
}

/** The document as it goes back on the wire, with its exact BSON numeric types restored. */
export function toWire(doc: Doc): Doc {
  const hints = (doc as HintedDoc)[typeHints];
  return hints ? (restoreValue(doc, '', hints) as Doc) : doc;
}

/**
 * Deep copy of plain objects and arrays; BSON values, Dates and other class instances are shared,
 * since the engine never mutates them in place.
 */
export function cloneValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const key of Object.keys(value)) out[key] = cloneValue(value[key]);
    const hints = (value as HintedDoc)[typeHints];
    if (hints) setHints(out as HintedDoc, new Map(hints));
    return out as T;
  }
  return value;
}

/** Strings compared under a collation of strength 1 or 2 (case-insensitive; 1 also ignores accents). */
export interface Collation {
  strength: number;
}

/** Folds a string for comparison under a collation. */
export function foldString(s: string, collation: Collation | null): string {
  if (!collation || collation.strength >= 3) return s;
  const lower = s.toLowerCase();
  return collation.strength === 1 ? lower.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : lower;
}

/** Folds every string in a value (used to match and sort under a collation). */
export function foldValue(value: unknown, collation: Collation): unknown {
  if (typeof value === 'string') return foldString(value, collation);
  if (Array.isArray(value)) return value.map((v) => foldValue(v, collation));
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const key of Object.keys(value)) out[key] = foldValue(value[key], collation);
    // A folded document is matched in place of the stored one, so `$type` must still see its types.
    const hints = (value as HintedDoc)[typeHints];
    if (hints) setHints(out as HintedDoc, hints);
    return out;
  }
  return value;
}

function numericValue(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (value instanceof Timestamp) return null;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return null;
}

/**
 * A string that is equal for two values exactly when MongoDB considers them equal (numbers of any
 * type compare by value), used as the key of index entries and `_id` lookups.
 */
export function keyOf(value: unknown, collation: Collation | null = null): string {
  if (value === null || value === undefined) return '\u0000';
  switch (typeof value) {
    case 'string':
      return `s${foldString(value, collation)}`;
    case 'number':
      return `n${value === 0 ? 0 : value}`;
    case 'boolean':
      return value ? 'bt' : 'bf';
    case 'bigint':
      return `n${value}`;
    default:
      break;
  }
  const num = numericValue(value);
  if (num !== null) return `n${num}`;
  if (value instanceof ObjectId) return `o${value.toHexString()}`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof Binary) return `x${value.sub_type}:${Buffer.from(value.buffer).toString('base64')}`;
  if (value instanceof RegExp || value instanceof BSONRegExp) return `r${regexText(value)}`;
  return `j${EJSON.stringify(collation ? foldValue(value, collation) : value, { relaxed: false })}`;
}

/** Marks a storage key that is not a string stored as itself (see {@link storageKey}). */
const NON_STRING_KEY = '\u0001';

/**
 * The key a value is stored under in the `_id` map and single-field indexes: equal for two values
 * exactly when their {@link keyOf} is. A string is its own key, so the map shares the document's
 * string instead of holding a prefixed copy (about 30 bytes per entry); every other value, and a
 * string that itself begins with the marker, is the marker followed by its `keyOf`, so no two
 * kinds of value can collide.
 */
export function storageKey(value: unknown, collation: Collation | null = null): string {
  if (typeof value === 'string') {
    const folded = foldString(value, collation);
    if (folded.charCodeAt(0) !== 1) return folded;
  }
  return NON_STRING_KEY + keyOf(value, collation);
}

/**
 * What an empty array sorts as: below null and missing fields, as MongoDB orders them (an empty
 * array has no element to stand for it, and MongoDB keys it as `undefined`).
 */
export const EMPTY_ARRAY_SORT_KEY = Symbol('empty array');

/** MongoDB's order of BSON types in comparisons and sorts. */
function typeRank(value: unknown): number {
  if (value instanceof MinKey) return -1;
  if (value === EMPTY_ARRAY_SORT_KEY) return 0;
  if (value === undefined || value === null) return 1;
  if (value instanceof Timestamp) return 10;
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof Long || value instanceof Decimal128)
    return 2;
  if (typeof value === 'string') return 3;
  if (Array.isArray(value)) return 5;
  if (isPlainObject(value)) return 4;
  if (value instanceof Binary) return 6;
  if (value instanceof ObjectId) return 7;
  if (typeof value === 'boolean') return 8;
  if (value instanceof Date) return 9;
  if (value instanceof RegExp || value instanceof BSONRegExp) return 11;
  if (value instanceof MaxKey) return 13;
  return 12;
}

/** Compares two values in MongoDB's sort order. */
export function compareValues(a: unknown, b: unknown, collation: Collation | null = null): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case -1:
    case 0:
    case 1:
    case 13:
      return 0;
    case 2: {
      const x = numericValue(a) ?? 0;
      const y = numericValue(b) ?? 0;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3: {
      const x = foldString(a as string, collation);
      const y = foldString(b as string, collation);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 4:
      return compareDocuments(a as Doc, b as Doc, collation);
    case 5:
      return compareArrays(a as unknown[], b as unknown[], collation);
    case 6:
      return compareBinaries(a as Binary, b as Binary);
    case 7:
      return Buffer.compare((a as ObjectId).id, (b as ObjectId).id);
    case 8:
      return Number(a) - Number(b);
    case 9:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    case 10:
      return (a as Timestamp).compare(b as Timestamp);
    case 11: {
      const x = regexText(a as RegExp);
      const y = regexText(b as RegExp);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default:
      return String(a).localeCompare(String(b));
  }
}

/** BinData orders by length first, then subtype, then bytes. */
function compareBinaries(a: Binary, b: Binary): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  if (a.sub_type !== b.sub_type) return a.sub_type < b.sub_type ? -1 : 1;
  return Buffer.compare(Buffer.from(a.buffer.subarray(0, a.position)), Buffer.from(b.buffer.subarray(0, b.position)));
}

function compareDocuments(a: Doc, b: Doc, collation: Collation | null): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    const byValue = compareValues(a[ka[i]!], b[kb[i]!], collation);
    if (byValue !== 0) return byValue;
    if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  }
  return ka.length - kb.length;
}

function compareArrays(a: unknown[], b: unknown[], collation: Collation | null): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i], b[i], collation);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * Every value reached by a dotted path, descending into arrays of subdocuments as MongoDB does;
 * a leaf array contributes each element and itself (only itself when `expandLeafArrays` is false,
 * as `$size` wants).
 */
export function valuesAtPath(doc: unknown, path: string, expandLeafArrays = true): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, null, (value) => {
    if (expandLeafArrays && Array.isArray(value)) out.push(...value);
    out.push(value);
  });
  return out;
}

/**
 * Walks the values a dotted path reaches; a path that reaches nothing yields `undefined` once.
 * When `concrete` is a string (not null), each value comes with its concrete path, array indexes
 * spelled out, as type hints are keyed (building those paths costs, so plain reads skip it).
 */
function collect<P extends string | null>(
  value: unknown,
  parts: string[],
  i: number,
  concrete: P,
  visit: (value: unknown, concrete: P) => void,
): void {
  if (i === parts.length) {
    visit(value, concrete);
    return;
  }
  const part = parts[i]!;
  const below = (key: string | number): P =>
    concrete === null ? concrete : ((concrete === '' ? String(key) : `${concrete}.${key}`) as P);
  if (Array.isArray(value)) {
    const isIndex = /^\d+$/.test(part);
    if (isIndex) collect(value[Number(part)], parts, i + 1, below(part), visit);
    let descended = false;
    value.forEach((item, index) => {
      if (!isPlainObject(item)) return;
      descended = true;
      collect(item, parts, i, below(index), visit);
    });
    if (!isIndex && !descended) visit(undefined, concrete);
    return;
  }
  if (isPlainObject(value)) collect(value[part], parts, i + 1, below(part), visit);
  else visit(undefined, concrete);
}

/** BSON type names as `$type` spells them. */
export type BsonTypeName =
  | 'double'
  | 'string'
  | 'object'
  | 'array'
  | 'binData'
  | 'undefined'
  | 'objectId'
  | 'bool'
  | 'date'
  | 'null'
  | 'regex'
  | 'dbPointer'
  | 'javascript'
  | 'symbol'
  | 'javascriptWithScope'
  | 'int'
  | 'timestamp'
  | 'long'
  | 'decimal'
  | 'minKey'
  | 'maxKey';

/** The BSON type a normalized value goes back on the wire as (see {@link toWire}). */
function bsonTypeOf(value: unknown, hint: NumericHint | undefined): BsonTypeName | 'missing' {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return hint ?? (isInt32Range(value) ? 'int' : 'double');
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
      break;
  }
  if (Array.isArray(value)) return 'array';
  if (isPlainObject(value)) return 'object';
  if (value instanceof Timestamp) return 'timestamp';
  if (value instanceof Long) return 'long';
  if (value instanceof Decimal128) return 'decimal';
  if (value instanceof ObjectId) return 'objectId';
  if (value instanceof Binary) return 'binData';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp || value instanceof BSONRegExp) return 'regex';
  if (value instanceof MinKey) return 'minKey';
  if (value instanceof MaxKey) return 'maxKey';
  if (value instanceof Code) return value.scope ? 'javascriptWithScope' : 'javascript';
  if (value instanceof BSONSymbol) return 'symbol';
  return 'object';
}

/**
 * The BSON types of the values a dotted path reaches in a stored document; a leaf array
 * contributes its own type and those of its elements, as `$type` matches them.
 */
export function bsonTypesAtPath(doc: Doc, path: string): Set<BsonTypeName> {
  const hints = (doc as HintedDoc)[typeHints];
  const types = new Set<BsonTypeName>();
  const add = (value: unknown, concrete: string): void => {
    const type = bsonTypeOf(value, hints?.get(concrete));
    if (type !== 'missing') types.add(type);
  };
  collect(doc, path.split('.'), 0, '', (value, concrete) => {
    if (Array.isArray(value)) value.forEach((item, i) => add(item, `${concrete}.${i}`));
    add(value, concrete);
  });
  return types;
}

/** The single value at a dotted path (no array expansion), or undefined. */
export function valueAtPath(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else return undefined;
  }
  return current;
}
