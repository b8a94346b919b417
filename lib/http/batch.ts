/**
 * POST /batch: runs each request through the route table with the batch's caller. Without
 * `transaction` requests run in parallel and each gets its own result; with `transaction: true`
 * they run in order in one database transaction and the first error undoes them all.
 *
 * Reads run a few at a time and share the request's byte budget (`maxResponseSize`): a batch of
 * many reads of large objects stops with 116 at the budget instead of loading them all at once.
 * Writes still start together, so that creates into one class go to the database as one insert.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { ResponseTooLargeError } from '../objects/response-budget.js';
import type { Services } from '../services.js';
import type { ApiReply, ApiRequest, HttpMethod } from './api-request.js';
import { errorBody } from './error-body.js';
import type { RateLimits } from './rate-limits.js';
import { dispatch } from './route-table.js';
import type { Json } from '../values/json.js';

/** Most requests one batch may carry, whoever calls (`requestComplexity.batchRequestLimit` is lower for clients). */
export const MAX_BATCH_REQUESTS = 1000;
/** Reads of one batch in flight at once: each may load large objects. */
const READS_AT_ONCE = 4;
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);
/** Routes that check passwords or start sessions: never inside a batch. */
const AUTH_PATHS = [
  '/login',
  '/logout',
  '/verifyPassword',
  '/loginAs',
  '/requestPasswordReset',
  '/verificationEmailRequest',
  '/upgradeToRevocableSession',
];

interface BatchItem {
  method: HttpMethod;
  path: string;
  body: Json;
}

function readItems(body: unknown, mountPath: string, clientLimit: number): BatchItem[] {
  const requests = (body as Json | undefined)?.requests;
  if (!Array.isArray(requests)) throw new BackendError(ErrorCode.INVALID_JSON, 'requests must be an array');
  if (requests.length > clientLimit) {
    throw new BackendError(
      ErrorCode.INVALID_JSON,
      `Batch request contains ${requests.length} sub-requests, which exceeds the limit of ${clientLimit}.`,
    );
  }
  if (requests.length > MAX_BATCH_REQUESTS)
    throw new BackendError(ErrorCode.INVALID_JSON, `a batch may hold at most ${MAX_BATCH_REQUESTS} requests`);
  return requests.map((item: unknown) => {
    const { method, path, body: itemBody } = (item ?? {}) as Json;
    if (typeof method !== 'string' || !METHODS.has(method.toUpperCase()))
      throw new BackendError(ErrorCode.INVALID_JSON, 'each batch request needs a method');
    if (typeof path !== 'string' || !path.startsWith('/'))
      throw new BackendError(ErrorCode.INVALID_JSON, 'each batch request needs a path');
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
    const json =
      itemBody !== null && typeof itemBody === 'object' && !Array.isArray(itemBody) ? (itemBody as Json) : {};
    return { method: method.toUpperCase() as HttpMethod, path: relative, body: json };
  });
}

function subRequest(parent: ApiRequest, item: BatchItem): ApiRequest {
  const get = item.method === 'GET';
  return {
    ...parent,
    method: item.method,
    path: item.path,
    params: get ? item.body : {},
    body: get ? undefined : item.body,
  };
}

/** Runs `task` once fewer than `READS_AT_ONCE` earlier ones are still running. */
function readQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= READS_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Runs a batch; each of its requests counts against the rate limits as a request of its own. */
export async function runBatch(services: Services, req: ApiRequest, rateLimits: RateLimits): Promise<ApiReply> {
  const { auth } = req.caller;
  const items = readItems(
    req.body,
    req.mountPath,
    auth.master ? Infinity : services.config.requestComplexity.batchRequestLimit,
  );
  // Every request of the batch is counted first, as parse-server counts them: past a limit, none runs.
  if (rateLimits.active) for (const item of items) await rateLimits.check(subRequest(req, item), 'POST');
  if ((req.body as Json).transaction === true) {
    const results = await services.live
      .transaction((attempt) =>
        services.storage.transaction(async () => {
          attempt();
          const out: Json[] = [];
          for (const item of items) out.push({ success: (await dispatch(services, subRequest(req, item))).body });
          return out;
        }),
      )
      .catch((err: unknown) => {
        // Schema fields recorded inside the aborted transaction are gone: forget the cached ones.
        services.schemas.invalidate();
        throw err;
      });
    return { body: results };
  }
  const queueRead = readQueue();
  const results = await Promise.all(
    items.map(async (item) => {
      try {
        const run = () => dispatch(services, subRequest(req, item));
        return { success: (await (item.method === 'GET' ? queueRead(run) : run())).body };
      } catch (err) {
        // Past the byte budget the whole batch fails: its answer could not be sent anyway.
        if (err instanceof ResponseTooLargeError) throw err;
        const { body } = errorBody(err, services.config.logger);
        return { error: body };
      }
    }),
  );
  return { body: results };
}
