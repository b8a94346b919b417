/**
 * Webhooks (`/hooks`): cloud functions and class triggers that run at a URL, registered at run time
 * with the master key and stored in `_Hooks` (parse-server's layout). Each process keeps them in
 * its hook registry; a process re-reads `_Hooks` when its copy is older than {@link REFRESH_MS}
 * (on the next request, without delaying it), so a change made through another process reaches
 * this one within that time. A hook or function defined in code wins over a webhook of the same
 * name, as parse-server's startup order has it.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { Logger } from '../config/options.js';
import type { Storage, TriggerWebhook, Webhook, WebhookKey } from '../storage/storage.js';
import { isPlainObject, type Json } from '../values/json.js';
import {
  CLASS_TRIGGERS,
  type CloudRegistry,
  type FileHook,
  type Registered,
  type WebhookHandlers,
} from './cloud-registry.js';
import type { CloudRequestBase, ObjectHook } from './hook-requests.js';
import type { HookObject } from './hook-object.js';
import { readBounded } from './http-request.js';

/** How old a process's copy of `_Hooks` may get before it reads them again. */
export const REFRESH_MS = 5_000;

/** The class triggers a webhook may run for. */
export const WEBHOOK_TRIGGERS: ReadonlySet<string> = new Set(CLASS_TRIGGERS);

/** What a webhook call may take. */
export interface WebhookLimits {
  timeout: number;
  maxResponseSize: number;
}

/** 143, as parse-server answers a malformed, taken or missing webhook. */
export function invalidWebhook(message = 'invalid hook declaration'): BackendError {
  return new BackendError(ErrorCode.WEBHOOK_ERROR, message);
}

/** The request a webhook receives: the hook request's JSON fields, objects in REST form. */
function requestBody(request: Record<string, unknown>): Json {
  const body: Json = {};
  for (const [key, value] of Object.entries(request)) {
    if (key === 'log' || key === 'data' || typeof value === 'function') continue;
    const encodable = value as { toJSON?: () => unknown } | undefined;
    body[key] =
      key === 'objects' && Array.isArray(value)
        ? value.map((object: HookObject) => object.toJSON())
        : typeof encodable?.toJSON === 'function'
          ? encodable.toJSON()
          : value;
  }
  return body;
}

/** What a webhook's `error` says, as the client is told: its code and message when it gives them. */
function webhookError(error: unknown): BackendError {
  if (typeof error === 'string') return new BackendError(ErrorCode.SCRIPT_FAILED, error);
  if (isPlainObject(error)) {
    const message = typeof error.error === 'string' ? error.error : error.message;
    const code = Number.isInteger(error.code) ? (error.code as number) : ErrorCode.SCRIPT_FAILED;
    return new BackendError(code, typeof message === 'string' ? message : 'The webhook failed.');
  }
  return new BackendError(ErrorCode.SCRIPT_FAILED, 'The webhook failed.');
}

/**
 * POSTs a hook request to a webhook and returns its `success`; its `error` is thrown. No redirect
 * is followed, and the call is bounded in time and in the size of the answer.
 */
export async function callWebhook(
  url: string,
  request: Record<string, unknown>,
  key: string | undefined,
  limits: WebhookLimits,
): Promise<unknown> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (key !== undefined) headers['X-Parse-Webhook-Key'] = key;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(requestBody(request)),
      redirect: 'manual',
      signal: AbortSignal.timeout(limits.timeout),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new BackendError(
      ErrorCode.SCRIPT_FAILED,
      timedOut ? 'The webhook did not answer in time.' : 'The webhook could not be reached.',
      { cause: err },
    );
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new BackendError(ErrorCode.SCRIPT_FAILED, 'The webhook answered with a redirect, which is not followed.');
  }
  let bytes: Buffer | undefined;
  try {
    bytes = await readBounded(response, limits.maxResponseSize);
  } catch (err) {
    throw new BackendError(ErrorCode.SCRIPT_FAILED, 'The webhook could not be read.', { cause: err });
  }
  if (!bytes) throw new BackendError(ErrorCode.SCRIPT_FAILED, 'The webhook answered too much.');
  const text = bytes.toString('utf8');
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new BackendError(ErrorCode.SCRIPT_FAILED, 'Malformed response from the webhook.');
  }
  if (isPlainObject(body) && body.error !== undefined) throw webhookError(body.error);
  if (!response.ok) throw new BackendError(ErrorCode.SCRIPT_FAILED, `The webhook answered ${response.status}.`);
  return isPlainObject(body) ? body.success : undefined;
}

/** Fields a webhook's object may not set: the server's own. */
const SERVER_FIELDS = new Set(['objectId', 'createdAt', 'updatedAt', 'className', '__type']);

/** The handler a webhook trigger runs: its answer applied as parse-server applies it. */
function triggerHandler(hook: TriggerWebhook, call: (request: object) => Promise<unknown>): ObjectHook {
  return async (request) => {
    const result = await call(request);
    if (hook.triggerName === 'beforeSave' && isPlainObject(result)) {
      // The answer is the object to save: what differs from the object as sent becomes a change.
      const current = request.object.toJSON();
      for (const [key, value] of Object.entries(result)) {
        if (SERVER_FIELDS.has(key) || JSON.stringify(current[key]) === JSON.stringify(value)) continue;
        if (key === 'ACL' && isPlainObject(value)) request.object.setACL(value as never);
        else request.object.set(key, value);
      }
    }
    if (hook.triggerName === 'afterFind' && Array.isArray(result)) return result;
    return undefined;
  };
}

/** The webhooks of one backend, kept in its hook registry. */
export class Webhooks {
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;
  private warnedKeyless = false;

  constructor(
    private readonly storage: Storage,
    private readonly cloud: CloudRegistry,
    private readonly options: { key: string | undefined; limits: WebhookLimits; logger: Required<Logger> },
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads `_Hooks` into the registry (concurrent callers share the read). */
  load(): Promise<void> {
    this.loading ??= this.storage
      .listWebhooks()
      .then((hooks) => {
        this.cloud.useWebhooks(this.handlers(hooks));
        this.loadedAt = this.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** Starts a re-read when this process's copy is stale; never delays the caller. */
  refreshWhenStale(): void {
    if (this.loading || this.now() - this.loadedAt < REFRESH_MS) return;
    this.load().catch((err: unknown) =>
      this.options.logger.warn('could not read the webhooks', { error: String(err) }),
    );
  }

  async list(kind: 'functions' | 'triggers'): Promise<Webhook[]> {
    const hooks = await this.storage.listWebhooks();
    return hooks.filter((hook) => 'functionName' in hook === (kind === 'functions'));
  }

  async get(key: WebhookKey): Promise<Webhook> {
    const found = (await this.storage.listWebhooks()).find((hook) => sameKey(hook, key));
    if (found) return found;
    throw 'functionName' in key
      ? invalidWebhook(`no function named: ${key.functionName} is defined`)
      : invalidWebhook(`class ${key.className} does not exist`);
  }

  async create(hook: Webhook): Promise<Webhook> {
    if (!(await this.storage.createWebhook(hook))) {
      throw 'functionName' in hook
        ? invalidWebhook(`function name: ${hook.functionName} already exists`)
        : invalidWebhook(`class ${hook.className} already has trigger ${hook.triggerName}`);
    }
    await this.load();
    return hook;
  }

  async update(hook: Webhook): Promise<Webhook> {
    if (!(await this.storage.updateWebhook(hook))) {
      throw 'functionName' in hook
        ? invalidWebhook(`no function named: ${hook.functionName} is defined`)
        : invalidWebhook(`class ${hook.className} does not exist`);
    }
    await this.load();
    return hook;
  }

  async remove(key: WebhookKey): Promise<void> {
    await this.storage.deleteWebhook(key);
    await this.load();
  }

  private call(url: string): (request: object) => Promise<unknown> {
    return (request) => {
      if (this.options.key === undefined && !this.warnedKeyless) {
        this.warnedKeyless = true;
        this.options.logger.warn('calling webhooks without webhookKey: receivers cannot tell the calls are ours');
      }
      return callWebhook(url, request as Record<string, unknown>, this.options.key, this.options.limits);
    };
  }

  private handlers(hooks: Webhook[]): WebhookHandlers {
    const functions = new Map<string, Registered<(request: CloudRequestBase) => unknown>>();
    const triggers = new Map<string, Registered<ObjectHook | FileHook>>();
    for (const hook of hooks) {
      const call = this.call(hook.url);
      if ('functionName' in hook) functions.set(hook.functionName, { handler: call, validator: undefined });
      else if (WEBHOOK_TRIGGERS.has(hook.triggerName))
        triggers.set(`${hook.triggerName}:${hook.className}`, {
          handler: triggerHandler(hook, call),
          validator: undefined,
        });
    }
    return { functions, triggers };
  }
}

function sameKey(hook: Webhook, key: WebhookKey): boolean {
  if ('functionName' in key) return 'functionName' in hook && hook.functionName === key.functionName;
  return 'className' in hook && hook.className === key.className && hook.triggerName === key.triggerName;
}
