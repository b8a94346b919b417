/**
 * Sessions as their owners see them (`/sessions`, `/classes/_Session`, the data API): a caller sees
 * and ends only its own sessions (the master key any), and never another session's token. Sessions
 * are made by logins and sign-ups only, so generic creates and updates are refused.
 */
import { SESSION_SCHEMA } from '../auth/sessions.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertGenericWritable, type ClassRules } from '../objects/class-rules.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import type { Json } from '../values/json.js';

function withoutToken(session: RestObject): RestObject {
  const { sessionToken: _hidden, ...visible } = session;
  return visible;
}

function ownerFilter(ctx: OperationContext): Json {
  const { master, userId } = ctx.caller.auth;
  if (master) return {};
  if (!userId) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
  return { user: { __type: 'Pointer', className: '_User', objectId: userId } };
}

async function ownSession(ctx: OperationContext, objectId: string): Promise<RestObject> {
  const [session] = await ctx.services.storage.findObjects(
    SESSION_SCHEMA,
    { ...ownerFilter(ctx), objectId },
    { limit: 1 },
    null,
  );
  if (!session) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  return session;
}

/** The session the caller is using, with its token. */
export async function currentSession(ctx: OperationContext): Promise<RestObject> {
  const token = ctx.caller.auth.sessionToken;
  if (!token) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Session token required.');
  return ctx.services.sessions.describe(token);
}

/** The caller's sessions, without their tokens. */
export async function listSessions(ctx: OperationContext): Promise<RestObject[]> {
  const sessions = await ctx.services.storage.findObjects(SESSION_SCHEMA, ownerFilter(ctx), { limit: 1000 }, null);
  return sessions.map(withoutToken);
}

/** One of the caller's sessions, without its token. */
export async function getSession(ctx: OperationContext, objectId: string): Promise<RestObject> {
  return withoutToken(await ownSession(ctx, objectId));
}

/** Ends one of the caller's sessions; its token stops working at once in this process. */
export async function endSession(ctx: OperationContext, objectId: string): Promise<void> {
  const session = await ownSession(ctx, objectId);
  const owner = (session.user as { objectId: string }).objectId;
  await ctx.services.storage.deleteObjects(SESSION_SCHEMA, { objectId });
  await ctx.services.sessions.forgetCachedTokensOf(owner);
}

/**
 * A user fetching itself gets its session token along, as parse-server answers: the SDKs keep the
 * current user's token from what a fetch returns, and would drop it otherwise.
 */
export function withOwnSessionToken(ctx: OperationContext, className: string, object: RestObject): RestObject {
  const { userId, sessionToken } = ctx.caller.auth;
  if (className !== '_User' || !sessionToken || object.objectId !== userId) return object;
  return { ...object, sessionToken };
}

export const sessionRules: ClassRules = {
  assertWritable(ctx, action) {
    if (action !== 'delete') assertGenericWritable(ctx.caller.auth, '_Session');
  },
  delete: endSession,
};
