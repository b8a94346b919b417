/**
 * Fields others may not see or query: a user's `email` and `authData` are visible to the user and
 * the master key only (parse-server's default `protectedFields`), and no read ever returns a
 * password or a session token stored on an object.
 */
import type { RequestAuth } from '../auth/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

const PROTECTED: Record<string, readonly string[]> = { _User: ['email', 'authData'] };
const NEVER_RETURNED = ['password', 'sessionToken'];

/** The protected fields of a class. */
export function protectedFieldsOf(className: string): readonly string[] {
  return PROTECTED[className] ?? [];
}

/** An object as `auth` may see it (a copy when something is hidden). */
export function visibleTo(className: string, object: Record<string, unknown>, auth: RequestAuth): Record<string, unknown> {
  const hidden = [...(className === '_User' || className === '_Session' ? NEVER_RETURNED : []), ...(auth.master || auth.userId === object.objectId ? [] : protectedFieldsOf(className))];
  if (!hidden.some((field) => field in object)) return object;
  const copy = { ...object };
  for (const field of hidden) delete copy[field];
  return copy;
}

/** Throws 119 when a non-master caller names a protected field in a query, sort or selection. */
export function assertNotProtected(className: string, fields: readonly string[], auth: RequestAuth): void {
  if (auth.master) return;
  const protectedFields = protectedFieldsOf(className);
  for (const field of fields) {
    const head = field.replace(/^-/, '').split('.')[0]!;
    if (protectedFields.includes(head)) {
      throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, `This user is not allowed to query ${head} on class ${className}`);
    }
  }
}
