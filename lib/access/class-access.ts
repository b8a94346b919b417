/**
 * Class-level permissions (CLPs), as parse-server stores them in `_SCHEMA`: per operation, the
 * principals allowed (`*`, user ids, `role:<name>`, `requiresAuthentication`), and pointer
 * permissions (`readUserFields`, `writeUserFields`, `pointerFields`) that let a user reach only
 * the objects whose pointer fields point to it. Plus the classes clients may not touch at all.
 * (`protectedFields` are applied to what reads return, in protected-fields.ts.) A class whose CLP
 * holds a rule unknown here fails closed: only the master key may use it, so a parse-server
 * database never becomes more open under Plinth.
 */
import type { RequestAuth } from './request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassSchema } from '../schema/class-schema.js';
import { isMasterOnlyRead } from '../schema/names.js';
import type { RestWhere } from '../storage/storage.js';
import { isObject, type Json } from '../values/json.js';

export type ClassOperation = 'find' | 'get' | 'count' | 'create' | 'update' | 'delete' | 'addField';

const OPERATIONS = new Set(['find', 'count', 'get', 'create', 'update', 'delete', 'addField']);
const KNOWN_KEYS = new Set([...OPERATIONS, 'readUserFields', 'writeUserFields', 'protectedFields']);
const READS = new Set<ClassOperation>(['find', 'get', 'count']);

function isProtection(value: unknown): boolean {
  return value === undefined || (isObject(value) && Object.values(value).every((fields) => Array.isArray(fields)));
}

/** Whether every rule of the class's CLP is one this module enforces. */
function isEnforceable(clp: Json): boolean {
  return Object.keys(clp).every((key) => KNOWN_KEYS.has(key)) && isProtection(clp.protectedFields);
}

function forbidden(message: string): BackendError {
  return new BackendError(ErrorCode.OPERATION_FORBIDDEN, message);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Whether a CLP rule lets the caller through without restriction. */
function grants(rule: unknown, auth: RequestAuth): boolean {
  if (rule === undefined) return true;
  if (!isObject(rule)) return false;
  if (rule['*'] === true) return true;
  if (!auth.userId) return false;
  if (rule.requiresAuthentication === true || rule[auth.userId] === true) return true;
  return auth.roles.some((role) => rule[`role:${role}`] === true);
}

/** The pointer fields through which a user may reach objects for this operation. */
function pointerFieldsFor(clp: Json, operation: ClassOperation): string[] {
  const rule = clp[operation];
  const own = isObject(rule) ? stringList(rule.pointerFields) : [];
  if (READS.has(operation)) return [...own, ...stringList(clp.readUserFields)];
  if (operation === 'update' || operation === 'delete') return [...own, ...stringList(clp.writeUserFields)];
  return own;
}

/**
 * Checks whether the caller may perform `operation` on the class. Returns null when it may reach
 * every object (ACLs still apply), or a `where` that limits it to the objects its pointer
 * permissions reach; throws 119 when it may not perform the operation at all.
 */
export function classAccess(
  auth: RequestAuth,
  className: string,
  schema: ClassSchema | undefined,
  operation: ClassOperation,
): RestWhere | null {
  if (auth.master) return null;
  if (READS.has(operation) && isMasterOnlyRead(className)) {
    throw forbidden(`Clients aren't allowed to perform the ${operation} operation on the ${className} collection.`);
  }
  // As parse-server: installations may be fetched one by one, never listed or deleted by clients.
  if (className === '_Installation' && (operation === 'find' || operation === 'count' || operation === 'delete')) {
    throw forbidden(`Clients aren't allowed to perform the ${operation} operation on the installation collection.`);
  }
  if (!schema) return null;
  const clp = schema.classLevelPermissions;
  if (!isEnforceable(clp)) throw forbidden(`Permission denied for action ${operation} on class ${className}.`);
  if (grants(clp[operation], auth)) return null;
  const fields = pointerFieldsFor(clp, operation);
  if (fields.length > 0 && auth.userId) {
    const me = { __type: 'Pointer', className: '_User', objectId: auth.userId };
    return fields.length === 1 ? { [fields[0]!]: me } : { $or: fields.map((field) => ({ [field]: me })) };
  }
  throw forbidden(`Permission denied for action ${operation} on class ${className}.`);
}

/** {@link classAccess}, for operations that cannot be limited to some objects (create, addField). */
export function assertClassAccess(
  auth: RequestAuth,
  className: string,
  schema: ClassSchema | undefined,
  operation: ClassOperation,
): void {
  if (classAccess(auth, className, schema, operation) !== null) {
    throw forbidden(`Permission denied for action ${operation} on class ${className}.`);
  }
}

/** Combines a `where` with an access restriction. */
export function restricted(where: RestWhere, restriction: RestWhere | null): RestWhere {
  return restriction ? { $and: [where, restriction] } : where;
}
