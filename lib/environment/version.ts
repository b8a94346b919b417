/** The package version, reported by /serverInfo. */
export const VERSION = '0.1.0';
