/**
 * Which classes a generic write (REST `/classes` or the data API) may touch, and the steps of the
 * save pipeline that belong to a class: roles validate their name and need an ACL, users keep
 * their password, email and authData rules.
 */
import { ROLE_SCHEMA, roleSaveSteps } from '../access/roles.js';
import type { RequestAuth } from '../access/request-auth.js';
import { userSaveSteps } from '../auth/users.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { SaveSteps } from '../objects/save-object.js';
import { assertClassName, isWritableThroughClasses } from '../schema/names.js';
import type { OperationContext } from '../services.js';

/** Throws 119 for a class the caller may not write generically. */
export function assertWritable(auth: RequestAuth, className: string): void {
  assertClassName(className);
  if (!isWritableThroughClasses(className) && !auth.master) {
    throw new BackendError(
      ErrorCode.OPERATION_FORBIDDEN,
      `Clients aren't allowed to perform the write operation on the ${className} collection.`,
    );
  }
  if (className.startsWith('_Join:') || className === '_Session') {
    // Even the master key goes through these classes' own routes, which keep their invariants.
    throw new BackendError(
      ErrorCode.OPERATION_FORBIDDEN,
      `The ${className} collection cannot be written through /classes.`,
    );
  }
}

/** The class's own save steps (none for most classes). */
export async function saveStepsFor(
  ctx: OperationContext,
  className: string,
  body: unknown,
  objectId?: string,
): Promise<SaveSteps> {
  const { services } = ctx;
  if (className === '_User') return userSaveSteps(ctx, objectId === undefined);
  if (className !== '_Role') return {};
  // Memberships may change: forget cached role resolutions in this process.
  services.roles.invalidate();
  const hasAcl = body !== null && typeof body === 'object' && 'ACL' in body;
  if (objectId === undefined) return roleSaveSteps(undefined, hasAcl);
  const [role] = await services.storage.findObjects(ROLE_SCHEMA, { objectId }, { limit: 1, keys: ['name'] }, null);
  return roleSaveSteps(typeof role?.name === 'string' ? role.name : '', hasAcl);
}
