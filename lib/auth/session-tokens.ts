/**
 * Session tokens: `r:` + 32 random hex digits from a CSPRNG, as parse-server issues them. New
 * sessions store only a hash (`h:` + base64url SHA-256), so a leaked database leaks no live
 * session; tokens stored in plain by parse-server still verify, in the same single lookup.
 */
import { createHash, randomBytes } from 'node:crypto';

export type TokenStorage = 'hashed' | 'plain';

export function newSessionToken(): string {
  return `r:${randomBytes(16).toString('hex')}`;
}

function hashed(token: string): string {
  return `h:${createHash('sha256').update(token).digest('base64url')}`;
}

/** What is stored as a new session's token. */
export function storedToken(token: string, storage: TokenStorage): string {
  return storage === 'plain' ? token : hashed(token);
}

/**
 * Every stored form a presented token may have: hashed by Plinth, or plain as parse-server stores
 * it. A presented token that looks like a stored hash is only ever hashed, so a hash read from a
 * leaked database cannot be replayed as a token.
 */
export function storedForms(token: string): string[] {
  return token.startsWith('h:') ? [hashed(token)] : [hashed(token), token];
}
