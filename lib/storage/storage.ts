/**
 * The storage contract: what the core needs from a database, split by concern — objects
 * (object-storage.ts), users and sessions (user-storage.ts), schemas (schema-storage.ts), rate-limit
 * counters (rate-limit-storage.ts), webhooks (webhook-storage.ts), leases (lease-storage.ts), request ids
 * (idempotency-storage.ts), changes made by anyone (change-storage.ts); files
 * have their own contract (files/file-store.ts). Each part says what an implementation MUST and
 * SHOULD do; `test/storage/` is the conformance suite every implementation must pass. Only
 * `storage/mongo/` knows MongoDB.
 */
import type { ChangeStorage } from './change-storage.js';
import type { LogStorage } from './log-storage.js';
import type { IdempotencyStorage } from './idempotency-storage.js';
import type { LeaseStorage } from './lease-storage.js';
import type { ObjectStorage } from './object-storage.js';
import type { RateLimitStorage } from './rate-limit-storage.js';
import type { SchemaStorage } from './schema-storage.js';
import type { UserStorage } from './user-storage.js';
import type { WebhookStorage } from './webhook-storage.js';

export type {
  ByteBudget,
  ExplainVerbosity,
  FindOptions,
  Principals,
  RelationRef,
  RestObject,
  RestWhere,
} from './object-storage.js';
export type { GlobalConfig } from './schema-storage.js';
export type { ChangeFeed, StoredChange, WatchOptions } from './change-storage.js';
export type { UserSecrets, UserSecretsChange, UserTokenKind } from './user-storage.js';
export type { FunctionWebhook, TriggerWebhook, Webhook, WebhookKey } from './webhook-storage.js';

export type { LogLineQuery, LogStorage, StoredLogLine } from './log-storage.js';

export type DatabaseHealth = 'ok' | 'unreachable';

export interface Storage
  extends
    ChangeStorage,
    ObjectStorage,
    UserStorage,
    SchemaStorage,
    RateLimitStorage,
    WebhookStorage,
    LeaseStorage,
    IdempotencyStorage,
    LogStorage {
  /** Connects (once; concurrent callers share the attempt) and creates the indexes Parse needs. */
  connect(): Promise<void>;
  close(): Promise<void>;
  health(): Promise<DatabaseHealth>;
}
