/**
 * Who a login names: the credentials of a login, checked against the stored password hash, with
 * the account lockout, password expiry and email verification rules.
 */
import { assertPasswordNotExpired } from '../auth/password-policy.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import { isObject, type Json } from '../values/json.js';
import { userSchema } from './user-save-steps.js';
import { conditionRequest } from './email-flows.js';
import { conditionHolds } from './email-sending.js';

/** The credentials of a login: a username or an email, and a password (parse-server's codes). */
export function readCredentials(source: Json): { where: Json; password: string; preferUsername?: string } {
  const { username, email, password } = source;
  if (!username && !email) throw new BackendError(ErrorCode.USERNAME_MISSING, 'username/email is required.');
  if (!password) throw new BackendError(ErrorCode.PASSWORD_MISSING, 'password is required.');
  // Anything but strings names no user (never an operator object), and answers like a wrong password.
  if (
    typeof password !== 'string' ||
    (email && typeof email !== 'string') ||
    (username && typeof username !== 'string')
  ) {
    throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Invalid username/password.');
  }
  // As parse-server: both must match when both are given; a username alone may be the email.
  if (username && email) return { where: { username, email }, password };
  if (email) return { where: { email }, password };
  // A username that is also another user's email names the user whose username it is, as in parse-server.
  return { where: { $or: [{ username }, { email: username }] }, password, preferUsername: username as string };
}

function lockedError(lockedUntil: Date | null, now: Date): BackendError {
  const minutes = lockedUntil ? Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 60000)) : 1;
  return new BackendError(
    ErrorCode.OBJECT_NOT_FOUND,
    `Your account is locked due to multiple failed login attempts. Please try again after ${minutes} minute(s)`,
  );
}

/**
 * The user these credentials name, or 101. A missing user and a wrong password answer alike and
 * take as long (a hash is compared either way), so logins do not reveal which accounts exist.
 * With `accountLockout`, each attempt is counted atomically *before* the password is compared, so
 * parallel guesses cannot slip past the threshold; reaching it locks the account for a while.
 */
export async function authenticate(
  ctx: OperationContext,
  where: Json,
  password: string,
  preferUsername?: string,
): Promise<RestObject> {
  const { storage, config } = ctx.services;
  const now = ctx.services.now();
  const found = await storage.findUserSecrets(await userSchema(ctx), where, preferUsername);
  const lockout = config.accountLockout;
  let attempt = 0;
  if (lockout && found) {
    const userId = String(found.user.objectId);
    const reserved = await storage.reserveLoginAttempt(userId, now);
    if (reserved === null) throw lockedError(found.lockedUntil, now);
    attempt = reserved;
    if (attempt > lockout.threshold) {
      await storage.lockAccount(userId, new Date(now.getTime() + lockout.duration * 60000));
      throw lockedError(null, now);
    }
  }
  const ok = await ctx.services.passwords.verify(password, found?.hashedPassword);
  if (!found || !ok) {
    if (found && lockout && attempt >= lockout.threshold) {
      await storage.lockAccount(String(found.user.objectId), new Date(now.getTime() + lockout.duration * 60000));
    }
    throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Invalid username/password.');
  }
  // An empty ACL (master key only) locks the user out of new logins, as in parse-server; its existing
  // sessions stay until the master key ends them.
  const acl = found.user.ACL;
  if (!ctx.caller.auth.master && isObject(acl) && Object.keys(acl).length === 0)
    throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Invalid username/password.');
  assertPasswordNotExpired(config.passwordPolicy, found.passwordChangedAt, now);
  await assertEmailVerifiedIfRequired(ctx, found.user);
  if (lockout || found.failedLogins > 0) await storage.clearFailedLogins(String(found.user.objectId));
  return found.user;
}

/**
 * With `verifyUserEmails` and `preventLoginWithUnverifiedEmail` (each `true`, or a function that
 * returns true for this login), a user with an unverified email may not log in (205).
 */
export async function assertEmailVerifiedIfRequired(ctx: OperationContext, user: RestObject): Promise<void> {
  const { config } = ctx.services;
  if (user.email === undefined || user.emailVerified === true) return;
  const request = () => conditionRequest(ctx, user, { createdWith: { action: 'login', authProvider: 'password' } });
  if (
    (await conditionHolds(config.verifyUserEmails, request)) &&
    (await conditionHolds(config.preventLoginWithUnverifiedEmail, request))
  )
    throw new BackendError(ErrorCode.EMAIL_NOT_FOUND, 'User email is not verified.');
}
