/**
 * Reads who is calling from an Express request: keys and session from headers, or from the JS
 * SDK's body form (`_ApplicationId`, `_JavaScriptKey`, `_SessionToken`, ... in a text/plain POST),
 * then checks them. Bad keys get Parse Server's bare `403 {"error":"unauthorized"}`.
 */
import type { Request } from 'express';
import { masterKeyAllowedFrom, secretsEqual } from '../auth/master-key.js';
import type { RequestAuth } from '../access/request-auth.js';
import { AccessDeniedError, BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { ResponseBudget } from '../objects/response-budget.js';
import type { Services } from '../services.js';
import type { ApiRequest, HttpMethod } from './api-request.js';
import type { Json } from '../values/json.js';
import qs from 'qs';
import { assertNoForbiddenKeys } from '../query/forbidden-keys.js';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);

/** Body keys of the JS SDK's form, removed from the body once read. */
const BODY_KEYS = [
  '_method',
  '_ApplicationId',
  '_JavaScriptKey',
  '_ClientKey',
  '_RESTAPIKey',
  '_MasterKey',
  '_SessionToken',
  '_InstallationId',
  '_context',
  '_ClientVersion',
  '_RevocableSession',
  '_ContentType',
  '_noBody',
] as const;

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseContext(value: unknown): Json {
  if (value === undefined) return {};
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      parsed = null;
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BackendError(ErrorCode.INVALID_JSON, 'Invalid object for context.');
  }
  return parsed as Json;
}

interface Credentials {
  appId?: string;
  masterKey?: string;
  sessionToken?: string;
  installationId?: string;
  context?: unknown;
  clientKeys: { restAPIKey?: string; javascriptKey?: string; clientKey?: string };
}

function fromHeaders(req: Request): Credentials {
  return {
    appId: header(req, 'x-parse-application-id'),
    masterKey: header(req, 'x-parse-master-key'),
    sessionToken: header(req, 'x-parse-session-token'),
    installationId: header(req, 'x-parse-installation-id'),
    context: header(req, 'x-parse-cloud-context'),
    clientKeys: {
      restAPIKey: header(req, 'x-parse-rest-api-key'),
      javascriptKey: header(req, 'x-parse-javascript-key'),
      clientKey: header(req, 'x-parse-client-key'),
    },
  };
}

/**
 * HTTP Basic authentication, as parse-server reads it when no header names the app:
 * `appId:masterKey`, or `appId:javascript-key=<key>` (`https://appId:key@host/...` in a URL).
 */
function fromBasicAuth(req: Request, headers: Credentials): Credentials {
  const authorization = header(req, 'authorization');
  if (headers.appId !== undefined || !authorization || !/^basic /i.test(authorization)) return headers;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const parts = decoded.split(':');
  if (parts.length !== 2 || parts[0] === '') return headers;
  const [appId, key] = parts as [string, string];
  const jsKey = key.startsWith('javascript-key=') ? key.slice('javascript-key='.length) : undefined;
  return {
    ...headers,
    appId,
    masterKey: jsKey === undefined ? key : headers.masterKey,
    clientKeys: { ...headers.clientKeys, ...(jsKey !== undefined ? { javascriptKey: jsKey } : {}) },
  };
}

/** The JS SDK's body form; honoured only when the headers carry no app id, as in Parse Server. */
function fromBody(body: Json, allowMasterKey: boolean): Credentials {
  return {
    appId: stringOrUndefined(body._ApplicationId),
    masterKey: allowMasterKey ? stringOrUndefined(body._MasterKey) : undefined,
    sessionToken: stringOrUndefined(body._SessionToken),
    installationId: stringOrUndefined(body._InstallationId),
    context: body._context,
    clientKeys: {
      javascriptKey: stringOrUndefined(body._JavaScriptKey),
      clientKey: stringOrUndefined(body._ClientKey),
      restAPIKey: stringOrUndefined(body._RESTAPIKey),
    },
  };
}

function mergeCredentials(headers: Credentials, body: Credentials): Credentials {
  const pick = <T>(fromBody: T | undefined, fromHeader: T | undefined): T | undefined => fromBody ?? fromHeader;
  return {
    appId: body.appId,
    masterKey: pick(body.masterKey, headers.masterKey),
    sessionToken: pick(body.sessionToken, headers.sessionToken),
    installationId: pick(body.installationId, headers.installationId),
    context: pick(body.context, headers.context),
    clientKeys: {
      javascriptKey: pick(body.clientKeys.javascriptKey, headers.clientKeys.javascriptKey),
      clientKey: pick(body.clientKeys.clientKey, headers.clientKeys.clientKey),
      restAPIKey: pick(body.clientKeys.restAPIKey, headers.clientKeys.restAPIKey),
    },
  };
}

function checkClientKeys(services: Services, given: Credentials['clientKeys']): void {
  const configured = services.config.clientKeys;
  const names = Object.keys(configured) as (keyof typeof configured)[];
  if (names.length === 0) return;
  const ok = names.some((name) => given[name] !== undefined && secretsEqual(given[name]!, configured[name]!));
  if (!ok) throw new AccessDeniedError();
}

/**
 * The query string's parameters. Bracketed keys (`where[username][$regex]=a`), which Express 5's
 * simple parser leaves flat, are read as nested objects, as parse-server's query parser reads them.
 */
function queryParams(req: Request): Json {
  const query = req.query as Json;
  const raw = req.originalUrl.split('?')[1];
  if (raw === undefined || !/\[|%5B/i.test(raw)) return query;
  const nested = qs.parse(raw, { depth: 10, arrayLimit: 100, parameterLimit: 1000 }) as Json;
  assertNoForbiddenKeys(nested);
  return nested;
}

/** Turns an Express request into an {@link ApiRequest}, authenticating the caller. */
export async function readApiRequest(req: Request, services: Services): Promise<ApiRequest> {
  const { config } = services;
  let method = req.method.toUpperCase();
  const rawBody: unknown = req.body;
  const body: Json | undefined =
    rawBody !== null && typeof rawBody === 'object' && !Array.isArray(rawBody) ? { ...(rawBody as Json) } : undefined;
  if (method === 'POST' && body && typeof body._method === 'string') method = body._method.toUpperCase();
  if (!METHODS.has(method)) throw new BackendError(ErrorCode.INVALID_JSON, `unsupported method ${method}`);

  let credentials = fromBasicAuth(req, fromHeaders(req));
  const usesBodyForm = credentials.appId === undefined && body !== undefined && typeof body._ApplicationId === 'string';
  // What the body form carries wins; what it leaves out (a master key in a header) still counts.
  if (usesBodyForm) credentials = mergeCredentials(credentials, fromBody(body!, config.allowMasterKeyInBody));
  if (body) for (const key of BODY_KEYS) delete body[key];
  // The app id is public (every client carries it): a plain comparison, as Parse Server makes.
  if (credentials.appId !== config.appId) throw new AccessDeniedError();

  let master = false;
  let readOnly = false;
  if (credentials.masterKey !== undefined) {
    const full = secretsEqual(credentials.masterKey, config.masterKey);
    readOnly =
      !full && config.readOnlyMasterKey !== undefined && secretsEqual(credentials.masterKey, config.readOnlyMasterKey);
    if ((!full && !readOnly) || !masterKeyAllowedFrom(req.ip ?? req.socket.remoteAddress, config.masterKeyIps)) {
      throw new AccessDeniedError();
    }
    master = true;
  } else {
    checkClientKeys(services, credentials.clientKeys);
  }
  // A login ignores any token sent along (a stale one must not block logging in again).
  let sessionToken = req.path === '/login' ? undefined : credentials.sessionToken;
  // With the master key a stale token sent along is ignored, as parse-server ignores it (the SDK
  // sends the current user's token with useMasterKey, also after that session ended).
  // GET /sessions/me reads the session a token names even after it expired, as in parse-server.
  const readsOwnSession = method === 'GET' && req.path === '/sessions/me';
  const resolved =
    sessionToken && !readsOwnSession
      ? await services.sessions.resolve(sessionToken).catch((err: unknown) => {
          if (master && err instanceof BackendError && err.code === ErrorCode.INVALID_SESSION_TOKEN) return null;
          throw err;
        })
      : null;
  if (!resolved && !readsOwnSession) sessionToken = undefined;
  const userId = resolved ? resolved.userId : null;
  const roles = userId && !master ? await services.roles.rolesOf(userId) : [];
  const auth: RequestAuth = {
    master,
    readOnly,
    userId,
    sessionToken: sessionToken ?? null,
    installationId: credentials.installationId ?? null,
    roles,
  };
  // GET parameters come in the query string, or in the body when the JS SDK POSTs them.
  const params: Json =
    method === 'GET' || method === 'DELETE'
      ? { ...queryParams(req), ...(usesBodyForm || req.method !== method ? body : {}) }
      : queryParams(req);
  return {
    method: method as HttpMethod,
    path: req.path,
    params,
    body: method === 'GET' ? undefined : (body ?? rawBody),
    caller: {
      auth,
      context: parseContext(credentials.context),
      headers: req.headers,
      ip: req.ip,
      budget: new ResponseBudget(config.maxResponseSize),
    },
    mountPath: req.baseUrl,
  };
}
