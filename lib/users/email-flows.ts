/**
 * Email verification and password reset: one-time tokens (random, expiring, used up atomically so
 * a link works once even when clicked twice at the same moment), sent through the host app's
 * `emailAdapter`. Requests never reveal whether an address belongs to a user.
 */
import { randomBytes } from 'node:crypto';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { HookObject } from '../cloud/hook-object.js';
import { runHook } from '../cloud/hook-runner.js';
import { callerFields } from '../cloud/caller-fields.js';
import type { OperationContext } from '../services.js';
import type { RestObject, UserSecretsChange } from '../storage/storage.js';
import { checkNewPassword, nextHistory } from '../auth/password-policy.js';
import { USER_SCHEMA } from './user-save-steps.js';

const RESET_TOKEN_DEFAULT_SECONDS = 3600;

function newToken(): string {
  return randomBytes(24).toString('hex');
}

/** Where links point: the public URL of the backend, then the app's pages. */
function pageUrl(ctx: OperationContext, page: string, token: string): string {
  const { config } = ctx.services;
  return `${ctx.services.serverURL()}/apps/${encodeURIComponent(config.appId)}/${page}?token=${token}`;
}

function recipient(user: RestObject): { objectId: string; username: string | undefined; email: string } {
  return { objectId: String(user.objectId), username: user.username as string | undefined, email: String(user.email) };
}

async function send(
  ctx: OperationContext,
  kind: 'sendVerificationEmail' | 'sendPasswordResetEmail',
  user: RestObject,
  link: string,
): Promise<void> {
  const { config } = ctx.services;
  if (!config.emailAdapter)
    throw new BackendError(ErrorCode.INTERNAL_SERVER_ERROR, 'An emailAdapter is needed to send emails.');
  try {
    await config.emailAdapter[kind]({ appName: config.appName, link, user: recipient(user) });
  } catch (err) {
    // The mail sender's trouble is logged; the client's request itself succeeded.
    config.logger.error(`${kind} failed`, { userId: user.objectId, error: String(err) });
  }
}

/** Gives a user a fresh verification token (marking the email unverified) and sends the link. */
export async function startEmailVerification(ctx: OperationContext, user: RestObject): Promise<void> {
  const { services } = ctx;
  const token = newToken();
  const expiresAt = new Date(services.now().getTime() + services.config.emailVerifyTokenValidityMs);
  await services.storage.updateObject(USER_SCHEMA, { objectId: user.objectId }, { emailVerified: false }, null, {
    emailVerifyToken: { token, expiresAt },
  });
  await send(ctx, 'sendVerificationEmail', user, pageUrl(ctx, 'verify_email', token));
}

/** Uses up a verification token; true when it was valid. */
export async function verifyEmail(ctx: OperationContext, token: unknown): Promise<boolean> {
  // Only a string may reach the query (GHSA-vgjh-hmwf-c588: operator injection through the token).
  if (typeof token !== 'string' || !/^[0-9a-f]{48}$/.test(token)) return false;
  const user = await ctx.services.storage.consumeUserToken('verifyEmail', token, ctx.services.now(), {
    emailVerified: true,
  });
  return user !== null;
}

/** The `email` of a request body; 204 when missing (checked before answering). */
export function readEmail(body: unknown): string {
  const email = (body as Record<string, unknown> | undefined)?.email;
  if (typeof email !== 'string' || email === '')
    throw new BackendError(ErrorCode.EMAIL_MISSING, 'you must provide an email');
  return email;
}

/** POST /verificationEmailRequest: resends the link to an unverified address; answers alike for any address. */
export async function requestVerificationEmail(ctx: OperationContext, body: unknown): Promise<void> {
  const email = readEmail(body);
  const found = await ctx.services.storage.findUserSecrets(USER_SCHEMA, { email });
  if (found && found.user.emailVerified !== true) await startEmailVerification(ctx, found.user);
}

/** POST /requestPasswordReset: sends a reset link; answers alike for any address. */
export async function requestPasswordReset(ctx: OperationContext, body: unknown): Promise<void> {
  const { services } = ctx;
  const email = readEmail(body);
  const found = await services.storage.findUserSecrets(USER_SCHEMA, { email });
  if (!found) return;
  const hook = services.cloud.loginHook('beforePasswordResetRequest');
  if (hook) {
    await runHook(hook, {
      ...callerFields(ctx),
      object: new HookObject('_User', found.user),
      triggerName: 'beforePasswordResetRequest',
    });
  }
  const token = newToken();
  const seconds = services.config.passwordPolicy?.resetTokenValidityDuration ?? RESET_TOKEN_DEFAULT_SECONDS;
  const expiresAt = new Date(services.now().getTime() + seconds * 1000);
  await services.storage.updateObject(USER_SCHEMA, { objectId: found.user.objectId }, {}, null, {
    resetToken: { token, expiresAt },
  });

  await send(ctx, 'sendPasswordResetEmail', found.user, pageUrl(ctx, 'request_password_reset', token));
}

/** Whether a reset token is valid now (the page shows the form only then). */
export async function isResetTokenValid(ctx: OperationContext, token: unknown): Promise<boolean> {
  if (typeof token !== 'string' || !/^[0-9a-f]{48}$/.test(token)) return false;
  return (await ctx.services.storage.userWithToken('resetPassword', token, ctx.services.now())) !== null;
}

/** Sets a new password with a reset token, once; ends the user's sessions. */
export async function resetPassword(ctx: OperationContext, token: unknown, password: unknown): Promise<void> {
  const { services } = ctx;
  const invalid = new BackendError(ErrorCode.OTHER_CAUSE, 'The password reset link is invalid or has expired.');
  if (typeof token !== 'string' || !/^[0-9a-f]{48}$/.test(token)) throw invalid;
  if (typeof password !== 'string' || password === '')
    throw new BackendError(ErrorCode.PASSWORD_MISSING, 'password is required.');
  const now = services.now();
  const holder = await services.storage.userWithToken('resetPassword', token, now);
  if (!holder) throw invalid;
  const policy = services.config.passwordPolicy;
  await checkNewPassword(policy, password, {
    username: holder.user.username as string | undefined,
    history: [...(holder.hashedPassword ? [holder.hashedPassword] : []), ...holder.passwordHistory],
    verify: (candidate, hash) => services.passwords.verify(candidate, hash),
    refuseLongPasswords: services.config.refuseLongPasswords,
  });
  const history = nextHistory(policy, holder.hashedPassword, holder.passwordHistory);
  const secrets: UserSecretsChange = {
    password: { hash: await services.passwords.hash(password), changedAt: now, ...(history ? { history } : {}) },
    clearLockout: services.config.accountLockout?.unlockOnPasswordReset === true,
  };
  const user = await services.storage.consumeUserToken('resetPassword', token, now, {}, secrets);
  if (!user) throw invalid;
  if (services.config.revokeSessionOnPasswordReset) await services.sessions.revokeAllOf(String(user.objectId));
}
