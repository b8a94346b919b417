/**
 * What `_User` keeps on every write path (REST `/users` and `/classes/_User`, `/batch`, the data
 * API): only the user itself or the master key changes or deletes a user; a sign-up starts a
 * session (and email verification); a new password ends the user's other sessions; a new email is
 * verified again; a deleted user's sessions end with it.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassRules, StoredWrite } from '../objects/class-rules.js';
import type { OperationContext } from '../services.js';
import { isObject, type Json } from '../values/json.js';
import { startEmailVerification } from './email-flows.js';
import { userSaveSteps } from './user-save-steps.js';

/** Whether a sign-up with this email waits for the email to be verified before any session. */
function waitsForVerification(ctx: OperationContext, email: unknown): boolean {
  const { config } = ctx.services;
  return config.verifyUserEmails && config.preventLoginWithUnverifiedEmail && typeof email === 'string';
}

/** A new user: the verification email, and the session the sign-up logs in with. */
async function afterSignUp(ctx: OperationContext, write: StoredWrite): Promise<Json | undefined> {
  const { email, authData } = write.sent;
  if (ctx.services.config.verifyUserEmails && typeof email === 'string') {
    await startEmailVerification(ctx, { objectId: write.objectId, username: write.stored.username, email });
  }
  if (waitsForVerification(ctx, email)) return undefined;
  const authProvider = isObject(authData) ? (Object.keys(authData)[0] ?? 'password') : 'password';
  const session = await ctx.services.sessions.create(write.objectId, {
    installationId: ctx.caller.auth.installationId,
    createdWith: { action: 'signup', authProvider },
  });
  return { sessionToken: session.token };
}

/** A changed user: a new password logs out every other session; a new email is verified again. */
async function afterUserChange(ctx: OperationContext, write: StoredWrite): Promise<undefined> {
  const { services, caller } = ctx;
  if (write.sent.password !== undefined && services.config.revokeSessionOnPasswordReset) {
    // Whoever knew the old password is logged out; the user changing it keeps the session it used.
    const own = caller.auth.userId === write.objectId && caller.auth.sessionToken ? caller.auth.sessionToken : null;
    const current = own ? await services.sessions.resolve(own).catch(() => null) : null;
    await services.sessions.revokeAllOf(write.objectId, current?.sessionId ?? undefined);
  }
  if (services.config.verifyUserEmails && typeof write.sent.email === 'string') {
    await startEmailVerification(ctx, write.stored);
  }
  return undefined;
}

export const userRules: ClassRules = {
  assertWritable(ctx, action, objectId) {
    if (action === 'create') return;
    const { master, userId } = ctx.caller.auth;
    if (!master && userId !== objectId) {
      throw new BackendError(ErrorCode.SESSION_MISSING, `Cannot modify user ${objectId}.`);
    }
  },
  saveSteps: (ctx, write) => userSaveSteps(ctx, write.objectId === undefined),
  afterStore: (ctx, write) => (write.creating ? afterSignUp(ctx, write) : afterUserChange(ctx, write)),
  async afterDelete(ctx, objectId) {
    await ctx.services.sessions.revokeAllOf(objectId);
  },
};
