/**
 * The webhook part of the storage contract: `_Hooks`, the functions and triggers registered to run
 * at a URL (`/hooks`), in parse-server's layout (`{ functionName, url }` or
 * `{ className, triggerName, url }`), so that a database both servers read keeps its webhooks.
 *
 * An implementation MUST make `createWebhook` atomic (of two processes creating the same name at
 * once, one succeeds), and MUST keep at most one document per function name or class and trigger.
 */

/** A function run at a URL. */
export interface FunctionWebhook {
  functionName: string;
  url: string;
}

/** A class trigger run at a URL. */
export interface TriggerWebhook {
  className: string;
  triggerName: string;
  url: string;
}

export type Webhook = FunctionWebhook | TriggerWebhook;

/** What names a webhook: its function name, or its class and trigger. */
export type WebhookKey = Omit<FunctionWebhook, 'url'> | Omit<TriggerWebhook, 'url'>;

export interface WebhookStorage {
  /** Every stored webhook (documents of another shape are skipped). */
  listWebhooks(): Promise<Webhook[]>;
  /** Stores a new webhook; false, storing nothing, when one with its key exists. */
  createWebhook(hook: Webhook): Promise<boolean>;
  /** Changes a webhook's URL; false when none has its key. */
  updateWebhook(hook: Webhook): Promise<boolean>;
  /** Removes the webhook with this key, if any. */
  deleteWebhook(key: WebhookKey): Promise<void>;
}
