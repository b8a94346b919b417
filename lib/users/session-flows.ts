/**
 * Sessions as their owners see them (`/sessions`, `/classes/_Session`, the data API): a caller sees
 * and ends only its own sessions (the master key any), and never another session's token. Besides
 * logins and sign-ups, a logged-in user may open another session for itself and set its own fields
 * on its sessions (`POST /sessions`, `PUT /sessions/:id`), with parse-server's rules on which keys.
 */
import { SESSION_SCHEMA } from '../auth/sessions.js';
import { USER_SCHEMA } from './user-save-steps.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertGenericWritable, type ClassRules } from '../objects/class-rules.js';
import type { OperationContext } from '../services.js';
import type { ClassSchema } from '../schema/class-schema.js';
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
    await sessionSchema(ctx),
    { ...ownerFilter(ctx), objectId },
    { limit: 1 },
    null,
  );
  if (!session) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  return session;
}

/** `_Session` as the registry knows it (the app's own fields too), over the fields every session has. */
async function sessionSchema(ctx: OperationContext): Promise<ClassSchema> {
  const known = await ctx.services.schemas.get('_Session');
  return known ? { ...known, fields: { ...SESSION_SCHEMA.fields, ...known.fields } } : SESSION_SCHEMA;
}

/** Keys only the server sets on a session; `expiresAt` and `createdWith` the master key may. */
const SERVER_KEYS = ['objectId', 'user', 'sessionToken', 'expiresAt', 'createdWith', 'installationId', 'restricted'];

function bodyOf(body: unknown): Json {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new BackendError(ErrorCode.INVALID_JSON, 'invalid JSON');
  return body as Json;
}

function requireCaller(ctx: OperationContext): void {
  const { master, userId } = ctx.caller.auth;
  if (!master && !userId) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Session token required.');
}

/** Records the app's own fields a session write brings in `_Session`'s schema; returns the schema to write with. */
async function schemaFor(ctx: OperationContext, values: Json): Promise<ClassSchema> {
  if (Object.keys(values).length === 0) return sessionSchema(ctx);
  await ctx.services.schemas.prepareWrite('_Session', values, { master: true, allowClientClassCreation: true });
  return sessionSchema(ctx);
}

/**
 * `POST /sessions`: another session for the caller (the master key names the user), marked
 * `restricted` and created with `{action: 'create'}`, as parse-server makes it; fields of the
 * app's own are kept, the server's are not taken from the body.
 */
export async function createSession(ctx: OperationContext, body: unknown): Promise<RestObject> {
  requireCaller(ctx);
  const data = bodyOf(body);
  if ('ACL' in data) throw new BackendError(ErrorCode.INVALID_KEY_NAME, 'Cannot set ACL on a Session.');
  const named = (data.user as { objectId?: unknown } | undefined)?.objectId;
  const userId = ctx.caller.auth.master && typeof named === 'string' ? named : ctx.caller.auth.userId;
  if (!userId) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Session token required.');
  if (userId !== ctx.caller.auth.userId) {
    const [user] = await ctx.services.storage.findObjects(USER_SCHEMA, { objectId: userId }, { limit: 1 }, null);
    if (!user) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'user not found');
  }
  const extra = Object.fromEntries(Object.entries(data).filter(([key]) => !SERVER_KEYS.includes(key)));
  const schema = await schemaFor(ctx, extra);
  const created = await ctx.services.sessions.create(userId, {
    installationId: ctx.caller.auth.installationId,
    createdWith: { action: 'create' },
    restricted: true,
    extra,
    schema,
  });
  // Its ACL is the server's to keep; parse-server answers without it.
  const { ACL: _acl, ...session } = created.session;
  return session;
}

/** `PUT /sessions/:id`: the app's own fields of one of the caller's sessions (the master key's: any). */
export async function updateSession(ctx: OperationContext, objectId: string, body: unknown): Promise<RestObject> {
  requireCaller(ctx);
  const data = bodyOf(body);
  const { master, userId } = ctx.caller.auth;
  if ('ACL' in data) throw new BackendError(ErrorCode.INVALID_KEY_NAME, 'Cannot set ACL on a Session.');
  for (const key of Object.keys(data)) {
    const ownUser = key === 'user' && (data.user as { objectId?: unknown } | null)?.objectId === userId;
    const masterMay = master && (key === 'expiresAt' || key === 'createdWith' || key === 'user');
    if (SERVER_KEYS.includes(key) && !ownUser && !masterMay)
      throw new BackendError(ErrorCode.INVALID_KEY_NAME, `Invalid key name: ${key}`);
  }
  const session = await ownSession(ctx, objectId);
  const changes = Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'objectId'));
  const schema = await schemaFor(
    ctx,
    Object.fromEntries(Object.entries(changes).filter(([key]) => !SERVER_KEYS.includes(key))),
  );
  const updatedAt = ctx.services.now().toISOString();
  await ctx.services.storage.updateObject(schema, { objectId }, { ...changes, updatedAt }, null);
  // A new expiry or owner must reach the token cache of this process at once.
  await ctx.services.sessions.forgetCachedTokensOf((session.user as { objectId: string }).objectId);
  return { updatedAt };
}

/** The session the caller is using, with its token. */
export async function currentSession(ctx: OperationContext): Promise<RestObject> {
  const token = ctx.caller.auth.sessionToken;
  if (!token) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Session token required.');
  return ctx.services.sessions.describe(token);
}

/** The caller's sessions, without their tokens. */
export async function listSessions(ctx: OperationContext): Promise<RestObject[]> {
  const sessions = await ctx.services.storage.findObjects(
    await sessionSchema(ctx),
    ownerFilter(ctx),
    { limit: 1000 },
    null,
  );
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
