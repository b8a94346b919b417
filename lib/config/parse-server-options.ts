/**
 * parse-server options that a parse-server config may carry and that Plinth accepts without acting
 * on them, so that such a config starts as it is: options of a standalone server (its port, its
 * logs, its GraphQL endpoint), keys of features Plinth does not serve, and options of features
 * other work has not built yet. `createBackend` names them in one startup warning.
 */

/** Options of a standalone server or of features Plinth has no place for: ignored. */
export const IGNORED_OPTIONS = [
  // Plinth checks authData at every login, parse-server's default; it never skips an expired token.
  'allowExpiredAuthDataToken',
  'port',
  'host',
  'mountPath',
  'cluster',
  'startLiveQueryServer',
  'liveQueryServerOptions',
  'serverStartComplete',
  'serverCloseComplete',
  'middleware',
  'trustProxy',
  'logsFolder',
  'jsonLogs',
  'logLevels',
  'silent',
  'verbose',
  'mountGraphQL',
  'graphQLPath',
  'graphQLSchema',
  'graphQLPublicIntrospection',
  'mountPlayground',
  'playgroundPath',
  'dotNetKey',
  'fileKey',
  'encodeParseObjectInCloudFunction',
] as const;

/** Options of features not built yet: accepted, with a warning that they have no effect yet. */
export const NOT_YET_ACTIVE_OPTIONS = ['maintenanceKey'] as const;

/**
 * Keys of parse-server's `databaseOptions` that are parse-server's own, not MongoDB driver options:
 * the driver refuses unknown options, so they are taken out before it sees them. Plinth acts on
 * `maxTimeMS` and `allowPublicExplain`; the others tune parse-server's own index creation and
 * schema cache and are ignored, named in the startup warning.
 */
export const PARSE_SERVER_DATABASE_OPTIONS = [
  'allowPublicExplain',
  'maxTimeMS',
  'batchSize',
  'clientMetadata',
  'createIndexAuthDataUniqueness',
  'createIndexRoleName',
  'createIndexUserEmail',
  'createIndexUserEmailCaseInsensitive',
  'createIndexUserEmailVerifyToken',
  'createIndexUserPasswordResetToken',
  'createIndexUserUsername',
  'createIndexUserUsernameCaseInsensitive',
  'disableIndexFieldValidation',
  'enableSchemaHooks',
  'logClientEvents',
  'schemaCacheTtl',
] as const;

const ACTIVE_DATABASE_OPTIONS = new Set<string>(['allowPublicExplain', 'maxTimeMS']);

/** The warning naming what a config carries of these, or null when it carries none. */
export function unusedOptionsWarning(config: Record<string, unknown>): string | null {
  const databaseOptions = (config.databaseOptions ?? {}) as Record<string, unknown>;
  const ignored = [
    ...IGNORED_OPTIONS.filter((key) => config[key] !== undefined),
    ...PARSE_SERVER_DATABASE_OPTIONS.filter(
      (key) => !ACTIVE_DATABASE_OPTIONS.has(key) && databaseOptions[key] !== undefined,
    ).map((key) => `databaseOptions.${key}`),
  ];
  const notYet = NOT_YET_ACTIVE_OPTIONS.filter((key) => config[key] !== undefined);
  if (ignored.length === 0 && notYet.length === 0) return null;
  const parts = [
    ignored.length > 0 ? `ignored, as they do not apply to a backend mounted in your app: ${ignored.join(', ')}` : '',
    notYet.length > 0 ? `accepted, not active yet: ${notYet.join(', ')}` : '',
  ];
  return `parse-server options ${parts.filter((part) => part !== '').join('; ')}`;
}
