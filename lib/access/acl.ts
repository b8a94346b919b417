/**
 * ACL validation. Parse Server stores whatever arrives in `ACL`; Plinth refuses malformed ACLs with
 * 123 so that the permissions on the data are always ones the server understands.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

/** A Parse ACL: principal -> read/write grants. */
export type Acl = Record<string, { read?: boolean; write?: boolean }>;

/**
 * `*`, `role:<name>` or a user id, which parse-server lets be any string (custom object ids). The
 * principals are keys of the stored `_acl` document, so `.` and `$` (field paths and operators
 * there) and control characters are refused; the length is bounded.
 */
const PRINCIPAL = /^[^.$\u0000-\u001f]{1,256}$/;

function invalid(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_ACL, `Invalid ACL: ${message}`);
}

/** Checks an ACL from a request; returns it normalized (only `true` grants kept). */
export function validateAcl(value: unknown): Acl {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('must be an object');
  const acl: Acl = {};
  for (const [principal, grants] of Object.entries(value as Record<string, unknown>)) {
    if (!PRINCIPAL.test(principal)) throw invalid(`bad principal ${JSON.stringify(principal)}`);
    if (grants === null || typeof grants !== 'object' || Array.isArray(grants))
      throw invalid(`permissions of ${principal} must be an object`);
    const entry: { read?: boolean; write?: boolean } = {};
    for (const [permission, granted] of Object.entries(grants as Record<string, unknown>)) {
      if (permission !== 'read' && permission !== 'write')
        throw invalid(`unknown permission ${JSON.stringify(permission)}`);
      if (typeof granted !== 'boolean') throw invalid(`${principal}.${permission} must be a boolean`);
      if (granted) entry[permission] = true;
    }
    if (entry.read || entry.write) acl[principal] = entry;
  }
  return acl;
}
