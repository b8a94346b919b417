/**
 * Sessions in `_Session` (`sessionToken`, `user`, `expiresAt`, `installationId`, `createdWith`,
 * stored in parse-server's layout), with the token stored hashed unless configured otherwise.
 * Resolving a token is one indexed lookup, cached briefly (see SessionCache).
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { newObjectId } from '../values/object-id.js';
import { classSchema, type ClassSchema } from '../schema/class-schema.js';
import type { Json } from '../values/json.js';
import type { RestObject, Storage } from '../storage/storage.js';
import { SessionCache, type CachedSession } from './session-cache.js';
import { newSessionToken, storedForms, storedToken, type TokenStorage } from './session-tokens.js';

/** `_Session`'s fields, as parse-server defines them. */
export const SESSION_SCHEMA = classSchema(
  '_Session',
  {
    user: { type: 'Pointer', targetClass: '_User' },
    expiresAt: { type: 'Date' },
    installationId: { type: 'String' },
    createdWith: { type: 'Object' },
    restricted: { type: 'Boolean' },
    sessionToken: { type: 'String' },
  },
  undefined,
);

/** `_User`, as far as legacy tokens need it. */
const USER_FOR_LEGACY_TOKENS = classSchema('_User', {}, undefined);

/** How long a resolved token is trusted before it is looked up again: the revocation bound. */
export const SESSION_CACHE_TTL_MS = 5000;
const SESSION_CACHE_SIZE = 10000;

function invalidToken(): BackendError {
  return new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
}

function expiredToken(): BackendError {
  return new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Session token is expired.');
}

export interface NewSession {
  token: string;
  objectId: string;
  /** Null when sessions do not expire (`expireInactiveSessions: false`). */
  expiresAt: Date | null;
  /** The session as its owner sees it: what was stored, with the token itself. */
  session: RestObject;
}

export interface SessionsOptions {
  storage: Storage;
  /** How long a session lasts; null when sessions never expire. */
  lengthMs: number | null;
  tokenStorage: TokenStorage;
  /** Push the expiry back when a session is used past half its length. */
  extendOnUse: boolean;
  now: () => Date;
  /**
   * Records `_Session` in `_SCHEMA` (as parse-server does with its first session), so that the
   * master key can query sessions like any class. Called before this process's first session.
   */
  recordSchema?: (schema: ClassSchema) => Promise<void>;
}

export class Sessions {
  private readonly cache: SessionCache;
  private schemaRecorded: Promise<void> | null = null;

  constructor(private readonly options: SessionsOptions) {
    this.cache = new SessionCache(SESSION_CACHE_SIZE, SESSION_CACHE_TTL_MS, () => options.now().getTime());
  }

  /** Starts a session for a user; `createdWith` says how (`{action: 'login', authProvider: 'password'}`). */
  async create(
    userId: string,
    details: {
      installationId: string | null;
      createdWith: Record<string, string>;
      /** A session a user asked for (`POST /sessions`), as parse-server marks it. */
      restricted?: boolean;
      /** Fields of the app's own, stored beside the session's. */
      extra?: Json;
      /** The schema to write with, when `extra` adds fields to `_Session`. */
      schema?: ClassSchema;
    },
  ): Promise<NewSession> {
    const { storage, now, lengthMs, tokenStorage, recordSchema } = this.options;
    if (recordSchema) {
      this.schemaRecorded ??= recordSchema(SESSION_SCHEMA).catch((err: unknown) => {
        this.schemaRecorded = null;
        throw err;
      });
      await this.schemaRecorded;
    }
    const token = newSessionToken();
    const created = now();
    const expiresAt = lengthMs === null ? null : new Date(created.getTime() + lengthMs);
    const objectId = newObjectId();
    const session: RestObject = {
      ...details.extra,
      objectId,
      createdAt: created.toISOString(),
      updatedAt: created.toISOString(),
      sessionToken: storedToken(token, tokenStorage),
      user: { __type: 'Pointer', className: '_User', objectId: userId },
      createdWith: details.createdWith,
      restricted: details.restricted ?? false,
      ACL: { [userId]: { read: true, write: true } },
    };
    if (expiresAt) session.expiresAt = { __type: 'Date', iso: expiresAt.toISOString() };
    if (details.installationId) session.installationId = details.installationId;
    await storage.createObject(details.schema ?? SESSION_SCHEMA, session);
    if (details.installationId) {
      // One session per user and installation, as parse-server keeps: the device's earlier ones end.
      const user = { __type: 'Pointer', className: '_User', objectId: userId };
      await storage.deleteObjects(SESSION_SCHEMA, {
        user,
        installationId: details.installationId,
        objectId: { $ne: objectId },
      });
      this.cache.deleteUser(userId);
    }
    return { token, objectId, expiresAt, session: { ...session, sessionToken: token } };
  }

  /** The session a token names; 209 when it is unknown or expired. */
  async resolve(token: string): Promise<CachedSession> {
    const session = this.cache.get(token) ?? (await this.lookUp(token));
    // A session can expire while it is cached: it is never used, or extended, past its end.
    if (session.expiresAt !== null && session.expiresAt <= this.options.now().getTime()) {
      this.cache.delete(token);
      throw expiredToken();
    }
    return this.extendIfDue(token, session);
  }

  private async lookUp(token: string): Promise<CachedSession> {
    if (!token.startsWith('r:')) return this.lookUpLegacy(token);
    const [session] = await this.options.storage.findObjects(
      SESSION_SCHEMA,
      { sessionToken: { $in: storedForms(token) } },
      { limit: 1 },
      null,
    );
    const user = session?.user as { objectId?: string } | undefined;
    const expiresAt = (session?.expiresAt as { iso?: string } | undefined)?.iso;
    const expiry = expiresAt ? new Date(expiresAt).getTime() : null;
    if (!session || !user?.objectId) throw invalidToken();
    if (expiry !== null && expiry <= this.options.now().getTime()) throw expiredToken();
    const resolved: CachedSession = { userId: user.objectId, sessionId: String(session.objectId), expiresAt: expiry };
    this.cache.set(token, resolved);
    return resolved;
  }

  /**
   * Tokens from before revocable sessions (not `r:`) live on the user record; they
   * keep working until upgraded (POST /upgradeToRevocableSession). Still one lookup.
   */
  private async lookUpLegacy(token: string): Promise<CachedSession> {
    if (token.startsWith('h:') || token === '') throw invalidToken();
    const user = await this.options.storage.userWithLegacySessionToken(token);
    if (!user) throw invalidToken();
    const resolved: CachedSession = { userId: String(user.objectId), sessionId: null, expiresAt: null };
    this.cache.set(token, resolved);
    return resolved;
  }

  /** With `extendSessionOnUse`, a session used in the second half of its life gets a full length again. */
  private async extendIfDue(token: string, session: CachedSession): Promise<CachedSession> {
    const now = this.options.now().getTime();
    const length = this.options.lengthMs;
    if (
      !this.options.extendOnUse ||
      length === null ||
      session.sessionId === null ||
      session.expiresAt === null ||
      session.expiresAt - now >= length / 2
    )
      return session;
    const extended = { ...session, expiresAt: now + length };
    await this.options.storage.updateObject(
      SESSION_SCHEMA,
      { objectId: session.sessionId },
      { expiresAt: { __type: 'Date', iso: new Date(extended.expiresAt).toISOString() } },
      null,
    );
    this.cache.set(token, extended);
    return extended;
  }

  /**
   * The stored session object of a token (for /sessions/me), with the token shown as presented. An
   * expired session is described too, as parse-server describes it: its owner learns when it ended.
   */
  async describe(token: string): Promise<RestObject> {
    if (!token.startsWith('r:')) {
      const { userId } = await this.resolve(token);
      return {
        sessionToken: token,
        user: { __type: 'Pointer', className: '_User', objectId: userId },
        createdWith: { action: 'login' },
      };
    }
    const [session] = await this.options.storage.findObjects(
      SESSION_SCHEMA,
      { sessionToken: { $in: storedForms(token) } },
      { limit: 1 },
      null,
    );
    if (!session) throw invalidToken();
    return { ...session, sessionToken: token };
  }

  /** Ends the session of a token. */
  async revoke(token: string): Promise<void> {
    const { sessionId, userId } = await this.resolve(token);
    this.cache.delete(token);
    if (sessionId === null) {
      await this.options.storage.updateObject(USER_FOR_LEGACY_TOKENS, { objectId: userId }, {}, null, {
        clearLegacySessionToken: true,
      });
      return;
    }
    await this.options.storage.deleteObject(SESSION_SCHEMA, { objectId: sessionId }, null);
  }

  /** Drops the cached token of a `_Session` that changed or went, as the database reports it. */
  forgetSession(sessionId: string): void {
    this.cache.deleteSession(sessionId);
  }

  /** Drops every cached token (all sessions were deleted). */
  forgetAll(): void {
    this.cache.clear();
  }

  /** Drops a user's cached tokens, so sessions deleted elsewhere in this process stop at once. */
  async forgetCachedTokensOf(userId: string): Promise<void> {
    this.cache.deleteUser(userId);
  }

  /** Ends every session of a user (a password change, a deleted user). */
  async revokeAllOf(userId: string): Promise<void> {
    this.cache.deleteUser(userId);
    const user = { __type: 'Pointer', className: '_User', objectId: userId };
    await this.options.storage.deleteObjects(SESSION_SCHEMA, { user });
    // A legacy token stored on the user never expires by itself: it goes too.
    await this.options.storage.updateObject(USER_FOR_LEGACY_TOKENS, { objectId: userId }, {}, null, {
      clearLegacySessionToken: true,
    });
  }
}
