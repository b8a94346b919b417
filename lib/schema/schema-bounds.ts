/**
 * Bounds on a class's schema, so that one client save cannot grow `_SCHEMA` without limit (every
 * request reads it). Beyond parse-server, which has none; fields that already exist keep working.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

export interface SchemaBounds {
  /** Most fields a class may have, its default fields included; `Infinity` for no bound. */
  readonly maxFieldsPerClass: number;
  /** Longest name a new field may have; `Infinity` for no bound. */
  readonly maxFieldNameLength: number;
}

/** Refuses adding `added` to a class of `existing` fields past the bounds: 105 for a name, 255 for the count. */
export function assertSchemaBounds(
  className: string,
  existing: number,
  added: readonly string[],
  bounds: SchemaBounds,
): void {
  const long = added.find((name) => name.length > bounds.maxFieldNameLength);
  if (long !== undefined) {
    throw new BackendError(
      ErrorCode.INVALID_KEY_NAME,
      `Invalid field name: ${long.slice(0, 32)}…: field names may have at most ${bounds.maxFieldNameLength} characters.`,
    );
  }
  if (added.length > 0 && existing + added.length > bounds.maxFieldsPerClass) {
    throw new BackendError(
      ErrorCode.INVALID_SCHEMA_OPERATION,
      `${className} may have at most ${bounds.maxFieldsPerClass} fields (maxFieldsPerClass).`,
    );
  }
}
