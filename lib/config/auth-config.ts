/**
 * The `auth` option in every form a parse-server config gives it, turned into Plinth's providers:
 *
 * - an object with `validateAuthData` (Plinth's own form, or a parse-server adapter object);
 * - `{ module }`, `{ class }` or `{ adapter }`, as parse-server's adapter loader reads them: a
 *   module path or package name (a CommonJS module, resolved from the working directory), an
 *   object, or a function called (or, failing that, constructed) with the provider's `options`;
 * - `{ enabled: false }` for any provider, `anonymous` included;
 * - `appIds`: then the adapter's `validateAppId(appIds, authData, options)` runs first.
 *
 * An adapter's checks get the provider's options merged with Plinth's context (`provider`,
 * `userId`), so parse-server adapters read their options where they expect them.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AuthProvider, AuthProviders } from '../auth/auth-data.js';
import type { Json } from '../values/json.js';

type Loose = Record<string, unknown>;

const PROVIDER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function isObject(value: unknown): value is Loose {
  return value !== null && typeof value === 'object';
}

/** Loads what a module path, function or object names, as parse-server's adapter loader does. */
function loadAdapter(adapter: unknown, options: unknown): unknown {
  if (typeof adapter === 'string') {
    const required = createRequire(join(process.cwd(), 'index.js'))(adapter) as Loose;
    return loadAdapter(required.default ?? required, options);
  }
  if (typeof adapter === 'function') {
    const factory = adapter as (options: unknown) => unknown;
    try {
      return factory(options);
    } catch (err) {
      // A class cannot be called without `new`.
      if (!(err instanceof TypeError)) throw err;
      return new (adapter as new (options: unknown) => unknown)(options);
    }
  }
  if (isObject(adapter)) {
    for (const key of ['module', 'class', 'adapter']) {
      if (adapter[key] !== undefined) return loadAdapter(adapter[key], adapter.options);
    }
  }
  return adapter;
}

/** A provider calling a parse-server adapter the way parse-server calls it. */
function providerFrom(adapter: Loose, settings: Loose): AuthProvider {
  const { module: _module, class: _class, adapter: _adapter, enabled: _enabled, ...options } = settings;
  const appIds = options.appIds;
  return {
    async validateAuthData(authData: Json, context: { provider: string; userId: string | null }) {
      const merged = { ...options, ...context };
      if (appIds !== undefined && typeof adapter.validateAppId === 'function')
        await (adapter.validateAppId as (...args: unknown[]) => unknown)(appIds, authData, merged);
      return (adapter.validateAuthData as (...args: unknown[]) => unknown)(authData, merged);
    },
  };
}

/** The providers, and a problem per provider that cannot be used. */
export function resolveAuthProviders(auth: unknown): { providers: AuthProviders; problems: string[] } {
  const providers: AuthProviders = {};
  const problems: string[] = [];
  if (auth === undefined) return { providers, problems };
  if (!isObject(auth) || Array.isArray(auth)) return { providers, problems: ['auth: must be an object'] };
  for (const [name, settings] of Object.entries(auth)) {
    if (!PROVIDER_NAME.test(name)) {
      problems.push(`auth.${name}: a provider name is a letter, then letters, digits or _ (64 at most)`);
      continue;
    }
    if (!isObject(settings)) {
      problems.push(`auth.${name}: must be an object`);
      continue;
    }
    if (settings.enabled === false) {
      providers[name] = { enabled: false };
      continue;
    }
    let adapter: unknown;
    try {
      adapter = loadAdapter(settings, settings);
    } catch (err) {
      problems.push(
        `auth.${name}: its module could not be loaded (${err instanceof Error ? err.message : String(err)})`,
      );
      continue;
    }
    if (!isObject(adapter) || typeof adapter.validateAuthData !== 'function') {
      problems.push(
        `auth.${name}: must be an object with a validateAuthData(authData) function (or name a module exporting one)${
          name === 'anonymous' ? ', or { enabled: false }' : ''
        }`,
      );
      continue;
    }
    providers[name] =
      adapter === settings && settings.appIds === undefined
        ? (adapter as unknown as AuthProvider)
        : providerFrom(adapter, settings);
  }
  return { providers, problems };
}
