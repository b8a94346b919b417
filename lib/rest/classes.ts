/** /classes: thin handlers that check parameters, call the core and shape the reply. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { deleteObject } from '../objects/delete-object.js';
import { findObjects, getObject } from '../objects/find-objects.js';
import { ROLE_SCHEMA, roleSaveSteps } from '../access/roles.js';
import { createObject, updateObject, type SaveSteps } from '../objects/save-object.js';
import { parseFindParams } from '../query/find-params.js';
import { assertClassName, isWritableThroughClasses } from '../schema/names.js';
import type { OperationContext, Services } from '../services.js';

function context(services: Services, req: ApiRequest): OperationContext {
  return { services, caller: req.caller };
}

function assertWritable(req: ApiRequest, className: string): void {
  assertClassName(className);
  if (!isWritableThroughClasses(className) && !req.caller.auth.master) {
    throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, `Clients aren't allowed to perform the write operation on the ${className} collection.`);
  }
  if (className.startsWith('_Join:') || className === '_Session') {
    // Even the master key goes through these classes' own routes, which keep their invariants.
    throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, `The ${className} collection cannot be written through /classes.`);
  }
}


function serverURL(services: Services, req: ApiRequest): string {
  return services.config.publicServerURL ?? services.config.serverURL ?? req.mountPath;
}

export async function find(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  const { config } = services;
  const params = parseFindParams(req.params, { single: false, defaultLimit: config.defaultLimit, maxLimit: config.maxLimit });
  return { body: await findObjects(context(services, req), className, params) };
}

export async function get(services: Services, req: ApiRequest, className: string, objectId: string): Promise<ApiReply> {
  const { config } = services;
  const params = parseFindParams(req.params, { single: true, defaultLimit: config.defaultLimit, maxLimit: config.maxLimit });
  return { body: await getObject(context(services, req), className, objectId, params) };
}

/** Class-specific steps of the save pipeline (roles validate their name and need an ACL). */
async function stepsFor(services: Services, className: string, body: unknown, objectId?: string): Promise<SaveSteps> {
  if (className !== '_Role') return {};
  // Memberships may change: forget cached role resolutions in this process.
  services.roles.invalidate();
  const hasAcl = body !== null && typeof body === 'object' && 'ACL' in body;
  if (objectId === undefined) return roleSaveSteps(undefined, hasAcl);
  const [role] = await services.storage.findObjects(ROLE_SCHEMA, { objectId }, { limit: 1, keys: ['name'] }, null);
  return roleSaveSteps(typeof role?.name === 'string' ? role.name : '', hasAcl);
}

export async function create(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  assertWritable(req, className);
  const result = await createObject(context(services, req), className, req.body, await stepsFor(services, className, req.body));
  return {
    status: 201,
    body: result.body,
    headers: { Location: `${serverURL(services, req)}/classes/${className}/${result.objectId}` },
  };
}

export async function update(services: Services, req: ApiRequest, className: string, objectId: string): Promise<ApiReply> {
  assertWritable(req, className);
  return { body: (await updateObject(context(services, req), className, objectId, req.body, await stepsFor(services, className, req.body, objectId))).body };
}

export async function remove(services: Services, req: ApiRequest, className: string, objectId: string): Promise<ApiReply> {
  assertWritable(req, className);
  if (className === '_Role') services.roles.invalidate();
  await deleteObject(context(services, req), className, objectId);
  return { body: {} };
}
