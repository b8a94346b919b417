/**
 * Parameters of GET /aggregate/:className: a `pipeline` of stages from an allowlist (read-only
 * stages; no `$out`, `$merge` or JavaScript), or `distinct` with an optional `where`.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertFieldPath } from '../schema/names.js';
import { decodeQueryValue, parseFindParams, type ReadPreferenceName } from './find-params.js';
import { validateWhere } from './where.js';

type Json = Record<string, unknown>;

const STAGES = new Set([
  '$match', '$group', '$sort', '$limit', '$skip', '$project', '$count', '$unwind', '$sample',
  '$sortByCount', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$bucket', '$bucketAuto', '$facet',
]);
/** Operators that run JavaScript on the server: never from a request. */
const FORBIDDEN_OPERATORS = new Set(['$where', '$function', '$accumulator']);

export type AggregateParams =
  | { kind: 'pipeline'; pipeline: Json[]; readPreference: ReadPreferenceName | undefined; hint: string | Json | undefined }
  | { kind: 'distinct'; field: string; where: Json };

function invalid(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_QUERY, message);
}

function checkExpression(value: unknown, depth: number): void {
  if (depth > 20) throw invalid('pipeline is nested too deeply');
  if (Array.isArray(value)) value.forEach((v) => checkExpression(v, depth + 1));
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (FORBIDDEN_OPERATORS.has(key)) throw invalid(`${key} is not allowed in a pipeline`);
      checkExpression(inner, depth + 1);
    }
  }
}

/** Accepts Parse's forms: an array of stages, or one object of stages; `$` may be left off names. */
function readPipeline(raw: unknown): Json[] {
  const stages = Array.isArray(raw) ? raw : raw !== null && typeof raw === 'object' ? Object.entries(raw).map(([k, v]) => ({ [k]: v })) : null;
  if (!stages) throw invalid('pipeline must be an array of stages');
  return stages.map((stage: unknown) => {
    if (stage === null || typeof stage !== 'object' || Array.isArray(stage) || Object.keys(stage).length !== 1) {
      throw invalid('each pipeline stage must be an object with exactly one stage name');
    }
    const [name, body] = Object.entries(stage as Json)[0]!;
    const stageName = name.startsWith('$') ? name : `$${name}`;
    if (!STAGES.has(stageName)) throw invalid(`Invalid parameter for query: ${name}`);
    if (stageName === '$match') validateWhere(body, true);
    else checkExpression(body, 0);
    return { [stageName]: body };
  });
}

export function parseAggregateParams(raw: Json): AggregateParams {
  for (const key of Object.keys(raw)) {
    // The SDKs send readPreference (often empty) with every aggregate; it is read by the database driver.
    if (!['pipeline', 'distinct', 'where', 'readPreference', 'hint'].includes(key)) throw invalid(`Invalid parameter for query: ${key}`);
  }
  if (raw.distinct !== undefined) {
    const field = decodeQueryValue(raw.distinct);
    if (typeof field !== 'string') throw invalid('distinct must be a field name');
    if (!['objectId', 'createdAt', 'updatedAt'].includes(field)) assertFieldPath(field);
    const where = decodeQueryValue(raw.where ?? {});
    return { kind: 'distinct', field, where: validateWhere(typeof where === 'string' ? decodeQueryValue(where) : where, true) };
  }
  // readPreference and hint are checked exactly as for finds.
  const { readPreference, hint } = parseFindParams(
    Object.fromEntries(Object.entries(raw).filter(([k, v]) => (k === 'readPreference' || k === 'hint') && v !== null && v !== undefined && v !== '')),
    { single: false, defaultLimit: 1, maxLimit: undefined },
  );
  return { kind: 'pipeline', pipeline: readPipeline(decodeQueryValue(raw.pipeline ?? [])), readPreference, hint };
}
