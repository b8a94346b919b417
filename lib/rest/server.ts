/** /health, /serverInfo and /config. */
import { AccessDeniedError, BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { saveGlobalConfig } from '../objects/global-config.js';
import { isPlainObject } from '../values/json.js';
import type { Services } from '../services.js';
import { PARSE_SERVER_VERSION, VERSION } from '../environment/version.js';

/** Parse Server's refusal for master-only routes. */
export function requireMaster(req: ApiRequest): void {
  if (!req.caller.auth.master) throw new AccessDeniedError('unauthorized: master key is required');
}

/**
 * GET /health: 200 when the database is reachable (as the driver's server monitoring sees it, else
 * by a ping), else 503 so load balancers route around us.
 */
export async function health(services: Services): Promise<ApiReply> {
  const database = await services.storage.health();
  return database === 'ok'
    ? { body: { status: 'ok' } }
    : { status: 503, body: { status: 'unavailable', database }, headers: { 'Retry-After': '1' } };
}

/** GET /serverInfo (master). */
export function serverInfo(services: Services, req: ApiRequest): ApiReply {
  requireMaster(req);
  return {
    body: {
      parseServerVersion: PARSE_SERVER_VERSION,
      plinthVersion: VERSION,
      features: {
        globalConfig: { create: true, read: true, update: true, delete: true },
        hooks: { create: true, read: true, update: true, delete: true },
        cloudCode: { jobs: true },
        logs: { level: true, size: true, order: true, until: true, from: true },
        push: {
          immediatePush: services.push.supported,
          scheduledPush: services.config.scheduledPush,
          storedPushData: services.push.supported,
          pushAudiences: true,
          localization: true,
        },
        // What /schemas and /purge serve; exporting a class is the Dashboard's own (parse-server
        // reports it false too).
        schemas: {
          addField: true,
          removeField: true,
          addClass: true,
          removeClass: true,
          clearAllDataFromClass: true,
          exportClass: false,
          editClassLevelPermissions: true,
          editPointerPermissions: true,
        },
        // parse-server's security checks (`security.enableCheck`) are not part of Plinth.
        settings: { securityCheck: false },
      },
    },
  };
}

/** GET /config: parameters; those marked master-only are shown to the master key alone. */
export async function getConfig(services: Services, req: ApiRequest): Promise<ApiReply> {
  const { params, masterKeyOnly } = await services.storage.loadGlobalConfig();
  if (req.caller.auth.master) return { body: { params, masterKeyOnly } };
  const visible = Object.fromEntries(Object.entries(params).filter(([key]) => masterKeyOnly[key] !== true));
  return { body: { params: visible } };
}

/** PUT /config (master): `{params: {...}, masterKeyOnly: {...}}`; `{__op: 'Delete'}` removes a key. */
export async function putConfig(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  const body = req.body as { params?: unknown; masterKeyOnly?: unknown } | undefined;
  const params = body?.params ?? {};
  const masterKeyOnly = body?.masterKeyOnly ?? {};
  if (!isPlainObject(params)) throw new BackendError(ErrorCode.INVALID_JSON, 'params must be an object');
  if (!isPlainObject(masterKeyOnly) || Object.values(masterKeyOnly).some((v) => typeof v !== 'boolean'))
    throw new BackendError(ErrorCode.INVALID_JSON, 'masterKeyOnly must map parameter names to booleans');
  await saveGlobalConfig({ services, caller: req.caller }, params, masterKeyOnly as Record<string, boolean>);
  return { body: { result: true } };
}
