/**
 * POST /batch: runs each request through the route table with the batch's caller. Without
 * `transaction` requests run in parallel and each gets its own result; with `transaction: true`
 * they run in order in one database transaction and the first error undoes them all.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { Services } from '../services.js';
import type { ApiReply, ApiRequest, HttpMethod } from './api-request.js';
import { errorBody } from './error-body.js';
import { dispatch } from './route-table.js';

type Json = Record<string, unknown>;

/** Most requests one batch may carry. */
export const MAX_BATCH_REQUESTS = 1000;
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);
/** Routes that check passwords or start sessions: never inside a batch. */
const AUTH_PATHS = ['/login', '/logout', '/verifyPassword', '/loginAs', '/requestPasswordReset', '/verificationEmailRequest', '/upgradeToRevocableSession'];

interface BatchItem {
  method: HttpMethod;
  path: string;
  body: Json;
}

function readItems(body: unknown, mountPath: string): BatchItem[] {
  const requests = (body as Json | undefined)?.requests;
  if (!Array.isArray(requests)) throw new BackendError(ErrorCode.INVALID_JSON, 'requests must be an array');
  if (requests.length > MAX_BATCH_REQUESTS) throw new BackendError(ErrorCode.INVALID_JSON, `a batch may hold at most ${MAX_BATCH_REQUESTS} requests`);
  return requests.map((item: unknown) => {
    const { method, path, body: itemBody } = (item ?? {}) as Json;
    if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) throw new BackendError(ErrorCode.INVALID_JSON, 'each batch request needs a method');
    if (typeof path !== 'string' || !path.startsWith('/')) throw new BackendError(ErrorCode.INVALID_JSON, 'each batch request needs a path');
    // The SDKs send paths with the mount path in front (`/parse/classes/X`).
    const relative = mountPath !== '' && path.startsWith(`${mountPath}/`) ? path.slice(mountPath.length) : path;
    if (relative.startsWith('/batch')) throw new BackendError(ErrorCode.INVALID_JSON, 'a batch cannot contain a batch');
    if (AUTH_PATHS.some((p) => relative === p || relative.startsWith(`${p}/`) || relative.startsWith(`${p}?`))) {
      // One batch must not run hundreds of password checks at once (brute force, bcrypt CPU).
      throw new BackendError(ErrorCode.INVALID_JSON, `${relative} cannot be sent in a batch`);
    }
    if (relative === '/jobs' || relative.startsWith('/jobs/')) {
      // A job outlives its request; inside a batch (and its transaction) it would outlive both.
      throw new BackendError(ErrorCode.INVALID_JSON, 'jobs cannot be started in a batch');
    }
    if (method.toUpperCase() === 'POST' && (relative === '/users' || relative === '/classes/_User')) {
      throw new BackendError(ErrorCode.INVALID_JSON, 'sign-ups cannot be sent in a batch');
    }
    const json = itemBody !== null && typeof itemBody === 'object' && !Array.isArray(itemBody) ? (itemBody as Json) : {};
    return { method: method.toUpperCase() as HttpMethod, path: relative, body: json };
  });
}

function subRequest(parent: ApiRequest, item: BatchItem): ApiRequest {
  const get = item.method === 'GET';
  return { ...parent, method: item.method, path: item.path, params: get ? item.body : {}, body: get ? undefined : item.body };
}

export async function runBatch(services: Services, req: ApiRequest): Promise<ApiReply> {
  const items = readItems(req.body, req.mountPath);
  if ((req.body as Json).transaction === true) {
    const results = await services.storage.transaction(async () => {
      const out: Json[] = [];
      for (const item of items) out.push({ success: (await dispatch(services, subRequest(req, item))).body });
      return out;
    }).catch((err: unknown) => {
      // Schema fields recorded inside the aborted transaction are gone: forget the cached ones.
      services.schemas.invalidate();
      throw err;
    });
    return { body: results };
  }
  const results = await Promise.all(items.map(async (item) => {
    try {
      return { success: (await dispatch(services, subRequest(req, item))).body };
    } catch (err) {
      const { body } = errorBody(err, services.config.logger);
      return { error: body };
    }
  }));
  return { body: results };
}
