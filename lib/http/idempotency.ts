/**
 * `idempotencyOptions`: a write or call that carries `X-Parse-Request-Id` runs once. The first
 * delivery records the id in `_Idempotency` (shared by every process on the database); a repeat
 * within `ttl` answers 159 `Duplicate request` before anything runs, as parse-server answers.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { Services } from '../services.js';
import type { ApiRequest } from './api-request.js';

/** The routes parse-server guards, by method: creates, updates, function calls, job starts. */
const GUARDED: Record<string, readonly RegExp[]> = {
  POST: [/^classes\/[^/]+$/, /^users$/, /^installations$/, /^functions\/[^/]+$/, /^jobs\/[^/]+$/],
  PUT: [/^classes\/[^/]+\/[^/]+$/, /^users\/[^/]+$/, /^installations\/[^/]+$/],
};

/** Longest request id kept (an index key must stay small). */
const MAX_ID_LENGTH = 512;

/** Refuses a repeated request with 159; records a first one. A request without the header passes. */
export async function assertFirstDelivery(services: Services, req: ApiRequest): Promise<void> {
  const options = services.config.idempotency;
  if (!options) return;
  const header = req.caller.headers['x-parse-request-id'];
  const reqId = Array.isArray(header) ? header[0] : header;
  if (reqId === undefined || reqId === '') return;
  const path = req.path.replace(/^\/+|\/+$/g, '');
  if (!(GUARDED[req.method] ?? []).some((route) => route.test(path))) return;
  if (!options.paths.some((pattern) => pattern.test(path))) return;
  if (reqId.length > MAX_ID_LENGTH)
    throw new BackendError(ErrorCode.INVALID_VALUE, `X-Parse-Request-Id is longer than ${MAX_ID_LENGTH} characters`);
  const now = services.now();
  const recorded = await services.storage.recordRequestId(reqId, new Date(now.getTime() + options.ttlMs), now);
  if (!recorded) throw new BackendError(ErrorCode.DUPLICATE_REQUEST, 'Duplicate request');
}
