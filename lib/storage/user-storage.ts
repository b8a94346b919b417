/**
 * The users and sessions part of the storage contract: what a user's record holds besides its
 * fields — password hashes, login counters, one-time tokens, linked identities, legacy session
 * tokens. The core names these by what they mean (`UserSecretsChange`); only the implementation
 * knows where they are stored.
 *
 * An implementation MUST:
 * - keep secrets in Parse Server's fields (`_hashed_password`, `_perishable_token`, ...), and never
 *   return them among an object's fields;
 * - count login attempts and use up one-time tokens atomically, so that parallel requests cannot
 *   pass a lock check or use one token twice;
 * - find a user by a field ignoring case, and refuse a lookup that matches two users.
 * It SHOULD make one round trip per call.
 */
import type { ClassSchema } from '../schema/class-schema.js';
import type { Json } from '../values/json.js';
import type { RestObject, RestWhere } from './object-storage.js';

/** One-time user tokens: email verification and password reset. */
export type UserTokenKind = 'verifyEmail' | 'resetPassword';

/** What a user's record holds besides its fields: never sent to a client. */
export interface UserSecrets {
  user: RestObject;
  hashedPassword: string | null;
  failedLogins: number;
  lockedUntil: Date | null;
  passwordChangedAt: Date | null;
  /** Previous password hashes, newest first. */
  passwordHistory: string[];
  /** The user's one-time tokens and their expiry, where it holds one. */
  tokens: Partial<Record<UserTokenKind, { token: string; expiresAt: Date | null }>>;
}

/** A change to a user's secrets, named for what it means. */
export interface UserSecretsChange {
  /** A new password: its hash, when it changed, and the previous hashes to remember (newest first). */
  password?: { hash: string; changedAt: Date; history?: readonly string[] };
  /** A password reset token to set, or null to clear the one there is. */
  resetToken?: { token: string; expiresAt: Date } | null;
  /** An email verification token to set, or null to clear the one there is. */
  emailVerifyToken?: { token: string; expiresAt: Date } | null;
  /** Forget failed logins and any lock. */
  clearLockout?: boolean;
  /** Identities to link (`{ provider: data }`) or unlink (`{ provider: null }`). */
  authData?: Readonly<Record<string, Json | null>>;
  /** Retire a session token from before revocable sessions, stored on the user. */
  clearLegacySessionToken?: boolean;
}

export interface UserStorage {
  /**
   * The one user matching `where` with its stored secrets; null when none or several match — unless
   * one of several has the username `preferUsername`, which is then the one.
   */
  findUserSecrets(schema: ClassSchema, where: RestWhere, preferUsername?: string): Promise<UserSecrets | null>;
  /** The user holding a session token from before revocable sessions, if any. */
  userWithLegacySessionToken(token: string): Promise<RestObject | null>;
  /**
   * Counts a login attempt before the password is checked, atomically, unless the account is
   * locked: returns the attempt's number since the last success, or null when locked. Parallel
   * attempts therefore cannot all pass a lock check made before any of them was counted.
   */
  reserveLoginAttempt(userId: string, now: Date): Promise<number | null>;
  /** Locks an account until `lockUntil` and starts counting again. */
  lockAccount(userId: string, lockUntil: Date): Promise<void>;
  /** Forgets failed logins and any lock (after a successful login). */
  clearFailedLogins(userId: string): Promise<void>;
  /**
   * Uses up a one-time user token atomically: the one user holding `token` (unexpired) gets `set`
   * and `secrets` applied and loses the token, in one update; null when no user holds it.
   * Concurrent uses of one token succeed once.
   */
  consumeUserToken(
    kind: UserTokenKind,
    token: string,
    now: Date,
    set: RestObject,
    secrets?: UserSecretsChange,
  ): Promise<RestObject | null>;
  /** The user holding an unexpired token, without using it up. */
  userWithToken(kind: UserTokenKind, token: string, now: Date): Promise<UserSecrets | null>;
  /** Creates the unique index on a provider's identity ids (once per provider and process). */
  ensureAuthDataIndex(provider: string): Promise<void>;
  /** The identity providers linked to a user (`anonymous`, ...). */
  authProvidersOf(userId: string): Promise<string[]>;
}
