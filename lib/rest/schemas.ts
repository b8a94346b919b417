/** /schemas (read) and /purge, master key only. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import type { ClassSchema } from '../schema/class-schema.js';
import { assertClassName } from '../schema/names.js';
import type { Services } from '../services.js';
import { requireMaster } from './server.js';

/** A schema in Parse's REST form. */
function schemaJson(schema: ClassSchema): Record<string, unknown> {
  return {
    className: schema.className,
    fields: schema.fields,
    classLevelPermissions: schema.classLevelPermissions,
    indexes: { _id_: { _id: 1 }, ...schema.indexes },
  };
}

/** GET /schemas */
export async function listSchemas(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  services.schemas.invalidate();
  const schemas = await services.schemas.all();
  return { body: { results: [...schemas.values()].map(schemaJson) } };
}

/** GET /schemas/:className */
export async function getSchema(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  requireMaster(req);
  assertClassName(className);
  const schema = await services.schemas.get(className);
  if (!schema) throw new BackendError(ErrorCode.INVALID_CLASS_NAME, `Class ${className} does not exist.`);
  return { body: schemaJson(schema) };
}

/** DELETE /purge/:className: deletes every object of the class, keeping the class. */
export async function purge(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  requireMaster(req);
  assertClassName(className);
  const schema = await services.schemas.get(className);
  if (schema) await services.storage.deleteObjects(schema, {});
  if (className === '_Session') services.sessions.forgetAll();
  if (className === '_Role') services.roles.invalidate();
  return { body: {} };
}
