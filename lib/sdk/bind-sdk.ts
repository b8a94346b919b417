/**
 * Binds the Parse JS SDK to a backend, as parse-server binds it to itself: the SDK's requests go
 * straight into the backend (no HTTP), `Parse.Cloud`'s registration functions register on the
 * backend's registry, hook handlers get parse-server's requests, and a parse-server cloud file
 * (`cloud` option) runs with that SDK as the global `Parse` it expects.
 *
 * The SDK is a process-wide singleton: one backend per process can own it. Binding another backend
 * takes it over; unbinding gives back what was there, if no one took it over meanwhile.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLASS_TRIGGERS, type CloudRegistry } from '../cloud/cloud-registry.js';
import { BackendConfigError } from '../errors/backend-error.js';
import type { Services } from '../services.js';
import { directController } from './direct-controller.js';
import type { ParseSdk } from './parse-sdk.js';
import { sdkRequestForm } from './sdk-requests.js';

/** The SDK's serverURL before anyone sets one. */
const SDK_DEFAULT_SERVER_URL = 'https://api.parse.com/1';

/**
 * The `Parse.Cloud` functions the backend provides: those that register handlers, and parse-server's
 * `sendEmail` and `httpRequest` (the rest, such as `run`, are the SDK's own).
 */
const REGISTRATIONS = [
  'define',
  'job',
  ...CLASS_TRIGGERS,
  'beforeLogin',
  'afterLogin',
  'afterLogout',
  'beforePasswordResetRequest',
  'beforeSaveFile',
  'afterSaveFile',
  'beforeDeleteFile',
  'afterDeleteFile',
  'beforeConnect',
  'beforeSubscribe',
  'afterLiveQueryEvent',
  'sendEmail',
  'httpRequest',
] as const satisfies readonly (keyof CloudRegistry)[];

const LOGIN_REGISTRATIONS = new Set<string>(['beforeLogin', 'afterLogin', 'afterLogout', 'beforePasswordResetRequest']);

/**
 * parse-server's login hooks also take the class first (`Parse.Cloud.beforeLogin(Parse.User, fn)`,
 * `afterLogout(Parse.Session, fn)`); the registry's take the handler alone.
 */
function withoutClass(args: unknown[]): unknown[] {
  return typeof args[0] === 'function' && typeof args[1] === 'function' ? args.slice(1) : args;
}

/** Binds `sdk` to the backend; returns the function that unbinds it. */
export function bindParseSdk(services: Services, sdk: ParseSdk, connected: () => Promise<void>): () => void {
  const { config } = services;
  // The bound SDK speaks for this backend, as parse-server initializes the global Parse with its
  // own app id: its HTTP requests (files) must name this app. Given back on unbinding.
  const before = {
    appId: sdk.applicationId,
    javascriptKey: sdk.CoreManager.get('JAVASCRIPT_KEY'),
    masterKey: sdk.masterKey,
  };
  const otherApp = sdk.applicationId !== config.appId;
  if (otherApp) sdk.initialize(config.appId, config.clientKeys.javascriptKey);
  // Code in the host's process holds the master key anyway; the SDK asks for it before useMasterKey.
  if (otherApp || !sdk.masterKey) sdk.masterKey = config.masterKey;
  // File uploads still go over HTTP: point an SDK nobody pointed anywhere at this backend.
  const current = sdk.CoreManager.get('SERVER_URL');
  if (config.serverURL && (!current || current === SDK_DEFAULT_SERVER_URL)) sdk.serverURL = config.serverURL;

  const previous = sdk.CoreManager.getRESTController();
  const controller = directController(services, sdk, connected, previous);
  sdk.CoreManager.setRESTController(controller);

  const registry = services.cloud;
  const replaced = new Map<string, unknown>();
  const ours = new Map<string, unknown>();
  for (const name of REGISTRATIONS) {
    replaced.set(name, sdk.Cloud[name]);
    const register = (...args: unknown[]): unknown =>
      (registry[name] as (...a: unknown[]) => unknown).apply(
        registry,
        LOGIN_REGISTRATIONS.has(name) ? withoutClass(args) : args,
      );
    ours.set(name, register);
    sdk.Cloud[name] = register;
  }
  registry.useRequestForm(sdkRequestForm(sdk));

  return () => {
    registry.useRequestForm(undefined);
    if (otherApp && before.appId && sdk.applicationId === config.appId) {
      sdk.initialize(before.appId, typeof before.javascriptKey === 'string' ? before.javascriptKey : undefined);
      sdk.masterKey = before.masterKey;
    }
    if (sdk.CoreManager.getRESTController() === controller) sdk.CoreManager.setRESTController(previous);
    for (const name of REGISTRATIONS) if (sdk.Cloud[name] === ours.get(name)) sdk.Cloud[name] = replaced.get(name);
  };
}

let loads = 0;

/** Whether Node loads `file` as CommonJS: `.cjs`, or `.js` outside a `"type": "module"` package. */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown };
      return pkg.type !== 'module';
    } catch {
      if (path.dirname(dir) === dir) return true;
    }
  }
}

/**
 * Runs a cloud file afresh (each backend registers its own hooks): a CommonJS file through
 * `require`, its cache entry dropped first; an ES module through `import()` under a new URL.
 */
async function runCloudFile(file: string): Promise<void> {
  const absolute = path.resolve(process.cwd(), file);
  if (isCommonJs(absolute)) {
    const require = createRequire(absolute);
    delete require.cache[absolute];
    require(absolute);
    return;
  }
  await import(`${pathToFileURL(absolute).href}?load=${++loads}`);
}

/**
 * Runs parse-server cloud code with the bound SDK: a function is called with it; a file is
 * imported (resolved from the working directory, as parse-server resolves it) with the SDK as the
 * global `Parse`. Any failure is the host's: a {@link BackendConfigError} naming it.
 */
export async function loadCloudCode(cloud: string | ((Parse: unknown) => unknown), sdk: ParseSdk): Promise<void> {
  const scope = globalThis as { Parse?: unknown };
  if (scope.Parse === undefined) scope.Parse = sdk;
  try {
    if (typeof cloud === 'function') await cloud(sdk);
    else await runCloudFile(cloud);
  } catch (err) {
    const what = typeof cloud === 'function' ? 'the cloud function' : cloud;
    throw new BackendConfigError([
      `cloud: ${what} failed to load: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
}
