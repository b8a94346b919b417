/** /users, /login, /logout, /verifyPassword, /loginAs: thin handlers over auth/. */
import { ownUserView } from '../access/protected-fields.js';
import { parseAuthData, validateAuthData } from '../auth/auth-data.js';
import {
  readEmail,
  requestPasswordReset,
  requestVerificationEmail,
  startEmailVerification,
} from '../auth/email-flows.js';
import type { LoginHookRequest } from '../cloud/cloud-registry.js';
import { HookObject } from '../cloud/hook-object.js';
import { runHook } from '../cloud/run-hook.js';
import { callerFields } from '../cloud/caller-fields.js';
import {
  assertEmailVerifiedIfRequired,
  authenticate,
  findUserByAuthData,
  readCredentials,
  userSaveSteps,
  USER_SCHEMA,
} from '../auth/users.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { deleteObject } from '../objects/delete-object.js';
import { findObjects, getObject } from '../objects/find-objects.js';
import { createObject, updateObject } from '../objects/save-object.js';
import { parseFindParams } from '../query/find-params.js';
import type { OperationContext, Services } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import { requireMaster } from './server.js';
import type { Json } from '../values/json.js';

function context(services: Services, req: ApiRequest): OperationContext {
  return { services, caller: req.caller };
}

function serverURL(services: Services, req: ApiRequest): string {
  return services.config.publicServerURL ?? services.config.serverURL ?? req.mountPath;
}

async function startSession(
  services: Services,
  req: ApiRequest,
  userId: string,
  action: 'signup' | 'login',
  authProvider: string,
): Promise<string> {
  const session = await services.sessions.create(userId, {
    installationId: req.caller.auth.installationId,
    createdWith: { action, authProvider },
  });
  return session.token;
}

/**
 * POST /users with `authData`, for an identity already linked to a user: logs that user in (the
 * provider has vouched for the identity), as parse-server does. Null when it is a new identity.
 */
async function logInWithAuthData(services: Services, req: ApiRequest, authData: unknown): Promise<ApiReply | null> {
  const ctx = context(services, req);
  const change = parseAuthData(authData, services.config.auth);
  const existing = await findUserByAuthData(ctx, change);
  if (!existing) return null;
  await validateAuthData(change, services.config.auth, String(existing.objectId));
  return completeLogin(services, req, existing, Object.keys(change.link)[0]!);
}

/** POST /users: sign up (with a password or another identity), and log in. */
export async function signUp(services: Services, req: ApiRequest): Promise<ApiReply> {
  const ctx = context(services, req);
  const authData = (req.body as Json | undefined)?.authData;
  if (authData !== undefined) {
    const loggedIn = await logInWithAuthData(services, req, authData);
    if (loggedIn) return loggedIn;
  }
  const result = await createObject(ctx, '_User', req.body, userSaveSteps(ctx, true));
  const email = (req.body as Json | undefined)?.email;
  if (services.config.verifyUserEmails && typeof email === 'string') {
    await startEmailVerification(
      ctx,
      { objectId: result.objectId, username: (req.body as Json).username, email },
      req.mountPath,
    );
  }
  const provider = authData !== undefined ? Object.keys(authData as Json)[0]! : 'password';
  const location = { Location: `${serverURL(services, req)}/users/${result.objectId}` };
  if (
    services.config.verifyUserEmails &&
    services.config.preventLoginWithUnverifiedEmail &&
    typeof email === 'string'
  ) {
    // No session until the email is verified: the user logs in after following the link.
    return { status: 201, body: result.body, headers: location };
  }
  const sessionToken = await startSession(services, req, result.objectId, 'signup', provider);
  return { status: 201, body: { ...result.body, sessionToken }, headers: location };
}

function loginHookRequest(
  services: Services,
  req: ApiRequest,
  trigger: LoginHookRequest['triggerName'],
  object: HookObject,
): LoginHookRequest {
  return { ...callerFields(context(services, req)), object, triggerName: trigger };
}

/** Runs beforeLogin (which may refuse), starts the session, runs afterLogin (errors logged). */
async function completeLogin(
  services: Services,
  req: ApiRequest,
  user: RestObject,
  provider: string,
): Promise<ApiReply> {
  assertEmailVerifiedIfRequired(context(services, req), user);
  const before = services.cloud.loginHook('beforeLogin');
  if (before)
    await runHook(before, loginHookRequest(services, req, 'beforeLogin', new HookObject('_User', ownUserView(user))));
  const sessionToken = await startSession(services, req, String(user.objectId), 'login', provider);
  const after = services.cloud.loginHook('afterLogin');
  if (after) {
    await runHook(
      after,
      loginHookRequest(services, req, 'afterLogin', new HookObject('_User', ownUserView(user))),
    ).catch((err: unknown) => {
      services.config.logger.error('afterLogin hook failed', { userId: user.objectId, error: String(err) });
    });
  }
  return { body: { ...ownUserView(user), sessionToken } };
}

/** GET|POST /login: the user, with a new session token. */
export async function logIn(services: Services, req: ApiRequest): Promise<ApiReply> {
  const source: Json = { ...req.params, ...((req.body as Json | undefined) ?? {}) };
  const { where, password } = readCredentials(source);
  const user = await authenticate(context(services, req), where, password);
  return completeLogin(services, req, user, 'password');
}

/** GET|POST /verifyPassword: the user when the password is right, without a session. */
export async function verifyPasswordRoute(services: Services, req: ApiRequest): Promise<ApiReply> {
  const source: Json = { ...req.params, ...((req.body as Json | undefined) ?? {}) };
  const { where, password } = readCredentials(source);
  const user = await authenticate(context(services, req), where, password);
  return { body: ownUserView(user) };
}

/** POST /loginAs (master): a session for any user, for support and tests. */
export async function logInAs(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  const userId = (req.body as Json | undefined)?.userId;
  if (typeof userId !== 'string' || userId === '')
    throw new BackendError(ErrorCode.INVALID_VALUE, 'userId must be a string');
  const [user] = await services.storage.findObjects(USER_SCHEMA, { objectId: userId }, { limit: 1 }, null);
  if (!user) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'user not found');
  const sessionToken = await startSession(services, req, userId, 'login', 'masterkey');
  return { body: { ...ownUserView(user), sessionToken } };
}

/** POST /logout: ends the caller's session, then runs afterLogout. */
export async function logOut(services: Services, req: ApiRequest): Promise<ApiReply> {
  const token = req.caller.auth.sessionToken;
  if (!token) return { body: {} };
  const after = services.cloud.loginHook('afterLogout');
  const session = after ? await services.sessions.describe(token) : null;
  await services.sessions.revoke(token);
  if (after && session) {
    const { sessionToken: _hidden, ...visible } = session;
    await runHook(after, loginHookRequest(services, req, 'afterLogout', new HookObject('_Session', visible))).catch(
      (err: unknown) => {
        services.config.logger.error('afterLogout hook failed', { error: String(err) });
      },
    );
  }
  return { body: {} };
}

function requireSession(req: ApiRequest): { userId: string; token: string } {
  const { userId, sessionToken } = req.caller.auth;
  if (!userId || !sessionToken) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
  return { userId, token: sessionToken };
}

/** GET /users/me: the caller's own user, with its session token. */
export async function me(services: Services, req: ApiRequest): Promise<ApiReply> {
  const { userId, token } = requireSession(req);
  const [user] = await services.storage.findObjects(USER_SCHEMA, { objectId: userId }, { limit: 1 }, null);
  if (!user) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
  return { body: { ...ownUserView(user), sessionToken: token } };
}

export async function findUsers(services: Services, req: ApiRequest): Promise<ApiReply> {
  const params = parseFindParams(req.params, {
    single: false,
    defaultLimit: services.config.defaultLimit,
    maxLimit: services.config.maxLimit,
  });
  return { body: await findObjects(context(services, req), '_User', params) };
}

export async function getUser(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  const params = parseFindParams(req.params, {
    single: true,
    defaultLimit: services.config.defaultLimit,
    maxLimit: services.config.maxLimit,
  });
  return { body: await getObject(context(services, req), '_User', objectId, params) };
}

/** Only the user itself (or the master key) changes or deletes a user. */
function assertSelfOrMaster(req: ApiRequest, objectId: string): void {
  const { master, userId } = req.caller.auth;
  if (!master && userId !== objectId)
    throw new BackendError(ErrorCode.SESSION_MISSING, `Cannot modify user ${objectId}.`);
}

export async function updateUser(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  assertSelfOrMaster(req, objectId);
  const ctx = context(services, req);
  const result = await updateObject(ctx, '_User', objectId, req.body, userSaveSteps(ctx, false));
  const email = (req.body as Json | undefined)?.email;
  if (services.config.verifyUserEmails && typeof email === 'string') {
    // A new address must be verified again.
    const [user] = await services.storage.findObjects(USER_SCHEMA, { objectId }, { limit: 1 }, null);
    if (user) await startEmailVerification(ctx, user, req.mountPath);
  }
  if ((req.body as Json | undefined)?.password !== undefined && services.config.revokeSessionOnPasswordReset) {
    // A new password ends every other session: whoever knew the old one is logged out.
    const current = req.caller.auth.sessionToken
      ? await services.sessions.resolve(req.caller.auth.sessionToken).catch(() => null)
      : null;
    await services.sessions.revokeAllOf(
      objectId,
      current?.userId === objectId ? (current.sessionId ?? undefined) : undefined,
    );
  }
  return { body: result.body };
}

export async function deleteUser(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  assertSelfOrMaster(req, objectId);
  await deleteObject(context(services, req), '_User', objectId);
  await services.sessions.revokeAllOf(objectId);
  return { body: {} };
}

/**
 * Answers an email request at once and does the work afterwards, so that neither the answer nor
 * its timing tells whether the address belongs to a user; failures are logged.
 */
function inBackground(services: Services, name: string, work: () => Promise<void>): ApiReply {
  work().catch((err: unknown) => services.config.logger.error(`${name} failed`, { error: String(err) }));
  return { body: {} };
}

/** POST /verificationEmailRequest: `{}` whether or not the address belongs to a user. */
export async function verificationEmailRequest(services: Services, req: ApiRequest): Promise<ApiReply> {
  readEmail(req.body);
  return inBackground(services, 'verificationEmailRequest', () =>
    requestVerificationEmail(context(services, req), req.body, req.mountPath),
  );
}

/** POST /requestPasswordReset: `{}` whether or not the address belongs to a user. */
export async function passwordResetRequest(services: Services, req: ApiRequest): Promise<ApiReply> {
  readEmail(req.body);
  return inBackground(services, 'requestPasswordReset', () =>
    requestPasswordReset(context(services, req), req.body, req.mountPath),
  );
}

/** POST /upgradeToRevocableSession: a revocable `r:` session for the caller; a legacy token is retired. */
export async function upgradeToRevocableSession(services: Services, req: ApiRequest): Promise<ApiReply> {
  const { userId, token } = requireSession(req);
  const current = await services.sessions.resolve(token);
  // Already revocable: nothing to upgrade (a second session would outlive this one's logout).
  if (current.sessionId !== null) return { body: await services.sessions.describe(token) };
  const session = await services.sessions.create(userId, {
    installationId: req.caller.auth.installationId,
    createdWith: { action: 'upgrade' },
  });
  await services.sessions.revoke(token);
  return { body: await services.sessions.describe(session.token) };
}
