/**
 * The programmatic data API: find, first, get, count, create, update and delete on the same core
 * as the REST API — the same class-level permissions, ACLs, protected fields and hooks — without
 * HTTP. Calls act as an anonymous client unless given the master key, a session or a user.
 */
import { ownUserView } from '../access/protected-fields.js';
import { MASTER_AUTH, PUBLIC_AUTH, type RequestAuth } from '../access/request-auth.js';
import { toRestValue } from '../cloud/encode.js';
import { HookObject } from '../cloud/hook-object.js';
import { HookQuery } from '../cloud/hook-query.js';
import type { DataApi, DataOptions, DataQuery, HookCaller } from '../cloud/hook-requests.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { deleteObject } from '../objects/delete-object.js';
import { findObjects, getObject } from '../objects/find-objects.js';
import { isOperation } from '../values/operations.js';
import { createObject, updateObject, type SaveResult } from '../objects/save-object.js';
import { assertNoForbiddenKeys } from '../query/forbidden-keys.js';
import { parseFindParams, type FindParams } from '../query/find-params.js';
import type { OperationContext, Services } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import * as logins from '../users/log-in.js';
import { createSession, updateSession, withOwnSessionToken } from '../users/session-flows.js';
import type { Json } from '../values/json.js';

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Who a call with these options acts as (the data API's, and the bound SDK's, one rule). */
export async function authFor(services: Services, options: DataOptions | undefined): Promise<RequestAuth> {
  if (options?.useMasterKey) return MASTER_AUTH;
  if (options?.sessionToken !== undefined) {
    if (typeof options.sessionToken !== 'string' || options.sessionToken === '')
      throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
    const { userId } = await services.sessions.resolve(options.sessionToken);
    return { ...PUBLIC_AUTH, userId, sessionToken: options.sessionToken, roles: await services.roles.rolesOf(userId) };
  }
  if (options?.user !== undefined) {
    // An objectId only: never a principal such as `*` or `role:Admin`.
    if (typeof options.user !== 'string' || !USER_ID.test(options.user))
      throw new BackendError(ErrorCode.INVALID_VALUE, 'user must be an objectId');
    return { ...PUBLIC_AUTH, userId: options.user, roles: await services.roles.rolesOf(options.user) };
  }
  return PUBLIC_AUTH;
}

async function contextFor(services: Services, options: DataOptions | undefined): Promise<OperationContext> {
  const auth = await authFor(services, options);
  const caller: HookCaller = {
    auth: options?.installationId ? { ...auth, installationId: options.installationId } : auth,
    context: { ...options?.context },
    headers: {},
    ip: undefined,
  };
  return { services, caller };
}

function listParam(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function findParams(services: Services, query: DataQuery | undefined, extra: Json, single: boolean): FindParams {
  const where = query?.where === undefined ? undefined : toRestValue(query.where);
  assertNoForbiddenKeys(where);
  const raw: Json = { ...extra };
  if (where !== undefined) raw.where = where;
  for (const [key, value] of Object.entries({
    order: listParam(query?.order),
    keys: listParam(query?.keys),
    excludeKeys: listParam(query?.excludeKeys),
    include: listParam(query?.include),
  })) {
    if (value !== undefined) raw[key] = value;
  }
  if (query?.limit !== undefined) raw.limit = query.limit;
  if (query?.skip !== undefined) raw.skip = query.skip;
  return parseFindParams(raw, { single, defaultLimit: services.config.defaultLimit, maxLimit: undefined });
}

function restBody(values: Json): Json {
  if (values === null || typeof values !== 'object' || Array.isArray(values))
    throw new BackendError(ErrorCode.INVALID_JSON, 'values must be an object');
  const body = toRestValue(values) as Json;
  assertNoForbiddenKeys(body);
  return body;
}

/**
 * What a write returns: to the master key, the object as stored; to anyone else only what a client
 * would learn — what it sent, and the response (which leaves out what it may not read).
 */
function asSeenBy(ctx: OperationContext, sent: Json, saved: SaveResult): RestObject {
  if (ctx.caller.auth.master) return { ...saved.object, ...saved.added };
  const values = Object.fromEntries(
    Object.entries(sent).filter(([key, value]) => !key.includes('.') && !isOperation(value)),
  );
  const dates = 'createdAt' in saved.body ? { updatedAt: saved.body.createdAt } : {};
  return { ...values, ...dates, ...saved.body, objectId: saved.objectId };
}

/** A query given as a HookQuery, or as a class name and a DataQuery (the options come after either). */
function queryOf(
  target: string | HookQuery,
  second: unknown,
  third: unknown,
): { className: string; query: DataQuery | undefined; options: DataOptions | undefined } {
  if (target instanceof HookQuery) {
    const { where, order, limit, skip, keys, excludeKeys, include } = target.toJSON();
    return {
      className: target.className,
      query: { where, order, limit, skip, keys, excludeKeys, include },
      options: second as DataOptions | undefined,
    };
  }
  return { className: target, query: second as DataQuery | undefined, options: third as DataOptions | undefined };
}

/** The data API of one backend. */
export function createDataApi(services: Services): DataApi {
  // Secrets a user object may carry (a password being set) never reach host code either.
  // A user's own session token (a sign-up's, a login's) is kept for `getSessionToken()`.
  const view = (className: string, object: RestObject): HookObject =>
    className === '_User'
      ? new HookObject(
          className,
          ownUserView(object),
          {},
          typeof object.sessionToken === 'string' ? object.sessionToken : undefined,
        )
      : new HookObject(className, object);
  const api: DataApi = {
    async find(target: string | HookQuery, second?: unknown, third?: unknown) {
      const { className, query, options } = queryOf(target, second, third);
      const ctx = await contextFor(services, options);
      const { results } = await findObjects(ctx, className, findParams(services, query, {}, false));
      return (results as RestObject[]).map((object) => view(className, object));
    },
    async first(target: string | HookQuery, second?: unknown, third?: unknown) {
      const { className, query, options } = queryOf(target, second, third);
      const [object] = await api.find(className, { ...query, limit: 1 }, options);
      return object;
    },
    async get(className, objectId, options) {
      const ctx = await contextFor(services, options);
      const { keys, excludeKeys, include } = options ?? {};
      const params = findParams(services, { keys, excludeKeys, include }, {}, true);
      return view(className, withOwnSessionToken(ctx, className, await getObject(ctx, className, objectId, params)));
    },
    async count(target: string | HookQuery, second?: unknown, third?: unknown) {
      const { className, query, options } = queryOf(target, second, third);
      const where = query?.where;
      const ctx = await contextFor(services, options);
      const { count } = await findObjects(
        ctx,
        className,
        findParams(services, { where, limit: 0 }, { count: 1 }, false),
      );
      return count ?? 0;
    },
    async create(className, values, options) {
      const ctx = await contextFor(services, options);
      const body = restBody(values);
      // A session is opened through its own flow, as over REST.
      if (className === '_Session') return view(className, await createSession(ctx, body));
      return view(className, asSeenBy(ctx, body, await createObject(ctx, className, body)));
    },
    async update(className, objectId, values, options) {
      const ctx = await contextFor(services, options);
      const body = restBody(values);
      if (className === '_Session') {
        await updateSession(ctx, objectId, body);
        return api.get('_Session', objectId, options);
      }
      return view(className, asSeenBy(ctx, body, await updateObject(ctx, className, objectId, body)));
    },
    async delete(className, objectId, options) {
      await deleteObject(await contextFor(services, options), className, objectId);
    },
    async logIn(credentials, options) {
      const ctx = await contextFor(services, { installationId: options?.installationId, context: options?.context });
      return view('_User', await logins.logIn(ctx, { ...credentials }));
    },
    async logOut(sessionToken) {
      const ctx = await contextFor(services, { sessionToken });
      await logins.logOut(ctx, sessionToken);
    },
  };
  return api;
}
