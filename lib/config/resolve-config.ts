/** Checks `createBackend()` options once, completely, and freezes the result. */
import { Ajv, type ErrorObject } from 'ajv';
import { isIP } from 'node:net';
import { withDefaultProtectedFields } from '../access/protected-fields.js';
import { BackendConfigError } from '../errors/backend-error.js';
import { resolveAuthProviders, type BuiltInAuth } from './auth-config.js';
import { DEFAULT_KEYWORD_DENYLIST, KeywordDenylist } from '../query/forbidden-keys.js';
import { backendLogger } from '../logs/backend-logger.js';
import { resolveFilesAdapter, resolveLoggerAdapter } from './adapter-options.js';
import { resolvePush } from './push-options.js';
import { emailAndPagesProblems, resolveEmailAdapter, resolvePages } from './email-options.js';
import { PARSE_SERVER_DATABASE_OPTIONS } from './parse-server-options.js';
import {
  configSchema,
  defaults,
  type BackendConfig,
  type DatabaseOptions,
  type RateLimitRule,
  type RequestComplexity,
  type ResolvedConfig,
  type ResolvedRateLimitRule,
  type ResolvedRequestComplexity,
} from './options.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(configSchema);

function describe(error: ErrorObject): string {
  const key =
    error.instancePath.replace(/^\//, '').replace(/\//g, '.') ||
    (error.params as { additionalProperty?: string }).additionalProperty ||
    '(config)';
  if (error.keyword === 'additionalProperties') return `${key}: unknown option`;
  if (error.keyword === 'required')
    return `${(error.params as { missingProperty: string }).missingProperty}: is required`;
  if (error.keyword === 'pattern') return `${key}: must match ${(error.params as { pattern: string }).pattern}`;
  return `${key}: ${error.message ?? 'is invalid'}`;
}

/** An exact IPv4/IPv6 address, or an IPv4 CIDR range with a prefix of 0 to 32. */
function isValidIpRule(rule: unknown): boolean {
  if (typeof rule !== 'string') return false;
  const [base, bits, extra] = rule.split('/');
  if (extra !== undefined || base === undefined) return false;
  if (bits === undefined) return isIP(base) !== 0;
  return isIP(base) === 4 && /^\d{1,2}$/.test(bits) && Number(bits) <= 32;
}

/**
 * A `MongoClient` (it has `db()` and `connect()`) or a `Db` (it has `collection()` and a name), told
 * by shape: only storage knows the driver, and the host's copy of it may not be ours.
 */
function isDriverHandle(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const handle = value as { db?: unknown; connect?: unknown; collection?: unknown; databaseName?: unknown };
  const isClient = typeof handle.db === 'function' && typeof handle.connect === 'function';
  const isDb = typeof handle.collection === 'function' && typeof handle.databaseName === 'string';
  return isClient || isDb;
}

function instanceProblems(config: BackendConfig): string[] {
  const problems: string[] = [];
  const rules = Array.isArray(config.rateLimit) ? config.rateLimit : config.rateLimit ? [config.rateLimit] : [];
  if (rules.some((rule) => rule !== null && typeof rule === 'object' && 'redisUrl' in rule)) {
    problems.push(
      "rateLimit.redisUrl: Plinth shares rate-limit counters through MongoDB: set rateLimitStore: 'database' instead",
    );
  }
  for (const rule of rules) {
    const methods = (rule as { requestMethods?: unknown } | null)?.requestMethods;
    if (typeof methods !== 'string') continue;
    try {
      new RegExp(methods);
    } catch {
      problems.push(`rateLimit.requestMethods: ${methods} is not a valid regular expression`);
    }
  }
  for (const path of Array.isArray(config.idempotencyOptions?.paths) ? config.idempotencyOptions.paths : []) {
    try {
      if (typeof path === 'string') new RegExp(path);
    } catch {
      problems.push(`idempotencyOptions.paths: ${path} is not a valid regular expression`);
    }
  }
  for (const extension of Array.isArray(config.fileUpload?.fileExtensions) ? config.fileUpload.fileExtensions : []) {
    try {
      if (typeof extension === 'string' && extension !== '*') new RegExp(extension);
    } catch {
      problems.push(`fileUpload.fileExtensions: ${extension} is not a valid regular expression`);
    }
  }
  for (const rule of Array.isArray(config.requestKeywordDenylist) ? config.requestKeywordDenylist : []) {
    for (const part of [rule?.key, rule?.value]) {
      if (typeof part !== 'string') continue;
      try {
        new RegExp(part);
      } catch {
        problems.push(`requestKeywordDenylist: ${part} is not a valid regular expression`);
      }
    }
  }
  if (config.databaseURI === undefined && config.database === undefined)
    problems.push('databaseURI: give databaseURI or database');
  if (config.databaseURI !== undefined && config.database !== undefined)
    problems.push('database: give databaseURI or database, not both');
  if (config.database !== undefined && !isDriverHandle(config.database)) {
    problems.push('database: must be a MongoClient or a Db from the mongodb package');
  }
  if (config.logger !== undefined && (config.logger === null || typeof config.logger !== 'object')) {
    problems.push('logger: must be an object with debug/info/warn/error methods');
  }
  for (const rule of Array.isArray(config.masterKeyIps) ? config.masterKeyIps : []) {
    if (!isValidIpRule(rule))
      problems.push(`masterKeyIps: ${JSON.stringify(rule)} is not an IP address or an IPv4 CIDR range (a.b.c.d/0-32)`);
  }
  if (config.readOnlyMasterKey !== undefined && config.readOnlyMasterKey === config.masterKey) {
    problems.push('readOnlyMasterKey: must differ from masterKey');
  }
  if (
    config.cloud !== undefined &&
    typeof config.cloud !== 'function' &&
    (typeof config.cloud !== 'string' || config.cloud === '')
  ) {
    problems.push('cloud: must be the path of a cloud code file or a function');
  }
  if (config.maxLimit !== undefined && config.defaultLimit !== undefined && config.defaultLimit > config.maxLimit) {
    problems.push('defaultLimit: must not exceed maxLimit');
  }
  return problems;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `'20mb'` or a byte count, in bytes. */
export function sizeInBytes(size: string | number): number {
  if (typeof size === 'number') return size;
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)$/.exec(size.toLowerCase().trim());
  return match ? Math.floor(Number(match[1]) * UNITS[match[2]!]!) : NaN;
}

/** `-1` (parse-server's "no limit") as `Infinity`, so that checks read `count > limit`. */
function bound(value: number): number {
  return value === -1 ? Infinity : value;
}

function resolveRequestComplexity(given: RequestComplexity): ResolvedRequestComplexity {
  const d = defaults.requestComplexity;
  return Object.freeze({
    batchRequestLimit: bound(given.batchRequestLimit ?? d.batchRequestLimit),
    includeDepth: bound(given.includeDepth ?? d.includeDepth),
    includeCount: bound(given.includeCount ?? d.includeCount),
    queryDepth: bound(given.queryDepth ?? d.queryDepth),
    subqueryDepth: bound(given.subqueryDepth ?? d.subqueryDepth),
    subqueryLimit: bound(given.subqueryLimit ?? d.subqueryLimit),
    allowRegex: given.allowRegex ?? true,
  });
}

function resolveRateLimitRule(rule: RateLimitRule): ResolvedRateLimitRule {
  return Object.freeze({
    requestPath: rule.requestPath,
    requestTimeWindow: rule.requestTimeWindow,
    requestCount: rule.requestCount,
    errorResponseMessage: rule.errorResponseMessage ?? 'Too many requests.',
    requestMethods: Array.isArray(rule.requestMethods) ? Object.freeze([...rule.requestMethods]) : rule.requestMethods,
    includeMasterKey: rule.includeMasterKey ?? false,
    zone: rule.zone ?? 'ip',
  });
}

/** parse-server's `userSensitiveFields`, folded into `protectedFields._User['*']` as parse-server folds it. */
function withUserSensitiveFields(config: BackendConfig): BackendConfig['protectedFields'] {
  if (!config.userSensitiveFields) return config.protectedFields;
  const protectedFields = { ...config.protectedFields };
  const user = { ...protectedFields._User };
  user['*'] = [...new Set([...(user['*'] ?? []), 'email', ...config.userSensitiveFields])];
  protectedFields._User = user;
  return protectedFields;
}

/** parse-server 9's default: every extension but those browsers render as active content. */
const DEFAULT_FILE_EXTENSIONS = [
  '^(?!([xXsS]?[hH][tT][mM][lL]?(\\+[xX][mM][lL])?|[xX][hH][tT]|[sS][vV][gG]([zZ]|\\+[xX][mM][lL])?|[xX][mM][lL]|[xX][sS][lL][tT]?(\\+[xX][mM][lL])?|[xX][sS][dD]|[rR][nN][gG]|[rR][dD][fF](\\+[xX][mM][lL])?|[oO][wW][lL]|[mM][aA][tT][hH][mM][lL](\\+[xX][mM][lL])?)$)',
];

/** Validates options and applies defaults; throws one {@link BackendConfigError} naming every bad key. */
/**
 * Resolves a backend's options. `builtInAuth`: providers the backend has built in, by name (the
 * MFA provider), made for a provider configured by settings alone (`auth: { mfa: { options } }`).
 */
export function resolveConfig(input: unknown, builtInAuth: BuiltInAuth = {}): ResolvedConfig {
  if (input === null || typeof input !== 'object') throw new BackendConfigError(['(config): must be an object']);
  const config = input as BackendConfig;
  const problems = validate(config) ? [] : (validate.errors ?? []).map(describe);
  problems.push(...instanceProblems(config));
  const auth = resolveAuthProviders(config.auth, builtInAuth);
  problems.push(...auth.problems);
  const email = resolveEmailAdapter(config);
  problems.push(...email.problems, ...emailAndPagesProblems(config, email.adapter));
  const files = resolveFilesAdapter(config);
  const loggerAdapter = resolveLoggerAdapter(config);
  problems.push(...files.problems, ...loggerAdapter.problems);
  if (problems.length > 0) throw new BackendConfigError([...new Set(problems)]);
  if (config.enableAnonymousUsers === false) auth.providers.anonymous = { enabled: false };
  const { logger, logs } = backendLogger(
    config.logger,
    loggerAdapter.adapter,
    config.logLevel ?? 'info',
    config.logStore ?? 'memory',
  );
  return Object.freeze({
    appId: config.appId,
    masterKey: config.masterKey,
    readOnlyMasterKey: config.readOnlyMasterKey,
    allowAggregationForReadOnlyMasterKey: config.allowAggregationForReadOnlyMasterKey ?? true,
    databaseURI: config.databaseURI,
    database: config.database,
    databaseOptions: driverOptions(config.databaseOptions),
    allowPublicExplain: config.databaseOptions?.allowPublicExplain === true,
    serverURL: config.serverURL?.replace(/\/$/, ''),
    publicServerURL: config.publicServerURL?.replace(/\/$/, ''),
    clientKeys: Object.freeze(
      Object.fromEntries(
        (['restAPIKey', 'javascriptKey', 'clientKey'] as const)
          .filter((k) => config[k] !== undefined)
          .map((k) => [k, config[k]]),
      ),
    ),
    masterKeyIps: Object.freeze([...(config.masterKeyIps ?? defaults.masterKeyIps)]),
    allowMasterKeyInBody: config.allowMasterKeyInBody ?? true,
    maxRequestSize: config.maxRequestSize ?? defaults.maxRequestSize,
    maxResponseSize: bound(sizeInBytes(config.maxResponseSize ?? defaults.maxResponseSize)),
    requestComplexity: resolveRequestComplexity(config.requestComplexity ?? {}),
    refuseLongPasswords: config.refuseLongPasswords ?? false,
    requestKeywordDenylist: new KeywordDenylist(config.requestKeywordDenylist ?? DEFAULT_KEYWORD_DENYLIST),
    rateLimits: Object.freeze(
      (Array.isArray(config.rateLimit) ? config.rateLimit : config.rateLimit ? [config.rateLimit] : []).map(
        resolveRateLimitRule,
      ),
    ),
    rateLimitStore: config.rateLimitStore ?? 'memory',
    webhookKey: config.webhookKey,
    enableExpressErrorHandler: config.enableExpressErrorHandler === true,
    idempotency:
      (config.idempotencyOptions?.paths?.length ?? 0) > 0
        ? {
            // Matched from the start of the path, as parse-server matches them.
            paths: config.idempotencyOptions!.paths!.map(
              (path) => new RegExp(path.startsWith('^') ? path : `^${path}`),
            ),
            ttlMs: (config.idempotencyOptions!.ttl ?? 300) * 1000,
          }
        : undefined,
    push: resolvePush(config.push),
    pushBatchSize: config.push?.queueOptions?.batchSize ?? 100,
    scheduledPush: config.scheduledPush ?? false,
    sendScheduledPushesInterval:
      config.sendScheduledPushes === true
        ? 10_000
        : typeof config.sendScheduledPushes === 'object'
          ? (config.sendScheduledPushes.interval ?? 10_000)
          : undefined,
    installation: Object.freeze({
      duplicateDeviceTokenAction: config.installation?.duplicateDeviceTokenAction ?? 'delete',
      duplicateDeviceTokenActionEnforceAuth: config.installation?.duplicateDeviceTokenActionEnforceAuth ?? false,
      duplicateDeviceTokenMergePriority: config.installation?.duplicateDeviceTokenMergePriority ?? 'deviceToken',
    }),
    jobSchedulerInterval:
      config.jobScheduler === true
        ? 10_000
        : typeof config.jobScheduler === 'object'
          ? (config.jobScheduler.interval ?? 10_000)
          : undefined,
    outgoingRequests: {
      timeout: config.outgoingRequests?.timeout ?? 30_000,
      maxResponseSize: sizeInBytes(config.outgoingRequests?.maxResponseSize ?? '10mb'),
    },
    passwordHashing: Object.freeze({ ...config.passwordHashing }),
    schemaBounds: Object.freeze({
      maxFieldsPerClass: bound(config.maxFieldsPerClass ?? defaults.maxFieldsPerClass),
      maxFieldNameLength: bound(config.maxFieldNameLength ?? defaults.maxFieldNameLength),
    }),
    allowClientClassCreation: config.allowClientClassCreation ?? false,
    allowClientRoleWrites: config.allowClientRoleWrites ?? true,
    cloud: config.cloud,
    bindsParseSdk: config.cloud !== undefined || config.directAccess === true || config.parse !== undefined,
    parse: config.parse,
    allowCustomObjectId: config.allowCustomObjectId ?? false,
    defaultLimit: config.defaultLimit ?? defaults.defaultLimit,
    maxLimit: config.maxLimit,
    allowOrigin: Array.isArray(config.allowOrigin)
      ? Object.freeze([...config.allowOrigin])
      : (config.allowOrigin ?? defaults.allowOrigin),
    allowHeaders: Object.freeze([...(config.allowHeaders ?? [])]),
    databaseTimeoutMS: config.databaseTimeoutMS ?? defaults.databaseTimeoutMS,
    logger,
    logs,
    liveQuery: Object.freeze({
      classNames: new Set(config.liveQuery?.classNames ?? []),
      maxSubscriptionsPerConnection: config.liveQuery?.maxSubscriptionsPerConnection ?? 100,
      maxMessageBytes: config.liveQuery?.maxMessageBytes ?? 64 * 1024,
      maxMessagesPerSecond: config.liveQuery?.maxMessagesPerSecond ?? 50,
      maxQueuedBytes: config.liveQuery?.maxQueuedBytes ?? 4 * 1024 * 1024,
      websocketTimeout: config.liveQuery?.websocketTimeout ?? 10_000,
      invalidSessionToken: config.liveQuery?.invalidSessionToken ?? 'anonymous',
      preImages: config.liveQuery?.preImages ?? false,
    }),
    changeStreams: config.changeStreams ?? true,
    filesAdapter: files.adapter,
    maxUploadSize: sizeInBytes(config.maxUploadSize ?? defaults.maxUploadSize),
    fileUpload: Object.freeze({
      enableForPublic: config.fileUpload?.enableForPublic ?? false,
      enableForAnonymousUser: config.fileUpload?.enableForAnonymousUser ?? false,
      enableForAuthenticatedUser: config.fileUpload?.enableForAuthenticatedUser ?? true,
      fileExtensions: Object.freeze(
        (config.fileUpload?.fileExtensions ?? DEFAULT_FILE_EXTENSIONS).map((e) => (e === '*' ? /.*/ : new RegExp(e))),
      ),
    }),
    preserveFileName: config.preserveFileName ?? false,
    sessionLengthMs: (config.sessionLength ?? defaults.sessionLengthSeconds) * 1000,
    sessionTokenStorage: config.sessionTokenStorage ?? 'hashed',
    enforcePrivateUsers: config.enforcePrivateUsers ?? true,
    protectedFields: withDefaultProtectedFields(withUserSensitiveFields(config)),
    revokeSessionOnPasswordReset: config.revokeSessionOnPasswordReset ?? true,
    extendSessionOnUse: config.extendSessionOnUse ?? false,
    expireInactiveSessions: config.expireInactiveSessions ?? true,
    auth: Object.freeze(auth.providers),
    passwordPolicy: config.passwordPolicy ? Object.freeze({ ...config.passwordPolicy }) : null,
    accountLockout: config.accountLockout ? Object.freeze({ ...config.accountLockout }) : null,
    appName: config.appName,
    verifyUserEmails: config.verifyUserEmails ?? false,
    preventLoginWithUnverifiedEmail: config.preventLoginWithUnverifiedEmail ?? false,
    preventSignupWithUnverifiedEmail: config.preventSignupWithUnverifiedEmail ?? false,
    emailVerifyTokenValidityMs: (config.emailVerifyTokenValidityDuration ?? 86400) * 1000,
    emailVerifyTokenReuseIfValid: config.emailVerifyTokenReuseIfValid ?? false,
    emailVerifySuccessOnInvalidEmail: config.emailVerifySuccessOnInvalidEmail ?? true,
    emailAdapter: email.adapter,
    pages: resolvePages(config.pages, config.customPages),
    fileUrlSigning: config.fileUrlSigning
      ? Object.freeze({
          secret: config.fileUrlSigning.secret,
          expiresInSeconds: config.fileUrlSigning.expiresInSeconds ?? defaults.signedUrlSeconds,
        })
      : null,
  });
}

/** `databaseOptions` as the driver takes them: parse-server's own keys out, `maxTimeMS` kept (applied per query). */
function driverOptions(options: DatabaseOptions | undefined): DatabaseOptions {
  const out: Record<string, unknown> = { ...options };
  for (const key of PARSE_SERVER_DATABASE_OPTIONS) if (key !== 'maxTimeMS') delete out[key];
  return out as DatabaseOptions;
}
