/**
 * File URLs: `<serverURL>/files/<appId>/<name>`, as parse-server builds them. With signing on, each
 * URL carries a short-lived token (a JWT naming the file and app) and downloads need a valid one.
 */
import jwt from 'jsonwebtoken';
import type { ResolvedConfig } from '../config/options.js';

export interface FileUrls {
  /** The URL clients get for a stored file. */
  urlFor(name: string): string;
  /** Whether a download of `name` with `token` is allowed (always true without signing). */
  allows(name: string, token: unknown): boolean;
}

export function createFileUrls(config: ResolvedConfig, mountPath: () => string): FileUrls {
  const base = (): string =>
    `${config.publicServerURL ?? config.serverURL ?? mountPath()}/files/${encodeURIComponent(config.appId)}/`;
  const signing = config.fileUrlSigning;
  if (!signing) {
    return { urlFor: (name) => `${base()}${encodeURIComponent(name)}`, allows: () => true };
  }
  return {
    urlFor(name) {
      const token = jwt.sign({ f: name, a: config.appId }, signing.secret, {
        algorithm: 'HS256',
        expiresIn: signing.expiresInSeconds,
      });
      return `${base()}${encodeURIComponent(name)}?token=${token}`;
    },
    allows(name, token) {
      if (typeof token !== 'string') return false;
      try {
        // The algorithm is pinned: a token cannot pick its own (no `none`, no key confusion).
        const claims = jwt.verify(token, signing.secret, { algorithms: ['HS256'] }) as { f?: unknown; a?: unknown };
        return claims.f === name && claims.a === config.appId;
      } catch {
        return false;
      }
    },
  };
}
