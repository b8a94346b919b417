/**
 * A built-in OpenID Connect provider for `authData`: the client sends `{ id, id_token }`; the id
 * token must be signed by one of the issuer's keys with an allowed algorithm (pinned by the
 * config, never taken from the token), come from the configured issuer, be meant for this app
 * (audience), be unexpired, and name the same subject as `id`.
 */
import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { BackendConfigError, BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { AuthProvider } from './auth-data.js';

/** Options of {@link openIdConnectProvider}. */
/** JSON Web Signature algorithms (JWA), as `jsonwebtoken` names them. */
export type JwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'none';

export interface OpenIdConnectOptions {
  /** The `iss` every token must carry, e.g. `https://accounts.example.com`. */
  issuer: string;
  /** The `aud` (client id) tokens must be issued for; several are allowed. */
  audience: string | string[];
  /** The issuer's public keys by key id (`kid`), as PEM or KeyObject. */
  keys?: Record<string, string | KeyObject>;
  /** Or a function that returns the key for a key id (e.g. from the issuer's JWKS, cached). */
  getKey?: (kid: string | undefined) => Promise<string | KeyObject | undefined> | string | KeyObject | undefined;
  /** Allowed signature algorithms. Default `['RS256']`. */
  algorithms?: JwtAlgorithm[];
  /** Tolerated clock difference, in seconds. Default 30. */
  clockToleranceSeconds?: number;
}

function refused(reason: string): BackendError {
  return new BackendError(ErrorCode.OBJECT_NOT_FOUND, `OpenID Connect login refused: ${reason}`);
}

/**
 * Creates the provider: `createBackend({ auth: { google: openIdConnectProvider({ ... }) } })`.
 * @throws BackendConfigError for options missing the issuer, the audience or any key source.
 */
export function openIdConnectProvider(options: OpenIdConnectOptions): AuthProvider {
  const problems: string[] = [];
  if (!options.issuer) problems.push('openIdConnectProvider.issuer: is required');
  if (!options.audience || (Array.isArray(options.audience) && options.audience.length === 0))
    problems.push('openIdConnectProvider.audience: is required');
  if (!options.keys && !options.getKey) problems.push('openIdConnectProvider: give keys or getKey');
  const algorithms = options.algorithms ?? ['RS256'];
  if (algorithms.length === 0 || algorithms.some((a) => (a as string) === 'none'))
    problems.push('openIdConnectProvider.algorithms: must list real signature algorithms');
  if (problems.length > 0) throw new BackendConfigError(problems);
  const audience = Array.isArray(options.audience) ? options.audience : [options.audience];

  return {
    async validateAuthData(authData) {
      const token = authData.id_token;
      if (typeof token !== 'string') throw refused('id_token is missing');
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') throw refused('id_token is not a JWT');
      const kid = decoded.header.kid;
      const keys = options.keys;
      const key = keys
        ? ((kid !== undefined && Object.hasOwn(keys, kid) ? keys[kid] : undefined) ??
          (kid === undefined && Object.keys(keys).length === 1 ? Object.values(keys)[0] : undefined))
        : await options.getKey!(kid);
      if (!key) throw refused(`no key for kid ${String(kid)}`);
      let claims: jwt.JwtPayload;
      try {
        claims = jwt.verify(token, key, {
          algorithms,
          issuer: options.issuer,
          audience: audience as [string, ...string[]],
          clockTolerance: options.clockToleranceSeconds ?? 30,
        }) as jwt.JwtPayload;
      } catch (err) {
        throw refused(err instanceof Error ? err.message : 'invalid token');
      }
      // jsonwebtoken checks exp only when present: an id token without one would never expire.
      if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number')
        throw refused('the token has no exp or iat');
      if (claims.sub !== authData.id) throw refused('the token is for another subject');
    },
  };
}
