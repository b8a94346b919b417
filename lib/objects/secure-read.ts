/**
 * The one way the core reads objects for a caller — finds, gets, includes, sub-queries, the data
 * API and, later, LiveQuery: the class-level permission is checked and turned into a restriction,
 * queried fields are checked against protected fields, sub-queries are resolved with the caller's
 * permissions, the ACL applies in storage, every read is charged to the request's byte budget, and
 * what comes back is trimmed to what the caller may see.
 *
 * A `where`'s parts that need other data become plain constraints before the query runs:
 * sub-queries (`$inQuery`, `$notInQuery`, `$select`, `$dontSelect`) become `$in`/`$nin` lists,
 * `$relatedTo` an objectId list, `$relativeTime` a date. Independent sub-queries run in parallel.
 */
import { classAccess, restricted, type ClassOperation } from '../access/class-access.js';
import { assertQueryable, fieldProtection, visibleTo, type FieldProtection } from '../access/protected-fields.js';
import { principalsOf } from '../access/request-auth.js';
import { relativeTimeToDate } from '../query/relative-time.js';
import { whereFields } from '../query/where.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { OperationContext } from '../services.js';
import type { ExplainVerbosity, FindOptions, RestObject, RestWhere } from '../storage/storage.js';
import { isObject, type Json } from '../values/json.js';

const LOGICAL = new Set(['$or', '$and', '$nor']);
const SUBQUERIES: Record<string, '$in' | '$nin'> = {
  $inQuery: '$in',
  $notInQuery: '$nin',
  $select: '$in',
  $dontSelect: '$nin',
};

/** What a caller may do with one class: the restriction its permissions add, and what it may see. */
export interface ReadPlan {
  readonly className: string;
  readonly schema: ClassSchema | undefined;
  /** The class-level permission's restriction (pointer permissions), null for none. */
  readonly restriction: RestWhere | null;
  readonly protection: FieldProtection;
}

/**
 * Checks that the caller may `operation` the class (119 otherwise) and works out what it may see.
 * Planned before anything is read, so a refusal never costs a database round trip.
 */
export function planRead(
  ctx: OperationContext,
  className: string,
  schema: ClassSchema | undefined,
  operation: ClassOperation,
): ReadPlan {
  const { auth } = ctx.caller;
  const restriction = classAccess(auth, className, schema, operation);
  const protection = fieldProtection(ctx.services.config.protectedFields, className, schema, auth);
  return { className, schema, restriction, protection };
}

/** Storage options a secure read takes from its caller (the byte budget is the request's). */
export type ReadOptions = Omit<FindOptions, 'budget' | 'forWrite'>;

export interface SecureReadOptions extends ReadOptions {
  /** Fields the caller sorts on or selects, besides those its `where` constrains. */
  queried?: readonly string[];
  /** Count the matching objects too. */
  count?: boolean;
  /** Read the objects (default); false for a count alone. */
  objects?: boolean;
}

/** The `where` a plan runs: protected fields checked, sub-queries resolved, the restriction added. */
async function resolvedFor(
  ctx: OperationContext,
  plan: ReadPlan & { schema: ClassSchema },
  where: RestWhere,
): Promise<RestWhere> {
  return restricted(await resolveWhere(ctx, plan.schema, where), plan.restriction);
}

/**
 * Reads through a plan: queried fields must not be protected from the caller (119), sub-queries
 * run with the caller's permissions, the restriction and the ACL apply, and the documents are
 * charged to the request's byte budget. The objects are not yet trimmed: callers that include
 * pointers do so first, then call {@link revealed}.
 */
export async function readObjects(
  ctx: OperationContext,
  plan: ReadPlan,
  where: RestWhere,
  options: SecureReadOptions = {},
): Promise<{ objects: RestObject[]; count?: number }> {
  const { queried, count, objects: wanted = true, ...storageOptions } = options;
  assertQueryable(plan.protection, [...whereFields(where), ...(queried ?? [])]);
  if (!plan.schema) return count ? { objects: [], count: 0 } : { objects: [] };
  const resolved = await resolvedFor(ctx, { ...plan, schema: plan.schema }, where);
  const readers = principalsOf(ctx.caller.auth);
  const { storage } = ctx.services;
  const [objects, total] = await Promise.all([
    wanted ? storage.findObjects(plan.schema, resolved, { ...storageOptions, budget: ctx.caller.budget }, readers) : [],
    count ? storage.countObjects(plan.schema, resolved, readers) : undefined,
  ]);
  return total === undefined ? { objects } : { objects, count: total };
}

/** The database's plan for a read, with the caller's permissions applied to the query as in a find. */
export async function explainRead(
  ctx: OperationContext,
  plan: ReadPlan & { schema: ClassSchema },
  where: RestWhere,
  options: ReadOptions,
  verbosity: ExplainVerbosity,
): Promise<unknown> {
  const resolved = await resolvedFor(ctx, plan, where);
  return ctx.services.storage.explainFind(plan.schema, resolved, options, verbosity);
}

/**
 * What the caller may see of objects read through `plan`; `extra` fields are removed as well, and
 * the class's rules may show some fields their own way (a user's identities, through their providers).
 */
export function revealed(
  ctx: OperationContext,
  plan: ReadPlan,
  objects: RestObject[],
  extra: readonly string[] = [],
): RestObject[] {
  const visible = objects.map((object) => {
    const shown = visibleTo(plan.protection, object);
    if (extra.length === 0) return shown;
    const trimmed = shown === object ? { ...object } : shown;
    for (const field of extra) delete trimmed[field];
    return trimmed;
  });
  const shownBy = ctx.services.classRules.get(plan.className)?.shown;
  return shownBy ? shownBy(ctx, visible) : visible;
}

/** Most results a sub-query may have: its results become one `$in` list. */
export const MAX_SUBQUERY_RESULTS = 10000;

/** A sub-query: a secure read of the selected keys, as a find of the caller would be. */
async function runQuery(
  ctx: OperationContext,
  className: string,
  where: RestWhere,
  keys: string[],
): Promise<RestObject[]> {
  const plan = planRead(ctx, className, await ctx.services.schemas.get(className), 'find');
  // parse-server's requestComplexity.subqueryLimit reads at most that many, silently; past our own
  // bound the sub-query is refused, since its results become one `$in` list.
  const { subqueryLimit } = ctx.services.config.requestComplexity;
  const limit = Math.min(subqueryLimit, MAX_SUBQUERY_RESULTS + 1);
  const { objects: results } = await readObjects(ctx, plan, where, {
    keys: keys.map((k) => k.split('.')[0]!),
    limit,
    queried: keys,
  });
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

function resolveRelativeTimes(constraint: Json, now: Date, fieldType: string | undefined): Json {
  const out: Json = {};
  for (const [op, value] of Object.entries(constraint)) {
    if (!isObject(value) || !('$relativeTime' in value)) {
      out[op] = value;
      continue;
    }
    if (fieldType !== undefined && fieldType !== 'Date')
      throw new BackendError(ErrorCode.INVALID_JSON, '$relativeTime can only be used with Date field');
    out[op] = { __type: 'Date', iso: relativeTimeToDate(value.$relativeTime, now).toISOString() };
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
      const rest = resolveRelativeTimes(value, now, schema.fields[key]?.type);
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
