/**
 * Email verification and password reset: one-time tokens (random, expiring, used up atomically so
 * a link works once even when clicked twice at the same moment), sent through the host app's
 * `emailAdapter`. By default requests never reveal whether an address belongs to a user
 * (`emailVerifySuccessOnInvalidEmail`, `passwordPolicy.resetPasswordSuccessOnInvalidEmail`).
 */
import { randomBytes } from 'node:crypto';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { HookObject } from '../cloud/hook-object.js';
import { runHook } from '../cloud/hook-runner.js';
import { callerFields } from '../cloud/caller-fields.js';
import type { EmailConditionRequest } from '../config/options.js';
import type { OperationContext } from '../services.js';
import type { RestObject, UserSecrets, UserSecretsChange } from '../storage/storage.js';
import { checkNewPassword, nextHistory } from '../auth/password-policy.js';
import { USER_SCHEMA } from './user-save-steps.js';
import { conditionHolds, emailLink, requireEmailSetup, sendEmail } from './email-sending.js';

const RESET_TOKEN_DEFAULT_SECONDS = 3600;

function newToken(): string {
  return randomBytes(24).toString('hex');
}

/**
 * Only a string of letters and digits may reach a query (GHSA-vgjh-hmwf-c588: operator injection
 * through the token). Plinth's tokens are 48 hex digits, parse-server's 25 letters and digits.
 */
export function isTokenShaped(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9]{1,128}$/.test(token);
}

/** The request a `verifyUserEmails`/`preventLoginWithUnverifiedEmail` function is asked about. */
export function conditionRequest(
  ctx: OperationContext,
  user: RestObject,
  extra: Pick<EmailConditionRequest, 'createdWith' | 'resendRequest'>,
): EmailConditionRequest {
  const { auth, ip } = ctx.caller;
  return {
    object: new HookObject('_User', user),
    master: auth.master,
    ip,
    installationId: auth.installationId ?? undefined,
    ...extra,
  };
}

/** A token still valid for a while, to send again with the `...ReuseIfValid` options. */
function reusable(token: UserSecrets['tokens']['verifyEmail'], now: Date): string | null {
  return token && token.expiresAt !== null && token.expiresAt > now ? token.token : null;
}

async function issueVerificationToken(ctx: OperationContext, user: RestObject, reuse: string | null): Promise<void> {
  const { services } = ctx;
  let token = reuse;
  if (!token) {
    token = newToken();
    const expiresAt = new Date(services.now().getTime() + services.config.emailVerifyTokenValidityMs);
    await services.storage.updateObject(USER_SCHEMA, { objectId: user.objectId }, { emailVerified: false }, null, {
      emailVerifyToken: { token, expiresAt },
    });
  }
  await sendEmail(ctx, 'sendVerificationEmail', user, emailLink(services.config, 'verify_email', token));
}

/**
 * When `verifyUserEmails` holds for this user: a fresh verification token (the email marked
 * unverified) and the link sent. True when the user now has to verify the email.
 */
export async function startEmailVerification(
  ctx: OperationContext,
  user: RestObject,
  createdWith: EmailConditionRequest['createdWith'],
): Promise<boolean> {
  const { config } = ctx.services;
  if (!(await conditionHolds(config.verifyUserEmails, () => conditionRequest(ctx, user, { createdWith }))))
    return false;
  await issueVerificationToken(ctx, user, null);
  return true;
}

/** Uses up a verification token; true when it was valid (and verification is on). */
export async function verifyEmail(ctx: OperationContext, token: unknown): Promise<boolean> {
  if (ctx.services.config.verifyUserEmails === false || !isTokenShaped(token)) return false;
  const user = await ctx.services.storage.consumeUserToken('verifyEmail', token, ctx.services.now(), {
    emailVerified: true,
  });
  return user !== null;
}

/** The `email` of a request body: 204 when missing, 125 when not a string (checked before answering). */
export function readEmail(body: unknown): string {
  const email = (body as Record<string, unknown> | undefined)?.email;
  if (email === undefined || email === null || email === '')
    throw new BackendError(ErrorCode.EMAIL_MISSING, 'you must provide an email');
  if (typeof email !== 'string')
    throw new BackendError(ErrorCode.INVALID_EMAIL_ADDRESS, 'you must provide a valid email string');
  return email;
}

/**
 * Whether an email request answers alike for every address, so that its answer may be sent before
 * the work is done (neither the answer nor its timing then tells whether the address has a user).
 */
export function answersAlike(ctx: OperationContext, kind: 'verification' | 'reset'): boolean {
  const { config } = ctx.services;
  return kind === 'verification'
    ? config.emailVerifySuccessOnInvalidEmail
    : (config.passwordPolicy?.resetPasswordSuccessOnInvalidEmail ?? true);
}

/**
 * Sends a user with an unverified email a verification link again (the same one, with
 * `emailVerifyTokenReuseIfValid`, while it is valid). `found` is null for no such user.
 */
async function resendVerification(ctx: OperationContext, found: UserSecrets | null, email: string): Promise<void> {
  const { config } = ctx.services;
  const quiet = config.emailVerifySuccessOnInvalidEmail;
  if (!found) {
    if (quiet) return;
    throw new BackendError(ErrorCode.EMAIL_NOT_FOUND, `No user found with email ${email}`);
  }
  if (found.user.emailVerified === true) {
    if (quiet) return;
    throw new BackendError(ErrorCode.OTHER_CAUSE, `Email ${email} is already verified.`);
  }
  const request = () => conditionRequest(ctx, found.user, { resendRequest: true });
  if (!(await conditionHolds(config.verifyUserEmails, request))) return;
  const reuse = config.emailVerifyTokenReuseIfValid ? reusable(found.tokens.verifyEmail, ctx.services.now()) : null;
  await issueVerificationToken(ctx, found.user, reuse);
}

/** POST /verificationEmailRequest: a new link for an unverified address. */
export async function requestVerificationEmail(ctx: OperationContext, body: unknown): Promise<void> {
  requireEmailSetup(ctx.services.config);
  const email = readEmail(body);
  await resendVerification(ctx, await ctx.services.storage.findUserSecrets(USER_SCHEMA, { email }), email);
}

/**
 * The resend form of the pages (`POST /apps/:appId/resend_verification_email`): by username.
 * Throws when nothing was sent, so that the page can say so (unless success is always shown).
 */
export async function resendVerificationEmail(ctx: OperationContext, username: unknown): Promise<void> {
  requireEmailSetup(ctx.services.config);
  if (typeof username !== 'string' || username === '')
    throw new BackendError(ErrorCode.USERNAME_MISSING, 'username is required.');
  const found = await ctx.services.storage.findUserSecrets(USER_SCHEMA, { username });
  if (!found || found.user.emailVerified === true || typeof found.user.email !== 'string')
    throw new BackendError(ErrorCode.EMAIL_NOT_FOUND, 'No user to send a verification email to.');
  const { config } = ctx.services;
  const request = () => conditionRequest(ctx, found.user, { resendRequest: true });
  if (!(await conditionHolds(config.verifyUserEmails, request))) return;
  const reuse = config.emailVerifyTokenReuseIfValid ? reusable(found.tokens.verifyEmail, ctx.services.now()) : null;
  await issueVerificationToken(ctx, found.user, reuse);
}

/**
 * POST /requestPasswordReset: sends a reset link to the user with this email (or, as parse-server
 * does, with this username when it has no email). The same link again with
 * `resetTokenReuseIfValid` while it is valid.
 */
export async function requestPasswordReset(ctx: OperationContext, body: unknown): Promise<void> {
  const { services } = ctx;
  requireEmailSetup(services.config);
  const email = readEmail(body);
  const found = await services.storage.findUserSecrets(USER_SCHEMA, {
    $or: [{ email }, { username: email, email: { $exists: false } }],
  });
  if (!found) {
    if (answersAlike(ctx, 'reset')) return;
    throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'A user with that email does not exist.');
  }
  const hook = services.cloud.loginHook('beforePasswordResetRequest');
  if (hook) {
    await runHook(hook, {
      ...callerFields(ctx),
      object: new HookObject('_User', found.user),
      triggerName: 'beforePasswordResetRequest',
    });
  }
  const policy = services.config.passwordPolicy;
  let token = policy?.resetTokenReuseIfValid ? reusable(found.tokens.resetPassword, services.now()) : null;
  if (!token) {
    token = newToken();
    const seconds = policy?.resetTokenValidityDuration ?? RESET_TOKEN_DEFAULT_SECONDS;
    const expiresAt = new Date(services.now().getTime() + seconds * 1000);
    await services.storage.updateObject(USER_SCHEMA, { objectId: found.user.objectId }, {}, null, {
      resetToken: { token, expiresAt },
    });
  }
  await sendEmail(
    ctx,
    'sendPasswordResetEmail',
    found.user,
    emailLink(services.config, 'request_password_reset', token),
  );
}

/** The user holding a valid reset token (the page shows the form only then), or null. */
export async function resetTokenHolder(ctx: OperationContext, token: unknown): Promise<RestObject | null> {
  if (!isTokenShaped(token)) return null;
  return (await ctx.services.storage.userWithToken('resetPassword', token, ctx.services.now()))?.user ?? null;
}

/** parse-server's answer to a reset with an unknown, used or expired token. */
const INVALID_RESET = 'Failed to reset password: username / email / token is invalid';

/** Sets a new password with a reset token, once; ends the user's sessions. Returns the user. */
export async function resetPassword(ctx: OperationContext, token: unknown, password: unknown): Promise<RestObject> {
  const { services } = ctx;
  const invalid = new BackendError(ErrorCode.OTHER_CAUSE, INVALID_RESET);
  if (!isTokenShaped(token)) throw invalid;
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
  return user;
}
