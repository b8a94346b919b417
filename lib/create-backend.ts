/**
 * The composition root: checks the config, builds the parts of one backend and returns its
 * Express Router. Synchronous and free of I/O: the database connects on `ready()` or on the
 * first request.
 */
import type { Server as HttpServer } from 'node:http';
import type { Router } from 'express';
import { ROLE_SCHEMA, roleRules, RoleResolver } from './access/roles.js';
import { PasswordHasher } from './auth/password-hasher.js';
import { Sessions } from './auth/sessions.js';
import { CloudRegistry } from './cloud/cloud-registry.js';
import { Webhooks } from './cloud/webhooks.js';
import { mfaProvider } from './auth/mfa.js';
import { DatabaseLog } from './logs/database-log.js';
import { installationRules } from './push/installation-rules.js';
import { Pushes } from './push/pushes.js';
import { PushScheduler } from './push/push-scheduler.js';
import { JobScheduler } from './cloud/job-scheduler.js';
import type { DataApi } from './cloud/hook-requests.js';
import { createDataApi } from './data/data-api.js';
import type { FileStore } from './files/file-store.js';
import { AdapterFileStore } from './files/files-adapter.js';
import { LiveEvents } from './livequery/live-events.js';
import { followDatabaseChanges } from './livequery/database-changes.js';
import { LiveQueryServer, type LiveQueryAttachOptions } from './livequery/live-query-server.js';
import { createFileUrls } from './files/file-urls.js';
import type { BackendConfig } from './config/options.js';
import { unusedOptionsWarning } from './config/parse-server-options.js';
import { resolveConfig } from './config/resolve-config.js';
import { buildRouter } from './http/router.js';
import { SchemaRegistry } from './schema/schema-registry.js';
import type { Services } from './services.js';
import { MongoStorage } from './storage/mongo/mongo-storage.js';
import { bindParseSdk, loadCloudCode } from './sdk/bind-sdk.js';
import { parseSdkAtHand, resolveParseSdk } from './sdk/parse-sdk.js';
import { sessionRules } from './users/session-flows.js';
import { userRules } from './users/user-rules.js';
import { USER_SCHEMA } from './users/user-save-steps.js';
import type { ClassSchema } from './schema/class-schema.js';
import type { FieldType } from './schema/field-types.js';
import type { ChangeFeed, Storage } from './storage/storage.js';

/** A mounted backend: an Express Router with its hook registry and lifecycle. */
export interface Backend extends Router {
  /** The hook registry, mirroring Parse.Cloud (`backend.cloud.beforeSave(...)`). */
  readonly cloud: CloudRegistry;
  /** The programmatic data API: the REST API's operations, permissions and hooks, without HTTP. */
  readonly data: DataApi;
  /** LiveQuery's WebSocket endpoint (Parse's protocol): attach it to the HTTP server the app listens on. */
  readonly liveQuery: LiveQuery;
  /** Connects to the database and creates the indexes Parse needs. Safe to call more than once. */
  ready(): Promise<void>;
  /**
   * Releases every connection the backend opened; afterwards it does not reconnect, and requests,
   * data API calls and still-running jobs get 100 (connection failed). Host-provided clients are
   * left open.
   */
  close(): Promise<void>;
}

/** A backend's LiveQuery endpoint. */
export interface LiveQuery {
  /**
   * Serves LiveQuery on `server` (the `http` or `https` server the app listens on) at `options.path`,
   * by default the path of `publicServerURL` or `serverURL` (where the SDKs connect), else `/parse`.
   * Changes to the classes in `liveQuery.classNames` reach subscribers. `backend.close()` ends it.
   */
  attach(server: HttpServer, options?: LiveQueryAttachOptions): void;
  /** Connected clients and live subscriptions, in this process. */
  counts(): { clients: number; subscriptions: number };
}

/**
 * Creates a backend to mount in an Express app.
 *
 * @example
 * ```ts
 * const backend = createBackend({ appId: 'shop', masterKey: process.env.MASTER_KEY!, databaseURI: process.env.MONGODB_URI! });
 * app.use('/parse', backend);
 * ```
 * @throws BackendConfigError naming every invalid option.
 */
export function createBackend(options: BackendConfig): Backend {
  const config = resolveConfig(options, { mfa: mfaProvider });
  const unused = unusedOptionsWarning(options as unknown as Record<string, unknown>);
  if (unused) config.logger.warn(unused);
  // Push settings that cannot work: the backend starts, and POST /push says why (115).
  if (options.push !== undefined && config.push.problem !== undefined && !config.push.load)
    config.logger.warn(config.push.problem);
  // Without a serverURL, file URLs start at the mount path, learnt from the requests.
  let mountPath = '';
  const serverURL = (): string => config.publicServerURL ?? config.serverURL ?? mountPath;
  const storage = new MongoStorage({
    uri: config.databaseURI,
    database: config.database,
    clientOptions: config.databaseOptions,
    timeoutMS: config.databaseTimeoutMS,
    fileUrl: (name) => fileUrls.urlFor(name),
    locateFiles: config.filesAdapter ? (objects) => fileUrls.locateAll!(objects) : undefined,
    onError: (message, details) => config.logger.warn(message, details),
  });
  const files: FileStore = config.filesAdapter
    ? new AdapterFileStore(
        config.filesAdapter,
        () => ({
          mount: serverURL(),
          applicationId: config.appId,
          serverURL: config.serverURL,
          publicServerURL: config.publicServerURL,
        }),
        config.logger,
      )
    : storage.files();
  // The storage's callbacks above read it once requests run.
  const fileUrls = createFileUrls(config, () => mountPath, files.location?.bind(files));
  const now = (): Date => new Date();
  let data: DataApi | undefined;
  const schemas = new SchemaRegistry({ storage, bounds: config.schemaBounds });
  const cloud = new CloudRegistry({
    httpLimits: config.outgoingRequests,
    sendEmail: async (message) => {
      const adapter = config.emailAdapter;
      if (typeof adapter?.sendMail !== 'function') {
        config.logger.error('Failed to send email because no mail adapter is configured for Parse Server.');
        return undefined;
      }
      return adapter.sendMail(message as never);
    },
  });
  const services: Services = {
    config,
    storage,
    schemas,
    cloud,
    webhooks: new Webhooks(storage, cloud, {
      key: config.webhookKey,
      limits: config.outgoingRequests,
      logger: config.logger,
    }),
    sessions: new Sessions({
      storage,
      lengthMs: config.expireInactiveSessions ? config.sessionLengthMs : null,
      tokenStorage: config.sessionTokenStorage,
      extendOnUse: config.extendSessionOnUse,
      now,
      recordSchema: (schema) => recordClassesIfMissing(storage, [schema]),
    }),
    passwords: new PasswordHasher(config.passwordHashing),
    roles: new RoleResolver(storage, () => now().getTime()),
    files,
    fileUrls,
    classRules: new Map([
      ['_User', userRules],
      ['_Session', sessionRules],
      ['_Role', roleRules],
      ['_Installation', installationRules],
    ]),
    serverURL,
    live: new LiveEvents(config.liveQuery.classNames),
    push: new Pushes(config.push, config.pushBatchSize),
    now,
    // Built on first use: it needs the services it belongs to.
    get data(): DataApi {
      return (data ??= createDataApi(services));
    },
  };
  const scheduler =
    config.jobSchedulerInterval === undefined ? undefined : new JobScheduler(services, config.jobSchedulerInterval);
  const pushScheduler =
    config.sendScheduledPushesInterval === undefined
      ? undefined
      : new PushScheduler(services, services.push, config.sendScheduledPushesInterval);
  // Connecting (the database, the standard classes) and getting ready (cloud code loaded) are two
  // steps: cloud code may query while it loads, and its queries need the first step only.
  let connecting: Promise<void> | null = null;
  let feed: ChangeFeed | null = null;
  const connected = (): Promise<void> => {
    connecting ??= storage
      .connect()
      .then(() =>
        recordClassesIfMissing(storage, [
          { ...USER_SCHEMA, fields: { ...USER_SCHEMA.fields, password: { type: 'String' } } },
          ROLE_SCHEMA,
        ]),
      )
      .then(() => {
        if (config.logs instanceof DatabaseLog) config.logs.attach(storage);
      })
      .then(() => services.webhooks.load())
      .then(async () => {
        if (config.changeStreams) feed = await followDatabaseChanges(services);
      })
      .then(() => {
        scheduler?.start();
        pushScheduler?.start();
      })
      .catch((err: unknown) => {
        connecting = null;
        throw err;
      });
    return connecting;
  };
  // The SDK is bound at once when it is at hand (given, or the global Parse), else in ready().
  let boundSdk = config.bindsParseSdk ? parseSdkAtHand(config.parse) : undefined;
  let unbindSdk = boundSdk && bindParseSdk(services, boundSdk, connected);
  let cloudLoaded = false;
  const bindSdk = async (): Promise<void> => {
    if (!config.bindsParseSdk) return;
    if (!boundSdk) {
      boundSdk = await resolveParseSdk(config.parse);
      unbindSdk = bindParseSdk(services, boundSdk, connected);
    }
    if (config.cloud !== undefined && !cloudLoaded) {
      await loadCloudCode(config.cloud, boundSdk);
      cloudLoaded = true;
    }
  };
  let readying: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    readying ??= Promise.all([connected(), bindSdk()])
      .then(() => undefined)
      .catch((err: unknown) => {
        readying = null;
        throw err;
      });
    return readying;
  };
  const router = buildRouter(services, ready, (path) => {
    mountPath = path;
  });
  // Made when first attached: a backend without LiveQuery holds no WebSocket server or timer.
  let live: LiveQueryServer | undefined;
  const liveQuery: LiveQuery = {
    attach(server, attachOptions) {
      live ??= new LiveQueryServer(services);
      live.attach(server, attachOptions);
    },
    counts: () => live?.counts() ?? { clients: 0, subscriptions: 0 },
  };
  return Object.assign(router, {
    cloud: services.cloud,
    data: services.data,
    liveQuery,
    ready,
    close: async () => {
      live?.close();
      live = undefined;
      await feed?.close();
      feed = null;
      readying = null;
      connecting = null;
      unbindSdk?.();
      unbindSdk = undefined;
      await scheduler?.stop();
      await pushScheduler?.stop();
      await services.push.settled();
      if (config.logs instanceof DatabaseLog) await config.logs.close();
      await Promise.all([storage.close(), services.passwords.close()]);
    },
  });
}

/** Fields every class has; they are not stored in `_SCHEMA`. */
const BASE_FIELDS = new Set(['objectId', 'createdAt', 'updatedAt', 'ACL']);

/** A class's own fields, those `_SCHEMA` records. */
function ownFields(schema: ClassSchema): Record<string, FieldType> {
  return Object.fromEntries(Object.entries(schema.fields).filter(([name]) => !BASE_FIELDS.has(name)));
}

/**
 * Records classes in `_SCHEMA` with their standard fields when they are not there yet, as
 * parse-server records `_User` and `_Role` at startup and `_Session` with the first session, so they
 * are listed (by `GET /schemas`, the Dashboard) and queried like any class. A class already recorded,
 * by this process or another, is left as it is.
 */
async function recordClassesIfMissing(storage: Storage, schemas: readonly ClassSchema[]): Promise<void> {
  const existing = new Set((await storage.loadSchemas()).map((schema) => schema.className));
  await Promise.all(
    schemas
      .filter((schema) => !existing.has(schema.className))
      .map((schema) =>
        storage.applySchemaChange({ className: schema.className, addFields: ownFields(schema), create: true }),
      ),
  );
}
