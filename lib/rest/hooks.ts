/**
 * `/hooks/functions` and `/hooks/triggers` (master key): the webhooks registered at run time, as
 * parse-server serves them to `Parse.Hooks` and the Dashboard's Webhooks page.
 */
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import type { Services } from '../services.js';
import { invalidWebhook, WEBHOOK_TRIGGERS } from '../cloud/webhooks.js';
import { isCloudName } from '../cloud/cloud-registry.js';
import { isValidClassName } from '../schema/names.js';
import { isPlainObject } from '../values/json.js';
import type { Webhook, WebhookKey } from '../storage/storage.js';
import { requireMaster } from './server.js';

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * A webhook declaration as a client sent it, checked: a function name or a class and trigger,
 * and an http(s) URL. 143 `invalid hook declaration` otherwise, as parse-server answers.
 */
export function webhookOf(body: unknown): Webhook {
  if (!isPlainObject(body) || !isHttpUrl(body.url)) throw invalidWebhook();
  const { functionName, className, triggerName, url } = body;
  if (functionName !== undefined) {
    if (!isCloudName(functionName)) throw invalidWebhook();
    return { functionName, url };
  }
  if (typeof className !== 'string' || typeof triggerName !== 'string' || !WEBHOOK_TRIGGERS.has(triggerName))
    throw invalidWebhook();
  if (!isValidClassName(className)) throw invalidWebhook();
  if (className === '_Session') throw invalidWebhook('Only the afterLogout trigger is allowed for the _Session class.');
  return { className, triggerName, url };
}

type Kind = 'functions' | 'triggers';

/** GET /hooks/functions, /hooks/triggers: every webhook of the kind. */
export async function listHooks(services: Services, req: ApiRequest, kind: Kind): Promise<ApiReply> {
  requireMaster(req);
  return { body: await services.webhooks.list(kind) };
}

/** GET /hooks/functions/:name, /hooks/triggers/:className/:triggerName: one webhook, else 143. */
export async function getHook(services: Services, req: ApiRequest, key: WebhookKey): Promise<ApiReply> {
  requireMaster(req);
  return { body: await services.webhooks.get(key) };
}

/** POST /hooks/functions, /hooks/triggers: a new webhook; 143 when the name is taken or malformed. */
export async function createHook(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  return { body: await services.webhooks.create(webhookOf(req.body ?? {})) };
}

/** PUT on a webhook: `{url}` changes its URL, `{__op: 'Delete'}` removes it. */
export async function changeHook(services: Services, req: ApiRequest, key: WebhookKey): Promise<ApiReply> {
  requireMaster(req);
  const body = isPlainObject(req.body) ? req.body : {};
  if (body.__op === 'Delete') {
    await services.webhooks.remove(key);
    return { body: {} };
  }
  return { body: await services.webhooks.update(webhookOf({ ...key, url: body.url })) };
}
