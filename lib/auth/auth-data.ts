/**
 * `authData`: logging in with another identity (anonymous, or a provider the host app plugs in).
 * Each linked provider is stored on the user (storage keeps parse-server's layout), with a unique
 * index on its `id` so that two sign-ups with one identity cannot make two users.
 * Unknown providers are refused before any database access.
 *
 * Providers come in parse-server's two shapes: `validateAuthData` (V1), or the V2 steps
 * `validateSetUp` (linking a provider), `validateLogin` (logging in with it) and `validateUpdate`
 * (changing it, as its user or the master key), with an optional `challenge`, `policy` and
 * `afterFind`. Either may answer `{ response, save, doNotSave }`: what the client is told
 * (`authDataResponse`), what is stored instead of what was sent, or that nothing is stored.
 */
import { hookError } from '../cloud/hook-runner.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { isPlainObject, type Json } from '../values/json.js';

/** How a provider takes part in a login: with others (default), on its own, or required besides another. */
export type AuthPolicy = 'default' | 'solo' | 'additional';

/** What a provider's V2 steps receive as `request`, as parse-server builds it. */
export interface AuthRequest {
  /** The step: `validateSetUp`, `validateLogin`, `validateUpdate` (undefined for V1 and challenges). */
  triggerName?: string;
  master: boolean;
  /**
   * The user being written or logged in (an object view; a `Parse.User` when the backend is bound
   * to the Parse SDK), as stored before this request in `original`, and the calling user in `user`.
   */
  object?: unknown;
  original?: unknown;
  user?: unknown;
  /** The user the identity is for: the user logging in or being changed; null for a sign-up. */
  userId: string | null;
  /** The provider's name. */
  provider?: string;
  ip: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** True for `POST /challenge`. */
  isChallenge?: boolean;
}

/** What `afterFind` receives as `request` when a user is read. */
export interface AuthReadRequest {
  ip: string | undefined;
  userId: string | null;
  master: boolean;
}

/**
 * What a host app supplies to accept an identity provider: `validateAuthData`, or the three V2
 * steps. Parse-server adapters (objects, modules, classes) are taken as they are.
 */
export interface AuthProvider {
  /**
   * V1: checks the client's proof for this provider (a token, a signature...) and throws when it
   * is not valid. Must check who issued it and for which app. May return the fields to store (they
   * must include `id`; `{ id }` keeps the identity alone), or `{ response, save, doNotSave }`; by
   * default what the client sent is stored, as parse-server does.
   */
  validateAuthData?(authData: Json, options: Json, request: AuthRequest): unknown;
  /** V2: linking the provider to a user (a sign-up, or a user adding it). */
  validateSetUp?(authData: Json, options: Json, request: AuthRequest): unknown;
  /** V2: logging in with the provider already linked. */
  validateLogin?(authData: Json, options: Json, request: AuthRequest): unknown;
  /** V2: the user (or the master key) changing the provider's data. */
  validateUpdate?(authData: Json, options: Json, request: AuthRequest): unknown;
  /** `POST /challenge`: answers a step before the login (a code sent by SMS, a nonce). */
  challenge?(challengeData: unknown, authData: Json | undefined, options: Json, request: AuthRequest): unknown;
  /** `'additional'`: a user who has it must send it at every login (MFA); `'solo'`: enough on its own. */
  policy?: AuthPolicy | ((request: AuthReadRequest, stored: Json) => AuthPolicy);
  /** What a reader of the user sees of this provider's stored data (return it, or undefined to keep). */
  afterFind?(authData: Json, options: Json, request: AuthReadRequest): unknown;
}

/** Providers by name; `anonymous` is built in (and may be turned off with `{ enabled: false }`). */
export type AuthProviders = Record<string, AuthProvider | { enabled: false }>;

/** A provider as the backend runs it: its steps with its options bound (see config/auth-config.ts). */
export interface AuthCheck {
  v1?(authData: Json, request: AuthRequest): Promise<unknown>;
  setUp?(authData: Json, request: AuthRequest): Promise<unknown>;
  login?(authData: Json, request: AuthRequest): Promise<unknown>;
  update?(authData: Json, request: AuthRequest): Promise<unknown>;
  challenge?(challengeData: unknown, authData: Json | undefined, request: AuthRequest): Promise<unknown>;
  policy(request: AuthReadRequest, stored: Json): AuthPolicy;
  afterFind?(authData: Json, request: AuthReadRequest): unknown;
}

/** The resolved `auth` option. */
export type AuthChecks = Record<string, AuthCheck | { enabled: false }>;

const PROVIDER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function isAuthCheck(value: unknown): value is AuthCheck {
  return isPlainObject(value) && typeof (value as { policy?: unknown }).policy === 'function';
}

/** The check for a provider, when it is known and enabled (anonymous is built in). */
export function authCheckFor(provider: string, checks: AuthChecks): AuthCheck | 'anonymous' | undefined {
  const configured = checks[provider];
  if (provider === 'anonymous' && !isAuthCheck(configured)) return configured === undefined ? 'anonymous' : undefined;
  return isAuthCheck(configured) ? configured : undefined;
}

/** The changes an `authData` value asks for: identities to link (checked) and providers to unlink. */
export interface AuthDataChange {
  link: Record<string, Json>;
  unlink: string[];
}

function unsupported(): BackendError {
  return new BackendError(ErrorCode.UNSUPPORTED_SERVICE, 'This authentication method is unsupported.');
}

/**
 * Checks the shape of `authData` and the provider names; runs nothing yet. An `id`, when given,
 * must be a non-empty string; a configured provider's data may go without one, as in parse-server.
 */
export function parseAuthData(value: unknown, checks: AuthChecks): AuthDataChange {
  if (!isPlainObject(value) || Object.keys(value).length === 0) throw unsupported();
  const change: AuthDataChange = { link: {}, unlink: [] };
  for (const [provider, data] of Object.entries(value)) {
    const check = PROVIDER_NAME.test(provider) ? authCheckFor(provider, checks) : undefined;
    if (!check) throw unsupported();
    if (data === null) {
      change.unlink.push(provider);
      continue;
    }
    if (!isPlainObject(data)) throw new BackendError(ErrorCode.INVALID_JSON, `authData.${provider} must be an object`);
    const id = data.id;
    // A configured provider may go without an id (an MFA token, a proof the adapter reads); anonymous may not.
    const idOptional = check !== 'anonymous';
    // The id is used in a query: only a plain string may reach it (GHSA-5fw2-8jcv-xh87).
    if (!(idOptional && id === undefined) && (typeof id !== 'string' || id === ''))
      throw new BackendError(ErrorCode.LINKED_ID_MISSING, `authData.${provider}.id must be a non-empty string`);
    change.link[provider] = data;
  }
  return change;
}

/** What a user's identities came to: what to store by provider, and what to tell the client. */
export interface AuthOutcome {
  store: Record<string, Json>;
  responses: Record<string, unknown>;
  /**
   * A login a provider turned down after storing something (`{ save, refuse }`: the built-in MFA
   * provider texting a code): what is stored is kept, and the login answers 141 with this.
   */
  refusal?: string;
}

/** Where the check runs: who calls, and the user's stored identities (undefined for a new user). */
export interface AuthSituation {
  userId: string | null;
  stored: Json | undefined;
  /** The caller is the user or holds the master key (a V2 provider is then updated, not logged in with). */
  ownerOrMaster: boolean;
  request: AuthRequest;
}

function failed(provider: string, err: unknown, v1: boolean): BackendError {
  // V2 steps speak for themselves, with parse-server's words for a throw that says nothing.
  if (!v1) return hookError(err, ErrorCode.SCRIPT_FAILED, 'Auth failed. Unknown error.');
  if (err instanceof BackendError) return err;
  // A parse-server adapter throws the SDK's Parse.Error: its code and message are kept.
  const sdkError = err as { code?: unknown; message?: unknown } | null;
  if (typeof sdkError?.code === 'number' && typeof sdkError.message === 'string')
    return new BackendError(sdkError.code, sdkError.message);
  // A V1 failure is the identity not being recognised.
  const message = err instanceof Error ? err.message : String(err);
  return new BackendError(ErrorCode.OBJECT_NOT_FOUND, `${provider} authentication failed: ${message}`);
}

/** Reads a provider's answer: `{ response, save, doNotSave }`, or (V1, Plinth's form) the fields to store. */
function applyAnswer(provider: string, sent: Json, answer: unknown, outcome: AuthOutcome): void {
  if (isPlainObject(answer) && ('response' in answer || 'save' in answer || 'doNotSave' in answer)) {
    if (answer.response !== undefined) outcome.responses[provider] = answer.response;
    if (typeof answer.refuse === 'string') outcome.refusal = answer.refuse;
    if (answer.doNotSave === true) return;
    outcome.store[provider] = isPlainObject(answer.save) ? answer.save : sent;
    return;
  }
  outcome.store[provider] = isPlainObject(answer) && answer.id === sent.id && sent.id !== undefined ? answer : sent;
}

/**
 * Runs each provider's check, in name order as parse-server does; returns what to store and
 * what to answer. V2 steps by situation: a provider the user has is updated by its owner (or the
 * master key) and logged in with by anyone else; one it has not is set up. The built-in anonymous
 * provider accepts any id.
 */
export async function validateAuthData(
  change: AuthDataChange,
  checks: AuthChecks,
  situation: AuthSituation,
): Promise<AuthOutcome> {
  const outcome: AuthOutcome = { store: {}, responses: {} };
  for (const provider of Object.keys(change.link).sort()) {
    const data = change.link[provider]!;
    const check = authCheckFor(provider, checks);
    if (check === undefined) throw unsupported();
    if (check === 'anonymous') {
      outcome.store[provider] = data;
      continue;
    }
    const has = isPlainObject(situation.stored?.[provider]);
    const step: 'v1' | 'update' | 'setUp' | 'login' = check.v1
      ? 'v1'
      : situation.ownerOrMaster
        ? has
          ? 'update'
          : 'setUp'
        : has
          ? 'login'
          : 'setUp';
    const triggerName = step === 'v1' ? undefined : `validate${step[0]!.toUpperCase()}${step.slice(1)}`;
    const request = {
      ...situation.request,
      provider,
      userId: situation.userId,
      ...(triggerName ? { triggerName } : {}),
    };
    try {
      const answer = step === 'v1' ? await check.v1!(data, request) : await check[step]!(data, request);
      applyAnswer(provider, data, answer, outcome);
    } catch (err) {
      throw failed(provider, err, step === 'v1');
    }
  }
  return outcome;
}

/**
 * A login's policy check, as parse-server makes it: a user with an `additional` provider (MFA)
 * must send one of them, unless the login used a `solo` provider. -1 `Missing additional authData
 * <names>` otherwise.
 */
export function assertLoginProviders(
  stored: Json | undefined,
  sent: readonly string[],
  checks: AuthChecks,
  request: AuthReadRequest,
): void {
  const linked = Object.entries(stored ?? {}).filter(([, data]) => isPlainObject(data)) as [string, Json][];
  const withChecks = linked
    .map(([provider, data]) => [provider, data, authCheckFor(provider, checks)] as const)
    .filter((entry): entry is readonly [string, Json, AuthCheck] => isAuthCheck(entry[2]));
  if (withChecks.some(([provider, data, check]) => sent.includes(provider) && check.policy(request, data) === 'solo'))
    return;
  const additional = withChecks.filter(([, data, check]) => check.policy(request, data) === 'additional');
  if (additional.length === 0 || additional.some(([provider]) => sent.includes(provider))) return;
  throw new BackendError(
    ErrorCode.OTHER_CAUSE,
    `Missing additional authData ${additional.map(([provider]) => provider).join(',')}`,
  );
}

/** A user's stored identities as a reader sees them: each provider's `afterFind` applied. */
export function authDataAsSeen(authData: unknown, checks: AuthChecks, request: AuthReadRequest): unknown {
  if (!isPlainObject(authData)) return authData;
  let seen: Json | undefined;
  for (const [provider, data] of Object.entries(authData)) {
    const check = checks[provider];
    if (!isAuthCheck(check) || !check.afterFind || !isPlainObject(data)) continue;
    const shown = check.afterFind(data, request);
    if (shown !== undefined && shown !== null) (seen ??= { ...authData })[provider] = shown as Json;
  }
  return seen ?? authData;
}
