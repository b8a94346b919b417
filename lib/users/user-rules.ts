/**
 * What `_User` keeps on every write path (REST `/users` and `/classes/_User`, `/batch`, the data
 * API): only the user itself or the master key changes or deletes a user; a sign-up starts a
 * session (and email verification); a new password ends the user's sessions (the user gets a new
 * one); a new email is verified again; a deleted user's sessions end with it.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassRules, StoredWrite } from '../objects/class-rules.js';
import type { OperationContext } from '../services.js';
import { isObject, type Json } from '../values/json.js';
import { conditionRequest, startEmailVerification } from './email-flows.js';
import { conditionHolds } from './email-sending.js';
import { identitiesAsSeen, userSaveSteps } from './user-save-steps.js';

/**
 * A new user: the verification email, and the session the sign-up logs in with — none while the
 * email waits for verification with `preventLoginWithUnverifiedEmail`, and with
 * `preventSignupWithUnverifiedEmail` a 205 instead (the user is created and the link sent).
 */
async function afterSignUp(ctx: OperationContext, write: StoredWrite): Promise<Json | undefined> {
  const { config } = ctx.services;
  const { email, authData } = write.sent;
  const provider = isObject(authData) ? Object.keys(authData)[0] : undefined;
  // As parse-server records it: a sign-up with a password is a `signup`, one with another identity a `login`.
  const createdWith = provider
    ? ({ action: 'login', authProvider: provider } as const)
    : ({ action: 'signup', authProvider: 'password' } as const);
  if (typeof email === 'string') {
    const user = { ...write.stored, objectId: write.objectId, email };
    const verifying = await startEmailVerification(ctx, user, createdWith);
    const request = () => conditionRequest(ctx, user, { createdWith });
    if (verifying && (await conditionHolds(config.preventLoginWithUnverifiedEmail, request))) {
      if (config.preventSignupWithUnverifiedEmail)
        throw new BackendError(ErrorCode.EMAIL_NOT_FOUND, 'User email is not verified.');
      return undefined;
    }
  }
  const session = await ctx.services.sessions.create(write.objectId, {
    installationId: ctx.caller.auth.installationId,
    createdWith,
  });
  return { sessionToken: session.token };
}

/**
 * A changed user: a new password ends every session of the user, the one that made the change too,
 * and the user gets a new one in the answer (the SDKs adopt it), as in parse-server: whoever held a
 * token from before the change is logged out. A new email is verified again.
 */
async function afterUserChange(ctx: OperationContext, write: StoredWrite): Promise<Json | undefined> {
  const { services, caller } = ctx;
  const passwordChanged = write.sent.password !== undefined && services.config.revokeSessionOnPasswordReset;
  if (passwordChanged) await services.sessions.revokeAllOf(write.objectId);
  // Linking an identity with the master key (no user calling) answers a session for the user, as
  // parse-server's createSessionTokenIfNeeded does; a user linking its own keeps its session.
  const { authData } = write.sent;
  const linked = isObject(authData) ? Object.keys(authData).filter((provider) => isObject(authData[provider])) : [];
  const provider =
    passwordChanged && !caller.auth.master && caller.auth.userId === write.objectId
      ? 'password'
      : linked.length > 0 && caller.auth.userId === null
        ? linked.join(',')
        : null;
  if (typeof write.sent.email === 'string') await startEmailVerification(ctx, write.stored, undefined);
  if (provider === null) return undefined;
  const session = await services.sessions.create(write.objectId, {
    installationId: caller.auth.installationId,
    createdWith: { action: 'login', authProvider: provider },
  });
  return { sessionToken: session.token };
}

export const userRules: ClassRules = {
  // A user's identities as their providers show them to the reader (parse-server's afterFind).
  shown: (ctx, objects) => objects.map((object) => identitiesAsSeen(ctx, object, ctx.caller.auth.userId)),
  // As parse-server: without a session nobody changes a user; with one, the user's ACL decides
  // (its default lets only the user write), and a refusal is 206 either way.
  assertWritable(ctx, action, objectId) {
    if (action === 'create') return;
    const { master, userId } = ctx.caller.auth;
    if (master || userId) return;
    throw action === 'delete'
      ? new BackendError(ErrorCode.SESSION_MISSING, 'Insufficient auth to delete user')
      : new BackendError(ErrorCode.SESSION_MISSING, `Cannot modify user ${objectId}.`);
  },
  // The master key sees every user: for it, a user that is not there is simply not found (101).
  notWritable: (ctx) =>
    ctx.caller.auth.master ? undefined : new BackendError(ErrorCode.SESSION_MISSING, 'Insufficient auth.'),
  saveSteps: (ctx, write) => userSaveSteps(ctx, write.objectId === undefined),
  afterStore: (ctx, write) => (write.creating ? afterSignUp(ctx, write) : afterUserChange(ctx, write)),
  async afterDelete(ctx, objectId) {
    await ctx.services.sessions.revokeAllOf(objectId);
  },
};
