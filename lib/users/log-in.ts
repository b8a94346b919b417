/**
 * Logging in and out, on every path that does it (`/login`, a sign-up with a known identity,
 * `/loginAs`, `/logout`, the data API): the identity providers' login steps and policies, the
 * beforeLogin hook (which may refuse), the session, then afterLogin and afterLogout, whose errors
 * reach the client as parse-server sends them.
 */
import { isDeepStrictEqual } from 'node:util';
import { ownUserView } from '../access/protected-fields.js';
import {
  assertLoginProviders,
  parseAuthData,
  validateAuthData,
  type AuthDataChange,
  type AuthOutcome,
} from '../auth/auth-data.js';
import { callerFields } from '../cloud/caller-fields.js';
import type { LoginHookRequest } from '../cloud/cloud-registry.js';
import { HookObject } from '../cloud/hook-object.js';
import { runHook } from '../cloud/hook-runner.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import { isObject, type Json } from '../values/json.js';
import { assertEmailVerifiedIfRequired, authenticate, readCredentials } from './authenticate.js';
import { authRequest, findUserByAuthData, identitiesAsSeen, userSchema } from './user-save-steps.js';

type SessionAction = 'login' | 'signup' | 'upgrade';

/** Starts a session for `userId`, recording how it was made, as parse-server's `createdWith`. */
export async function startSession(
  ctx: OperationContext,
  userId: string,
  action: SessionAction,
  authProvider?: string,
): Promise<string> {
  const createdWith: Record<string, string> = authProvider === undefined ? { action } : { action, authProvider };
  const session = await ctx.services.sessions.create(userId, {
    installationId: ctx.caller.auth.installationId,
    createdWith,
  });
  return session.token;
}

function loginHookRequest(
  ctx: OperationContext,
  trigger: LoginHookRequest['triggerName'],
  object: HookObject,
): LoginHookRequest {
  return { ...callerFields(ctx), object, triggerName: trigger };
}

/**
 * Runs beforeLogin (which may refuse), starts the session, runs afterLogin. An afterLogin failure
 * reaches the client though the session exists, as parse-server answers.
 */
async function completeLogin(ctx: OperationContext, user: RestObject, provider: string): Promise<RestObject> {
  const { cloud } = ctx.services;
  // A password login was checked by authenticate(); an identity login is checked here (beyond
  // parse-server 9, which lets identity logins past email verification).
  if (provider !== 'password') await assertEmailVerifiedIfRequired(ctx, user);
  const before = cloud.loginHook('beforeLogin');
  if (before) await runHook(before, loginHookRequest(ctx, 'beforeLogin', new HookObject('_User', ownUserView(user))));
  const sessionToken = await startSession(ctx, String(user.objectId), 'login', provider);
  const after = cloud.loginHook('afterLogin');
  if (after) {
    const loggedIn = new HookObject('_User', ownUserView(user), {}, sessionToken);
    await runHook(after, { ...loginHookRequest(ctx, 'afterLogin', loggedIn), user: loggedIn });
  }
  return { ...userAsSeen(ctx, user), sessionToken };
}

/** The user as its own login shows it: secrets removed, each identity as its provider shows it. */
export function userAsSeen(ctx: OperationContext, user: RestObject): RestObject {
  return identitiesAsSeen(ctx, ownUserView(user), String(user.objectId));
}

/**
 * Runs the identity providers of a login: the policy check (a user with an `additional` provider,
 * such as MFA, must send it), then each sent provider's login step. Stores what they return.
 */
async function checkLoginIdentities(
  ctx: OperationContext,
  user: RestObject,
  change: AuthDataChange | undefined,
): Promise<{ user: RestObject; outcome: AuthOutcome | undefined }> {
  const { auth } = ctx.services.config;
  const stored = isObject(user.authData) ? user.authData : undefined;
  const userId = String(user.objectId);
  const sent = change ? [...Object.keys(change.link), ...change.unlink] : [];
  assertLoginProviders(stored, sent, auth, { ip: ctx.caller.ip, userId: null, master: ctx.caller.auth.master });
  if (!change) return { user, outcome: undefined };
  const outcome = await validateAuthData(change, auth, {
    userId,
    stored,
    // the master key changes the identities it sends; anyone else logs in with them
    ownerOrMaster: ctx.caller.auth.master,
    request: await authRequest(ctx, user),
  });
  const refreshed = await withRefreshedAuthData(ctx, user, outcome.store);
  if (outcome.refusal !== undefined) throw new BackendError(ErrorCode.SCRIPT_FAILED, outcome.refusal);
  return { user: refreshed, outcome };
}

function withAuthDataResponse(user: RestObject, outcome: AuthOutcome | undefined): RestObject {
  return outcome ? { ...user, authDataResponse: outcome.responses as Json } : user;
}

/**
 * A login by username or email and password: the user, with a new session token. `authData` sent
 * with it (an MFA token) runs its providers' login steps; a user with an `additional` provider
 * must send it.
 */
export async function logIn(ctx: OperationContext, credentials: Json): Promise<RestObject> {
  const { where, password, preferUsername } = readCredentials(credentials);
  const user = await authenticate(ctx, where, password, preferUsername);
  const sent = credentials.authData;
  const change =
    isObject(sent) && Object.keys(sent).length > 0 ? parseAuthData(sent, ctx.services.config.auth) : undefined;
  const checked = await checkLoginIdentities(ctx, user, change);
  return withAuthDataResponse(await completeLogin(ctx, checked.user, 'password'), checked.outcome);
}

/** The user when the password is right, without starting a session. */
export async function verifyPassword(ctx: OperationContext, credentials: Json): Promise<RestObject> {
  const { where, password, preferUsername } = readCredentials(credentials);
  return ownUserView(await authenticate(ctx, where, password, preferUsername));
}

/**
 * A sign-up with `authData` for an identity already linked to a user logs that user in (the
 * provider vouched for the identity), as parse-server does. Null when the identity is new.
 */
export async function logInWithAuthData(ctx: OperationContext, authData: unknown): Promise<RestObject | null> {
  const change = parseAuthData(authData, ctx.services.config.auth);
  const existing = await findUserByAuthData(ctx, change);
  if (!existing) return null;
  const checked = await checkLoginIdentities(ctx, existing, change);
  const provider = Object.keys(change.link).find((name) => change.link[name]!.id !== undefined)!;
  return withAuthDataResponse(await completeLogin(ctx, checked.user, provider), checked.outcome);
}

/**
 * Stores the identities a login sent when they differ from the stored ones (a refreshed token),
 * as parse-server does, so the SDK reads back what it sent. Returns the user as it now is.
 */
async function withRefreshedAuthData(
  ctx: OperationContext,
  user: RestObject,
  kept: Record<string, Json>,
): Promise<RestObject> {
  const stored = isObject(user.authData) ? user.authData : {};
  const changed = Object.fromEntries(
    Object.entries(kept).filter(([provider, data]) => !isDeepStrictEqual(stored[provider], data)),
  );
  if (Object.keys(changed).length === 0) return user;
  await ctx.services.storage.updateObject(await userSchema(ctx), { objectId: user.objectId }, {}, null, {
    authData: changed,
  });
  return { ...user, authData: { ...stored, ...changed } };
}

/** A session for any user (master key only): for support tools and tests. */
export async function logInAs(ctx: OperationContext, userId: unknown): Promise<RestObject> {
  if (userId === undefined || userId === null || userId === '')
    throw new BackendError(ErrorCode.INVALID_VALUE, 'userId must not be empty, null, or undefined');
  if (typeof userId !== 'string') throw new BackendError(ErrorCode.INVALID_VALUE, 'userId must be a string');
  const [user] = await ctx.services.storage.findObjects(
    await userSchema(ctx),
    { objectId: userId },
    { limit: 1 },
    null,
  );
  if (!user) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'user not found');
  const sessionToken = await startSession(ctx, userId, 'login', 'masterkey');
  return { ...ownUserView(user), sessionToken };
}

/** Ends the session `sessionToken`, then runs afterLogout (whose failure reaches the client, as parse-server's). */
export async function logOut(ctx: OperationContext, sessionToken: string): Promise<void> {
  const { cloud, sessions } = ctx.services;
  const after = cloud.loginHook('afterLogout');
  const session = after ? await sessions.describe(sessionToken) : null;
  await sessions.revoke(sessionToken);
  if (after && session) {
    const { sessionToken: _hidden, ...visible } = session;
    await runHook(after, loginHookRequest(ctx, 'afterLogout', new HookObject('_Session', visible)));
  }
}

/** The logged-in caller's id and token; 209 without a session. */
export function requireSession(ctx: OperationContext): { userId: string; token: string } {
  const { userId, sessionToken } = ctx.caller.auth;
  if (!userId || !sessionToken) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
  return { userId, token: sessionToken };
}

/** The caller's own user, with its session token. */
export async function currentUser(ctx: OperationContext): Promise<RestObject> {
  const { userId, token } = requireSession(ctx);
  const [user] = await ctx.services.storage.findObjects(
    await userSchema(ctx),
    { objectId: userId },
    { limit: 1 },
    null,
  );
  if (!user) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
  return { ...userAsSeen(ctx, user), sessionToken: token };
}

/** A revocable `r:` session for the caller; a legacy token is retired. */
export async function upgradeToRevocableSession(ctx: OperationContext): Promise<RestObject> {
  const { sessions } = ctx.services;
  const { userId, token } = requireSession(ctx);
  const current = await sessions.resolve(token);
  // Already revocable: nothing to upgrade (a second session would outlive this one's logout).
  if (current.sessionId !== null) return sessions.describe(token);
  const newToken = await startSession(ctx, userId, 'upgrade');
  await sessions.revoke(token);
  return sessions.describe(newToken);
}
