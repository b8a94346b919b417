/** Reads: find (with count), get and the sub-queries a `where` may contain. */
import { classAccess, restricted } from '../access/class-access.js';
import {
  assertQueryable,
  fieldProtection,
  pointerFieldsRead,
  visibleTo,
  type FieldProtection,
} from '../access/protected-fields.js';
import { principalsOf } from '../access/request-auth.js';
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
import { resolveWhere } from './resolve-where.js';
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

function topLevelPointerFields(schema: ClassSchema): string[] {
  return Object.entries(schema.fields)
    .filter(([, f]) => f.type === 'Pointer')
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
  if (include.length > 0) await includePointers(ctx, results, include, topLevelPointerFields(schema));
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

/** The results as the caller may see them. */
function visibleResults(protection: FieldProtection, results: RestObject[], extra: string[]): RestObject[] {
  return results.map((object) => {
    const visible = visibleTo(protection, object);
    if (extra.length === 0) return visible;
    const trimmed = visible === object ? { ...object } : visible;
    for (const field of extra) delete trimmed[field];
    return trimmed;
  });
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
  const plan = await beforeFind(ctx, className, requested, false);
  const { params } = plan;
  // Checked on the query that runs: a beforeFind may have turned a count into a find.
  const restriction = classAccess(auth, className, schema, params.limit === 0 && params.count ? 'count' : 'find');
  const where = validateWhere(params.where, auth.master, ctx.services.config.requestComplexity);
  assertIncludeComplexity(ctx, params.include ?? []);
  const protection = fieldProtection(ctx.services.config.protectedFields, className, schema, auth);
  assertQueryable(protection, [...whereFields(where), ...(params.order ?? [])]);
  if (params.explain && !auth.master)
    throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, 'explain needs the master key');
  if (plan.answered) {
    const visible = await afterFind(
      ctx,
      className,
      visibleResults(protection, plan.answered, fetchedKeys(params, protection).extra),
      plan,
      false,
    );
    return params.count
      ? { results: visible, count: visible.length, ...redirected }
      : { results: visible, ...redirected };
  }
  if (!schema) return params.count ? { results: [], count: 0, ...redirected } : { results: [], ...redirected };
  const resolved = restricted(await resolveWhere(ctx, schema, where), restriction);
  const readers = principalsOf(ctx.caller.auth);
  const { keys, extra } = fetchedKeys(params, protection);
  const options = {
    order: params.order,
    skip: params.skip,
    limit: params.limit,
    keys,
    readPreference: params.readPreference,
    hint: params.hint,
    budget: ctx.caller.budget,
  };
  if (params.explain) return { results: await ctx.services.storage.explainFind(schema, resolved, options) };
  const [results, count] = await Promise.all([
    params.limit === 0 ? Promise.resolve([]) : ctx.services.storage.findObjects(schema, resolved, options, readers),
    params.count ? ctx.services.storage.countObjects(schema, resolved, readers) : Promise.resolve(undefined),
  ]);
  await shapeResults(ctx, schema, results, params);
  const visible =
    params.limit === 0 ? [] : await afterFind(ctx, className, visibleResults(protection, results, extra), plan, false);
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
  const restriction = classAccess(auth, className, schema, 'get');
  const plan = await beforeFind(ctx, className, { ...params, where: { objectId } }, true);
  const protection = fieldProtection(ctx.services.config.protectedFields, className, schema, auth);
  assertIncludeComplexity(ctx, plan.params.include ?? []);
  let found: RestObject[];
  if (plan.answered) {
    found = visibleResults(protection, plan.answered, fetchedKeys(plan.params, protection).extra);
  } else {
    if (!schema) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
    let where: RestWhere = { objectId };
    if (plan.query) {
      // The hook may have added constraints; the object asked for stays the one looked up.
      const changed = validateWhere(plan.params.where, auth.master, ctx.services.config.requestComplexity);
      assertQueryable(protection, whereFields(changed));
      where = { $and: [where, await resolveWhere(ctx, schema, changed)] };
    }
    const { keys, extra } = fetchedKeys(plan.params, protection);
    found = await ctx.services.storage.findObjects(
      schema,
      restricted(where, restriction),
      { limit: 1, keys, budget: ctx.caller.budget },
      principalsOf(ctx.caller.auth),
    );
    await shapeResults(ctx, schema, found, plan.params);
    found = visibleResults(protection, found, extra);
  }
  const [object] = found.length > 0 ? await afterFind(ctx, className, found.slice(0, 1), plan, true) : [];
  if (!object) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  return object;
}
