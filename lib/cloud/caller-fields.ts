/** The parts of a hook or function request that come from the caller, built once per request. */
import { ownUserView } from '../access/protected-fields.js';
import { HookObject } from './hook-object.js';
import type { CloudRequestBase, HookCaller } from './hook-requests.js';
import type { ValidationTarget } from './validator.js';
import type { OperationContext } from '../services.js';

/** The caller's user, loaded at most once per request, when the request runs a hook or a function. */
const users = new WeakMap<HookCaller, Promise<HookObject | undefined>>();

async function loadUser(ctx: OperationContext): Promise<HookObject | undefined> {
  const { userId, sessionToken } = ctx.caller.auth;
  if (!userId) return undefined;
  const schema = await ctx.services.schemas.get('_User');
  if (!schema) return undefined;
  const [user] = await ctx.services.storage.findObjects(schema, { objectId: userId }, { limit: 1 }, null);
  return user ? new HookObject('_User', ownUserView(user), {}, sessionToken ?? undefined) : undefined;
}

function callerUser(ctx: OperationContext): Promise<HookObject | undefined> {
  let user = users.get(ctx.caller);
  if (!user) users.set(ctx.caller, (user = loadUser(ctx)));
  return user;
}

/** The fields every hook request carries, login and file hooks' included: who calls, and the tools. */
export function callerFields(ctx: OperationContext): Omit<CloudRequestBase, 'user' | 'userId'> {
  const { auth, context, headers, ip } = ctx.caller;
  return {
    master: auth.master,
    isReadOnly: auth.readOnly === true,
    installationId: auth.installationId,
    context,
    headers,
    ip,
    log: ctx.services.config.logger,
    data: ctx.services.data,
  };
}

/** The fields every object hook and function request carries. */
export async function cloudRequestBase(ctx: OperationContext): Promise<CloudRequestBase> {
  return { ...callerFields(ctx), user: await callerUser(ctx), userId: ctx.caller.auth.userId };
}

/** What a validator checks: the caller, and `data` (function params or the object's fields). */
export function validationTarget(
  ctx: OperationContext,
  base: CloudRequestBase,
  data: Record<string, unknown>,
  object?: HookObject,
  original?: HookObject,
): ValidationTarget {
  const { auth } = ctx.caller;
  // A user signing up is the user the validator checks, as in Parse.
  const user = base.user ?? (object?.className === '_User' && !original ? object : undefined);
  return {
    master: auth.master,
    user,
    roles: auth.roles,
    data,
    object,
    updating: original !== undefined,
    rateKey: ctx.caller.ip,
  };
}
