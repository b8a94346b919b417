/**
 * What MongoDB checks and computes around an operator update that mingo's updater does not:
 * the positional `$` (resolved here with the server's own matching, so that mingo is never asked
 * to re-test the filter with its own semantics, which would skip some updates), `_id`
 * immutability, paths through scalars, array operators on non-arrays, array filters,
 * `$currentDate`, and the BSON numeric types of the results.
 */
import { Timestamp } from 'bson';
import { badValue, commandError, ErrorCode } from './command-error.js';
import { positionalMatcher } from './filter.js';
import {
  carryHints,
  isPlainObject,
  keyOf,
  NUMERIC_TYPES,
  setNumericType,
  setWireTypes,
  storedNumericType,
  valueAtPath,
  wireNumericType,
  type Collation,
  type Doc,
  type NumericType,
} from './values.js';

/** Each operator's fields, for the operators present. */
function fieldsOf(operators: Doc): [string, Doc][] {
  return Object.entries(operators).filter((entry): entry is [string, Doc] => isPlainObject(entry[1]));
}

function isPositionalPart(part: string): boolean {
  return part.startsWith('$');
}

/** Every path an update names must be non-empty, with no empty part (`a..b`): EmptyFieldName. */
export function checkPaths(operators: Doc): void {
  for (const [op, fields] of fieldsOf(operators)) {
    for (const [path, value] of Object.entries(fields)) {
      for (const p of op === '$rename' && typeof value === 'string' ? [path, value] : [path]) {
        if (p === '') throw commandError(ErrorCode.EmptyFieldName, 'An empty update path is not valid.');
        if (p.split('.').includes(''))
          throw commandError(
            ErrorCode.EmptyFieldName,
            `The update path '${p}' contains an empty field name, which is not allowed.`,
          );
      }
    }
  }
}

/** `$rename` needs distinct string targets without positional parts (checked before conflicts). */
export function checkRename(fields: unknown): void {
  if (!isPlainObject(fields)) return;
  for (const [from, to] of Object.entries(fields)) {
    if (typeof to !== 'string')
      throw badValue(`The 'to' field for $rename must be a string: ${from}: ${JSON.stringify(to)}`);
    if (to === from) throw badValue(`The source and target field for $rename must differ: ${from}: "${to}"`);
    if (from.split('.').some(isPositionalPart) || to.split('.').some(isPositionalPart)) {
      throw badValue(`The source and target field for $rename must not contain positional operators: ${from}: "${to}"`);
    }
  }
}

/** The identifier an array filter is for: the first part of its field names. */
function arrayFilterIdentifier(filter: Doc): string | null {
  for (const [key, value] of Object.entries(filter)) {
    if (!key.startsWith('$')) return key.split('.')[0]!;
    if (Array.isArray(value) && isPlainObject(value[0])) return arrayFilterIdentifier(value[0]);
  }
  return null;
}

/** Every `$[identifier]` must have an array filter, and every array filter must be used. */
export function checkArrayFilters(operators: Doc, arrayFilters: Doc[] | undefined): void {
  const filters = new Map<string, Doc>();
  for (const filter of arrayFilters ?? []) {
    if (!isPlainObject(filter)) throw commandError(ErrorCode.TypeMismatch, 'Each array filter must be an object');
    const id = arrayFilterIdentifier(filter);
    if (id === null)
      throw commandError(
        ErrorCode.FailedToParse,
        'Cannot use an expression without a top-level field name in arrayFilters',
      );
    if (filters.has(id))
      throw commandError(
        ErrorCode.FailedToParse,
        `Found multiple array filters with the same top-level field name ${id}`,
      );
    filters.set(id, filter);
  }
  const used = new Set<string>();
  for (const [, fields] of fieldsOf(operators)) {
    for (const path of Object.keys(fields)) {
      for (const [, id] of path.matchAll(/\$\[([^\]]+)\]/g)) {
        if (!filters.has(id!)) throw badValue(`No array filter found for identifier '${id}' in path '${path}'`);
        used.add(id!);
      }
    }
  }
  for (const id of filters.keys()) {
    if (!used.has(id))
      throw commandError(
        ErrorCode.FailedToParse,
        `The array filter for identifier '${id}' was not used in the update ${JSON.stringify(operators)}`,
      );
  }
}

let lastTimestamp = { t: 0, i: 0 };

/** A Timestamp as MongoDB's clock gives them: seconds, and an increment within the second. */
function nextTimestamp(): Timestamp {
  const t = Math.floor(Date.now() / 1000);
  lastTimestamp = t > lastTimestamp.t ? { t, i: 1 } : { t: lastTimestamp.t, i: lastTimestamp.i + 1 };
  return new Timestamp(lastTimestamp);
}

/** `$currentDate` becomes a `$set` of a Date or a Timestamp (mingo would store a Timestamp as a number). */
export function rewriteCurrentDate(operators: Doc): void {
  const fields = operators.$currentDate;
  if (!isPlainObject(fields)) return;
  const now = new Date();
  const set: Doc = {};
  for (const [path, spec] of Object.entries(fields)) {
    if (spec === true || spec === false || (isPlainObject(spec) && spec.$type === 'date')) set[path] = now;
    else if (isPlainObject(spec) && spec.$type === 'timestamp') set[path] = nextTimestamp();
    else
      throw badValue(
        `${path} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`,
      );
  }
  delete operators.$currentDate;
  operators.$set = { ...(operators.$set as Doc | undefined), ...set };
}

/**
 * Replaces the positional `$` in every path with the index of the array element the query
 * matched. MongoDB refuses the update when the query matched no element of that array.
 */
export function resolvePositional(doc: Doc, operators: Doc, filter: Doc, collation: Collation | null): void {
  const indexes = new Map<string, number | null>();
  for (const [op, fields] of fieldsOf(operators)) {
    if (!Object.keys(fields).some((path) => path.split('.').includes('$'))) continue;
    const resolved: Doc = {};
    for (const [path, value] of Object.entries(fields)) {
      const parts = path.split('.');
      const at = parts.indexOf('$');
      if (at < 0) {
        resolved[path] = value;
        continue;
      }
      const arrayPath = parts.slice(0, at).join('.');
      if (!indexes.has(arrayPath))
        indexes.set(arrayPath, at === 0 ? null : positionalMatcher(arrayPath, filter, collation)(doc));
      const index = indexes.get(arrayPath);
      if (index === null || index === undefined)
        throw badValue('The positional operator did not find the match needed from the query.');
      parts[at] = String(index);
      resolved[parts.join('.')] = value;
    }
    operators[op] = resolved;
  }
}

function immutableIdError(path: string): Error {
  return commandError(
    ErrorCode.ImmutableField,
    `Performing an update on the path '${path}' would modify the immutable field '_id'`,
  );
}

/**
 * `_id` may only be "set" to the value it already has (dropped here, since mingo refuses any
 * path on `_id`), or given by `$set` to an upserted document that has none yet.
 */
export function checkImmutableId(doc: Doc, operators: Doc): void {
  for (const [op, fields] of fieldsOf(operators)) {
    for (const [path, value] of Object.entries(fields)) {
      const targets = op === '$rename' ? [path, String(value)] : [path];
      if (!targets.some((p) => p === '_id' || p.startsWith('_id.'))) continue;
      if (op !== '$set') throw immutableIdError(path);
      if (path === '_id' && doc._id === undefined) doc._id = value;
      else if (keyOf(valueAtPath(doc, path)) !== keyOf(value)) throw immutableIdError(path);
      delete fields[path];
    }
    if (Object.keys(fields).length === 0) delete operators[op];
  }
}

/** Operators that do nothing on a path that does not exist, rather than create it. */
const NON_CREATING = new Set(['$unset', '$pull', '$pullAll', '$pop']);

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  return typeof value;
}

/** Refuses a path that would have to go through a scalar (PathNotViable, 28). */
function checkPathViable(doc: Doc, path: string): void {
  const parts = path.split('.');
  let current: unknown = doc;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (isPositionalPart(part) || current === undefined) return;
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else {
      const parent = i === 0 ? 'the document' : `{${parts[i - 1]}: ${JSON.stringify(current)}}`;
      throw commandError(
        ErrorCode.PathNotViable,
        `Cannot create field '${part}' in element ${parent} (a ${typeName(current)})`,
      );
    }
  }
}

/** Refuses array operators on a field that holds something else. */
function checkArrayTarget(doc: Doc, op: string, path: string): void {
  if (path.split('.').some(isPositionalPart)) return;
  const current = valueAtPath(doc, path);
  if (current === undefined || Array.isArray(current)) return;
  if (op === '$pop')
    throw commandError(
      ErrorCode.TypeMismatch,
      `Path '${path}' contains an element of non-array type '${typeName(current)}'`,
    );
  if (op === '$pull' || op === '$pullAll') throw badValue(`Cannot apply ${op} to a non-array value`);
  throw badValue(
    `The field '${path}' must be an array but is of type ${typeName(current)} in document {_id: ${JSON.stringify(doc._id)}}`,
  );
}

/** MongoDB's checks of an update against the document's current shape, which mingo skips silently. */
export function checkTargets(doc: Doc, operators: Doc): void {
  for (const [op, fields] of fieldsOf(operators)) {
    for (const [path, value] of Object.entries(fields)) {
      if (!NON_CREATING.has(op)) checkPathViable(doc, op === '$rename' ? String(value) : path);
      if (['$push', '$addToSet', '$pop', '$pull', '$pullAll'].includes(op)) checkArrayTarget(doc, op, path);
    }
  }
}

/** The type arithmetic between two numeric types yields: the wider of the two. */
function promoted(a: NumericType, b: NumericType): NumericType {
  return NUMERIC_TYPES.indexOf(a) > NUMERIC_TYPES.indexOf(b) ? a : b;
}

/**
 * Gives an updated document the BSON numeric types MongoDB would: values set keep the type they
 * were sent with, arithmetic promotes (int, long, double), and untouched fields keep theirs.
 * `typed` is the update as decoded from the wire; positional paths are left as computed.
 */
export function applyNumericTypes(
  before: Doc,
  after: Doc,
  changed: string[],
  typed: Doc | undefined,
  inserting: boolean,
): void {
  carryHints(before, after, changed);
  if (!typed) return;
  const isChanged = (path: string): boolean => changed.some((c) => c === path || path.startsWith(`${c}.`));
  for (const [op, fields] of fieldsOf(typed)) {
    for (const [path, raw] of Object.entries(fields)) {
      if (path.includes('$') || !isChanged(path)) continue;
      if (op === '$set' || op === '$min' || op === '$max' || (op === '$setOnInsert' && inserting)) {
        setWireTypes(after, path, raw);
      } else if (op === '$inc' || op === '$mul') {
        const operand = wireNumericType(raw);
        const current = storedNumericType(before, path);
        if (operand) setNumericType(after, path, current ? promoted(current, operand) : operand);
      }
    }
  }
}
