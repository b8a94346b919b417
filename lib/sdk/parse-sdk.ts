/**
 * The parts of the official Parse JS SDK (`parse/node`) a backend uses when it is bound to it,
 * described structurally: `parse` is an optional peer, never a dependency of Plinth's types.
 */
import { importOptional } from '../environment/optional-package.js';
import { BackendConfigError } from '../errors/backend-error.js';
import type { Json } from '../values/json.js';

/** A Parse.Object of the bound SDK, as far as the request conversion reads and writes it. */
export interface SdkObject {
  readonly className: string;
  readonly id: string | undefined;
  get(key: string): unknown;
  set(key: string, value: unknown): unknown;
  setACL(acl: unknown): unknown;
  _getSaveJSON(): Json;
  toJSON(): Json;
  _toFullJSON(): Json;
  _setExisted?(existed: boolean): void;
}

/** A Parse.File of the bound SDK, as file hooks hand it over and read it back. */
export interface SdkFile {
  _name: string;
  _url?: string;
  /** The bytes in base64, for a file made from bytes or base64. */
  _data?: string;
  _source?: { format: string; buffer?: Buffer; type?: string };
  _metadata?: Json;
  _tags?: Json;
}

/** A Parse.Config of the bound SDK. */
export interface SdkConfig {
  attributes: Record<string, unknown>;
}

/** A Parse.Query of the bound SDK. */
export interface SdkQuery {
  readonly className: string;
  toJSON(): Json;
}

/** The REST controller the SDK sends every request through (`CoreManager.setRESTController`). */
export interface SdkRestController {
  request(method: string, path: string, data?: unknown, options?: Record<string, unknown>): Promise<unknown>;
  ajax(...args: unknown[]): Promise<unknown>;
  handleError?(err: unknown): unknown;
}

/** The SDK module itself (`import Parse from 'parse/node'`). */
export interface ParseSdk {
  Object: (abstract new (...args: never[]) => SdkObject) & { fromJSON(json: Json, override?: boolean): SdkObject };
  Query: (new (className: string) => SdkQuery) & { fromJSON(className: string, json: Json): SdkQuery };
  ACL: new (json?: Json) => { toJSON(): Json };
  File: new (name: string, data?: unknown, type?: string, metadata?: Json, tags?: Json) => SdkFile;
  Config: new () => SdkConfig;
  Error: new (code: number, message?: string) => Error;
  Cloud: Record<string, unknown>;
  CoreManager: {
    setRESTController(controller: SdkRestController): void;
    getRESTController(): SdkRestController;
    get(key: string): unknown;
    getUserController?(): { currentUserAsync(): Promise<{ getSessionToken(): string | undefined } | null> } | undefined;
    getInstallationController?(): { currentInstallationId(): Promise<string> } | undefined;
  };
  initialize(applicationId: string, javaScriptKey?: string): void;
  applicationId?: string;
  serverURL: string;
  masterKey?: string;
  _decode(className: unknown, value: unknown): unknown;
  _encode(value: unknown): unknown;
}

/** Whether `value` is the Parse SDK module (checked by what a backend uses of it). */
export function isParseSdk(value: unknown): value is ParseSdk {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const sdk = value as Partial<Record<keyof ParseSdk, unknown>>;
  return (
    typeof sdk.Object === 'function' &&
    typeof sdk.Query === 'function' &&
    typeof sdk.initialize === 'function' &&
    typeof sdk._decode === 'function' &&
    typeof (sdk.CoreManager as { setRESTController?: unknown } | undefined)?.setRESTController === 'function'
  );
}

/**
 * The SDK a backend binds, when it is at hand without loading anything: the one the host passed,
 * else the process's global `Parse` (which a host, or parse-server-style code, has set up).
 */
export function parseSdkAtHand(given: unknown): ParseSdk | undefined {
  if (given !== undefined) {
    if (!isParseSdk(given)) throw new BackendConfigError(['parse: expected the Parse JS SDK (parse/node)']);
    return given;
  }
  const global = (globalThis as { Parse?: unknown }).Parse;
  return isParseSdk(global) ? global : undefined;
}

/**
 * The SDK a backend binds: {@link parseSdkAtHand}, else `parse/node` from the host's
 * dependencies. A backend that needs it and finds none is a configuration error.
 */
export async function resolveParseSdk(given: unknown): Promise<ParseSdk> {
  const atHand = parseSdkAtHand(given);
  if (atHand) return atHand;
  const imported = await importOptional<{ default?: unknown }>('parse/node');
  const sdk = imported?.default ?? imported;
  if (!isParseSdk(sdk)) {
    throw new BackendConfigError([
      'cloud / directAccess: the Parse JS SDK is not installed (npm install parse), or pass it as the `parse` option',
    ]);
  }
  return sdk;
}
