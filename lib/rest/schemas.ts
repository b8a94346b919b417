/** /schemas and /purge, master key only. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { protectedFieldRules, type ServerProtectedFields } from '../access/protected-fields.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { FieldType } from '../schema/field-types.js';
import {
  parseClassLevelPermissions,
  parseFieldChanges,
  parseIndexChanges,
  type IndexChange,
} from '../schema/schema-definition.js';
import { emptyClassSchema } from '../schema/class-schema.js';
import { assertClassName, INTERNAL_COLLECTIONS, SYSTEM_CLASSES } from '../schema/names.js';
import type { Services } from '../services.js';
import { requireMaster } from './server.js';
import { assertSchemaBounds } from '../schema/schema-bounds.js';

/**
 * A schema in Parse's REST form. As parse-server answers, `indexes` (with the `_id_` index every
 * collection has) appears only when the class has indexes of its own. `serverProtected`: the server's
 * `protectedFields` option, shown in the CLP's `protectedFields` as parse-server's answer to a `PUT`
 * shows it (its `GET`s show the stored CLP alone).
 */
function schemaJson(schema: ClassSchema, serverProtected?: ServerProtectedFields): Record<string, unknown> {
  const clp = schema.classLevelPermissions;
  const json: Record<string, unknown> = {
    className: schema.className,
    fields: schema.fields,
    classLevelPermissions:
      serverProtected?.[schema.className] !== undefined
        ? { ...clp, protectedFields: protectedFieldRules(serverProtected, schema) }
        : clp,
  };
  if (Object.keys(schema.indexes).length > 0) json.indexes = { _id_: { _id: 1 }, ...schema.indexes };
  return json;
}

/** GET /schemas */
export async function listSchemas(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  services.schemas.invalidate();
  const schemas = await services.schemas.all();
  return { body: { results: [...schemas.values()].map((schema) => schemaJson(schema)) } };
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

function bodyOf(req: ApiRequest): Record<string, unknown> {
  const body = req.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** Applies the index part of a /schemas request, once its fields are in place. */
async function applyIndexChanges(
  services: Services,
  className: string,
  changes: Record<string, IndexChange>,
): Promise<void> {
  const add = Object.fromEntries(
    Object.entries(changes).flatMap(([name, c]) => (c.kind === 'add' ? [[name, c.key]] : [])),
  );
  const drop = Object.entries(changes).flatMap(([name, c]) => (c.kind === 'delete' ? [name] : []));
  if (Object.keys(add).length === 0 && drop.length === 0) return;
  services.schemas.invalidate();
  const schema = await services.schemas.get(className);
  if (schema) await services.storage.changeIndexes(schema, add, drop);
}

/** Drops of the recorded indexes that cover any of `fields` (deleting a field takes its indexes). */
function indexesOn(schema: ClassSchema, fields: readonly string[]): Record<string, IndexChange> {
  const covers = (key: unknown): boolean =>
    key !== null && typeof key === 'object' && Object.keys(key).some((k) => fields.includes(k.replace(/^_p_/, '')));
  return Object.fromEntries(
    Object.entries(schema.indexes)
      .filter(([name, key]) => name !== '_id_' && covers(key))
      .map(([name]) => [name, { kind: 'delete' } as const]),
  );
}

/** POST /schemas/:className (or /schemas with `className`): creates a class with fields and CLPs. */
export async function createSchema(services: Services, req: ApiRequest, urlClassName?: string): Promise<ApiReply> {
  requireMaster(req);
  const body = bodyOf(req);
  const className = urlClassName ?? body.className;
  if (typeof className !== 'string' || className === '')
    throw new BackendError(ErrorCode.MISSING_REQUIRED_FIELD, 'POST /schemas needs a class name.');
  if (urlClassName && body.className !== undefined && body.className !== urlClassName) {
    throw new BackendError(
      ErrorCode.INVALID_CLASS_NAME,
      `Class name mismatch between ${String(body.className)} and ${urlClassName}.`,
    );
  }
  assertClassName(className);
  const changes = parseFieldChanges(body.fields, false, className);
  if (await services.schemas.get(className))
    throw new BackendError(ErrorCode.INVALID_CLASS_NAME, `Class ${className} already exists.`);
  const addFields = Object.fromEntries(
    Object.entries(changes).flatMap(([name, c]) => (c.kind === 'add' ? [[name, c.type]] : [])),
  );
  const clp = parseClassLevelPermissions(
    body.classLevelPermissions,
    { ...emptyClassSchema(className).fields, ...addFields },
    { customIds: services.config.allowCustomObjectId },
  );
  const indexes = parseIndexChanges(body.indexes, { ...emptyClassSchema(className).fields, ...addFields }, {}, false);
  assertOneGeoPoint(addFields);
  const defaults = Object.keys(emptyClassSchema(className).fields).length;
  assertSchemaBounds(className, defaults, Object.keys(addFields), services.config.schemaBounds);
  await services.storage.applySchemaChange({ className, addFields, create: true });
  if (clp) await services.storage.setClassLevelPermissions(className, clp);
  await applyIndexChanges(services, className, indexes);
  services.schemas.invalidate();
  return getSchema(services, req, className);
}

/** parse-server's rule, from MongoDB's one 2dsphere index per class: one GeoPoint field at most. */
function assertOneGeoPoint(fields: Record<string, FieldType>): void {
  const geoPoints = Object.keys(fields).filter((name) => fields[name]!.type === 'GeoPoint');
  if (geoPoints.length > 1)
    throw new BackendError(
      ErrorCode.INCORRECT_TYPE,
      `currently, only one GeoPoint field may exist in an object. Adding ${geoPoints[1]} when ${geoPoints[0]} already exists.`,
    );
}

/** PUT /schemas/:className: adds or deletes fields, replaces CLPs. */
export async function updateSchema(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  requireMaster(req);
  assertClassName(className);
  const body = bodyOf(req);
  if (body.className !== undefined && body.className !== className)
    throw new BackendError(
      ErrorCode.INVALID_CLASS_NAME,
      `Class name mismatch between ${String(body.className)} and ${className}.`,
    );
  const schema = await services.schemas.get(className);
  if (!schema) throw new BackendError(ErrorCode.INVALID_CLASS_NAME, `Class ${className} does not exist.`);
  const changes = parseFieldChanges(body.fields, true, className);
  const addFields: Record<string, FieldType> = {};
  const deleted: string[] = [];
  for (const [name, change] of Object.entries(changes)) {
    const exists = name in schema.fields;
    if (change.kind === 'delete') {
      if (!exists)
        throw new BackendError(ErrorCode.INVALID_SCHEMA_OPERATION, `Field ${name} does not exist, cannot delete.`);
      deleted.push(name);
    } else {
      if (exists) throw new BackendError(ErrorCode.INVALID_SCHEMA_OPERATION, `Field ${name} exists, cannot update.`);
      addFields[name] = change.type;
    }
  }
  const remaining = Object.fromEntries(Object.entries(schema.fields).filter(([name]) => !deleted.includes(name)));
  assertOneGeoPoint({ ...remaining, ...addFields });
  assertSchemaBounds(className, Object.keys(remaining).length, Object.keys(addFields), services.config.schemaBounds);
  const clp = parseClassLevelPermissions(
    body.classLevelPermissions,
    { ...remaining, ...addFields },
    { customIds: services.config.allowCustomObjectId },
  );
  const indexes = {
    ...indexesOn(schema, deleted),
    ...parseIndexChanges(body.indexes, { ...remaining, ...addFields }, schema.indexes, true),
  };
  if (deleted.length > 0) await services.storage.deleteFields(schema, deleted);
  if (Object.keys(addFields).length > 0)
    await services.storage.applySchemaChange({ className, addFields, create: false });
  // `classLevelPermissions: null` removes the stored CLP, which opens the class again, as in parse-server.
  if (clp || body.classLevelPermissions === null)
    await services.storage.setClassLevelPermissions(className, clp ?? null);
  await applyIndexChanges(services, className, indexes);
  services.schemas.invalidate();
  const updated = await services.schemas.get(className);
  return { body: schemaJson(updated ?? schema, services.config.protectedFields) };
}

/** DELETE /schemas/:className: drops a class that has no objects left. */
export async function deleteSchema(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  requireMaster(req);
  assertClassName(className);
  // Internal collections are not classes at all, as parse-server answers them.
  if (
    className.startsWith('_') &&
    (!SYSTEM_CLASSES.has(className) || INTERNAL_COLLECTIONS.has(className)) &&
    !className.startsWith('_Join:')
  )
    throw new BackendError(
      ErrorCode.INVALID_CLASS_NAME,
      `Invalid classname: ${className}, classnames can only have alphanumeric characters and _, and must start with an alpha character `,
    );
  if (className.startsWith('_'))
    throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, `The system class ${className} cannot be dropped.`);
  const schema = await services.schemas.get(className);
  if (!schema) return { body: {} };
  const count = await services.storage.countObjects(schema, {}, null);
  if (count > 0)
    throw new BackendError(
      ErrorCode.INVALID_SCHEMA_OPERATION,
      `Class ${className} is not empty, contains ${count} objects, cannot drop schema.`,
    );
  await services.storage.dropClass(schema);
  services.schemas.invalidate();
  return { body: {} };
}
