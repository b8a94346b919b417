/** /push and /push_audiences (master key): thin handlers over the push service and the core. */
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import type { Services } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import * as classes from './classes.js';
import { requireMaster } from './server.js';

const AUDIENCE = '_Audience';

/** POST /push: answers once the push is recorded; it is sent on after the answer. */
export async function sendPush(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  const statusId = await services.push.send(services, req.body);
  return { body: { result: true }, headers: { 'X-Parse-Push-Status-Id': statusId } };
}

/** An audience's `query` is stored as JSON text; it is read back as an object, as parse-server does. */
function withQuery(audience: RestObject): RestObject {
  if (typeof audience.query !== 'string') return audience;
  try {
    return { ...audience, query: JSON.parse(audience.query) as RestObject };
  } catch {
    return audience;
  }
}

export async function listAudiences(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  const reply = await classes.find(services, req, AUDIENCE);
  const body = reply.body as { results?: RestObject[] };
  return { ...reply, body: { ...body, results: (body.results ?? []).map(withQuery) } };
}

export async function getAudience(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  requireMaster(req);
  const reply = await classes.get(services, req, AUDIENCE, objectId);
  return { ...reply, body: withQuery(reply.body as RestObject) };
}

export async function createAudience(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  return classes.create(services, req, AUDIENCE);
}

export async function updateAudience(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  requireMaster(req);
  return classes.update(services, req, AUDIENCE, objectId);
}

export async function deleteAudience(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  requireMaster(req);
  return classes.remove(services, req, AUDIENCE, objectId);
}
