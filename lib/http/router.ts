/**
 * The Express side of the backend: CORS, JSON body parsing for any content type (the JS SDK sends
 * text/plain), one catch-all into the route table, and the error responder. The only module that
 * touches `res`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { health } from '../rest/server.js';
import type { Services } from '../services.js';
import type { ApiReply } from './api-request.js';
import { runBatch } from './batch.js';
import { assertFirstDelivery } from './idempotency.js';
import { sendError } from './error-body.js';
import { mountFileRoutes } from './file-routes.js';
import { mountPages } from './pages.js';
import { assertNoForbiddenKeys } from '../query/forbidden-keys.js';
import { DatabaseRateLimitStore, MemoryRateLimitStore, RateLimits } from './rate-limits.js';
import { readApiRequest } from './request-context.js';
import { dispatch } from './route-table.js';

const CORS_HEADERS = [
  'X-Parse-Master-Key',
  'X-Parse-REST-API-Key',
  'X-Parse-Javascript-Key',
  'X-Parse-Application-Id',
  'X-Parse-Client-Version',
  'X-Parse-Session-Token',
  'X-Requested-With',
  'X-Parse-Revocable-Session',
  'X-Parse-Request-Id',
  'X-Parse-Installation-Id',
  'X-Parse-Client-Key',
  'X-Parse-Cloud-Context',
  'X-Parse-Upload-Mode',
  'X-Parse-File-Metadata',
  'X-Parse-File-Tags',
  'X-Parse-File-Directory',
  'X-Parse-File-Max-Upload-Size',
  'Content-Type',
  'Pragma',
  'Cache-Control',
  'Range',
];

/**
 * Writes a reply as JSON. Directly rather than through res.json(), which would also hash every
 * body for an ETag no Parse SDK uses — a tenth of the CPU of a small GET.
 */
function send(res: Response, reply: ApiReply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  const body = JSON.stringify(reply.body) ?? '{}';
  res.statusCode = reply.status ?? 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** The `Access-Control-Allow-Origin` answer: the configured value, or the caller's origin when listed. */
function allowedOrigin(allowed: string | readonly string[], origin: string | undefined): string | undefined {
  if (typeof allowed === 'string') return allowed;
  return origin !== undefined && allowed.includes(origin) ? origin : undefined;
}

/** Body-parser failures, as Parse errors. */
function bodyErrors(services: Services) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    const type = (err as { type?: string } | null)?.type;
    if (type === 'entity.too.large') {
      res.status(413).json({ code: ErrorCode.OBJECT_TOO_LARGE, error: 'The request body is too large.' });
    } else if (type === 'request.aborted') {
      // The client went away mid-body: nobody is left to answer, and nothing went wrong here.
      res.destroy();
    } else if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
      sendError(
        res,
        new BackendError(ErrorCode.INVALID_JSON, 'Invalid JSON in the request body.'),
        services.config.logger,
      );
    } else {
      next(err);
    }
  };
}

/**
 * Builds the Router; `beforeRequest` connects the database on first use; `onMountPath` learns
 * where the router is mounted (for URLs, when no serverURL is configured).
 */
export function buildRouter(
  services: Services,
  beforeRequest: () => Promise<void>,
  onMountPath: (path: string) => void = () => {},
): Router {
  const { config } = services;
  const router = express.Router();
  const store =
    config.rateLimitStore === 'database' ? new DatabaseRateLimitStore(services.storage) : new MemoryRateLimitStore();
  const rateLimits = new RateLimits(config.rateLimits, store);
  const allowHeaders = [...CORS_HEADERS, ...config.allowHeaders].join(', ');
  router.use((req, res, next) => {
    const origin = allowedOrigin(config.allowOrigin, req.headers.origin);
    if (origin !== undefined) res.setHeader('Access-Control-Allow-Origin', origin);
    if (typeof config.allowOrigin !== 'string') res.setHeader('Vary', 'Origin');
    // Browsers may reuse a preflight this long (they cap it lower), instead of asking before each call.
    res.setHeader('Access-Control-Max-Age', '86400');
    res.setHeader('Access-Control-Allow-Methods', 'GET,PUT,POST,DELETE,OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', allowHeaders);
    res.setHeader('Access-Control-Expose-Headers', 'X-Parse-Job-Status-Id, X-Parse-Push-Status-Id');
    onMountPath(req.baseUrl);
    // `//files/a.txt` is `/files/a.txt`, as parse-server's routing reads it (SDKs join URLs with a slash).
    const query = req.url.indexOf('?');
    const path = query === -1 ? req.url : req.url.slice(0, query);
    if (path.includes('//')) req.url = path.replace(/\/{2,}/g, '/') + (query === -1 ? '' : req.url.slice(query));
    if (req.method === 'OPTIONS') res.sendStatus(200);
    else next();
  });
  mountFileRoutes(router, services, beforeRequest);
  mountPages(router, services, beforeRequest);
  // Any method: the JS SDK polls `POST /health` (with `_method: GET`) before replaying its offline queue.
  router.all('/health', (_req, res) => {
    health(services).then(
      (reply) => send(res, reply),
      (err: unknown) => sendError(res, err, services.config.logger),
    );
  });
  // Form bodies as parse-server reads them (its test clients and curl send them); JSON for any other type.
  const isForm = (req: { headers: { 'content-type'?: string } }) =>
    (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  router.use(express.urlencoded({ type: isForm, extended: true, limit: config.maxRequestSize, parameterLimit: 1000 }));
  router.use(express.json({ type: (req) => !isForm(req), limit: config.maxRequestSize }));
  router.use(bodyErrors(services));
  router.use((req, res, next) => {
    const handle = async (): Promise<void> => {
      assertNoForbiddenKeys(req.body);
      assertNoForbiddenKeys(req.query);
      await beforeRequest();
      const apiRequest = await readApiRequest(req, services);
      if (rateLimits.active) await rateLimits.check(apiRequest, req.method.toUpperCase());
      await assertFirstDelivery(services, apiRequest);
      const reply =
        apiRequest.path === '/batch' && apiRequest.method === 'POST'
          ? await runBatch(services, apiRequest, rateLimits)
          : await dispatch(services, apiRequest);
      send(res, reply);
    };
    handle().catch((err: unknown) => {
      // The host's own error handlers answer Parse errors when it asked for them.
      if (config.enableExpressErrorHandler && err instanceof BackendError && !res.headersSent) next(err);
      else sendError(res, err, services.config.logger);
    });
  });
  // Anything Express itself throws (a malformed path parameter, say) still answers as Parse does.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (config.enableExpressErrorHandler && err instanceof BackendError) return next(err);
    const malformedPath = err instanceof URIError || (err as { status?: number } | null)?.status === 400;
    sendError(
      res,
      malformedPath ? new BackendError(ErrorCode.INVALID_JSON, 'malformed request') : err,
      services.config.logger,
    );
  });
  return router;
}
