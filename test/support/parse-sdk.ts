/**
 * The official Parse JS SDK, pointed at a test backend. The SDK is a process-wide singleton, so
 * suites that use it set it up in `before` and never run in parallel (mocha runs files serially).
 */
import ParseNode from 'parse/node';
import { APP_ID, MASTER_KEY, type TestBackend } from './backend.js';

/**
 * The SDK's Node build. Its typings describe the module namespace; at runtime the default export
 * is the Parse object, whose Node `initialize` also takes the master key.
 */
export type ParseSdk = typeof ParseNode & {
  initialize(applicationId: string, javaScriptKey?: string, masterKey?: string): void;
};

export const Parse = ParseNode as ParseSdk;

/** Points the SDK at `backend` (with the master key available for `useMasterKey`). */
export function useBackend(backend: TestBackend): ParseSdk {
  Parse.initialize(APP_ID, undefined, MASTER_KEY);
  Parse.serverURL = backend.serverURL;
  return Parse;
}
