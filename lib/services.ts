/** The parts of one backend that the core operations share, built by createBackend(). */
import type { CloudRegistry } from './cloud/cloud-registry.js';
import type { Webhooks } from './cloud/webhooks.js';
import type { DataApi, HookCaller } from './cloud/hook-requests.js';
import type { RoleResolver } from './access/roles.js';
import type { PasswordHasher } from './auth/password-hasher.js';
import type { Sessions } from './auth/sessions.js';
import type { ResolvedConfig } from './config/options.js';
import type { LiveEvents } from './livequery/live-events.js';
import type { FileStore } from './files/file-store.js';
import type { FileUrls } from './files/file-urls.js';
import type { ClassRuleBook } from './objects/class-rules.js';
import type { Pushes } from './push/pushes.js';
import type { SchemaRegistry } from './schema/schema-registry.js';
import type { Storage } from './storage/storage.js';

export interface Services {
  readonly config: ResolvedConfig;
  readonly storage: Storage;
  readonly schemas: SchemaRegistry;
  readonly cloud: CloudRegistry;
  /** The webhooks of `/hooks`, kept in `cloud`. */
  readonly webhooks: Webhooks;
  readonly sessions: Sessions;
  /** bcrypt hashing and comparison, off the main thread and bounded. */
  readonly passwords: PasswordHasher;
  readonly roles: RoleResolver;
  readonly files: FileStore;
  readonly fileUrls: FileUrls;
  /** The programmatic data API over this backend's core (`backend.data`, `request.data`). */
  readonly data: DataApi;
  /** The rules the system classes keep on every write (`_User`, `_Session`, `_Role`, `_Installation`). */
  readonly classRules: ClassRuleBook;
  /** Where clients reach this backend: `publicServerURL`, `serverURL`, or the mount path seen so far. */
  readonly serverURL: () => string;
  /** Push notifications: the adapter, and the pushes being sent. */
  readonly push: Pushes;
  /** Changes to the classes LiveQuery watches, published by the core's writes. */
  readonly live: LiveEvents;
  /** The current time (injectable for tests). */
  readonly now: () => Date;
}

/** One core operation: the backend's services and who is calling. */
export interface OperationContext {
  readonly services: Services;
  readonly caller: HookCaller;
}
