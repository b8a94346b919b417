/**
 * The rules for the stages of an aggregation pipeline, applied by one walk that reaches every
 * stage at every depth: `$facet` sub-pipelines, `$lookup` (`from` and `pipeline`), `$unionWith` (a
 * name or `{coll, pipeline}`) and `$graphLookup` (`from`). A check that stops at the top level is
 * bypassed by nesting: a `$lookup` inside a `$facet` once read `_User`'s password hashes.
 *
 * The full master key may run any read-only stage, including those reading other classes, as in
 * parse-server. The read-only master key may not read another collection, and may not name an
 * internal or secret field anywhere (119); what it reaches without naming is cut off by the view
 * of read-only-view.ts.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertClassName } from '../schema/names.js';
import { isObject } from '../values/json.js';

/** Who runs a pipeline: the full master key, or the read-only master key. */
export type PipelineCaller = 'master' | 'readOnly';

/** Stages that read the documents flowing through the pipeline, and nothing else. */
const STAGES = new Set([
  '$match',
  '$group',
  '$sort',
  '$limit',
  '$skip',
  '$project',
  '$count',
  '$unwind',
  '$sample',
  '$sortByCount',
  '$addFields',
  '$set',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
  '$bucket',
  '$bucketAuto',
  '$facet',
]);
/** Stages that read another collection: the full master key only. */
const COLLECTION_STAGES = new Set(['$lookup', '$unionWith', '$graphLookup']);
/** Stages that write to a collection: never through an aggregate. */
const WRITE_STAGES = new Set(['$out', '$merge']);
/** Operators that run JavaScript on the server: never from a request. */
const FORBIDDEN_OPERATORS = new Set(['$where', '$function', '$accumulator']);
/** Operators whose operand names a field by a plain string (`{$getField: 'name'}`). */
const FIELD_NAME_OPERATORS = new Set(['$getField', '$setField', '$unsetField']);
/** Top-level fields that hold secrets under their Parse name (`sessionToken` is `_Session`'s token). */
const SECRET_FIELDS = new Set(['authData', 'password', 'sessionToken']);
/** Sub-pipelines within sub-pipelines: MongoDB allows 20; no real query needs more than a few. */
const MAX_PIPELINE_DEPTH = 8;
/** Objects and arrays within one stage. */
const MAX_EXPRESSION_DEPTH = 20;

interface Walk {
  readonly caller: PipelineCaller;
  /** Nested pipelines around the stage being checked; 0 for the request's own pipeline. */
  readonly depth: number;
}

function invalid(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_QUERY, message);
}

function forbidden(message: string): BackendError {
  return new BackendError(ErrorCode.OPERATION_FORBIDDEN, `read-only masterKey isn't allowed to ${message}`);
}

/** Storage-internal names start with `_` (`_hashed_password`, `_rperm`, `_p_owner`...); `_id` is the group key every pipeline uses. */
function isInternalSegment(segment: string): boolean {
  return segment.startsWith('_') && segment !== '_id';
}

/** A top-level Parse field whose value is a secret. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELDS.has(name);
}

/** A field path (`a.b.c`) a read-only pipeline may not name. */
export function assertPathAllowed(path: string): void {
  const segments = path.split('.');
  if (SECRET_FIELDS.has(segments[0]!) || segments.some(isInternalSegment)) {
    throw forbidden(`reference the internal field ${path} in an aggregate`);
  }
}

/** `$field.path` names a field; `$$ROOT.field` names one of a variable's fields. */
function checkReference(value: string): void {
  if (value.startsWith('$$')) {
    const dot = value.indexOf('.');
    if (dot > 0) assertPathAllowed(value.slice(dot + 1));
  } else {
    assertPathAllowed(value.slice(1));
  }
}

/** `{$getField: 'x'}` or `{$getField: {field: 'x', input}}`, and likewise for `$setField`/`$unsetField`. */
function checkFieldNameOperand(operand: unknown): void {
  const field = isObject(operand) ? operand.field : operand;
  if (typeof field === 'string' && !field.startsWith('$')) assertPathAllowed(field);
}

/**
 * Checks an expression or filter at any depth: no JavaScript operators, bounded nesting, and —
 * for the read-only key — no internal field as a key, a `$field` value or a `$getField` name.
 */
function checkExpression(value: unknown, walk: Walk, depth: number): void {
  if (depth > MAX_EXPRESSION_DEPTH) throw invalid('aggregate pipeline is nested too deeply');
  if (typeof value === 'string') {
    if (walk.caller === 'readOnly' && value.startsWith('$')) checkReference(value);
  } else if (Array.isArray(value)) {
    for (const item of value) checkExpression(item, walk, depth + 1);
  } else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (FORBIDDEN_OPERATORS.has(key)) throw invalid(`${key} is not allowed in a pipeline`);
      if (walk.caller === 'readOnly') {
        if (!key.startsWith('$')) assertPathAllowed(key);
        else if (FIELD_NAME_OPERATORS.has(key)) checkFieldNameOperand(inner);
      }
      checkExpression(inner, walk, depth + 1);
    }
  }
}

/** `$unset: 'a'` or `['a', 'b']`, and Parse's `$unwind: 'a'` without the `$`: plain strings that are field names. */
function checkFieldNames(body: unknown, walk: Walk): void {
  if (walk.caller !== 'readOnly') return;
  for (const name of Array.isArray(body) ? body : [body]) {
    if (typeof name === 'string' && !name.startsWith('$')) assertPathAllowed(name);
  }
}

function assertCollectionName(value: unknown, stage: string): void {
  if (typeof value !== 'string') throw invalid(`${stage} needs a class name`);
  assertClassName(value);
}

/** `$lookup`, `$unionWith`, `$graphLookup`: the collection they read, and any sub-pipeline they run. */
function checkCollectionStage(name: string, body: unknown, walk: Walk): void {
  // Any other collection (or this one again, unfiltered by the view) is out of the read-only key's reach.
  if (walk.caller === 'readOnly') throw forbidden(`use ${name} in an aggregate: it reads another collection`);
  if (name === '$unionWith' && typeof body === 'string') {
    assertCollectionName(body, name);
    return;
  }
  if (!isObject(body)) throw invalid(`${name} must be an object`);
  const { pipeline, ...rest } = body;
  assertCollectionName(name === '$unionWith' ? body.coll : body.from, name);
  if (pipeline !== undefined) checkNestedPipeline(pipeline, walk);
  checkExpression(rest, walk, 0);
}

function checkFacet(body: unknown, walk: Walk): void {
  if (!isObject(body)) throw invalid('$facet must be an object of pipelines');
  for (const [facet, pipeline] of Object.entries(body)) {
    if (walk.caller === 'readOnly') assertPathAllowed(facet);
    checkNestedPipeline(pipeline, walk);
  }
}

/** One stage `{name: body}`, already in `$name` form; the request's own `$match` stages are checked as a `where` by the caller. */
export function checkStage(name: string, body: unknown, walk: Walk): void {
  if (WRITE_STAGES.has(name)) {
    if (walk.caller === 'readOnly') throw forbidden(`use ${name} in an aggregate: it writes`);
    throw invalid(`${name} is not allowed in a pipeline`);
  }
  if (COLLECTION_STAGES.has(name)) return checkCollectionStage(name, body, walk);
  if (!STAGES.has(name)) throw invalid(`Invalid parameter for query: ${name}`);
  if (name === '$facet') return checkFacet(body, walk);
  if (name === '$unset' || name === '$unwind') checkFieldNames(body, walk);
  checkExpression(body, walk, 0);
}

/** A sub-pipeline, in MongoDB's own syntax: an array of single-key stages. */
function checkNestedPipeline(pipeline: unknown, outer: Walk): void {
  const walk: Walk = { caller: outer.caller, depth: outer.depth + 1 };
  if (walk.depth > MAX_PIPELINE_DEPTH) throw invalid('aggregate pipeline is nested too deeply');
  if (!Array.isArray(pipeline)) throw invalid('a sub-pipeline must be an array of stages');
  for (const stage of pipeline) {
    if (!isObject(stage) || Object.keys(stage).length !== 1)
      throw invalid('each pipeline stage must be an object with exactly one stage name');
    const [name, body] = Object.entries(stage)[0]!;
    checkStage(name, body, walk);
  }
}

/**
 * The rules a master-key caller's aggregate runs under. The read-only key is refused outright
 * (119) when `allowAggregationForReadOnlyMasterKey` is off, as parse-server 9.10 does.
 */
export function pipelineCaller(readOnly: boolean, allowReadOnly: boolean): PipelineCaller {
  if (!readOnly) return 'master';
  if (!allowReadOnly) throw forbidden('run aggregates (allowAggregationForReadOnlyMasterKey is off)');
  return 'readOnly';
}

/** The walk for the request's own pipeline. */
export function topLevelWalk(caller: PipelineCaller): Walk {
  return { caller, depth: 0 };
}

/** For the read-only key: a `where` (of `$match` or `distinct`) naming no internal field, at any depth. */
export function assertWhereAllowed(where: unknown, caller: PipelineCaller): void {
  if (caller === 'readOnly') checkExpression(where, topLevelWalk(caller), 0);
}
