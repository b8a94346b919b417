/** Find (with count) and get, between the class's beforeFind and afterFind hooks, over the secure read. */
import { assertQueryable, pointerFieldsRead, type FieldProtection } from '../access/protected-fields.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { FindParams } from '../query/find-params.js';
import { validateWhere, whereFields } from '../query/where.js';
import type { ClassSchema } from '../schema/class-schema.js';
import { assertClassName } from '../schema/names.js';
import type { OperationContext } from '../services.js';
import type { RestObject, RestWhere } from '../storage/storage.js';
import { afterFind, beforeFind } from './find-hooks.js';
import { assertIncludeComplexity, includePointers } from './include-pointers.js';
import { explainRead, planRead, readObjects, revealed } from './secure-read.js';
import { applyNestedSelection, includesForSelection } from './select-keys.js';

/**
 * The answer to a find: results, the count when asked, the class a relation query was redirected
 * to, or (master `explain`) the database's plan in place of results.
 */
export interface FindResult {
  results: RestObject[] | unknown;
  count?: number;
  className?: string;
}

/** What `includeAll` includes, as parse-server: every Pointer field and every Array field (of pointers, maybe). */
function includeAllFields(schema: ClassSchema | undefined): string[] {
  return Object.entries(schema?.fields ?? {})
    .filter(([, f]) => f.type === 'Pointer' || f.type === 'Array')
    .map(([name]) => name);
}

/** Includes (explicit and those dotted keys need), then the nested selection and exclusions. */
async function shapeResults(
  ctx: OperationContext,
  schema: ClassSchema,
  results: RestObject[],
  params: FindParams,
): Promise<void> {
  const include = [...(params.include ?? []), ...includesForSelection(params.keys, params.excludeKeys)];
  if (include.length > 0)
    await includePointers(ctx, results, include, includeAllFields(schema), params.includeReadPreference);
  applyNestedSelection(results, params.keys, params.excludeKeys);
}

/**
 * The top-level fields to fetch for a selection of `keys`: those asked for, plus the pointer fields
 * the protection rules read. `extra`: what to remove again before answering — those pointer fields,
 * and the top-level `excludeKeys` (removed after the protection rules have read them).
 */
function fetchedKeys(params: FindParams, protection: FieldProtection): { keys: string[] | undefined; extra: string[] } {
  const excluded = (params.excludeKeys ?? []).filter((key) => !key.includes('.') && key !== 'objectId');
  if (!params.keys) return { keys: undefined, extra: excluded };
  const top = params.keys.map((k) => k.split('.')[0]!);
  const extra = pointerFieldsRead(protection).filter((field) => !top.includes(field));
  return { keys: [...top, ...extra], extra: [...extra, ...excluded] };
}

/** With `includeAll` and `keys`, the included fields are selected too (parse-server adds them to `keys`). */
function withIncludeAllKeys(params: FindParams, schema: ClassSchema | undefined): FindParams {
  if (!params.keys || !params.include?.includes('*')) return params;
  return { ...params, keys: [...new Set([...params.keys, ...includeAllFields(schema)])] };
}

/** `redirectClassNameForKey`: the relation field's target class, or the class itself. */
async function redirectTarget(ctx: OperationContext, className: string, key: string | undefined): Promise<string> {
  if (!key) return className;
  const field = (await ctx.services.schemas.get(className))?.fields[key];
  return field?.type === 'Relation' && field.targetClass ? field.targetClass : className;
}

/** GET /classes/:className (and counts), between the class's beforeFind and afterFind hooks. */
export async function findObjects(
  ctx: OperationContext,
  requestedClass: string,
  requested: FindParams,
): Promise<FindResult> {
  assertClassName(requestedClass);
  const className = await redirectTarget(ctx, requestedClass, requested.redirectClassNameForKey);
  const redirected = className !== requestedClass ? { className } : {};
  const { auth } = ctx.caller;
  const schema = await ctx.services.schemas.get(className);
  const hooks = await beforeFind(ctx, className, requested, false);
  const params = withIncludeAllKeys(hooks.params, schema);
  // Checked on the query that runs: a beforeFind may have turned a count into a find.
  const read = planRead(ctx, className, schema, params.limit === 0 && params.count ? 'count' : 'find');
  const where = validateWhere(params.where, auth.master, ctx.services.config.requestComplexity);
  assertIncludeComplexity(ctx, params.include ?? []);
  const { keys, extra } = fetchedKeys(params, read.protection);
  // A plan names indexes and tells how much data there is: master only unless the host allows it.
  if (params.explain && !auth.master && !ctx.services.config.allowPublicExplain)
    throw new BackendError(ErrorCode.INVALID_QUERY, 'Using the explain query parameter requires the master key');
  if (hooks.answered) {
    assertQueryable(read.protection, [...whereFields(where), ...(params.order ?? [])]);
    const visible = await afterFind(ctx, className, revealed(ctx, read, hooks.answered, extra), hooks, false);
    return params.count
      ? { results: visible, count: visible.length, ...redirected }
      : { results: visible, ...redirected };
  }
  const options = {
    order: params.order,
    skip: params.skip,
    limit: params.limit,
    keys,
    readPreference: params.readPreference,
    hint: params.hint,
  };
  if (params.explain && schema)
    return { results: await explainRead(ctx, { ...read, schema }, where, options, params.explain) };
  const { objects, count } = await readObjects(ctx, read, where, {
    ...options,
    queried: params.order,
    count: params.count,
    objects: params.limit !== 0,
  });
  if (schema) await shapeResults(ctx, schema, objects, params);
  const visible =
    params.limit === 0 ? [] : await afterFind(ctx, className, revealed(ctx, read, objects, extra), hooks, false);
  return count === undefined ? { results: visible, ...redirected } : { results: visible, count, ...redirected };
}

/** GET /classes/:className/:objectId, between the class's beforeFind and afterFind hooks. */
export async function getObject(
  ctx: OperationContext,
  className: string,
  objectId: string,
  params: FindParams,
): Promise<RestObject> {
  assertClassName(className);
  const { auth } = ctx.caller;
  const schema = await ctx.services.schemas.get(className);
  const read = planRead(ctx, className, schema, 'get');
  const hooks = await beforeFind(ctx, className, { ...params, where: { objectId } }, true);
  assertIncludeComplexity(ctx, hooks.params.include ?? []);
  const { keys, extra } = fetchedKeys(hooks.params, read.protection);
  let found: RestObject[];
  if (hooks.answered) {
    found = revealed(ctx, read, hooks.answered, extra);
  } else {
    if (!schema) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
    // A beforeFind may add constraints; the object asked for stays the one looked up.
    const where: RestWhere = hooks.query
      ? { $and: [{ objectId }, validateWhere(hooks.params.where, auth.master, ctx.services.config.requestComplexity)] }
      : { objectId };
    ({ objects: found } = await readObjects(ctx, read, where, { limit: 1, keys }));
    await shapeResults(ctx, schema, found, hooks.params);
    found = revealed(ctx, read, found, extra);
  }
  const [object] = found.length > 0 ? await afterFind(ctx, className, found.slice(0, 1), hooks, true) : [];
  if (!object) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  return object;
}
