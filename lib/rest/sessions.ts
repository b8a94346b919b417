/** /sessions and /classes/_Session: thin handlers over users/session-flows.ts. */
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { deleteObject } from '../objects/delete-object.js';
import * as classes from './classes.js';
import type { OperationContext, Services } from '../services.js';
import * as sessions from '../users/session-flows.js';

function context(services: Services, req: ApiRequest): OperationContext {
  return { services, caller: req.caller };
}

/** GET /sessions/me */
export async function currentSession(services: Services, req: ApiRequest): Promise<ApiReply> {
  return { body: await sessions.currentSession(context(services, req)) };
}

/** GET /sessions (and /classes/_Session): the caller's own; the master key queries them all, with its `where`. */
export async function listSessions(services: Services, req: ApiRequest): Promise<ApiReply> {
  if (req.caller.auth.master) return classes.find(services, req, '_Session');
  return { body: { results: await sessions.listSessions(context(services, req)) } };
}

/** GET /sessions/:objectId */
export async function getSession(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  return { body: await sessions.getSession(context(services, req), objectId) };
}

/** POST /sessions (and /classes/_Session): another session for the caller. */
export async function createSession(services: Services, req: ApiRequest): Promise<ApiReply> {
  const session = await sessions.createSession(context(services, req), req.body);
  return {
    status: 201,
    body: session,
    headers: { Location: `${services.serverURL()}/sessions/${String(session.objectId)}` },
  };
}

/** PUT /sessions/:objectId (and /classes/_Session/:objectId): the app's own fields of a session. */
export async function updateSession(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  return { body: await sessions.updateSession(context(services, req), objectId, req.body) };
}

/** DELETE /sessions/:objectId: ends one of the caller's sessions (the delete pipeline's `_Session` rule). */
export async function deleteSession(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  await deleteObject(context(services, req), '_Session', objectId);
  return { body: {} };
}
