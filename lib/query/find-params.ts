/**
 * Query parameters of GET /classes/:className (from the query string, where values are JSON, or
 * from the JS SDK's body form), checked against Parse's list: anything else is 102.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertFieldPath } from '../schema/names.js';
import { assertNoForbiddenKeys } from './forbidden-keys.js';
import type { ExplainVerbosity } from '../storage/storage.js';

/** Parsed options of a find. */
export interface FindParams {
  where: unknown;
  order: string[] | undefined;
  limit: number;
  skip: number;
  keys: string[] | undefined;
  excludeKeys: string[] | undefined;
  include: string[] | undefined;
  count: boolean;
  /** Query the target class of this relation field instead (the SDKs' `relation.query()`). */
  redirectClassNameForKey: string | undefined;
  readPreference: ReadPreferenceName | undefined;
  /** The read preference of the included objects' reads (parse-server's `includeReadPreference`). */
  includeReadPreference?: ReadPreferenceName;
  /** The read preference parse-server gives sub-queries; carried to the find hooks. */
  subqueryReadPreference?: ReadPreferenceName;
  hint: string | Record<string, unknown> | undefined;
  /** The plan's verbosity when the query asks for its plan (`explain`), else false. */
  explain: ExplainVerbosity | false;
}

/** MongoDB read preferences, by Parse's names. */
export type ReadPreferenceName = 'PRIMARY' | 'PRIMARY_PREFERRED' | 'SECONDARY' | 'SECONDARY_PREFERRED' | 'NEAREST';
export const READ_PREFERENCES: ReadonlySet<string> = new Set<string>([
  'PRIMARY',
  'PRIMARY_PREFERRED',
  'SECONDARY',
  'SECONDARY_PREFERRED',
  'NEAREST',
]);

const FIND_PARAMS = new Set([
  'where',
  'order',
  'limit',
  'skip',
  'keys',
  'excludeKeys',
  'include',
  'includeAll',
  'count',
  'redirectClassNameForKey',
  'readPreference',
  'includeReadPreference',
  'subqueryReadPreference',
  'hint',
  'explain',
  'comment',
]);
const GET_PARAMS = new Set([
  'keys',
  'include',
  'excludeKeys',
  'readPreference',
  'includeReadPreference',
  'subqueryReadPreference',
]);

function invalid(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_QUERY, message);
}

const LOOKS_LIKE_JSON = /^\s*(?:[{["]|-?\d|true\s*$|false\s*$|null\s*$)/;

/**
 * Query-string values are JSON when they parse as JSON (so `limit=10` is a number), else strings.
 * Decoded JSON gets the same denylist scan as request bodies.
 */
export function decodeQueryValue(value: unknown): unknown {
  // Only what could be JSON is parsed: a failed JSON.parse throws, and throwing is costly (order=-n).
  if (typeof value !== 'string' || !LOOKS_LIKE_JSON.test(value)) return value;
  let decoded: unknown;
  try {
    decoded = JSON.parse(value) as unknown;
  } catch {
    return value;
  }
  assertNoForbiddenKeys(decoded);
  return decoded;
}

function list(value: unknown, name: string, allowStar = false): string[] | undefined {
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (!items) throw invalid(`${name} must be a comma-separated string`);
  let out = items.map((s) => String(s).trim()).filter((s) => s !== '');
  // Parse.com sorted by the storage names of the dates as by the dates themselves; SDKs still send them.
  if (name === 'order') out = out.map((item) => item.replace(/^(-?)_(created|updated)_at$/, '$1$2At'));
  for (const item of out) {
    const path = item.startsWith('-') && name === 'order' ? item.slice(1) : item;
    if (allowStar && path === '*') continue;
    if (path === '$score' && (name === 'order' || name === 'keys')) continue;
    if (['objectId', 'createdAt', 'updatedAt'].includes(path)) continue;
    assertFieldPath(path);
  }
  return out;
}

function integer(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw invalid(`${name} must be a non-negative integer`);
  return n;
}

/** Reads find parameters; `single` is a GET of one object, which accepts fewer parameters. */
export function parseFindParams(
  raw: Record<string, unknown>,
  options: { single: boolean; defaultLimit: number; maxLimit: number | undefined },
): FindParams {
  const allowed = options.single ? GET_PARAMS : FIND_PARAMS;
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!allowed.has(key))
      throw invalid(options.single ? 'Improper encode of parameter' : `Invalid parameter for query: ${key}`);
    params[key] = decodeQueryValue(value);
  }
  const preference = (key: string): ReadPreferenceName | undefined => {
    const value = params[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !READ_PREFERENCES.has(value.toUpperCase()))
      throw invalid(`Invalid read preference: ${String(value)}`);
    return value.toUpperCase() as ReadPreferenceName;
  };
  const readPreference = preference('readPreference');
  const includeReadPreference = preference('includeReadPreference');
  const subqueryReadPreference = preference('subqueryReadPreference');
  const hint = params.hint;
  if (
    hint !== undefined &&
    typeof hint !== 'string' &&
    (hint === null || typeof hint !== 'object' || Array.isArray(hint))
  )
    throw invalid('hint must be an index name or key pattern');
  const redirect = params.redirectClassNameForKey;
  if (
    redirect !== undefined &&
    (typeof redirect !== 'string' || list(redirect, 'redirectClassNameForKey')?.length !== 1)
  )
    throw invalid('redirectClassNameForKey must be a field name');
  const include = list(params.include, 'include', true);
  const includeAll = params.includeAll === true || params.includeAll === 'true' || params.includeAll === 1;
  let where: unknown = params.where ?? {};
  if (typeof where === 'string') where = decodeQueryValue(where);
  let limit = integer(params.limit, 'limit', options.defaultLimit);
  if (options.maxLimit !== undefined) limit = Math.min(limit, options.maxLimit);
  return {
    where,
    order: list(params.order, 'order'),
    limit,
    skip: integer(params.skip, 'skip', 0),
    keys: list(params.keys, 'keys'),
    excludeKeys: list(params.excludeKeys, 'excludeKeys'),
    include: includeAll ? [...(include ?? []), '*'] : include,
    count: params.count === true || params.count === 1 || params.count === '1' || params.count === 'true',
    redirectClassNameForKey: redirect as string | undefined,
    readPreference,
    ...(includeReadPreference ? { includeReadPreference } : {}),
    ...(subqueryReadPreference ? { subqueryReadPreference } : {}),
    hint: hint as FindParams['hint'],
    explain: explainValue(params.explain),
  };
}

const EXPLAIN_VERBOSITIES = new Set(['queryPlanner', 'queryPlannerExtended', 'executionStats', 'allPlansExecution']);

function explainValue(value: unknown): ExplainVerbosity | false {
  // parse-server reads an absent or falsy value (0, '') as no explain, and checks the rest.
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (value === true) return 'allPlansExecution';
  if (typeof value === 'string' && EXPLAIN_VERBOSITIES.has(value)) return value as ExplainVerbosity;
  throw new BackendError(ErrorCode.INVALID_QUERY, 'Invalid value for explain');
}

/** A find the server runs for itself: `where`, and the options given; nothing else asked. */
export function serverFind(where: unknown, options: Partial<FindParams> = {}): FindParams {
  return {
    where,
    order: undefined,
    limit: 100,
    skip: 0,
    keys: undefined,
    excludeKeys: undefined,
    include: undefined,
    count: false,
    redirectClassNameForKey: undefined,
    readPreference: undefined,
    hint: undefined,
    explain: false,
    ...options,
  };
}
