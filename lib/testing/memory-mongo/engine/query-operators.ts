/**
 * The query operators where mingo and MongoDB disagree, and the mingo context that puts them in
 * place of mingo's own. mingo still parses filters and runs the other operators; since it compiles
 * nested conditions ($elemMatch, $not, $and, ...) with the same context, these apply at any depth.
 *
 * - Equality ($eq, $ne, $in, $nin, $all) is MongoDB's: embedded documents are equal only with the
 *   same fields in the same order, numbers compare by value across BSON types. It uses `keyOf`,
 *   as index lookups do, so an indexed and an unindexed read always agree.
 * - `$type` sees the BSON types that plain JavaScript numbers lose (int, long, double).
 * - Operands MongoDB refuses are refused with its error codes, where mingo would match nothing.
 */
import { Context } from 'mingo';
import * as expressionOperators from 'mingo/operators/expression';
import * as mingoOperators from 'mingo/operators/query';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import { badValue, commandError, ErrorCode } from './command-error.js';
import { geoQueryOperators } from './geo.js';
import { bsonTypesAtPath, isPlainObject, keyOf, valuesAtPath, type BsonTypeName, type Doc } from './values.js';

type Predicate = (doc: Doc) => boolean;
type QueryOperator = (selector: string, operand: unknown, options: Options) => Predicate;

/** Whether a value is a document or array, whose equality keys are costlier to compute. */
function isComposite(value: unknown): boolean {
  return isPlainObject(value) || Array.isArray(value);
}

/** A test of one value against an equality operand (null also matching a missing field). */
export function equalityTest(operand: unknown): (value: unknown) => boolean {
  if (operand === null || operand === undefined) return (v) => v === null || v === undefined;
  // Fast paths: a string or boolean only equals itself; a number equals a number of the same value.
  if (typeof operand === 'string' || typeof operand === 'boolean') return (v) => v === operand;
  if (typeof operand === 'number' && !Number.isNaN(operand)) {
    const numberKey = keyOf(operand);
    return (v) =>
      typeof v === 'number'
        ? v === operand
        : typeof v === 'object' && v !== null && !isComposite(v) && keyOf(v) === numberKey;
  }
  const key = keyOf(operand);
  const composite = isComposite(operand);
  return (v) => v !== undefined && isComposite(v) === composite && keyOf(v) === key;
}

const $eq: QueryOperator = (selector, operand) => {
  const test = equalityTest(operand);
  return (doc) => valuesAtPath(doc, selector).some(test);
};

const $ne: QueryOperator = (selector, operand, options) => {
  const eq = $eq(selector, operand, options);
  return (doc) => !eq(doc);
};

/** Whether an operand is an operator expression (its first field starts with `$`). */
function isOperatorObject(value: unknown): value is Doc {
  return isPlainObject(value) && (Object.keys(value)[0] ?? '').startsWith('$');
}

/** A test of one value against an `$in` list: equal to an element, or a string matching a regex element. */
function membershipTest(name: string, list: unknown): (value: unknown) => boolean {
  if (!Array.isArray(list)) throw badValue(`${name} needs an array`);
  if (list.some(isOperatorObject)) throw badValue(`cannot nest $ under ${name}`);
  const regexes = list.filter((v): v is RegExp => v instanceof RegExp);
  const matchesNull = list.some((v) => v === null);
  const keys = new Set(list.filter((v) => v !== null && !(v instanceof RegExp)).map((v) => keyOf(v)));
  return (v) => {
    if (v === null || v === undefined) return matchesNull;
    if (typeof v === 'string' && regexes.some((re) => re.test(v))) return true;
    return keys.size > 0 && keys.has(keyOf(v));
  };
}

const $in: QueryOperator = (selector, operand) => {
  const test = membershipTest('$in', operand);
  return (doc) => valuesAtPath(doc, selector).some(test);
};

const $nin: QueryOperator = (selector, operand) => {
  const test = membershipTest('$nin', operand);
  return (doc) => !valuesAtPath(doc, selector).some(test);
};

/** `$all`: every element must match as an equality (or regex, or `$elemMatch`) would on its own. */
const $all: QueryOperator = (selector, operand, options) => {
  if (!Array.isArray(operand)) throw badValue('$all needs an array');
  if (operand.length === 0) return () => false;
  const tests: Predicate[] = operand.map((element): Predicate => {
    if (isOperatorObject(element)) {
      if (Object.keys(element)[0] !== '$elemMatch') throw badValue('no $ expressions in $all');
      const query = new Query({ [selector]: element }, options);
      return (doc) => query.test(doc);
    }
    if (element instanceof RegExp) {
      return (doc) => valuesAtPath(doc, selector).some((v) => typeof v === 'string' && element.test(v));
    }
    const test = equalityTest(element);
    return (doc) => valuesAtPath(doc, selector).some(test);
  });
  return (doc) => tests.every((t) => t(doc));
};

const $size: QueryOperator = (selector, operand) => {
  if (typeof operand !== 'number') throw badValue('$size needs a number');
  if (!Number.isInteger(operand)) throw badValue(`$size must be a whole number`);
  if (operand < 0) throw badValue('$size may not be negative');
  return (doc) => valuesAtPath(doc, selector, false).some((v) => Array.isArray(v) && v.length === operand);
};

const TYPE_CODES = new Map<number, BsonTypeName>([
  [1, 'double'],
  [2, 'string'],
  [3, 'object'],
  [4, 'array'],
  [5, 'binData'],
  [6, 'undefined'],
  [7, 'objectId'],
  [8, 'bool'],
  [9, 'date'],
  [10, 'null'],
  [11, 'regex'],
  [12, 'dbPointer'],
  [13, 'javascript'],
  [14, 'symbol'],
  [15, 'javascriptWithScope'],
  [16, 'int'],
  [17, 'timestamp'],
  [18, 'long'],
  [19, 'decimal'],
  [-1, 'minKey'],
  [127, 'maxKey'],
]);
const TYPE_ALIASES = new Set<string>(TYPE_CODES.values());
const NUMBER_TYPES: BsonTypeName[] = ['double', 'int', 'long', 'decimal'];

/** The BSON types one `$type` operand element stands for. */
function typesNamed(spec: unknown): BsonTypeName[] {
  if (typeof spec === 'string') {
    if (spec === 'number') return NUMBER_TYPES;
    if (!TYPE_ALIASES.has(spec)) throw badValue(`Unknown type name alias: ${spec}`);
    return [spec as BsonTypeName];
  }
  if (typeof spec === 'number') {
    const name = Number.isInteger(spec) ? TYPE_CODES.get(spec) : undefined;
    if (!name) throw badValue(`Invalid numerical type code: ${spec}`);
    return [name];
  }
  throw commandError(ErrorCode.TypeMismatch, 'type must be represented as a number or a string');
}

const $type: QueryOperator = (selector, operand) => {
  const specs = Array.isArray(operand) ? operand : [operand];
  if (specs.length === 0) throw badValue('$type must match at least one type');
  const wanted = new Set(specs.flatMap(typesNamed));
  return (doc) => {
    for (const type of bsonTypesAtPath(doc, selector)) if (wanted.has(type)) return true;
    return false;
  };
};

const $mod: QueryOperator = (selector, operand, options) => {
  if (!Array.isArray(operand)) throw badValue('malformed mod, needs to be an array');
  if (operand.length < 2) throw badValue('malformed mod, not enough elements');
  if (operand.length > 2) throw badValue('malformed mod, too many elements');
  if (!operand.every((n) => typeof n === 'number'))
    throw badValue('malformed mod, divisor and remainder must be numbers');
  if (Math.trunc(operand[0] as number) === 0) throw badValue('divisor cannot be 0');
  return mingoOperators.$mod(selector, operand.map(Math.trunc), options) as Predicate;
};

/** $and, $or and $nor take a non-empty array of filter documents. */
function logical(name: '$and' | '$or' | '$nor'): QueryOperator {
  return (selector, operand, options) => {
    if (!Array.isArray(operand)) throw badValue(`${name} must be an array`);
    if (operand.length === 0) throw badValue('$and/$or/$nor must be a nonempty array');
    if (!operand.every(isPlainObject)) throw badValue('$or/$and/$nor entries need to be full objects');
    return mingoOperators[name](selector, operand, options) as Predicate;
  };
}

const $not: QueryOperator = (selector, operand, options) => {
  if (isPlainObject(operand)) {
    if (Object.keys(operand).length === 0) throw badValue('$not cannot be empty');
  } else if (!(operand instanceof RegExp)) {
    throw badValue('$not needs a regex or a document');
  }
  return mingoOperators.$not(selector, operand, options) as Predicate;
};

const $elemMatch: QueryOperator = (selector, operand, options) => {
  if (!isPlainObject(operand)) throw badValue('$elemMatch needs an Object');
  return mingoOperators.$elemMatch(selector, operand, options) as Predicate;
};

const overrides: Record<string, QueryOperator> = {
  $eq,
  $ne,
  $in,
  $nin,
  $all,
  $size,
  $type,
  $mod,
  $not,
  $elemMatch,
  $and: logical('$and'),
  $or: logical('$or'),
  $nor: logical('$nor'),
};

/** The context filters are compiled with: mingo's operators, the geo ones, and the overrides above. */
export const matchContext = Context.init({
  query: { ...mingoOperators, ...geoQueryOperators, ...overrides } as never,
  expression: expressionOperators as never,
});

/** Compiles a filter with MongoDB's semantics (mingo's `Query` with {@link matchContext}). */
export function compileQuery(filter: Doc): Query {
  return new Query(filter, { context: matchContext, scriptEnabled: false });
}
