/**
 * `authData`: logging in with another identity (anonymous, or a provider the host app plugs in).
 * Each linked provider is stored on the user (storage keeps parse-server's layout), with a unique
 * index on its `id` so that two sign-ups with one identity cannot make two users.
 * Unknown providers are refused before any database access.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { Json } from '../values/json.js';

/** What a host app supplies to accept an identity provider. */
export interface AuthProvider {
  /**
   * Checks the client's proof for this provider (a token, a signature...) and throws when it is
   * not valid. Must check who issued it and for which app. May return the fields to store
   * (they must include `id`; `{ id }` keeps the identity alone); by default what the client sent
   * is stored, as parse-server does.
   */
  validateAuthData(authData: Json, context: { provider: string; userId: string | null }): unknown;
}

/** Providers by name; `anonymous` is built in (and may be turned off with `{ enabled: false }`). */
export type AuthProviders = Record<string, AuthProvider | { enabled: false }>;

const PROVIDER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function isProvider(value: unknown): value is AuthProvider {
  return value !== null && typeof value === 'object' && typeof (value as AuthProvider).validateAuthData === 'function';
}

/** The changes an `authData` value asks for: identities to link (checked) and providers to unlink. */
export interface AuthDataChange {
  link: Record<string, Json>;
  unlink: string[];
}

/** Checks the shape of `authData` and the provider names; runs nothing yet. */
export function parseAuthData(value: unknown, providers: AuthProviders): AuthDataChange {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) {
    throw new BackendError(ErrorCode.UNSUPPORTED_SERVICE, 'This authentication method is unsupported.');
  }
  const change: AuthDataChange = { link: {}, unlink: [] };
  for (const [provider, data] of Object.entries(value as Json)) {
    if (!PROVIDER_NAME.test(provider) || !isEnabled(provider, providers)) {
      throw new BackendError(ErrorCode.UNSUPPORTED_SERVICE, 'This authentication method is unsupported.');
    }
    if (data === null) {
      change.unlink.push(provider);
      continue;
    }
    if (typeof data !== 'object' || Array.isArray(data))
      throw new BackendError(ErrorCode.INVALID_JSON, `authData.${provider} must be an object`);
    const id = (data as Json).id;
    // The id is used in a query: only a plain string may reach it (GHSA-5fw2-8jcv-xh87).
    if (typeof id !== 'string' || id === '')
      throw new BackendError(ErrorCode.LINKED_ID_MISSING, `authData.${provider}.id must be a non-empty string`);
    change.link[provider] = data as Json;
  }
  return change;
}

function isEnabled(provider: string, providers: AuthProviders): boolean {
  const configured = providers[provider];
  if (provider === 'anonymous')
    return configured === undefined || !('enabled' in configured && configured.enabled === false);
  return isProvider(configured);
}

/**
 * Runs each provider's check (the built-in anonymous provider accepts any id); returns, by
 * provider, what to store: the provider's choice when it returns an object with the same `id`
 * (`{ id }` keeps the identity alone), else what the client sent, as parse-server stores it (the
 * SDKs read their tokens back from it).
 */
export async function validateAuthData(
  change: AuthDataChange,
  providers: AuthProviders,
  userId: string | null,
): Promise<Record<string, Json>> {
  const kept: Record<string, Json> = {};
  for (const [provider, data] of Object.entries(change.link)) {
    const adapter = providers[provider];
    kept[provider] = data;
    if (!isProvider(adapter)) continue;
    try {
      const result = await adapter.validateAuthData(data, { provider, userId });
      if (result !== null && typeof result === 'object' && (result as Json).id === data.id)
        kept[provider] = result as Json;
    } catch (err) {
      if (err instanceof BackendError) throw err;
      // A parse-server adapter throws the SDK's Parse.Error: its code and message are kept.
      const sdkError = err as { code?: unknown; message?: unknown } | null;
      if (typeof sdkError?.code === 'number' && typeof sdkError.message === 'string')
        throw new BackendError(sdkError.code, sdkError.message);
      throw new BackendError(
        ErrorCode.OBJECT_NOT_FOUND,
        `${provider} authentication failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return kept;
}
