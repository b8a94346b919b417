/**
 * The REST controller a bound SDK sends its requests through: each request enters the backend's
 * route table (the same handlers, permissions and hooks as over HTTP) without an HTTP round trip,
 * as parse-server's `directAccess` does. Who a request acts as is what the SDK would send over
 * HTTP: `useMasterKey`, else the `sessionToken` option or the SDK's current user, and the
 * installation id; the caller's address is this host's. Paths the route table does not serve
 * (file uploads) go over HTTP through the SDK's own controller.
 */
import { authFor } from '../data/data-api.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest, HttpMethod } from '../http/api-request.js';
import { runBatch } from '../http/batch.js';
import { errorBody } from '../http/error-body.js';
import { MemoryRateLimitStore, RateLimits } from '../http/rate-limits.js';
import { dispatch } from '../http/route-table.js';
import { ResponseBudget } from '../objects/response-budget.js';
import type { Services } from '../services.js';
import type { Json } from '../values/json.js';
import type { ParseSdk, SdkRestController } from './parse-sdk.js';

const METHODS = new Set<string>(['GET', 'POST', 'PUT', 'DELETE']);

/** In-process calls are the host's own code: no client rate limit applies to them. */
const NO_RATE_LIMITS = new RateLimits([], new MemoryRateLimitStore());

interface SdkOptions {
  useMasterKey?: boolean;
  sessionToken?: string;
  installationId?: string;
  context?: unknown;
  returnStatus?: boolean;
}

/** The path of the SDK's serverURL (`/parse`), which its batch paths start with. */
function mountPathOf(sdk: ParseSdk): string {
  const url = sdk.CoreManager.get('SERVER_URL');
  try {
    return new URL(typeof url === 'string' ? url : '').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

function contextOf(value: unknown): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new BackendError(ErrorCode.INVALID_JSON, 'Invalid object for context.');
  try {
    return structuredClone(value) as Json;
  } catch (err) {
    throw new BackendError(ErrorCode.INVALID_VALUE, `Context contains non-cloneable values: ${String(err)}`);
  }
}

/**
 * A REST controller for `sdk` over the backend's services. `ready` connects the database first;
 * `fallback` is the SDK's HTTP controller, for what only the HTTP routes serve.
 */
export function directController(
  services: Services,
  sdk: ParseSdk,
  ready: () => Promise<void>,
  fallback: SdkRestController,
): SdkRestController {
  const toSdkError = (err: unknown): Error => {
    const { body } = errorBody(err, services.config.logger);
    const code = typeof body.code === 'number' ? body.code : ErrorCode.OPERATION_FORBIDDEN;
    return new sdk.Error(code, body.error === undefined ? undefined : String(body.error));
  };

  /** The session the SDK would send: the one given, else its current user's (when it keeps one). */
  async function sessionTokenOf(options: SdkOptions): Promise<string | undefined> {
    if (options.useMasterKey) return undefined;
    // An empty token is none, as the SDK's HTTP controller sends none for it (`_linkWith` passes '').
    if (typeof options.sessionToken === 'string') return options.sessionToken || undefined;
    const user = await sdk.CoreManager.getUserController?.()?.currentUserAsync();
    return user?.getSessionToken() || undefined;
  }

  async function installationIdOf(options: SdkOptions): Promise<string | undefined> {
    if (typeof options.installationId === 'string' && options.installationId !== '') return options.installationId;
    return sdk.CoreManager.getInstallationController?.()?.currentInstallationId();
  }

  async function run(method: HttpMethod, path: string, data: unknown, options: SdkOptions): Promise<ApiReply> {
    await ready();
    // A login ignores any token sent along, as over HTTP (a stale one must not block logging in).
    const sessionToken = path === '/login' ? undefined : await sessionTokenOf(options);
    const installationId = await installationIdOf(options);
    const auth = await authFor(services, {
      useMasterKey: options.useMasterKey === true,
      ...(sessionToken !== undefined ? { sessionToken } : {}),
    });
    const body = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Json) : {};
    const request: ApiRequest = {
      method,
      path,
      params: method === 'GET' || method === 'DELETE' ? body : {},
      body: method === 'GET' ? undefined : body,
      caller: {
        auth: installationId ? { ...auth, installationId } : auth,
        context: contextOf(options.context),
        headers: {},
        ip: '127.0.0.1',
        budget: new ResponseBudget(services.config.maxResponseSize),
      },
      mountPath: mountPathOf(sdk),
    };
    return path === '/batch' && method === 'POST'
      ? runBatch(services, request, NO_RATE_LIMITS)
      : dispatch(services, request);
  }

  return {
    async request(method, path, data, options = {}) {
      const verb = String(method).toUpperCase();
      const route = '/' + String(path).replace(/^\/+/, '');
      if (!METHODS.has(verb) || route.startsWith('/files/')) return fallback.request(method, path, data, options);
      let reply: ApiReply;
      try {
        reply = await run(verb as HttpMethod, route, data, options as SdkOptions);
      } catch (err) {
        if (
          err instanceof BackendError &&
          err.code === ErrorCode.COMMAND_UNAVAILABLE &&
          /^unknown route/.test(err.message)
        )
          return fallback.request(method, path, data, options);
        throw toSdkError(err);
      }
      // What the SDK keeps must not share objects with the backend's caches: a copy, as the wire gives.
      const response = JSON.parse(JSON.stringify(reply.body ?? {})) as Json;
      if ((options as SdkOptions).returnStatus) {
        return { ...response, _status: reply.status ?? 200, _headers: reply.headers ?? {} };
      }
      return response;
    },
    ajax: (...args) => fallback.ajax(...args),
    handleError: (err) => (fallback.handleError ? fallback.handleError(err) : Promise.reject(err)),
  };
}
