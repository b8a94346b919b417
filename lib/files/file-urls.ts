/**
 * File URLs: `<serverURL>/files/<appId>/<name>`, as parse-server builds them. With signing on, each
 * URL carries a short-lived token (a JWT naming the file and app) and downloads need a valid one.
 * A files adapter may place files elsewhere (`getFileLocation`, maybe asynchronous): then the
 * objects read get their URLs from it, after decoding (`locateAll`).
 */
import jwt from 'jsonwebtoken';
import type { ResolvedConfig } from '../config/options.js';
import type { Json } from '../values/json.js';

export interface FileUrls {
  /** The URL of a stored file served by this backend. */
  urlFor(name: string): string;
  /** The URL clients get for a stored file: the store's location when it decides, else `urlFor`. */
  locate(name: string): string | Promise<string>;
  /**
   * Sets the URL of every top-level File field of `objects` from the store's location (as
   * parse-server's `expandFilesInObject`); absent when the backend serves every file itself.
   */
  locateAll?(objects: Json[]): Promise<void>;
  /** Whether a download of `name` with `token` is allowed (always true without signing). */
  allows(name: string, token: unknown): boolean;
}

/** File URLs for `config`; `location`: the store's own (a files adapter's), when it has one. */
export function createFileUrls(
  config: ResolvedConfig,
  mountPath: () => string,
  location?: (name: string) => string | Promise<string>,
): FileUrls {
  const served = servedUrls(config, mountPath);
  if (!location) return { ...served, locate: served.urlFor };
  const locate = async (name: string): Promise<string> => {
    const found = await location(name);
    // The adapter's URL for a file this backend serves gets what the backend adds (a signature).
    return found === served.plain(name) ? served.urlFor(name) : found;
  };
  return {
    ...served,
    locate,
    async locateAll(objects) {
      const pending: Promise<void>[] = [];
      for (const object of objects)
        for (const value of Object.values(object))
          if (isFileValue(value))
            pending.push(
              locate(value.name).then((url) => {
                value.url = url;
              }),
            );
      await Promise.all(pending);
    },
  };
}

function isFileValue(value: unknown): value is { __type: 'File'; name: string; url?: string } {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as Json).__type === 'File' &&
    typeof (value as Json).name === 'string'
  );
}

function servedUrls(
  config: ResolvedConfig,
  mountPath: () => string,
): Omit<FileUrls, 'locate' | 'locateAll'> & { plain(name: string): string } {
  const mount = (): string => config.publicServerURL ?? config.serverURL ?? mountPath();
  const base = (): string => `${mount()}/files/${encodeURIComponent(config.appId)}/`;
  // As parse-server's adapters write it (the app id as it is).
  const plain = (name: string): string => `${mount()}/files/${config.appId}/${encodeURIComponent(name)}`;
  const signing = config.fileUrlSigning;
  if (!signing) {
    return { urlFor: (name) => `${base()}${encodeURIComponent(name)}`, allows: () => true, plain };
  }
  return {
    plain,
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
