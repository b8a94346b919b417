/**
 * The `auth` option in every form a parse-server config gives it, turned into Plinth's providers:
 *
 * - an object with `validateAuthData` (Plinth's own form, or a parse-server adapter object), or
 *   with parse-server's V2 steps (`validateSetUp`, `validateLogin`, `validateUpdate`, and
 *   optionally `challenge`, `policy`, `afterFind`, `validateOptions`);
 * - `{ module }`, `{ class }` or `{ adapter }`, as parse-server's adapter loader reads them: a
 *   module path or package name (a CommonJS module, resolved from the working directory), an
 *   object, or a function called (or, failing that, constructed) with the provider's `options`;
 * - `{ enabled: false }` for any provider, `anonymous` included;
 * - `appIds`: then the adapter's `validateAppId(appIds, authData, options)` runs first.
 *
 * An adapter's checks get `(authData, options, request)` as parse-server calls them: the
 * provider's settings, then the request (with the provider's name and the user's id).
 */
import type { AuthCheck, AuthChecks, AuthPolicy, AuthRequest } from '../auth/auth-data.js';
import type { Json } from '../values/json.js';
import { loadAdapter } from './load-adapter.js';

type Loose = Record<string, unknown>;

const PROVIDER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function isObject(value: unknown): value is Loose {
  return value !== null && typeof value === 'object';
}

const POLICIES = new Set(['default', 'solo', 'additional']);
const V2_STEPS = ['validateSetUp', 'validateLogin', 'validateUpdate'] as const;

type Fn = (...args: unknown[]) => unknown;

/**
 * A provider as the backend runs it: the adapter's steps, called the way parse-server calls them
 * (`options` being the provider's settings), `validateAppId` first when `appIds` are set.
 */
function checkFrom(adapter: Loose, settings: Loose): AuthCheck {
  // The provider's settings as given, as parse-server hands them to its adapters.
  const options = settings;
  // Looked up at each call, as parse-server does: an adapter may replace its methods while it runs.
  const method = (name: string): Fn | undefined =>
    typeof adapter[name] === 'function'
      ? (...args: unknown[]) => (adapter[name] as Fn).apply(adapter, args)
      : undefined;
  const appIds = options.appIds;
  const validateAppId = method('validateAppId');
  const checkAppId = async (authData: Json, request: AuthRequest): Promise<void> => {
    if (appIds !== undefined && validateAppId) await validateAppId(appIds, authData, options, request);
  };
  const v1 = method('validateAuthData');
  const step = (name: (typeof V2_STEPS)[number]) => {
    const fn = method(name);
    return fn
      ? async (authData: Json, request: AuthRequest) => {
          await checkAppId(authData, request);
          return fn(authData, options, request);
        }
      : undefined;
  };
  const challenge = method('challenge');
  const afterFind = method('afterFind');
  const policy = adapter.policy;
  return {
    // As parse-server calls it: the provider's options, then the request (`provider`, `userId` included).
    v1: v1
      ? async (authData, request) => {
          await checkAppId(authData, request);
          return v1(authData, options, request);
        }
      : undefined,
    setUp: v1 ? undefined : step('validateSetUp'),
    login: v1 ? undefined : step('validateLogin'),
    update: v1 ? undefined : step('validateUpdate'),
    challenge: challenge
      ? async (challengeData, authData, request) => challenge(challengeData, authData, options, request)
      : undefined,
    afterFind: afterFind ? (authData, request) => afterFind(authData, options, request) : undefined,
    policy: (request, stored) => {
      const chosen = typeof policy === 'function' ? (policy as Fn).call(adapter, request, stored) : policy;
      return typeof chosen === 'string' && POLICIES.has(chosen) ? (chosen as AuthPolicy) : 'default';
    },
  };
}

/** What is wrong with an adapter, as a host mistake found at startup (parse-server finds it at the first login). */
function adapterProblem(name: string, adapter: unknown): string | undefined {
  if (!isObject(adapter)) return `auth.${name}: must be an object (or name a module exporting one)`;
  const v2 = V2_STEPS.every((step) => typeof adapter[step] === 'function');
  if (typeof adapter.validateAuthData !== 'function' && !v2) {
    return `auth.${name}: Adapter is not configured. Implement either validateAuthData or all of the following: validateSetUp, validateLogin and validateUpdate${
      name === 'anonymous' ? ' (or give { enabled: false })' : ''
    }`;
  }
  const { policy } = adapter;
  if (policy !== undefined && typeof policy !== 'function' && !POLICIES.has(policy as string)) {
    return `auth.${name}: AuthAdapter policy is not configured correctly. The value must be either "solo", "additional", "default" or undefined (will be handled as "default")`;
  }
  return undefined;
}

/** Built-in providers by name: each makes a fresh adapter for a backend. */
export type BuiltInAuth = Record<string, () => object>;

/** Settings that name no adapter of their own: a built-in provider is then used with them. */
function namesNoAdapter(settings: Loose): boolean {
  return (
    settings.module === undefined &&
    settings.class === undefined &&
    settings.adapter === undefined &&
    typeof settings.validateAuthData !== 'function' &&
    typeof settings.validateSetUp !== 'function'
  );
}

/** The providers, and a problem per provider that cannot be used. */
export function resolveAuthProviders(
  auth: unknown,
  builtIn: BuiltInAuth = {},
): { providers: AuthChecks; problems: string[] } {
  const providers: AuthChecks = {};
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
      const makeBuiltIn = Object.hasOwn(builtIn, name) ? builtIn[name] : undefined;
      adapter = makeBuiltIn && namesNoAdapter(settings) ? makeBuiltIn() : loadAdapter(settings, settings);
    } catch (err) {
      problems.push(
        `auth.${name}: its module could not be loaded (${err instanceof Error ? err.message : String(err)})`,
      );
      continue;
    }
    const problem = adapterProblem(name, adapter);
    if (problem) {
      problems.push(problem);
      continue;
    }
    try {
      // parse-server lets an adapter check its options (validateOptions) before it is used.
      if (typeof (adapter as Loose).validateOptions === 'function')
        ((adapter as Loose).validateOptions as Fn)(settings);
    } catch (err) {
      problems.push(`auth.${name}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    providers[name] = checkFrom(adapter as Loose, settings);
  }
  return { providers, problems };
}
