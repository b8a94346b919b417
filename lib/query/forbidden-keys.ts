/**
 * Rejects request JSON carrying keys used for prototype pollution or BSON injection, at any depth
 * (parse-server's `requestKeywordDenylist`, scanned recursively: GHSA-q342-9w2p-57fp).
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

const DENIED = new Set(['__proto__', 'constructor', '_bsontype']);
/** JSON nested deeper than this is refused rather than walked (stack safety). */
const MAX_DEPTH = 64;

export function assertNoForbiddenKeys(value: unknown, depth = 0): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_DEPTH) throw new BackendError(ErrorCode.INVALID_JSON, 'JSON is nested too deeply');
  if (Array.isArray(value)) {
    for (const item of value) assertNoForbiddenKeys(item, depth + 1);
    return;
  }
  for (const key of Object.keys(value)) {
    if (DENIED.has(key))
      throw new BackendError(ErrorCode.INVALID_KEY_NAME, `Prohibited keyword in request data: ${key}.`);
    assertNoForbiddenKeys((value as Record<string, unknown>)[key], depth + 1);
  }
}
