/**
 * Which classes a caller may touch at all. Until class-level permissions are enforced field by
 * field, a class whose stored CLP is anything but Parse's open default fails closed: only the
 * master key may use it (a parse-server database must never become more open under Plinth).
 */
import type { RequestAuth } from '../auth/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassSchema } from '../schema/class-schema.js';
import { isMasterOnlyRead } from '../schema/names.js';

export type ClassOperation = 'find' | 'get' | 'count' | 'create' | 'update' | 'delete';

const OPERATIONS = ['find', 'count', 'get', 'create', 'update', 'delete', 'addField'];

function isOpenGrant(value: unknown): boolean {
  return value === undefined || (value !== null && typeof value === 'object' && Object.keys(value).length === 1 && (value as Record<string, unknown>)['*'] === true);
}

function isEmptyProtection(value: unknown): boolean {
  if (value === undefined) return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).every((fields) => Array.isArray(fields) && fields.length === 0);
}

/** Whether a class's permissions are Parse's open default (everyone may do everything). */
export function hasOpenPermissions(schema: ClassSchema): boolean {
  const clp = schema.classLevelPermissions;
  for (const key of Object.keys(clp)) {
    if (OPERATIONS.includes(key)) {
      if (!isOpenGrant(clp[key])) return false;
    } else if (key === 'protectedFields') {
      if (!isEmptyProtection(clp[key])) return false;
    } else {
      // readUserFields, writeUserFields and anything newer: not enforced yet, so not open.
      return false;
    }
  }
  return true;
}

function forbidden(message: string): BackendError {
  return new BackendError(ErrorCode.OPERATION_FORBIDDEN, message);
}

/** Throws 119 when the caller may not perform `operation` on the class at all. */
export function assertClassAccess(auth: RequestAuth, className: string, schema: ClassSchema | undefined, operation: ClassOperation): void {
  if (auth.master) return;
  const reading = operation === 'find' || operation === 'get' || operation === 'count';
  if (reading && isMasterOnlyRead(className)) {
    throw forbidden(`Clients aren't allowed to perform the ${operation} operation on the ${className} collection.`);
  }
  // As parse-server: installations may be fetched one by one, never listed or deleted by clients.
  if (className === '_Installation' && (operation === 'find' || operation === 'count' || operation === 'delete')) {
    throw forbidden(`Clients aren't allowed to perform the ${operation} operation on the installation collection.`);
  }
  if (schema && !hasOpenPermissions(schema)) {
    throw forbidden(`Permission denied for action ${operation} on class ${className}.`);
  }
}

/** Whether the caller may read the class (for include, which then leaves pointers as they are). */
export function mayRead(auth: RequestAuth, className: string, schema: ClassSchema | undefined): boolean {
  try {
    assertClassAccess(auth, className, schema, 'get');
    return true;
  } catch {
    return false;
  }
}
