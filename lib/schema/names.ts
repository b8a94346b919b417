/** The naming rules for classes and fields, and the classes Parse reserves. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

const CLASS_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const NESTED_KEY = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** Parse's system classes: stored with a leading underscore, each with its own rules. */
export const SYSTEM_CLASSES = new Set([
  '_User',
  '_Installation',
  '_Role',
  '_Session',
  '_Product',
  '_PushStatus',
  '_JobStatus',
  '_JobSchedule',
  '_Audience',
  '_Idempotency',
  '_Hooks',
  '_GlobalConfig',
  '_GraphQLConfig',
]);

/** System classes parse-server keeps as internal collections, not classes (`/schemas` cannot drop them). */
export const INTERNAL_COLLECTIONS = new Set(['_Hooks', '_GlobalConfig', '_GraphQLConfig']);

export function isValidClassName(name: string): boolean {
  return (
    CLASS_NAME.test(name) ||
    SYSTEM_CLASSES.has(name) ||
    /^_Join:[A-Za-z][A-Za-z0-9_]*:[A-Za-z_][A-Za-z0-9_]*$/.test(name)
  );
}

/** Throws 103 for a name that is not a valid class name. */
export function assertClassName(name: string): void {
  if (!isValidClassName(name)) {
    throw new BackendError(ErrorCode.INVALID_CLASS_NAME, `Invalid class name: ${name}`);
  }
}

/** Names a field may not have: the SDKs read `className` as the object's class. */
const RESERVED_FIELD_NAMES = new Set(['length', 'className']);

export function isValidFieldName(name: string): boolean {
  return FIELD_NAME.test(name) && !RESERVED_FIELD_NAMES.has(name);
}

/** Throws 105 for an invalid top-level field name. */
export function assertFieldName(name: string): void {
  if (!isValidFieldName(name)) throw new BackendError(ErrorCode.INVALID_KEY_NAME, `Invalid field name: ${name}.`);
}

/** Throws 105 for a field path (`a.b.c`) with an invalid segment. */
export function assertFieldPath(path: string): void {
  const [head, ...rest] = path.split('.');
  assertFieldName(head ?? '');
  for (const segment of rest) {
    if (!NESTED_KEY.test(segment)) throw new BackendError(ErrorCode.INVALID_KEY_NAME, `Invalid field name: ${path}.`);
  }
}

/**
 * Whether `/classes` may write the class. System classes have rules of their own (password hashing
 * for `_User`, server-owned fields of `_Session`, ...), so generic writes to them are refused.
 */
export function isWritableThroughClasses(className: string): boolean {
  return !className.startsWith('_');
}

/** Classes only the master key may read through `/classes` (their objects hold secrets). */
export function isMasterOnlyRead(className: string): boolean {
  return (
    className === '_Session' ||
    className.startsWith('_Join:') ||
    [
      '_GlobalConfig',
      '_Idempotency',
      '_Hooks',
      '_JobStatus',
      '_PushStatus',
      '_JobSchedule',
      '_GraphQLConfig',
      '_Audience',
    ].includes(className)
  );
}
