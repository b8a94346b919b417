/**
 * Parameters of GET /aggregate/:className: a `pipeline` of stages, checked at every depth by
 * aggregate-stages.ts (read-only stages from an allowlist; no `$out`, `$merge` or JavaScript), or
 * `distinct` with an optional `where`.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertFieldPath } from '../schema/names.js';
import {
  assertPathAllowed,
  assertWhereAllowed,
  checkStage,
  topLevelWalk,
  type PipelineCaller,
} from './aggregate-stages.js';
import { decodeQueryValue, parseFindParams, type ReadPreferenceName } from './find-params.js';
import { validateWhere } from './where.js';
import type { Json } from '../values/json.js';

export type AggregateParams =
  | {
      kind: 'pipeline';
      pipeline: Json[];
      readPreference: ReadPreferenceName | undefined;
      hint: string | Json | undefined;
    }
  | { kind: 'distinct'; field: string; where: Json };

function invalid(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_QUERY, message);
}

/**
 * A `where` of `$match` or `distinct`. The full master key may query internal fields (as in a
 * find); the read-only key may not, or a `$regex` on `_perishable_token` would spell out a reset token.
 */
function checkWhere(where: unknown, caller: PipelineCaller): Json {
  assertWhereAllowed(where, caller);
  return validateWhere(where, caller === 'master');
}

/** Accepts Parse's forms: an array of stages, or one object of stages; `$` may be left off names. */
function readPipeline(raw: unknown, caller: PipelineCaller): Json[] {
  const stages = Array.isArray(raw)
    ? raw
    : raw !== null && typeof raw === 'object'
      ? Object.entries(raw).map(([k, v]) => ({ [k]: v }))
      : null;
  if (!stages) throw invalid('pipeline must be an array of stages');
  const walk = topLevelWalk(caller);
  return stages.map((stage: unknown) => {
    if (stage === null || typeof stage !== 'object' || Array.isArray(stage) || Object.keys(stage).length !== 1) {
      throw invalid('each pipeline stage must be an object with exactly one stage name');
    }
    const [name, body] = Object.entries(stage as Json)[0]!;
    const stageName = name.startsWith('$') ? name : `$${name}`;
    // The request's own `$match` stages are Parse `where`s (storage translates them); nested ones are MongoDB filters.
    if (stageName === '$match') checkWhere(body, caller);
    else checkStage(stageName, body, walk);
    if (stageName === '$group' && body !== null && typeof body === 'object') {
      if (Object.prototype.hasOwnProperty.call(body, 'objectId'))
        throw invalid(`Cannot use 'objectId' in aggregation stage $group.`);
      if (!Object.prototype.hasOwnProperty.call(body, '_id'))
        throw invalid('Invalid parameter for query: group. Missing key _id');
    }
    return { [stageName]: body };
  });
}

function readDistinct(raw: Json, caller: PipelineCaller): AggregateParams {
  const field = decodeQueryValue(raw.distinct);
  if (typeof field !== 'string') throw invalid('distinct must be a field name');
  if (caller === 'readOnly') assertPathAllowed(field);
  if (!['objectId', 'createdAt', 'updatedAt'].includes(field)) assertFieldPath(field);
  const where = decodeQueryValue(raw.where ?? {});
  return {
    kind: 'distinct',
    field,
    where: checkWhere(typeof where === 'string' ? decodeQueryValue(where) : where, caller),
  };
}

/** Parameters that are options of the request, not stages (parse-server's list). */
const OPTION_KEYS = new Set([
  'pipeline',
  'distinct',
  'where',
  'readPreference',
  'hint',
  'explain',
  'comment',
  'rawValues',
  'rawFieldNames',
]);

/**
 * The pipeline of a request: its `pipeline`, or else, as parse-server reads them, its other
 * parameters, each a stage (`$group={...}&$limit=2`), which must start with `$`.
 */
function requestPipeline(raw: Json): unknown {
  if (raw.pipeline !== undefined) return decodeQueryValue(raw.pipeline);
  const stages: Json[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (OPTION_KEYS.has(key) || value === undefined) continue;
    if (!key.startsWith('$')) throw invalid(`Invalid aggregate stage '${key}'.`);
    stages.push({ [key]: decodeQueryValue(value) });
  }
  return stages;
}

/** Reads and checks the parameters for `caller`: the full master key, or the read-only one. */
export function parseAggregateParams(raw: Json, caller: PipelineCaller): AggregateParams {
  if (raw.distinct !== undefined) {
    // parse-server 7 also read `distinct`'s filter from `$where`.
    const where = raw.where ?? raw.$where;
    return readDistinct(where === undefined ? raw : { ...raw, where }, caller);
  }
  // readPreference and hint are checked exactly as for finds.
  const { readPreference, hint } = parseFindParams(
    Object.fromEntries(
      Object.entries(raw).filter(
        ([k, v]) => (k === 'readPreference' || k === 'hint') && v !== null && v !== undefined && v !== '',
      ),
    ),
    { single: false, defaultLimit: 1, maxLimit: undefined },
  );
  return {
    kind: 'pipeline',
    pipeline: readPipeline(requestPipeline(raw), caller),
    readPreference,
    hint,
  };
}
