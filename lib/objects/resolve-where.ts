/**
 * Turns the parts of a `where` that need other data into plain constraints before the query runs:
 * sub-queries (`$inQuery`, `$notInQuery`, `$select`, `$dontSelect`) become `$in`/`$nin` lists,
 * `$relatedTo` becomes an objectId list, `$relativeTime` a date. Independent sub-queries run in
 * parallel, each with the caller's read permissions.
 */
import { principalsOf } from '../access/request-auth.js';
import { classAccess, restricted } from '../access/class-access.js';
import { assertQueryable, fieldProtection } from '../access/protected-fields.js';
import { relativeTimeToDate } from '../query/relative-time.js';
import { whereFields } from '../query/where.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { OperationContext } from '../services.js';
import type { RestObject, RestWhere } from '../storage/storage.js';
import { isObject, type Json } from '../values/json.js';

const LOGICAL = new Set(['$or', '$and', '$nor']);
const SUBQUERIES: Record<string, '$in' | '$nin'> = {
  $inQuery: '$in',
  $notInQuery: '$nin',
  $select: '$in',
  $dontSelect: '$nin',
};

/** Most results a sub-query may have: its results become one `$in` list. */
export const MAX_SUBQUERY_RESULTS = 10000;

/** A sub-query, with the same class access, protected-field and ACL rules as a find. */
async function runQuery(
  ctx: OperationContext,
  className: string,
  where: RestWhere,
  keys: string[],
): Promise<RestObject[]> {
  const { auth } = ctx.caller;
  const schema = await ctx.services.schemas.get(className);
  const restriction = classAccess(auth, className, schema, 'find');
  assertQueryable(fieldProtection(ctx.services.config.protectedFields, className, schema, auth), [
    ...whereFields(where),
    ...keys,
  ]);
  if (!schema) return [];
  const resolved = restricted(await resolveWhere(ctx, schema, where), restriction);
  // parse-server's requestComplexity.subqueryLimit reads at most that many, silently; past our own
  // bound the sub-query is refused, since its results become one `$in` list.
  const { subqueryLimit } = ctx.services.config.requestComplexity;
  const limit = Math.min(subqueryLimit, MAX_SUBQUERY_RESULTS + 1);
  const options = { keys: keys.map((k) => k.split('.')[0]!), limit, budget: ctx.caller.budget };
  const results = await ctx.services.storage.findObjects(schema, resolved, options, principalsOf(auth));
  if (results.length > MAX_SUBQUERY_RESULTS) {
    throw new BackendError(
      ErrorCode.INVALID_QUERY,
      `a sub-query on ${className} matched more than ${MAX_SUBQUERY_RESULTS} objects; narrow it down`,
    );
  }
  return results;
}

/** The values a sub-query stands for: pointers to its results, or the selected key's values. */
async function subqueryValues(ctx: OperationContext, op: string, operand: Json): Promise<unknown[]> {
  if (op === '$inQuery' || op === '$notInQuery') {
    const className = operand.className as string;
    const results = await runQuery(ctx, className, (operand.where ?? {}) as RestWhere, ['objectId']);
    return results.map((r) => ({ __type: 'Pointer', className, objectId: r.objectId }));
  }
  const query = operand.query as Json;
  const key = operand.key as string;
  const results = await runQuery(ctx, query.className as string, (query.where ?? {}) as RestWhere, [key]);
  return results.map((r) => valueAtPath(r, key)).filter((v) => v !== undefined);
}

function resolveRelativeTimes(constraint: Json, now: Date): Json {
  const out: Json = {};
  for (const [op, value] of Object.entries(constraint)) {
    out[op] =
      isObject(value) && '$relativeTime' in value
        ? { __type: 'Date', iso: relativeTimeToDate(value.$relativeTime, now).toISOString() }
        : value;
  }
  return out;
}

/** The value at a dotted path of a REST object. */
function valueAtPath(object: Json, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

function pointerIds(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((p): p is Json => isObject(p) && typeof p.objectId === 'string').map((p) => p.objectId as string);
}

/**
 * A constraint on a Relation field (equality, `$in`, `$ne`, `$nin` with pointers) goes through the
 * join collection, as parse-server does: it becomes a condition on the owning objects' ids.
 */
async function relationCondition(
  ctx: OperationContext,
  schema: ClassSchema,
  field: string,
  value: unknown,
): Promise<RestWhere> {
  const ops: Json = isObject(value) && Object.keys(value).some((k) => k.startsWith('$')) ? value : { $eq: value };
  const conditions: RestWhere[] = [];
  for (const [op, operand] of Object.entries(ops)) {
    const positive = op === '$eq' || op === '$in';
    if (!positive && op !== '$ne' && op !== '$nin') {
      throw new BackendError(ErrorCode.INVALID_QUERY, `${op} is not supported on the relation field ${field}`);
    }
    const owners = await ctx.services.storage.owningIdsOf(schema.className, field, pointerIds(operand));
    conditions.push({ objectId: { [positive ? '$in' : '$nin']: owners } });
  }
  return conditions.length === 1 ? conditions[0]! : { $and: conditions };
}

/** Resolves a validated `where` on `schema`'s class; the result holds only operators storage translates directly. */
export async function resolveWhere(ctx: OperationContext, schema: ClassSchema, where: RestWhere): Promise<RestWhere> {
  const out: Json = {};
  const extra: RestWhere[] = [];
  const now = ctx.services.now();
  await Promise.all(
    Object.entries(where).map(async ([key, value]) => {
      if (LOGICAL.has(key)) {
        out[key] = await Promise.all((value as RestWhere[]).map((sub) => resolveWhere(ctx, schema, sub)));
        return;
      }
      if (schema.fields[key]?.type === 'Relation') {
        extra.push(await relationCondition(ctx, schema, key, value));
        return;
      }
      if (key === '$relatedTo') {
        const { object, key: field } = value as { object: { className: string; objectId: string }; key: string };
        const ids = await ctx.services.storage.relatedIds(
          { owningClass: object.className, field, owningId: object.objectId },
          object.objectId,
        );
        extra.push({ objectId: { $in: ids } });
        return;
      }
      if (!isObject(value) || !Object.keys(value).some((k) => k.startsWith('$'))) {
        out[key] = value;
        return;
      }
      const rest = resolveRelativeTimes(value, now);
      await Promise.all(
        Object.keys(SUBQUERIES)
          .filter((op) => op in rest)
          .map(async (op) => {
            const operand = rest[op] as Json;
            delete rest[op];
            extra.push({ [key]: { [SUBQUERIES[op]!]: await subqueryValues(ctx, op, operand) } });
          }),
      );
      if (Object.keys(rest).length > 0) out[key] = rest;
    }),
  );
  if (extra.length > 0) out.$and = [...((out.$and as RestWhere[] | undefined) ?? []), ...extra];
  return out;
}
