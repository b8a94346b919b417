/** /classes: thin handlers that check parameters, call the core and shape the reply. */
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { deleteObject } from '../objects/delete-object.js';
import { findObjects, getObject } from '../objects/find-objects.js';
import { createObject, updateObject } from '../objects/save-object.js';
import { parseFindParams } from '../query/find-params.js';
import type { OperationContext, Services } from '../services.js';
import { withOwnSessionToken } from '../users/session-flows.js';

function context(services: Services, req: ApiRequest): OperationContext {
  return { services, caller: req.caller };
}

export async function find(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  const { config } = services;
  const params = parseFindParams(req.params, {
    single: false,
    defaultLimit: config.defaultLimit,
    maxLimit: config.maxLimit,
  });
  return { body: await findObjects(context(services, req), className, params) };
}

export async function get(services: Services, req: ApiRequest, className: string, objectId: string): Promise<ApiReply> {
  const { config } = services;
  const params = parseFindParams(req.params, {
    single: true,
    defaultLimit: config.defaultLimit,
    maxLimit: config.maxLimit,
  });
  const ctx = context(services, req);
  return { body: withOwnSessionToken(ctx, className, await getObject(ctx, className, objectId, params)) };
}

export async function create(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  const result = await createObject(context(services, req), className, req.body);
  // A device registered again updates its installation: 200 and `updatedAt`, as parse-server answers.
  if (!result.created) return { body: result.body };
  return {
    status: 201,
    body: result.body,
    headers: { Location: `${services.serverURL()}/classes/${className}/${result.objectId}` },
  };
}

export async function update(
  services: Services,
  req: ApiRequest,
  className: string,
  objectId: string,
): Promise<ApiReply> {
  return { body: (await updateObject(context(services, req), className, objectId, req.body)).body };
}

export async function remove(
  services: Services,
  req: ApiRequest,
  className: string,
  objectId: string,
): Promise<ApiReply> {
  await deleteObject(context(services, req), className, objectId);
  return { body: {} };
}
