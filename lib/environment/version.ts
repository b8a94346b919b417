/** The package version, reported by /serverInfo. */
export const VERSION = '0.1.0';

/**
 * The parse-server release whose behaviour Plinth follows, reported as `parseServerVersion` by
 * /serverInfo: clients (the Parse Dashboard) gate features on it.
 */
export const PARSE_SERVER_VERSION = '9.9.0';
