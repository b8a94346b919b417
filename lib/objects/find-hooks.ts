/**
 * beforeFind and afterFind around find, count and get. beforeFind may rewrite the query or answer
 * with objects of its own; afterFind sees what the caller may see and may replace it.
 */
import { toRestValue } from '../cloud/encode.js';
import { HookObject } from '../cloud/hook-object.js';
import { HookQuery } from '../cloud/hook-query.js';
import type { AfterFindRequest, BeforeFindRequest } from '../cloud/hook-requests.js';
import { runRegistered } from '../cloud/hook-runner.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { READ_PREFERENCES, type FindParams } from '../query/find-params.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import { cloudRequestBase, validationTarget } from '../cloud/caller-fields.js';
import { fieldsOf } from '../cloud/hook-runner.js';
import { isObject, type Json } from '../values/json.js';

/** What beforeFind decided: the query to run, or the objects to answer with. */
export interface FindPlan {
  params: FindParams;
  query: HookQuery | undefined;
  answered: RestObject[] | undefined;
}

/** An item a hook returned, in REST form: an object view's fields, or a plain object encoded. */
function restObject(item: unknown, hook: string): RestObject {
  if (item instanceof HookObject) return fieldsOf(item);
  if (isObject(item)) {
    const { __type: _type, className: _className, ...fields } = toRestValue(item) as Json;
    return fields;
  }
  throw new BackendError(ErrorCode.SCRIPT_FAILED, `${hook} must return objects`);
}

function queryOf(className: string, params: FindParams): HookQuery {
  return new HookQuery(className, isObject(params.where) ? params.where : {}, {
    order: params.order,
    limit: params.limit,
    skip: params.skip,
    keys: params.keys,
    excludeKeys: params.excludeKeys,
    include: params.include,
    readPreference: params.readPreference,
    includeReadPreference: params.includeReadPreference,
    subqueryReadPreference: params.subqueryReadPreference,
  });
}

/** A read preference a hook set, when it names one. */
function preferenceOf(value: unknown): FindParams['readPreference'] {
  const name = typeof value === 'string' ? value.toUpperCase() : undefined;
  return name && READ_PREFERENCES.has(name) ? (name as FindParams['readPreference']) : undefined;
}

/** Runs the class's beforeFind, if any. `isGet`: a get by id (its where is `{objectId}`). */
export async function beforeFind(
  ctx: OperationContext,
  className: string,
  params: FindParams,
  isGet: boolean,
): Promise<FindPlan> {
  const entry = ctx.services.cloud.hook('beforeFind', className);
  if (!entry) return { params, query: undefined, answered: undefined };
  const query = queryOf(className, params);
  const request: BeforeFindRequest = {
    ...(await cloudRequestBase(ctx)),
    query,
    count: params.count,
    isGet,
    triggerName: 'beforeFind',
  };
  const { ran, result } = await runRegistered(entry, request, () => validationTarget(ctx, request, {}));
  if (!ran) return { params, query, answered: undefined };
  if (Array.isArray(result) || result instanceof HookObject) {
    const answered = (Array.isArray(result) ? result : [result]).map((item) => restObject(item, 'beforeFind'));
    return { params, query, answered };
  }
  const chosen = result instanceof HookQuery ? result : request.query;
  const json = chosen.toJSON();
  const changed = {
    where: json.where,
    order: json.order,
    limit: json.limit ?? params.limit,
    skip: json.skip ?? params.skip,
    keys: json.keys,
    excludeKeys: json.excludeKeys,
    include: json.include,
    readPreference: preferenceOf(json.readPreference) ?? params.readPreference,
    includeReadPreference: preferenceOf(json.includeReadPreference) ?? params.includeReadPreference,
    subqueryReadPreference: preferenceOf(json.subqueryReadPreference) ?? params.subqueryReadPreference,
  };
  return { params: { ...params, ...changed }, query: chosen, answered: undefined };
}

/** Runs the class's afterFind, if any, on the results the caller may see; returns what to answer. */
export async function afterFind(
  ctx: OperationContext,
  className: string,
  results: RestObject[],
  plan: FindPlan,
  isGet: boolean,
): Promise<RestObject[]> {
  const entry = ctx.services.cloud.hook('afterFind', className);
  if (!entry) return results;
  const objects = results.map((result) => new HookObject(className, result));
  const query = plan.query ?? queryOf(className, plan.params);
  const request: AfterFindRequest = {
    ...(await cloudRequestBase(ctx)),
    objects,
    query,
    isGet,
    triggerName: 'afterFind',
  };
  const { ran, result } = await runRegistered(entry, request, () => validationTarget(ctx, request, {}));
  const chosen: unknown[] = ran && Array.isArray(result) ? result : request.objects;
  return chosen.map((item) => restObject(item, 'afterFind'));
}
