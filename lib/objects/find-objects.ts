/** Reads: find (with count), get and the sub-queries a `where` may contain. */
import { principalsOf } from '../auth/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { FindParams } from '../query/find-params.js';
import { validateWhere } from '../query/where.js';
import type { ClassSchema } from '../schema/class-schema.js';
import { assertClassName } from '../schema/names.js';
import type { OperationContext } from '../services.js';
import type { RestObject, RestWhere } from '../storage/storage.js';
import { includePointers } from './include-pointers.js';

type Json = Record<string, unknown>;

/** The answer to a find: results, and the count when asked. */
export interface FindResult {
  results: RestObject[];
  count?: number;
}

/** Replaces `$relatedTo` with the related ids (one query on the join collection). */
async function resolveRelatedTo(ctx: OperationContext, where: RestWhere): Promise<RestWhere> {
  if (!('$relatedTo' in where)) return where;
  const { $relatedTo, ...rest } = where;
  const { object, key } = $relatedTo as { object: { className: string; objectId: string }; key: string };
  const ids = await ctx.services.storage.relatedIds({ owningClass: object.className, field: key, owningId: object.objectId }, object.objectId);
  return { ...rest, $and: [...((rest.$and as RestWhere[] | undefined) ?? []), { objectId: { $in: ids } }] };
}

function topLevelPointerFields(schema: ClassSchema): string[] {
  return Object.entries(schema.fields).filter(([, f]) => f.type === 'Pointer').map(([name]) => name);
}

function dropExcluded(results: RestObject[], excludeKeys: string[] | undefined): void {
  if (!excludeKeys) return;
  for (const object of results) for (const key of excludeKeys) if (key !== 'objectId') delete object[key];
}

/** GET /classes/:className */
export async function findObjects(ctx: OperationContext, className: string, params: FindParams): Promise<FindResult> {
  assertClassName(className);
  const schema = await ctx.services.schemas.get(className);
  const where = validateWhere(params.where, ctx.caller.auth.master);
  if (!schema) return params.count ? { results: [], count: 0 } : { results: [] };
  const resolved = await resolveRelatedTo(ctx, where);
  const readers = principalsOf(ctx.caller.auth);
  const keys = params.keys?.map((k) => k.split('.')[0]!);
  const [results, count] = await Promise.all([
    params.limit === 0 ? Promise.resolve([]) : ctx.services.storage.findObjects(schema, resolved, { order: params.order, skip: params.skip, limit: params.limit, keys }, readers),
    params.count ? ctx.services.storage.countObjects(schema, resolved, readers) : Promise.resolve(undefined),
  ]);
  if (params.include) await includePointers(ctx, results, params.include, topLevelPointerFields(schema));
  dropExcluded(results, params.excludeKeys);
  return count === undefined ? { results } : { results, count };
}

/** GET /classes/:className/:objectId */
export async function getObject(ctx: OperationContext, className: string, objectId: string, params: FindParams): Promise<RestObject> {
  assertClassName(className);
  const schema = await ctx.services.schemas.get(className);
  if (!schema) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  const keys = params.keys?.map((k) => k.split('.')[0]!);
  const [object] = await ctx.services.storage.findObjects(schema, { objectId }, { limit: 1, keys }, principalsOf(ctx.caller.auth));
  if (!object) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  if (params.include) await includePointers(ctx, [object as Json], params.include, topLevelPointerFields(schema));
  dropExcluded([object], params.excludeKeys);
  return object;
}
