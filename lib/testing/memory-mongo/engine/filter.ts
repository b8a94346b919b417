/**
 * Compiles a MongoDB filter into a matcher. mingo matches, with the operators of
 * query-operators.ts where its semantics differ from MongoDB's; this module adds collations
 * (strings folded on both sides), MongoDB's regex options, and the top-level `$near`,
 * `$nearSphere` and `$text`, which also order or score results and so are taken out of the filter.
 */
import type { Query } from 'mingo';
import { ObjectId } from 'bson';
import { badValue, CommandError, commandError, ErrorCode } from './command-error.js';
import { parseNear, readPoint, type NearCondition } from './geo.js';
import { compileQuery, equalityTest } from './query-operators.js';
import { mongoRegex } from './regex.js';
import { compileTextSearch, type TextSearch } from './text-search.js';
import { foldValue, isPlainObject, valueAtPath, valuesAtPath, type Collation, type Doc } from './values.js';

/** A compiled filter. */
export interface CompiledFilter {
  /** The filter without `$near`/`$text`, for index selection. */
  readonly residual: Doc;
  readonly collation: Collation | null;
  readonly near: NearCondition | null;
  readonly text: TextSearch | null;
  /** True when the document matches every condition except `$text` (scored separately). */
  matches(doc: Doc): boolean;
}

/** Weights of the collection's text index, looked up only when a `$text` appears. */
export type TextWeightsLookup = () => Record<string, number> | null;

function containsOperator(value: unknown, names: readonly string[]): boolean {
  if (Array.isArray(value)) return value.some((v) => containsOperator(v, names));
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([k, v]) => names.includes(k) || containsOperator(v, names));
}

/**
 * Replaces every `{ $regex, $options }` with one RegExp built by MongoDB's rules, before mingo
 * would build it by JavaScript's (which knows no `x` option and reports errors differently).
 */
function prepareRegexes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prepareRegexes);
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const [key, v] of Object.entries(value)) out[key] = prepareRegexes(v);
  if (!('$regex' in out)) return out;
  const { $regex: source, $options: options = '' } = out;
  if (typeof options !== 'string') throw badValue('$options has to be a string');
  if (source instanceof RegExp) {
    if (options !== '' && source.flags !== '') throw badValue('options set in both $regex and $options');
    out.$regex = options === '' ? source : mongoRegex(source.source, options);
  } else if (typeof source === 'string') {
    out.$regex = mongoRegex(source, options);
  } else {
    throw badValue('$regex has to be a string');
  }
  delete out.$options;
  return out;
}

/**
 * An error mingo raised while matching rather than compiling (it evaluates `$expr` lazily), as
 * MongoDB reports it: an unknown expression operator is InvalidPipelineOperator, the rest BadValue.
 */
function matchError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return /not registered|unknown .*operator/i.test(message)
    ? commandError(ErrorCode.InvalidPipelineOperator, `Unrecognized expression: ${message}`)
    : badValue(message);
}

/** Builds a mingo query, turning its complaints about the filter into MongoDB's BadValue. */
export function buildQuery(filter: Doc): Query {
  try {
    return compileQuery(prepareRegexes(filter) as Doc);
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw badValue(err instanceof Error ? err.message : String(err));
  }
}

const NOT_AN_ID_LOOKUP = Symbol('not an _id lookup');

/**
 * The value of a filter that is only `{ _id: v }` or `{ _id: { $eq: v } }` with `v` a string,
 * number, boolean or ObjectId: the most common read, whose match is one equality test, so it
 * need not compile a mingo query (which costs more than the rest of a find). Anything else, or a
 * string under a collation, is {@link NOT_AN_ID_LOOKUP}.
 */
function idEquality(residual: Doc, collation: Collation | null): unknown {
  const keys = Object.keys(residual);
  if (keys.length !== 1 || keys[0] !== '_id') return NOT_AN_ID_LOOKUP;
  let value = residual._id;
  if (isPlainObject(value)) {
    const operators = Object.keys(value);
    if (operators.length !== 1 || operators[0] !== '$eq') return NOT_AN_ID_LOOKUP;
    value = value.$eq;
  }
  if (typeof value === 'string') return collation ? NOT_AN_ID_LOOKUP : value;
  if ((typeof value === 'number' && !Number.isNaN(value)) || typeof value === 'boolean' || value instanceof ObjectId)
    return value;
  return NOT_AN_ID_LOOKUP;
}

/** Compiles a filter (already normalized from the wire). */
export function compileFilter(
  filter: unknown,
  collation: Collation | null,
  textWeights: TextWeightsLookup,
): CompiledFilter {
  if (filter === undefined || filter === null) filter = {};
  if (!isPlainObject(filter)) throw badValue('filter must be a document');
  const residual: Doc = {};
  let near: NearCondition | null = null;
  let text: TextSearch | null = null;
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$comment') {
      continue;
    } else if (key === '$text') {
      text = compileTextSearch(condition, textWeights());
    } else if (isPlainObject(condition) && ('$near' in condition || '$nearSphere' in condition)) {
      if (near) throw badValue('Too many geoNear expressions');
      near = parseNear(key, condition);
    } else {
      residual[key] = condition;
    }
  }
  if (containsOperator(residual, ['$near', '$nearSphere', '$text'])) {
    throw badValue('$near, $nearSphere and $text must be top-level expressions');
  }
  const active = collation && collation.strength < 3 ? collation : null;
  if (near === null && text === null) {
    const id = idEquality(residual, active);
    if (id !== NOT_AN_ID_LOOKUP) {
      const test = equalityTest(id);
      // `_id` is never an array, so the one value at the path is the field itself.
      return { residual, collation: active, near: null, text: null, matches: (doc) => test(doc._id) };
    }
  }
  const query = buildQuery(active ? (foldValue(residual, active) as Doc) : residual);
  const nearCondition = near;
  const test = (doc: Doc): boolean => {
    try {
      return query.test(doc);
    } catch (err) {
      throw matchError(err);
    }
  };
  const matches = (doc: Doc): boolean => {
    if (!test(active ? (foldValue(doc, active) as Doc) : doc)) return false;
    if (nearCondition) {
      const d = nearDistance(doc, nearCondition);
      return d !== null && d >= nearCondition.min && d <= nearCondition.max;
    }
    return true;
  };
  return { residual, collation: active, near, text, matches };
}

/** Distance from the `$near` point to the document's nearest point, or null when it has none. */
export function nearDistance(doc: Doc, near: NearCondition): number | null {
  let best: number | null = null;
  for (const value of valuesAtPath(doc, near.path)) {
    const p = readPoint(value);
    if (p === null) continue;
    const d = near.distance(p);
    if (best === null || d < best) best = d;
  }
  return best;
}

/**
 * The values a top-level condition requires a field to equal, or null when it is not an equality
 * (used to pick an index; the full filter is still applied to what the index returns).
 */
export function equalityValues(condition: unknown): unknown[] | null {
  if (condition instanceof RegExp) return null;
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    if (keys.length === 0 || !keys.every((k) => k.startsWith('$'))) return [condition];
    if ('$eq' in condition && !(condition.$eq instanceof RegExp) && !isPlainObject(condition.$eq))
      return [condition.$eq];
    if (Array.isArray(condition.$in) && !condition.$in.some((v) => v instanceof RegExp || isPlainObject(v)))
      return condition.$in;
    return null;
  }
  return [condition];
}

/** Field → equality values, from the top level of a filter and its top-level `$and`. */
export function equalityConditions(filter: Doc): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const visit = (f: Doc): void => {
    for (const [key, condition] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(condition)) {
        for (const part of condition) if (isPlainObject(part)) visit(part);
      } else if (!key.startsWith('$')) {
        const values = equalityValues(condition);
        if (values && !out.has(key)) out.set(key, values);
      }
    }
  };
  visit(filter);
  return out;
}

/** The conditions a filter puts on a path or below it (at its top level or in a top-level `$and`). */
function conditionsOn(path: string, filter: Doc): Doc[] {
  const found: Doc[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const part of condition) if (isPlainObject(part)) found.push(...conditionsOn(path, part));
    } else if (key === path || key.startsWith(`${path}.`)) {
      found.push({ [key]: condition });
    }
  }
  return found;
}

/** A shallow copy of `doc` with `value` at `parts` (a path through subdocuments). */
function replacedAt(doc: Doc, parts: string[], value: unknown): Doc {
  const [head, ...rest] = parts as [string, ...string[]];
  const current = doc[head];
  return {
    ...doc,
    [head]: rest.length === 0 ? value : isPlainObject(current) ? replacedAt(current, rest, value) : current,
  };
}

/**
 * What the positional `$` stands for, in projections and updates: the index of the first element
 * of the array at `path` that meets the query's conditions on that array, or null when none does
 * (or the query has no condition on it).
 */
export function positionalMatcher(path: string, filter: Doc, collation: Collation | null): (doc: Doc) => number | null {
  const conditions = conditionsOn(path, filter);
  const query = conditions.length > 0 ? compileFilter({ $and: conditions }, collation, () => null) : null;
  const parts = path.split('.');
  return (doc) => {
    const array = valueAtPath(doc, path);
    if (!query || !Array.isArray(array)) return null;
    const index = array.findIndex((element) => query.matches(replacedAt(doc, parts, [element])));
    return index >= 0 ? index : null;
  };
}
