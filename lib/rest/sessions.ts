/** /sessions: the caller's own sessions (the master key sees all). Tokens of other sessions are never shown. */
import { SESSION_SCHEMA } from '../auth/sessions.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import type { Services } from '../services.js';
import type { RestObject } from '../storage/storage.js';

function withoutToken(session: RestObject): RestObject {
  const { sessionToken: _hidden, ...visible } = session;
  return visible;
}

function ownerFilter(req: ApiRequest): Record<string, unknown> {
  const { master, userId } = req.caller.auth;
  if (master) return {};
  if (!userId) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
  return { user: { __type: 'Pointer', className: '_User', objectId: userId } };
}

/** GET /sessions/me */
export async function currentSession(services: Services, req: ApiRequest): Promise<ApiReply> {
  const token = req.caller.auth.sessionToken;
  if (!token) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Session token required.');
  return { body: await services.sessions.describe(token) };
}

/** GET /sessions */
export async function listSessions(services: Services, req: ApiRequest): Promise<ApiReply> {
  const sessions = await services.storage.findObjects(SESSION_SCHEMA, ownerFilter(req), { limit: 1000 }, null);
  return { body: { results: sessions.map(withoutToken) } };
}

/** GET /sessions/:objectId */
export async function getSession(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  const [session] = await services.storage.findObjects(
    SESSION_SCHEMA,
    { ...ownerFilter(req), objectId },
    { limit: 1 },
    null,
  );
  if (!session) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  return { body: withoutToken(session) };
}

/** DELETE /sessions/:objectId: ends one of the caller's sessions. */
export async function deleteSession(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  const [session] = await services.storage.findObjects(
    SESSION_SCHEMA,
    { ...ownerFilter(req), objectId },
    { limit: 1 },
    null,
  );
  if (!session) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  const owner = (session.user as { objectId: string }).objectId;
  await services.storage.deleteObjects(SESSION_SCHEMA, { objectId });
  // Cached tokens of this user are dropped so the deleted session stops working at once here.
  await services.sessions.forgetCachedTokensOf(owner);
  return { body: {} };
}
