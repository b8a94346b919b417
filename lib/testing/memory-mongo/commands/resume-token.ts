/**
 * Resume tokens: the `_id` of a change event and the `postBatchResumeToken` of a change stream's
 * batches, `{ _data: <hex string> }` as mongod gives them. Ours encode a place in the change history
 * (see change-log.ts) as fixed-width upper-case hex, so that tokens sort as their places do, as
 * mongod's do: `82`, the cluster time (16 digits), the index within that time (8), and `00` for an
 * event or `01` for the `invalidate` that follows it. The content is this server's own; clients
 * treat tokens as opaque, and a token of another server is refused.
 */
import { commandError, ErrorCode } from '../engine/command-error.js';
import type { Position } from '../engine/change-log.js';
import { isPlainObject, type Doc } from '../engine/values.js';

/** A decoded token. */
export interface ResumeToken extends Position {
  /** True for the token of an `invalidate` event, which stands just after its drop or rename. */
  readonly invalidate: boolean;
}

const TOKEN_PATTERN = /^82[0-9A-F]{16}[0-9A-F]{8}0[01]$/;

/** The token of a position (of an event, or `invalidate` for the invalidate after it). */
export function encodeToken(position: Position, invalidate = false): Doc {
  const ts = position.ts.toString(16).toUpperCase().padStart(16, '0');
  const index = position.index.toString(16).toUpperCase().padStart(8, '0');
  return { _data: `82${ts}${index}${invalidate ? '01' : '00'}` };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** Decodes the token given as `field` of `$changeStream`, with mongod's errors for a malformed one. */
export function decodeToken(value: unknown, field: string): ResumeToken {
  if (!isPlainObject(value))
    throw commandError(
      ErrorCode.TypeMismatch,
      `BSON field '$changeStream.${field}' is the wrong type '${typeName(value)}', expected type 'object'`,
    );
  const data = value._data;
  if (typeof data !== 'string')
    throw commandError(
      40649,
      `Bad resume token: _data of missing or of wrong type. Expected string, got ${typeName(data)}`,
    );
  if (!/^([0-9a-fA-F]{2})*$/.test(data))
    throw commandError(ErrorCode.FailedToParse, 'resume token string was not a valid hex string');
  const hex = data.toUpperCase();
  if (!TOKEN_PATTERN.test(hex))
    throw commandError(ErrorCode.InvalidResumeToken, `Bad resume token: not a resume token of this server: ${data}`);
  return {
    ts: BigInt(`0x${hex.slice(2, 18)}`),
    index: Number.parseInt(hex.slice(18, 26), 16),
    invalidate: hex.endsWith('01'),
  };
}
