/**
 * The options of `createBackend()`: their types (with TSDoc, for users), their JSON Schema (checked
 * with ajv at construction) and their defaults, declared side by side.
 */
import type { Db, MongoClient, MongoClientOptions } from 'mongodb';
import type { KeywordDenylist, KeywordRule } from '../query/forbidden-keys.js';
import type { Json } from '../values/json.js';
import type { ServerProtectedFields } from '../access/protected-fields.js';
import type { AuthChecks, AuthProvider } from '../auth/auth-data.js';
import type { SchemaBounds } from '../schema/schema-bounds.js';
import type { PasswordHasherOptions } from '../auth/password-hasher.js';
import type { FilesAdapter } from '../files/files-adapter.js';
import type { LogReader } from '../logs/log-levels.js';
import type { PushSetup } from '../push/push-adapter.js';
import { IGNORED_OPTIONS, NOT_YET_ACTIVE_OPTIONS, type PARSE_SERVER_DATABASE_OPTIONS } from './parse-server-options.js';

/** Where the backend sends its log lines; quiet when not given. */
/**
 * One `auth` entry: Plinth's provider; a parse-server adapter object (`validateAppId` runs first
 * when `appIds` is set); parse-server's `{ module, options }` (or `class`, `adapter`), where
 * `module` is a CommonJS module path or package name, a factory or class, or an object; or
 * `{ enabled: false }`.
 */
export interface AuthProviderConfig {
  validateAuthData?: AuthProvider['validateAuthData'];
  validateAppId?(appIds: unknown, authData: Json, options: Record<string, unknown>): unknown;
  module?: unknown;
  class?: unknown;
  adapter?: unknown;
  options?: unknown;
  appIds?: unknown;
  enabled?: boolean;
  /** Other options of a parse-server adapter, handed to its checks. */
  [option: string]: unknown;
}

/** MongoClient options, and the per-query ones parse-server reads from the same object. */
export type DatabaseOptions = MongoClientOptions &
  /** parse-server's own database keys (`enableSchemaHooks`, `schemaCacheTtl`, …): accepted, ignored. */
  Partial<Record<(typeof PARSE_SERVER_DATABASE_OPTIONS)[number], unknown>> & {
    /** Time limit of each query in milliseconds, applied per operation (not a client option). */
    maxTimeMS?: number;
    /**
     * Lets clients without the master key ask for a query's plan (`explain`), as parse-server's option
     * of this name does. Default `false`: a plan tells how data is indexed and how much there is.
     */
    allowPublicExplain?: boolean;
  };

export interface Logger {
  debug?(message: string, details?: Record<string, unknown>): void;
  info?(message: string, details?: Record<string, unknown>): void;
  warn?(message: string, details?: Record<string, unknown>): void;
  error?(message: string, details?: Record<string, unknown>): void;
}

/** The `push` option: an adapter, or settings for `@parse/push-adapter` (`ios`, `android`, ...). */
export interface PushOptions {
  adapter?: unknown;
  queueOptions?: { batchSize?: number };
  [platform: string]: unknown;
}

/** The `installation` option, as parse-server 9 names it. */
export interface InstallationOptions {
  /**
   * What happens to the installations holding a device token another installation registers:
   * `'delete'` (default) removes them; `'update'` clears their `deviceToken`, keeping the rest.
   */
  duplicateDeviceTokenAction?: 'delete' | 'update';
  /** Do that with the client's own permissions (ACL, class-level) rather than the master key's (default false). */
  duplicateDeviceTokenActionEnforceAuth?: boolean;
  /**
   * When one installation holds the token alone and another is found by its id, which survives:
   * `'deviceToken'` (default) or `'installationId'`; the other is deleted or cleared as above.
   */
  duplicateDeviceTokenMergePriority?: 'deviceToken' | 'installationId';
}

/** The `liveQuery` option (parse-server's, with Plinth's limits). */
export interface LiveQueryOptions {
  /** Classes whose creates, updates and deletes are sent to subscribers (as in parse-server). */
  classNames?: string[];
  /** Live subscriptions one connection may hold (default 100); past it, subscribe answers 155. */
  maxSubscriptionsPerConnection?: number;
  /** Largest message a client may send, in bytes (default 64 KiB); larger closes the connection. */
  maxMessageBytes?: number;
  /** Messages a client may send per second (default 50); past it they answer 155 unread. */
  maxMessagesPerSecond?: number;
  /** Bytes waiting to be sent to one client before it is disconnected as too slow (default 4 MiB). */
  maxQueuedBytes?: number;
  /**
   * Milliseconds between the pings that find dead connections (default 10,000, as parse-server's
   * `liveQueryServerOptions.websocketTimeout`): a client that has not answered the previous ping is
   * disconnected.
   */
  websocketTimeout?: number;
  /**
   * A connect or subscribe with an invalid session token: `'anonymous'` (default, as parse-server)
   * serves the client as a client without a session; `'refuse'` answers 209, as REST does.
   */
  invalidSessionToken?: 'anonymous' | 'refuse';
  /**
   * Have MongoDB (6.0+) keep pre-images of `classNames`, so that changes made outside this backend
   * (other tools) carry the object before the change: full `enter`/`leave`/`original` for them.
   * Costs the database a copy of each changed document. Default false.
   */
  preImages?: boolean;
  /** parse-server's pub/sub settings: accepted and unused (Plinth needs no broker). */
  redisURL?: string;
  redisOptions?: unknown;
  pubSubAdapter?: unknown;
  wssAdapter?: unknown;
}

/** Options of {@link createBackend}. */
/**
 * Options of parse-server that Plinth accepts without acting on them (a standalone server's port,
 * logs or GraphQL; features not built yet), so that a parse-server config starts as it is; one
 * startup warning names those a config carries.
 */
export type ParseServerOnlyOptions = {
  [K in (typeof IGNORED_OPTIONS)[number] | (typeof NOT_YET_ACTIVE_OPTIONS)[number]]?: unknown;
};

export interface BackendConfig extends ParseServerOnlyOptions {
  /** The application id clients send as `X-Parse-Application-Id`. */
  appId: string;
  /** The master key: bypasses permissions. Keep it secret; compared in constant time. */
  masterKey: string;
  /** A key that reads like the master key and is refused on every write. */
  readOnlyMasterKey?: string;
  /**
   * Let the read-only master key run `GET /aggregate` (pipelines and `distinct`). Default true, as
   * in parse-server 9.10. Its pipelines never read another class or an internal field either way.
   */
  allowAggregationForReadOnlyMasterKey?: boolean;
  /** MongoDB connection string, e.g. `mongodb://127.0.0.1:27017/myapp`. Give this or `database`. */
  databaseURI?: string;
  /** An existing MongoClient (its default database is used) or Db, instead of `databaseURI`. */
  database?: MongoClient | Db;
  /**
   * Extra options for the MongoClient the backend creates from `databaseURI`, plus, as in
   * parse-server, `maxTimeMS`: the time limit of every query (find, count, aggregate, distinct),
   * past which a request fails with Parse error 124 (TIMEOUT). Default: none.
   */
  databaseOptions?: DatabaseOptions;
  /** The URL the backend is reachable at, used in `Location` headers and file URLs. */
  serverURL?: string;
  /** The public URL clients should use, when it differs from `serverURL`. */
  publicServerURL?: string;
  /** When any client key is set, every request must carry a matching one (or the master key). */
  restAPIKey?: string;
  javascriptKey?: string;
  clientKey?: string;
  /** IPs (or CIDR ranges) the master key is accepted from. Default: loopback only. */
  masterKeyIps?: string[];
  /**
   * Accept `_MasterKey` in the JS SDK's body form, where the SDK (`useMasterKey`) and the Parse
   * Dashboard send it. Default true, as in Parse Server: the body is no less private than a header.
   * The key is still checked in constant time and only from `masterKeyIps`.
   */
  allowMasterKeyInBody?: boolean;
  /** Largest JSON body accepted, in bytes or as `'20mb'`. Default `'20mb'`. */
  maxRequestSize?: string | number;
  /**
   * Most bytes one request may assemble from the database (its results, included objects, sub-query
   * results, every read of a batch), in bytes or as `'100mb'`; past it the request answers 116
   * and nothing more is read. `-1` switches the bound off. Default `'100mb'`. Beyond parse-server,
   * which has no such bound: one request must not exhaust the process's memory.
   */
  maxResponseSize?: string | number;
  /**
   * parse-server's `requestComplexity`: bounds on the work one client request may ask for. Callers
   * with the master key (or read-only master key) are exempt; `-1` switches a bound off.
   */
  requestComplexity?: RequestComplexity;
  /**
   * Most fields a class may have (its default fields included), checked when a write or
   * `/schemas` adds one (255 past it); `-1` for no bound. Default 500. Beyond parse-server: one
   * client save could otherwise add thousands of fields to `_SCHEMA`, which every request reads.
   */
  maxFieldsPerClass?: number;
  /** Longest name a new field may have (105 past it); `-1` for no bound. Default 128. */
  maxFieldNameLength?: number;
  /**
   * Refuse new passwords longer than 72 bytes (UTF-8) with 142. bcrypt reads only their first 72
   * bytes, so by default — as in parse-server — a longer password works with anything after its
   * 72nd byte. Default false.
   */
  refuseLongPasswords?: boolean;
  /**
   * Keys and values refused anywhere in the data of a write — objects, files' metadata and tags,
   * config parameters — answered 105 naming the rule (parse-server's option). A rule is
   * `{ key }`, `{ value }` or `{ key, value }`; strings are regular expressions. Default:
   * parse-server's, `[{ key: '_bsontype', value: 'Code' }, { key: 'constructor' }, { key: '__proto__' }]`;
   * a list given here replaces it, but those three keys (and any `_bsontype`) stay refused in
   * every request, since they are how prototype pollution and BSON injection get in.
   */
  requestKeywordDenylist?: KeywordRule[];
  /**
   * Password hashing: bcrypt runs off the main thread, at most `threads` at once (default one per
   * core) with at most `maxQueue` waiting (default 100; past it 503/100). `engine: 'bcryptjs'`
   * uses bcryptjs in worker threads even when the native `@node-rs/bcrypt` is installed.
   */
  passwordHashing?: PasswordHasherOptions;
  /**
   * parse-server's `rateLimit`: one rule or a list of them. Each counts the requests matching its
   * `requestPath` per zone in windows of `requestTimeWindow` ms; past `requestCount` they answer
   * 429 with code 100. See docs/scaling.md.
   */
  rateLimit?: RateLimitRule | RateLimitRule[];
  /**
   * Where rate-limit counters live: `'memory'` (default; each process counts on its own) or
   * `'database'` (MongoDB; one count across every process on the database).
   */
  rateLimitStore?: 'memory' | 'database';
  /**
   * parse-server's `webhookKey`: sent as `X-Parse-Webhook-Key` with every webhook call (`/hooks`),
   * so that the receiver can tell the calls are this backend's.
   */
  webhookKey?: string;
  /**
   * Bounds of the requests the backend makes — webhook calls and `Parse.Cloud.httpRequest`:
   * `timeout` in ms (default 30000) and `maxResponseSize` (default `'10mb'`). A webhook past
   * either fails with 141; `httpRequest` rejects. Webhooks never follow redirects.
   */
  outgoingRequests?: { timeout?: number; maxResponseSize?: string | number };
  /**
   * parse-server's `idempotencyOptions`: a create, update, function call or job start carrying
   * `X-Parse-Request-Id` runs once; a repeat within `ttl` seconds (default 300) answers 159
   * `Duplicate request`. `paths` are regular expressions matched from the start of the path below
   * the mount point (`'functions/.*'`, `'classes/.*'`, `'users'`, `'installations'`, `'jobs/.*'`);
   * none by default (off).
   */
  idempotencyOptions?: { paths?: string[]; ttl?: number };
  /**
   * parse-server's `enableExpressErrorHandler`: errors with a Parse code go to the host app's
   * Express error handlers (`next(err)`, the `BackendError` with its `code` and `status`) instead of
   * being answered by the backend. Default false.
   */
  enableExpressErrorHandler?: boolean;
  /**
   * Runs the jobs scheduled in `_JobSchedule` (the Dashboard's scheduled jobs), which parse-server
   * stores but never runs: `true`, or `{ interval }` (ms between scans, default 10000). Safe with
   * several processes on one database: each due time runs once. Off by default. See
   * docs/cloud-code.md.
   */
  jobScheduler?: boolean | { interval?: number };
  /**
   * Push notifications, as parse-server's `push`: `{ adapter }` (an object with
   * `send(body, installations, pushStatusId)` and `getValidPushTypes()`, or `{ module, options }`),
   * or per-platform settings (`ios`, `android`, ...) for `@parse/push-adapter`, which the app then
   * installs. `queueOptions.batchSize` (default 100) is how many installations each adapter call
   * gets. See docs/push.md.
   */
  push?: PushOptions;
  /** Store pushes with a `push_time` as `scheduled` rather than sending them at once (parse-server's option). */
  scheduledPush?: boolean;
  /**
   * Send the scheduled pushes when their time comes, which parse-server never does: `true`, or
   * `{ interval }` (ms between scans, default 10000). Safe with several processes on one database:
   * each push is sent once. Needs `scheduledPush`. Off by default.
   */
  sendScheduledPushes?: boolean | { interval?: number };
  /** How a device token that moves to another installation is handled (parse-server's `installation`). */
  installation?: InstallationOptions;
  /** Whether clients (without the master key) may create new classes. Default false. */
  allowClientClassCreation?: boolean;
  /**
   * Whether clients may write `_Role` objects, under `_Role`'s class-level permissions and each
   * role's ACL, as parse-server lets them. Default true; `false` leaves roles to the master key,
   * whatever the CLP says (a client able to create a role no one has created yet can grant itself
   * what CLPs and ACLs give that role's name).
   */
  allowClientRoleWrites?: boolean;
  /** Whether clients may choose their own objectIds. Default false. */
  allowCustomObjectId?: boolean;
  /**
   * parse-server's cloud code, run as it is: a file path (resolved from the working directory,
   * loaded with `import()`) or a function called with the Parse SDK. It runs in `ready()` (and
   * before the first request is answered) with the Parse JS SDK bound to this backend, as the
   * global `Parse` a parse-server cloud file uses. A load error rejects `ready()`.
   */
  cloud?: string | ((Parse: unknown) => unknown);
  /**
   * Binds the Parse JS SDK to this backend (parse-server's option): its calls in this process go
   * straight into the backend, and hook handlers receive parse-server's requests (Parse.Objects).
   * Default false; `cloud` binds the SDK whatever this says. The SDK is one per process: bind it
   * to one backend.
   */
  directAccess?: boolean;
  /**
   * The Parse JS SDK to bind (`import Parse from 'parse/node'`). Default: the process's global
   * `Parse` when there is one, else `parse/node` from the app's dependencies.
   */
  parse?: unknown;
  /** Results per query when the client gives no `limit`. Default 100. */
  defaultLimit?: number;
  /** The largest `limit` a query may ask for; larger ones are capped. */
  maxLimit?: number;
  /**
   * Who may call from a browser: a value for `Access-Control-Allow-Origin` (default `'*'`), or a
   * list of origins (`['https://app.example.com', 'http://localhost:5173']`), each answered with
   * its own origin when it calls, and no others.
   */
  allowOrigin?: string | string[];
  /** Extra headers allowed in CORS requests. */
  allowHeaders?: string[];
  /** How long a database operation may wait for a reachable server before failing, in ms. Default 5000. */
  databaseTimeoutMS?: number;
  /** Where log lines go (quiet by default). */
  logger?: Logger;
  /** LiveQuery: which classes' changes reach subscribers, and the limits of its WebSocket endpoint. */
  liveQuery?: LiveQueryOptions;
  /**
   * Follow the database's change streams (default true, when the database has them: a replica set):
   * LiveQuery then sends every process's writes, and the caches of schemas, sessions and roles learn
   * of other processes' changes at once instead of within 5 s.
   */
  changeStreams?: boolean;
  /**
   * parse-server's logger adapter (`log(level, message, meta)`, and `query(options)` for the
   * Dashboard's Logs page): an instance, `{ module, options }`, a module name or a factory. Without
   * one, the backend keeps its latest log lines in memory for `GET /scriptlog`.
   */
  loggerAdapter?: unknown;
  /**
   * The lowest level sent to `loggerAdapter` and kept for `GET /scriptlog`, as parse-server's
   * option: `error`, `warn`, `info` (default), `verbose`, `debug` or `silly`.
   */
  logLevel?: 'error' | 'warn' | 'info' | 'verbose' | 'debug' | 'silly';
  /**
   * Where `GET /scriptlog` (the Dashboard's Logs page) reads from when there is no `loggerAdapter`:
   * `'memory'` (default), this process's latest 1,000 lines; `'database'`, the lines of every
   * process in the `_Logs` collection, written in batches (never one write per line) and kept a week.
   */
  logStore?: 'memory' | 'database';
  /** Largest file upload, in bytes or as `'20mb'`. Default `'20mb'`. */
  maxUploadSize?: string | number;
  /** Who may upload files, and which file extensions are allowed. */
  fileUpload?: FileUploadOptions;
  /** Keep uploaded file names as given instead of adding a random prefix. Default false. */
  preserveFileName?: boolean;
  /**
   * Where files are stored, as parse-server takes it: a files adapter instance
   * (`@parse/fs-files-adapter`, `@parse/s3-files-adapter`, ...), `{ module, options }`, a module
   * name or a factory. Default: GridFS in the backend's database, in parse-server's layout.
   */
  filesAdapter?: FilesAdapter | { module: unknown; options?: unknown } | string;
  /**
   * Signed file URLs: file URLs carry a short-lived signature and downloads without a valid one
   * are refused (beyond parse-server, whose file URLs are public forever). Off by default.
   */
  fileUrlSigning?: { secret: string; expiresInSeconds?: number };
  /** How long a session lasts, in seconds. Default one year, as parse-server. */
  sessionLength?: number;
  /**
   * How `_Session` stores tokens: `'hashed'` (default; a leaked database leaks no live session) or
   * `'plain'` (parse-server's form, for databases that parse-server must still read).
   */
  sessionTokenStorage?: 'hashed' | 'plain';
  /** New users are readable and writable by themselves only. Default true, as parse-server 6+. */
  enforcePrivateUsers?: boolean;
  /**
   * Fields hidden from some callers, per class: `{ Post: { '*': ['secret'], 'role:Staff': [] } }`.
   * Principals: `*`, `authenticated`, `role:<name>`, a user id, `userField:<pointer field>`. United
   * with each class's CLP `protectedFields`; `_User.email` is always protected for `*`.
   */
  protectedFields?: Record<string, Record<string, string[]>>;
  /**
   * parse-server's older form of `protectedFields._User['*']`: `_User` fields hidden from everyone
   * but the user itself and the master key (`email` is always among them). Kept for old configs.
   */
  userSensitiveFields?: string[];
  /** A password change ends the user's other sessions. Default true. */
  revokeSessionOnPasswordReset?: boolean;
  /**
   * Extend a session's expiry when it is used after half its length has passed, so active users
   * stay logged in (parse-server's `extendSessionOnUse`). Default false.
   */
  extendSessionOnUse?: boolean;
  /** Sessions expire after `sessionLength`. Default true; false makes sessions last until revoked. */
  expireInactiveSessions?: boolean;
  /**
   * Identity providers for `authData` logins, by name: `{ myProvider: { validateAuthData } }`, or
   * in parse-server's forms: an adapter object (V1 `validateAuthData`, or the V2 steps
   * `validateSetUp`/`validateLogin`/`validateUpdate` with `challenge`, `policy`, `afterFind`;
   * `validateAppId` runs first when the provider has `appIds`), or `{ module, options }` naming a
   * CommonJS module path or package (see docs/users.md). `{ enabled: false }` turns a provider off; `anonymous` is built in.
   */
  auth?: Record<string, AuthProvider | AuthProviderConfig | { enabled: false }>;
  /** Accept anonymous users (`authData.anonymous`), as parse-server's option. Default true. */
  enableAnonymousUsers?: boolean;
  /** Rules for passwords (parse-server's `passwordPolicy`). */
  passwordPolicy?: PasswordPolicy;
  /** Lock an account after repeated failed logins (parse-server's `accountLockout`). */
  accountLockout?: AccountLockout;
  /**
   * The app's name in emails and pages. Required to send emails (as in parse-server): without it,
   * the email requests answer 1 and the pages answer 404.
   */
  appName?: string;
  /**
   * Send new users (and users who change their email) a link to verify it. `true`, or a function of
   * the request (`object`, `master`, `ip`, `installationId`, `createdWith`, `resendRequest`)
   * deciding per user, as in parse-server. Needs `emailAdapter`, `appName` and `publicServerURL`.
   * Default false.
   */
  verifyUserEmails?: EmailCondition;
  /**
   * Refuse logins (205) until the email is verified, when `verifyUserEmails` applies; `true` or a
   * function of the request, as `verifyUserEmails`. Default false.
   */
  preventLoginWithUnverifiedEmail?: EmailCondition;
  /**
   * With `verifyUserEmails` and `preventLoginWithUnverifiedEmail`, answer a sign-up with 205 (the
   * user is still created and the link sent) instead of a user without session. Default false.
   */
  preventSignupWithUnverifiedEmail?: boolean;
  /** How long an email verification link works, in seconds (fractions allowed). Default one day. */
  emailVerifyTokenValidityDuration?: number;
  /**
   * Send the same verification link again while it is valid, instead of a new one that makes the
   * older emails useless. Needs `emailVerifyTokenValidityDuration`. Default false.
   */
  emailVerifyTokenReuseIfValid?: boolean;
  /**
   * `/verificationEmailRequest` and the resend page succeed even for an unknown or already
   * verified address (so they do not reveal which addresses have accounts). Default true.
   */
  emailVerifySuccessOnInvalidEmail?: boolean;
  /**
   * Sends the verification and password reset emails, in parse-server's shapes: an object with
   * `sendVerificationEmail`/`sendPasswordResetEmail` and/or `sendMail`, `{ module, options }`,
   * a module name, or a factory.
   */
  emailAdapter?: EmailAdapter | EmailAdapterModule | string;
  /** The pages email links open (parse-server's `pages` option). */
  pages?: PagesOptions;
  /**
   * parse-server 7's `customPages`: the URL of a page of your own for an outcome; Plinth redirects
   * there (302) as parse-server 7 did. `parseFrameURL` makes email links point at your page.
   */
  customPages?: CustomPagesOptions;
}

/**
 * A yes/no option that may be decided per request (parse-server's boolean-or-function options).
 * The function gets the user (`object`, an object view), `master`, `ip`, `installationId`, and
 * `createdWith` (`{ action: 'signup' | 'login', authProvider }`) or `resendRequest: true`.
 */
export type EmailCondition = boolean | ((request: EmailConditionRequest) => unknown);

/** What a {@link EmailCondition} function is asked about. */
export interface EmailConditionRequest {
  /** The user, as hooks see it (`get('email')`, `id`, ...). */
  object: unknown;
  master: boolean;
  ip: string | undefined;
  installationId: string | undefined;
  createdWith?: { action: 'signup' | 'login'; authProvider: string };
  resendRequest?: boolean;
}

/** parse-server's `{ module, options }` adapter form. */
export interface EmailAdapterModule {
  module: unknown;
  options?: unknown;
}

/**
 * What Plinth asks the host app's mail sender to do: its own message kinds, or parse-server's
 * `sendMail({ to, subject, text })`, used for a kind the adapter does not have.
 */
export interface EmailAdapter {
  sendVerificationEmail?(message: EmailMessage): unknown;
  sendPasswordResetEmail?(message: EmailMessage): unknown;
  sendMail?(mail: { to: string; subject: string; text: string }): unknown;
}

/** One email to send: the link to put in it, and whom it is for. */
export interface EmailMessage {
  appName: string;
  link: string;
  /**
   * The user's objectId, username and email; also readable as parse-server adapters read a
   * Parse.User (`get('email')`, `id`).
   */
  user: EmailRecipient;
}

/** The user an email is for. */
export interface EmailRecipient {
  readonly objectId: string;
  readonly username: string | undefined;
  readonly email: string | undefined;
  /** The objectId, as `Parse.User#id`. */
  readonly id: string;
  /** A field of the user (never its secrets). */
  get(key: string): unknown;
  toJSON(): Record<string, unknown>;
}

/** The pages of the email flows; each is a file of `pages.pagesPath`. */
export type PageId =
  | 'passwordReset'
  | 'passwordResetSuccess'
  | 'passwordResetLinkInvalid'
  | 'emailVerificationSuccess'
  | 'emailVerificationSendFail'
  | 'emailVerificationSendSuccess'
  | 'emailVerificationLinkInvalid'
  | 'emailVerificationLinkExpired';

/** A route of your own under the pages endpoint (parse-server's `pages.customRoutes`). */
export interface PagesRoute {
  method: string;
  /** After `/<pagesEndpoint>/<appId>/`. */
  path: string;
  /** Returns the page file to show (relative to `pagesPath`) and its placeholders, or nothing for 404. */
  handler(request: unknown): Promise<{ file?: string; query?: Record<string, string> } | undefined> | unknown;
}

/** parse-server's `pages` option. */
export interface PagesOptions {
  /** Serve the page of the request's `locale` from a `<locale>` or `<language>` subfolder. Default false. */
  enableLocalization?: boolean;
  /** A JSON file of translations (`{ "de": { "translation": { key: text } } }`) filling placeholders. */
  localizationJsonPath?: string;
  /** The locale of the translations when the request has none. Default `'en'`. */
  localizationFallbackLocale?: string;
  /** Placeholders of your own, or a function of the page's parameters returning them. */
  placeholders?: Record<string, string> | ((params: Record<string, string | undefined>) => unknown);
  /** Always answer with a redirect to the page (303), never its content. Default false. */
  forceRedirect?: boolean;
  /** The folder of the page files. Default: Plinth's own pages. */
  pagesPath?: string;
  /** The path of the pages after the mount path. Default `'apps'`. */
  pagesEndpoint?: string;
  /** A URL of your own for a page: Plinth redirects there (303) with the page's parameters. */
  customUrls?: Partial<Record<PageId, string>>;
  /** Routes of your own under the pages endpoint. */
  customRoutes?: PagesRoute[];
  /** URI-encode the `x-parse-page-param-*` headers (for non-ASCII values). Default false. */
  encodePageParamHeaders?: boolean;
  /** parse-server 4 to 8's switch for the pages router: it is always on; only `true` is accepted. */
  enableRouter?: boolean;
}

/** parse-server 7's `customPages`: URLs of your own pages. */
export interface CustomPagesOptions {
  invalidLink?: string;
  invalidVerificationLink?: string;
  expiredVerificationLink?: string;
  invalidPasswordResetLink?: string;
  linkSendSuccess?: string;
  linkSendFail?: string;
  verifyEmailSuccess?: string;
  choosePassword?: string;
  passwordResetSuccess?: string;
  /** Email links point here, with the page's path in `link` and the token. */
  parseFrameURL?: string;
}

/** {@link PagesOptions} with defaults applied and paths resolved. */
export interface ResolvedPages {
  readonly enableLocalization: boolean;
  readonly localizationJsonPath: string | undefined;
  readonly localizationFallbackLocale: string;
  readonly placeholders: NonNullable<PagesOptions['placeholders']>;
  readonly forceRedirect: boolean;
  readonly pagesPath: string;
  readonly pagesEndpoint: string;
  readonly customUrls: Readonly<Partial<Record<PageId, string>>>;
  readonly customRoutes: readonly PagesRoute[];
  readonly encodePageParamHeaders: boolean;
  readonly customPages: Readonly<CustomPagesOptions>;
}

/** Rules every new password must follow. */
export interface PasswordPolicy {
  /** A pattern the password must match. */
  validatorPattern?: RegExp | string;
  /** A check the password must pass (return false or throw to refuse). */
  validatorCallback?: (password: string) => boolean | Promise<boolean>;
  /** The message of a refusal (code 142). */
  validationError?: string;
  /** Refuse passwords that contain the username. */
  doNotAllowUsername?: boolean;
  /** Days after which a password must be changed before logging in again. */
  maxPasswordAge?: number;
  /** How many previous passwords may not be reused (up to 20). */
  maxPasswordHistory?: number;
  /** How long a password reset link works, in seconds (fractions allowed). Default one hour. */
  resetTokenValidityDuration?: number;
  /**
   * Send the same reset link again while it is valid, instead of a new one that makes the older
   * emails useless. Needs `resetTokenValidityDuration`. Default false.
   */
  resetTokenReuseIfValid?: boolean;
  /**
   * `/requestPasswordReset` succeeds for an unknown address too (default true); false answers 101
   * "A user with that email does not exist." — which tells anyone which addresses have accounts.
   */
  resetPasswordSuccessOnInvalidEmail?: boolean;
}

/** Account lockout after failed logins. */
export interface AccountLockout {
  /** Failed logins in a row that lock the account (1 to 999). */
  threshold: number;
  /** Minutes the account stays locked. */
  duration: number;
  /** A password reset unlocks the account. Default false. */
  unlockOnPasswordReset?: boolean;
}

/** Upload policy (parse-server's `fileUpload`). */
export interface FileUploadOptions {
  /** Clients without a session may upload. Default false. */
  enableForPublic?: boolean;
  /** Anonymous users may upload. Default false. */
  enableForAnonymousUser?: boolean;
  /** Logged-in users may upload. Default true. */
  enableForAuthenticatedUser?: boolean;
  /**
   * File extensions clients may upload, as parse-server reads them: regular expressions tested
   * against the extension (`['^(jpe?g|png)$']`; `'*'` allows any); the extension is the file
   * name's, else the content type's subtype. Default: parse-server's, which refuses extensions
   * browsers render as active content (html, svg, xml and their kin). The master key is exempt.
   */
  fileExtensions?: string[];
}

/**
 * parse-server's `requestComplexity` option. Each bound is a positive integer, or `-1` for none.
 * The defaults are the ones parse-server has announced for its next major version.
 */
export interface RequestComplexity {
  /** Most sub-requests in one `/batch`. Default 100; 107 past it. */
  batchRequestLimit?: number;
  /** Deepest include path (`a.b.c` is 3). Default 10; 102 past it. */
  includeDepth?: number;
  /** Most include paths in one query. Default 100; 102 past it. */
  includeCount?: number;
  /** Deepest nesting of `$or`/`$and`/`$nor`. Default 10; 102 past it. */
  queryDepth?: number;
  /** Deepest nesting of `$inQuery`/`$notInQuery`/`$select`/`$dontSelect`. Default 10; 102 past it. */
  subqueryDepth?: number;
  /** Most objects a sub-query reads (more are left out, as in parse-server). Default none (-1). */
  subqueryLimit?: number;
  /** Whether clients may use `$regex`. Default true; false answers 102. */
  allowRegex?: boolean;
  /** Accepted for parse-server configs; Plinth serves no GraphQL. */
  graphQLDepth?: number;
  /** Accepted for parse-server configs; Plinth serves no GraphQL. */
  graphQLFields?: number;
}

/** One rule of parse-server's `rateLimit` option. */
export interface RateLimitRule {
  /** The path it counts, after the mount path: `'/login'`, `'/functions/:name'`, `'/classes/*path'`, `'*'`. */
  requestPath: string;
  /** The window, in milliseconds. */
  requestTimeWindow: number;
  /** Requests allowed per zone in one window. */
  requestCount: number;
  /** The message of a refusal. Default `'Too many requests.'`. */
  errorResponseMessage?: string;
  /** The methods it counts (a list, or a regular expression); default all. */
  requestMethods?: string | string[];
  /** Count requests with the master key too. Default false. */
  includeMasterKey?: boolean;
  /**
   * Accepted for parse-server configs; no effect: Plinth's cloud code reaches the backend through
   * the data API, never over HTTP, so there are no internal HTTP requests to exempt.
   */
  includeInternalRequests?: boolean;
  /** What is counted together: `'ip'` (default), `'session'`, `'user'` (else by address), `'global'`. */
  zone?: 'ip' | 'session' | 'user' | 'global';
  /** Refused: Plinth shares counters through MongoDB (`rateLimitStore: 'database'`). */
  redisUrl?: string;
}

/** A {@link RateLimitRule} with defaults applied. */
export interface ResolvedRateLimitRule {
  readonly requestPath: string;
  readonly requestTimeWindow: number;
  readonly requestCount: number;
  readonly errorResponseMessage: string;
  readonly requestMethods: string | readonly string[] | undefined;
  readonly includeMasterKey: boolean;
  readonly zone: 'ip' | 'session' | 'user' | 'global';
}

/** JSON Schema of the plain-data options; instance options (database, logger) are checked by code. */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['appId', 'masterKey'],
  definitions: {
    rateLimitRule: {
      type: 'object',
      additionalProperties: false,
      required: ['requestPath', 'requestTimeWindow', 'requestCount'],
      properties: {
        requestPath: { type: 'string', minLength: 1 },
        requestTimeWindow: { type: 'number', exclusiveMinimum: 0 },
        requestCount: { type: 'integer', minimum: 0 },
        errorResponseMessage: { type: 'string' },
        requestMethods: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        includeMasterKey: { type: 'boolean' },
        includeInternalRequests: { type: 'boolean' },
        zone: { enum: ['ip', 'session', 'user', 'global'] },
        redisUrl: { type: 'string' },
      },
    },
  },
  properties: {
    // parse-server options a parse-server config may carry, accepted as they are (see parse-server-options.ts).
    ...Object.fromEntries([...IGNORED_OPTIONS, ...NOT_YET_ACTIVE_OPTIONS].map((key) => [key, {}])),
    allowExpiredAuthDataToken: { type: 'boolean' },
    appId: { type: 'string', minLength: 1 },
    masterKey: { type: 'string', minLength: 1 },
    readOnlyMasterKey: { type: 'string', minLength: 1 },
    allowAggregationForReadOnlyMasterKey: { type: 'boolean' },
    databaseURI: { type: 'string', pattern: '^mongodb(\\+srv)?://' },
    database: {},
    databaseOptions: {
      type: 'object',
      properties: {
        maxTimeMS: { type: 'integer', minimum: 1, maximum: 2147483647 },
        allowPublicExplain: { type: 'boolean' },
      },
    },
    serverURL: { type: 'string', minLength: 1 },
    publicServerURL: {},
    restAPIKey: { type: 'string', minLength: 1 },
    javascriptKey: { type: 'string', minLength: 1 },
    clientKey: { type: 'string', minLength: 1 },
    masterKeyIps: { type: 'array', items: { type: 'string', minLength: 1 } },
    allowMasterKeyInBody: { type: 'boolean' },
    maxRequestSize: {
      oneOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(b|kb|mb|gb)$' },
      ],
    },
    maxResponseSize: {
      oneOf: [
        { type: 'integer', minimum: 1 },
        { const: -1 },
        { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(b|kb|mb|gb)$' },
      ],
    },
    refuseLongPasswords: { type: 'boolean' },
    requestKeywordDenylist: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          key: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
          value: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
        },
      },
    },
    rateLimit: {
      oneOf: [
        { $ref: '#/definitions/rateLimitRule' },
        { type: 'array', items: { $ref: '#/definitions/rateLimitRule' } },
      ],
    },
    rateLimitStore: { enum: ['memory', 'database'] },
    webhookKey: { type: 'string', minLength: 1 },
    enableExpressErrorHandler: { type: 'boolean' },
    idempotencyOptions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        paths: { type: 'array', items: { type: 'string', maxLength: 1000 }, maxItems: 100 },
        ttl: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    push: {
      type: 'object',
      properties: {
        queueOptions: {
          type: 'object',
          properties: { batchSize: { type: 'integer', minimum: 1, maximum: 10000 } },
        },
      },
    },
    scheduledPush: { type: 'boolean' },
    sendScheduledPushes: {
      oneOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: { interval: { type: 'integer', minimum: 100 } },
        },
      ],
    },
    installation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        duplicateDeviceTokenAction: { enum: ['delete', 'update'] },
        duplicateDeviceTokenActionEnforceAuth: { type: 'boolean' },
        duplicateDeviceTokenMergePriority: { enum: ['deviceToken', 'installationId'] },
      },
    },
    jobScheduler: {
      anyOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: { interval: { type: 'integer', minimum: 10, maximum: 3600000 } },
        },
      ],
    },
    outgoingRequests: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeout: { type: 'integer', minimum: 1, maximum: 600000 },
        maxResponseSize: { anyOf: [{ type: 'string' }, { type: 'integer', minimum: 1 }] },
      },
    },
    passwordHashing: {
      type: 'object',
      additionalProperties: false,
      properties: {
        threads: { type: 'integer', minimum: 1, maximum: 64 },
        maxQueue: { type: 'integer', minimum: 0 },
        engine: { enum: ['auto', 'bcryptjs'] },
      },
    },
    maxFieldsPerClass: { oneOf: [{ type: 'integer', minimum: 1 }, { const: -1 }] },
    maxFieldNameLength: { oneOf: [{ type: 'integer', minimum: 1 }, { const: -1 }] },
    requestComplexity: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allowRegex: { type: 'boolean' },
        ...Object.fromEntries(
          [
            'batchRequestLimit',
            'includeDepth',
            'includeCount',
            'queryDepth',
            'subqueryDepth',
            'subqueryLimit',
            'graphQLDepth',
            'graphQLFields',
          ].map((key) => [key, { oneOf: [{ type: 'integer', minimum: 1 }, { const: -1 }] }]),
        ),
      },
    },
    allowClientClassCreation: { type: 'boolean' },
    allowClientRoleWrites: { type: 'boolean' },
    allowCustomObjectId: { type: 'boolean' },
    // A path or a function, and the SDK module: checked by code (resolve-config.ts).
    cloud: {},
    directAccess: { type: 'boolean' },
    parse: {},
    defaultLimit: { type: 'integer', minimum: 1 },
    maxLimit: { type: 'integer', minimum: 1 },
    allowOrigin: {
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string', pattern: '^https?://[^/\\s]+$' } },
      ],
    },
    allowHeaders: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9-]+$' } },
    databaseTimeoutMS: { type: 'integer', minimum: 1 },
    logger: {},
    loggerAdapter: {},
    liveQuery: {
      type: 'object',
      properties: {
        classNames: { type: 'array', items: { type: 'string', minLength: 1 } },
        maxSubscriptionsPerConnection: { type: 'integer', minimum: 1 },
        maxMessageBytes: { type: 'integer', minimum: 1024 },
        maxMessagesPerSecond: { type: 'integer', minimum: 1 },
        maxQueuedBytes: { type: 'integer', minimum: 1024 },
        websocketTimeout: { type: 'integer', minimum: 100 },
        invalidSessionToken: { enum: ['anonymous', 'refuse'] },
        preImages: { type: 'boolean' },
      },
    },
    changeStreams: { type: 'boolean' },
    logLevel: { enum: ['error', 'warn', 'info', 'verbose', 'debug', 'silly'] },
    logStore: { enum: ['memory', 'database'] },
    filesAdapter: {},
    maxUploadSize: {
      oneOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(b|kb|mb|gb)$' },
      ],
    },
    fileUpload: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enableForPublic: { type: 'boolean' },
        enableForAnonymousUser: { type: 'boolean' },
        enableForAuthenticatedUser: { type: 'boolean' },
        fileExtensions: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
    preserveFileName: { type: 'boolean' },
    sessionLength: { type: 'integer', minimum: 1 },
    sessionTokenStorage: { enum: ['hashed', 'plain'] },
    enforcePrivateUsers: { type: 'boolean' },
    protectedFields: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' },
      additionalProperties: {
        type: 'object',
        propertyNames: {
          pattern:
            '^(\\*|authenticated|role:[A-Za-z0-9_ -]{1,128}|userField:[A-Za-z][A-Za-z0-9_]{0,127}|[A-Za-z0-9_]{1,64})$',
        },
        additionalProperties: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,127}$' } },
      },
    },
    revokeSessionOnPasswordReset: { type: 'boolean' },
    extendSessionOnUse: { type: 'boolean' },
    expireInactiveSessions: { type: 'boolean' },
    auth: { type: 'object' },
    enableAnonymousUsers: { type: 'boolean' },
    userSensitiveFields: { type: 'array', items: { type: 'string' } },
    // Checked in parse-server's words by email-options.ts.
    passwordPolicy: {},
    accountLockout: {
      type: 'object',
      additionalProperties: false,
      required: ['threshold', 'duration'],
      properties: {
        threshold: { type: 'integer', minimum: 1, maximum: 999 },
        duration: { type: 'number', exclusiveMinimum: 0, maximum: 100000 },
        unlockOnPasswordReset: { type: 'boolean' },
      },
    },
    appName: {},
    verifyUserEmails: {},
    preventLoginWithUnverifiedEmail: {},
    preventSignupWithUnverifiedEmail: {},
    emailVerifyTokenValidityDuration: {},
    emailVerifyTokenReuseIfValid: {},
    emailVerifySuccessOnInvalidEmail: {},
    emailAdapter: {},
    pages: {},
    customPages: {},
    fileUrlSigning: {
      type: 'object',
      additionalProperties: false,
      required: ['secret'],
      properties: {
        secret: { type: 'string', minLength: 32 },
        expiresInSeconds: { type: 'integer', minimum: 1, maximum: 604800 },
      },
    },
  },
} as const;

/** Options after defaults are applied: what the rest of the backend reads. */
export interface ResolvedConfig {
  readonly appId: string;
  readonly masterKey: string;
  readonly readOnlyMasterKey: string | undefined;
  readonly allowAggregationForReadOnlyMasterKey: boolean;
  readonly databaseURI: string | undefined;
  readonly database: MongoClient | Db | undefined;
  /** The MongoDB driver's options of `databaseOptions`, with `maxTimeMS` (parse-server's own keys left out). */
  readonly databaseOptions: DatabaseOptions;
  /** `databaseOptions.allowPublicExplain`. */
  readonly allowPublicExplain: boolean;
  readonly serverURL: string | undefined;
  readonly publicServerURL: string | undefined;
  /** The client keys configured; when any is set, requests must carry a matching one. */
  readonly clientKeys: Readonly<{ restAPIKey?: string; javascriptKey?: string; clientKey?: string }>;
  readonly masterKeyIps: readonly string[];
  readonly allowMasterKeyInBody: boolean;
  readonly maxRequestSize: string | number;
  /** In bytes; `Infinity` when switched off. */
  readonly maxResponseSize: number;
  /** Every bound filled in; `Infinity` where switched off. */
  readonly requestComplexity: ResolvedRequestComplexity;
  readonly refuseLongPasswords: boolean;
  readonly requestKeywordDenylist: KeywordDenylist;
  readonly rateLimits: readonly ResolvedRateLimitRule[];
  readonly rateLimitStore: 'memory' | 'database';
  readonly webhookKey: string | undefined;
  readonly enableExpressErrorHandler: boolean;
  /** `idempotencyOptions` compiled, or undefined when no path is covered. */
  readonly idempotency: { readonly paths: readonly RegExp[]; readonly ttlMs: number } | undefined;
  /** The job scheduler's scan interval in ms, or undefined when it is off. */
  readonly jobSchedulerInterval: number | undefined;
  /** The `push` option, read: an adapter, or why there is none. */
  readonly push: PushSetup;
  readonly pushBatchSize: number;
  readonly scheduledPush: boolean;
  /** Milliseconds between scans for due scheduled pushes; undefined when they are not sent. */
  readonly sendScheduledPushesInterval: number | undefined;
  readonly installation: Required<InstallationOptions>;
  /** The webhook call bounds, filled in (`maxResponseSize` in bytes). */
  readonly outgoingRequests: { readonly timeout: number; readonly maxResponseSize: number };
  readonly passwordHashing: Readonly<PasswordHasherOptions>;
  /** `maxFieldsPerClass` and `maxFieldNameLength`; `Infinity` where switched off. */
  readonly schemaBounds: SchemaBounds;
  readonly allowClientClassCreation: boolean;
  readonly allowClientRoleWrites: boolean;
  readonly allowCustomObjectId: boolean;
  /** parse-server cloud code to run once bound to the SDK. */
  readonly cloud: string | ((Parse: unknown) => unknown) | undefined;
  /** Whether the backend binds the Parse SDK (`directAccess`, or `cloud`, or `parse` given). */
  readonly bindsParseSdk: boolean;
  /** The SDK to bind, when the host gave one. */
  readonly parse: unknown;
  readonly defaultLimit: number;
  readonly maxLimit: number | undefined;
  readonly allowOrigin: string | readonly string[];
  readonly allowHeaders: readonly string[];
  readonly databaseTimeoutMS: number;
  readonly logger: Required<Logger>;
  readonly liveQuery: Readonly<{
    classNames: ReadonlySet<string>;
    maxSubscriptionsPerConnection: number;
    maxMessageBytes: number;
    maxMessagesPerSecond: number;
    maxQueuedBytes: number;
    websocketTimeout: number;
    invalidSessionToken: 'anonymous' | 'refuse';
    preImages: boolean;
  }>;
  readonly changeStreams: boolean;
  /** What `GET /scriptlog` reads: the logger adapter's `query`, or the built-in memory log. */
  readonly logs: LogReader | null;
  /** The files adapter, when `filesAdapter` is set (else files are in GridFS). */
  readonly filesAdapter: FilesAdapter | null;
  readonly maxUploadSize: number;
  readonly fileUpload: Readonly<Required<Omit<FileUploadOptions, 'fileExtensions'>>> & {
    /** The allowed extensions as regular expressions (`'*'` compiles to one matching any). */
    readonly fileExtensions: readonly RegExp[];
  };
  readonly preserveFileName: boolean;
  readonly fileUrlSigning: { readonly secret: string; readonly expiresInSeconds: number } | null;
  readonly sessionLengthMs: number;
  readonly sessionTokenStorage: 'hashed' | 'plain';
  readonly enforcePrivateUsers: boolean;
  readonly protectedFields: ServerProtectedFields;
  readonly revokeSessionOnPasswordReset: boolean;
  readonly extendSessionOnUse: boolean;
  readonly expireInactiveSessions: boolean;
  readonly auth: AuthChecks;
  readonly passwordPolicy: Readonly<PasswordPolicy> | null;
  readonly accountLockout: Readonly<AccountLockout> | null;
  readonly appName: string | undefined;
  readonly verifyUserEmails: EmailCondition;
  readonly preventLoginWithUnverifiedEmail: EmailCondition;
  readonly preventSignupWithUnverifiedEmail: boolean;
  readonly emailVerifyTokenValidityMs: number;
  readonly emailVerifyTokenReuseIfValid: boolean;
  readonly emailVerifySuccessOnInvalidEmail: boolean;
  readonly emailAdapter: EmailAdapter | null;
  readonly pages: ResolvedPages;
}

/** {@link RequestComplexity} with defaults applied and `-1` turned into `Infinity`. */
export interface ResolvedRequestComplexity {
  readonly batchRequestLimit: number;
  readonly includeDepth: number;
  readonly includeCount: number;
  readonly queryDepth: number;
  readonly subqueryDepth: number;
  readonly subqueryLimit: number;
  readonly allowRegex: boolean;
}

export const defaults = {
  maxResponseSize: '100mb',
  maxFieldsPerClass: 500,
  maxFieldNameLength: 128,
  requestComplexity: {
    batchRequestLimit: 100,
    includeDepth: 10,
    includeCount: 100,
    queryDepth: 10,
    subqueryDepth: 10,
    subqueryLimit: -1,
  },
  masterKeyIps: ['127.0.0.1', '::1'],
  maxRequestSize: '20mb',
  defaultLimit: 100,
  allowOrigin: '*',
  databaseTimeoutMS: 5000,
  maxUploadSize: '20mb',
  signedUrlSeconds: 300,
  sessionLengthSeconds: 31536000,
} as const;
