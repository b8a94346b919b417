/**
 * Checks a REST `where` before it goes anywhere near the database: operators from an allowlist,
 * field names by Parse's rules, no internal fields for non-master callers, bounded nesting.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertClassName, assertFieldPath } from '../schema/names.js';
import type { RestWhere } from '../storage/storage.js';
import { relativeTimeToDate } from './relative-time.js';
import { hasOnlyOperatorKeys, isObject, type Json } from '../values/json.js';

const FIELD_OPERATORS = new Set([
  '$lt',
  '$lte',
  '$gt',
  '$gte',
  '$ne',
  '$eq',
  '$in',
  '$nin',
  '$all',
  '$containedBy',
  '$exists',
  '$regex',
  '$options',
  '$nearSphere',
  '$maxDistance',
  '$maxDistanceInRadians',
  '$maxDistanceInMiles',
  '$maxDistanceInKilometers',
  '$within',
  '$geoWithin',
  '$geoIntersects',
  '$text',
  '$inQuery',
  '$notInQuery',
  '$select',
  '$dontSelect',
]);
const SUBQUERY_OPERATORS = new Set(['$inQuery', '$notInQuery', '$select', '$dontSelect']);
const RANGE_OPERATORS = new Set(['$lt', '$lte', '$gt', '$gte']);
const LOGICAL = new Set(['$or', '$and', '$nor']);
/** Deepest nesting inside one operand value (plain JSON). */
const MAX_DEPTH = 10;
/** Deepest nesting of `$or`/`$and`/`$nor` and sub-queries together, whoever asks: a bound on recursion. */
const MAX_NESTING = 64;

/**
 * What a client's `where` may ask for: parse-server's `requestComplexity` bounds (`queryDepth`,
 * `subqueryDepth`, `allowRegex`). Master-key callers are exempt.
 */
export interface WhereLimits {
  readonly queryDepth: number;
  readonly subqueryDepth: number;
  readonly allowRegex: boolean;
}

const NO_LIMITS: WhereLimits = { queryDepth: Infinity, subqueryDepth: Infinity, allowRegex: true };

/** Where a check is in the `where`: how deep in logical operators and in sub-queries. */
interface Walk {
  readonly master: boolean;
  readonly limits: WhereLimits;
  readonly logical: number;
  readonly subquery: number;
}

function invalidQuery(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_QUERY, message);
}

function checkFieldName(key: string, master: boolean): void {
  if (key === 'ACL' || key.startsWith('ACL.')) throw invalidQuery('Cannot query on ACL.');
  if (['objectId', 'createdAt', 'updatedAt'].includes(key)) return;
  if (key.startsWith('_')) {
    if (
      master &&
      /^_[A-Za-z][A-Za-z0-9_]*$/.test(key) &&
      !['_rperm', '_wperm', '_acl', '_hashed_password'].includes(key)
    )
      return;
    throw new BackendError(ErrorCode.INVALID_KEY_NAME, `Invalid key name: ${key}`);
  }
  try {
    assertFieldPath(key);
  } catch {
    throw new BackendError(ErrorCode.INVALID_KEY_NAME, `Invalid key name: ${key}`);
  }
}

/**
 * A PCRE pattern (what MongoDB runs) as a JavaScript one, only to check that it compiles: the Parse
 * SDKs quote literal text as `\Q…\E` (`contains`, `startsWith`, `endsWith`), and a leading `(?i)`
 * group sets options. The pattern goes to the database unchanged.
 */
function javaScriptSource(pattern: string): { source: string; flags: string } {
  const quoted = pattern.replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_match, text: string) =>
    text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
  );
  const inline = /^\(\?([imsx]+)\)/.exec(quoted);
  return inline ? { source: quoted.slice(inline[0].length), flags: inline[1]! } : { source: quoted, flags: '' };
}

function checkRegex(constraint: Json): void {
  // parse-server's code and message for a $regex that is not a string.
  if (typeof constraint.$regex !== 'string') throw invalidQuery('$regex value must be a string');
  const options = constraint.$options ?? '';
  if (typeof options !== 'string' || !/^[imxsu]*$/.test(options))
    throw new BackendError(ErrorCode.INVALID_QUERY, `bad $options value: ${String(options)}`);
  const { source, flags } = javaScriptSource(constraint.$regex);
  try {
    new RegExp(source, [...new Set(options + flags)].filter((f) => f !== 'x').join(''));
  } catch {
    throw invalidQuery(`bad $regex: ${constraint.$regex}`);
  }
}

function isGeoPoint(value: unknown): boolean {
  if (!isObject(value) || value.__type !== 'GeoPoint') return false;
  const { latitude, longitude } = value;
  return (
    typeof latitude === 'number' &&
    typeof longitude === 'number' &&
    Math.abs(latitude) <= 90 &&
    Math.abs(longitude) <= 180
  );
}

/** A `[longitude, latitude]` pair, which the SDKs send for some shapes. */
function isCoordinatePair(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'number' &&
    typeof value[1] === 'number' &&
    Math.abs(value[0]) <= 180 &&
    Math.abs(value[1]) <= 90
  );
}

function isPolygonValue(value: unknown): boolean {
  return (
    isObject(value) &&
    value.__type === 'Polygon' &&
    Array.isArray(value.coordinates) &&
    value.coordinates.length >= 3 &&
    value.coordinates.every(
      (p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'number' && typeof p[1] === 'number',
    )
  );
}

/** The geo operators take shapes of GeoPoints (or coordinate pairs), Parse's way; anything else is 107. */
function checkGeoOperand(op: string, value: unknown): void {
  const bad = (): never => {
    throw new BackendError(ErrorCode.INVALID_JSON, `bad ${op} value`);
  };
  const shape = isObject(value) ? value : bad();
  switch (op) {
    case '$nearSphere':
      if (!isGeoPoint(value)) bad();
      return;
    case '$within':
      if (!Array.isArray(shape.$box) || shape.$box.length !== 2 || !shape.$box.every(isGeoPoint)) bad();
      return;
    case '$geoWithin':
      if (Array.isArray(shape.$polygon)) {
        if (shape.$polygon.length < 3 || !shape.$polygon.every((p) => isGeoPoint(p) || isCoordinatePair(p))) bad();
      } else if (isObject(shape.$polygon)) {
        if (!isPolygonValue(shape.$polygon)) bad();
      } else if (Array.isArray(shape.$centerSphere)) {
        const [center, radius] = shape.$centerSphere as unknown[];
        if (!(isGeoPoint(center) || isCoordinatePair(center)) || typeof radius !== 'number' || radius < 0) bad();
      } else bad();
      return;
    case '$geoIntersects':
      if (!isGeoPoint(shape.$point)) bad();
      return;
    default:
      return;
  }
}

const GEO_OPERATORS = new Set(['$nearSphere', '$within', '$geoWithin', '$geoIntersects']);
const DISTANCE_OPERATORS = new Set([
  '$maxDistance',
  '$maxDistanceInRadians',
  '$maxDistanceInMiles',
  '$maxDistanceInKilometers',
]);

/** `$text: {$search: {$term, $language?, $caseSensitive?, $diacriticSensitive?}}` */
function checkText(value: unknown): void {
  const search = isObject(value) ? value.$search : undefined;
  const bad = (what: string): never => {
    throw new BackendError(ErrorCode.INVALID_JSON, `bad $text: ${what}`);
  };
  if (!isObject(search)) bad('$search, should be object');
  const s = search as Json;
  if (typeof s.$term !== 'string' || s.$term === '') bad('$term, should be string');
  if (s.$language !== undefined && typeof s.$language !== 'string') bad('$language, should be string');
  if (s.$caseSensitive !== undefined && typeof s.$caseSensitive !== 'boolean') bad('$caseSensitive, should be boolean');
  if (s.$diacriticSensitive !== undefined && typeof s.$diacriticSensitive !== 'boolean')
    bad('$diacriticSensitive, should be boolean');
  for (const key of Object.keys(s))
    if (!['$term', '$language', '$caseSensitive', '$diacriticSensitive'].includes(key)) bad(`unknown option ${key}`);
}

/** `$inQuery`/`$notInQuery`: `{className, where}`; `$select`/`$dontSelect`: `{query: {className, where}, key}`. */
function checkSubquery(op: string, value: unknown, walk: Walk): void {
  const master = walk.master;
  const bad = (): never => {
    throw new BackendError(ErrorCode.INVALID_QUERY, `improper usage of ${op}`);
  };
  const selects = op === '$select' || op === '$dontSelect';
  const query = isObject(value) ? (selects ? value.query : value) : bad();
  if (!isObject(query) || typeof query.className !== 'string') bad();
  const q = query as Json;
  assertClassName(q.className as string);
  if (walk.subquery + 1 > walk.limits.subqueryDepth) {
    throw invalidQuery(`Subquery nesting depth exceeds maximum allowed depth of ${walk.limits.subqueryDepth}`);
  }
  // Each sub-query is a query of its own: its `$or` depth counts from 0, as in parse-server.
  checkWhere(q.where ?? {}, { ...walk, logical: 0, subquery: walk.subquery + 1 });
  if (selects) {
    const key = (value as Json).key;
    if (typeof key !== 'string') bad();
    checkFieldName(key as string, master);
  }
}

/** Checks `$relativeTime` operands (computed when the query runs); 107 where it is not allowed. */
function checkRelativeTime(op: string, value: unknown): boolean {
  if (!isObject(value) || !('$relativeTime' in value)) return false;
  if (!RANGE_OPERATORS.has(op))
    throw new BackendError(
      ErrorCode.INVALID_JSON,
      '$relativeTime can only be used with the $lt, $lte, $gt, and $gte operators',
    );
  relativeTimeToDate(value.$relativeTime, new Date());
  return true;
}

/** `$all` of `{$regex}` atoms (the SDK's `containsAllStartingWith`): all of them or none, as parse-server. */
function checkRegexAtoms(values: unknown[]): void {
  for (const v of values) {
    if (!isObject(v) || Object.keys(v).some((k) => k !== '$regex' && k !== '$options')) {
      throw new BackendError(ErrorCode.INVALID_JSON, 'All $all values must be of regex type or none');
    }
    checkRegex(v);
  }
}

function checkConstraint(constraint: Json, walk: Walk): void {
  for (const [op, value] of Object.entries(constraint)) {
    if (!FIELD_OPERATORS.has(op)) throw new BackendError(ErrorCode.INVALID_JSON, `bad constraint: ${op}`);
    if (op === '$regex' && !walk.limits.allowRegex) throw invalidQuery('$regex operator is not allowed');
    if (SUBQUERY_OPERATORS.has(op)) {
      checkSubquery(op, value, walk);
      continue;
    }
    if (op === '$text') {
      checkText(value);
      continue;
    }
    if (checkRelativeTime(op, value)) continue;
    if (GEO_OPERATORS.has(op)) {
      checkGeoOperand(op, value);
      continue;
    }
    if (DISTANCE_OPERATORS.has(op) && (typeof value !== 'number' || value < 0))
      throw new BackendError(ErrorCode.INVALID_JSON, `bad ${op} value`);
    if (op === '$containedBy' && !Array.isArray(value))
      throw new BackendError(ErrorCode.INVALID_JSON, 'bad $containedBy: should be an array');
    if ((op === '$in' || op === '$nin' || op === '$all') && !Array.isArray(value)) {
      throw new BackendError(ErrorCode.INVALID_JSON, `bad ${op} value`);
    }
    if (op === '$exists' && typeof value !== 'boolean')
      throw new BackendError(ErrorCode.INVALID_JSON, '$exists needs a boolean');
    if (op === '$all' && (value as unknown[]).some((v) => isObject(v) && '$regex' in v)) {
      if (!walk.limits.allowRegex) throw invalidQuery('$regex operator is not allowed');
      checkRegexAtoms(value as unknown[]);
      continue;
    }
    // An `$all` item with `$` keys is a literal no stored value can equal (field names never start
    // with `$`): MongoDB, and so parse-server, matches nothing rather than failing.
    if (op === '$all') {
      (value as unknown[]).filter((v) => !hasOnlyOperatorKeys(v)).forEach((v) => checkOperand(v));
      continue;
    }
    checkOperand(value);
  }
  if ('$regex' in constraint) checkRegex(constraint);
}

/** Operands are values: plain data, `__type` values; never `$` keys. */
function checkOperand(value: unknown, depth = 0): void {
  if (depth > MAX_DEPTH) throw invalidQuery('query is nested too deeply');
  if (Array.isArray(value)) value.forEach((v) => checkOperand(v, depth + 1));
  else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key.startsWith('$')) throw new BackendError(ErrorCode.INVALID_JSON, `bad constraint: ${key}`);
      checkOperand(inner, depth + 1);
    }
  }
}

/** The fields a `where` constrains (through `$or`/`$and`/`$nor`, not into sub-queries). */
export function whereFields(where: RestWhere): string[] {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (LOGICAL.has(key) && Array.isArray(value)) {
      for (const sub of value) if (isObject(sub)) fields.push(...whereFields(sub));
    } else if (!key.startsWith('$')) {
      fields.push(key);
    }
  }
  return fields;
}

/**
 * Checks `where`; `master` callers may query internal fields, and only other callers are held to
 * `limits`. Throws a Parse error when invalid.
 */
export function validateWhere(where: unknown, master: boolean, limits: WhereLimits = NO_LIMITS): RestWhere {
  const normalized = withEqualityOperators(where);
  checkWhere(normalized, { master, limits: master ? NO_LIMITS : limits, logical: 0, subquery: 0 });
  return normalized as RestWhere;
}

/**
 * A top-level condition that mixes a value with operators — the SDK's `equalTo('author', a)` then
 * `doesNotMatchKeyInQuery('author', …)` sends `{__type: 'Pointer', …, $dontSelect: …}` — holds the
 * value as `$eq`, as parse-server reads it.
 */
function withEqualityOperators(where: unknown): unknown {
  if (!isObject(where)) return where;
  let out: Json | undefined;
  for (const [key, value] of Object.entries(where)) {
    if (key.startsWith('$') || !isObject(value)) continue;
    const keys = Object.keys(value);
    const operators = keys.filter((k) => k.startsWith('$'));
    if (operators.length === 0 || operators.length === keys.length) continue;
    const equal: Json = {};
    const condition: Json = {};
    for (const k of keys) (k.startsWith('$') ? condition : equal)[k] = value[k];
    out ??= { ...where };
    out[key] = { ...condition, $eq: equal };
  }
  return out ?? where;
}

function checkWhere(where: unknown, walk: Walk): void {
  const { master } = walk;
  if (!isObject(where)) throw invalidQuery('where must be a JSON object');
  if (walk.logical + walk.subquery > MAX_NESTING) throw invalidQuery('query is nested too deeply');
  for (const [key, value] of Object.entries(where)) {
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value) || value.length === 0) throw invalidQuery(`${key} must be a non-empty array`);
      if (walk.logical + 1 > walk.limits.queryDepth) {
        throw invalidQuery(`Query condition nesting depth exceeds maximum allowed depth of ${walk.limits.queryDepth}`);
      }
      value.forEach((sub) => checkWhere(sub, { ...walk, logical: walk.logical + 1 }));
      continue;
    }
    if (key === '$relatedTo') {
      const ref = value as Json;
      const object = isObject(ref) ? (ref.object as Json | undefined) : undefined;
      if (
        !isObject(object) ||
        typeof object.className !== 'string' ||
        typeof object.objectId !== 'string' ||
        typeof ref.key !== 'string'
      ) {
        throw invalidQuery('$relatedTo needs an object pointer and a key');
      }
      assertClassName(object.className);
      checkFieldName(ref.key, false);
      continue;
    }
    // parse-server's code and message for a key that is neither a field nor a known operator.
    if (key.startsWith('$')) throw new BackendError(ErrorCode.INVALID_KEY_NAME, `Invalid key name: ${key}`);
    checkFieldName(key, master);
    if (isObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) checkConstraint(value, walk);
    else checkOperand(value);
  }
}
