/**
 * Plinth: an embeddable, Parse-compatible backend for Node.js.
 * @packageDocumentation
 */

/** The package version. */
export const VERSION = '0.1.0';
