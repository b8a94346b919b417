/** /users, /login, /logout, /verifyPassword, /loginAs and the email requests: thin handlers over users/. */
import { runChallenge } from '../users/challenge.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { findObjects, getObject } from '../objects/find-objects.js';
import { deleteObject } from '../objects/delete-object.js';
import { updateObject } from '../objects/save-object.js';
import { parseFindParams } from '../query/find-params.js';
import type { OperationContext, Services } from '../services.js';
import { answersAlike, readEmail, requestPasswordReset, requestVerificationEmail } from '../users/email-flows.js';
import { requireEmailSetup } from '../users/email-sending.js';
import * as logins from '../users/log-in.js';
import { withOwnSessionToken } from '../users/session-flows.js';
import { signUp as signUpUser } from '../users/sign-up.js';
import type { Json } from '../values/json.js';

function context(services: Services, req: ApiRequest): OperationContext {
  return { services, caller: req.caller };
}

/** Credentials come in the query string (GET) or the body (POST). */
function credentials(req: ApiRequest): Json {
  return { ...req.params, ...((req.body as Json | undefined) ?? {}) };
}

/** POST /users: sign up (with a password or another identity), and log in. */
export async function signUp(services: Services, req: ApiRequest): Promise<ApiReply> {
  const result = await signUpUser(context(services, req), req.body);
  // A sign-up that logs in an existing identity answers 200, and names the user as parse-server does.
  const location = { Location: `${services.serverURL()}/users/${result.objectId}` };
  return { status: result.created ? 201 : 200, body: result.body, headers: location };
}

/** GET|POST /login: the user, with a new session token. */
export async function logIn(services: Services, req: ApiRequest): Promise<ApiReply> {
  return { body: await logins.logIn(context(services, req), credentials(req)) };
}

/** POST /challenge: a step an identity provider asks for before a login (an SMS code, a nonce). */
export async function challenge(services: Services, req: ApiRequest): Promise<ApiReply> {
  return { body: await runChallenge(context(services, req), credentials(req)) };
}

/** GET|POST /verifyPassword: the user when the password is right, without a session. */
export async function verifyPasswordRoute(services: Services, req: ApiRequest): Promise<ApiReply> {
  return { body: await logins.verifyPassword(context(services, req), credentials(req)) };
}

/** POST /loginAs (master): a session for any user, for support and tests. */
export async function logInAs(services: Services, req: ApiRequest): Promise<ApiReply> {
  // parse-server answers this route with 119 (its other master-only routes answer 403).
  // parse-server 9 sanitizes the message (enableSanitizedErrorResponse), as compatibility.md says.
  if (!req.caller.auth.master) throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, 'Permission denied');
  return { body: await logins.logInAs(context(services, req), (req.body as Json | undefined)?.userId) };
}

/** POST /logout: ends the caller's session, then runs afterLogout. */
export async function logOut(services: Services, req: ApiRequest): Promise<ApiReply> {
  const token = req.caller.auth.sessionToken;
  if (token) await logins.logOut(context(services, req), token);
  return { body: {} };
}

/** GET /users/me: the caller's own user, with its session token. */
export async function me(services: Services, req: ApiRequest): Promise<ApiReply> {
  return { body: await logins.currentUser(context(services, req)) };
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
  const ctx = context(services, req);
  return { body: withOwnSessionToken(ctx, '_User', await getObject(ctx, '_User', objectId, params)) };
}

/** PUT /users/:objectId: the user's rules (users/user-rules.ts) end sessions and re-verify emails. */
export async function updateUser(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  return { body: (await updateObject(context(services, req), '_User', objectId, req.body)).body };
}

/** DELETE /users/:objectId: the user's sessions end with it. */
export async function deleteUser(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  await deleteObject(context(services, req), '_User', objectId);
  return { body: {} };
}

/**
 * Answers an email request at once and does the work afterwards when the answer is the same for
 * every address, so that neither the answer nor its timing tells whether the address belongs to
 * a user; failures are then logged. The configuration and the body are checked before answering.
 */
async function emailRequest(
  services: Services,
  req: ApiRequest,
  kind: 'verification' | 'reset',
  work: (ctx: OperationContext, body: unknown) => Promise<void>,
): Promise<ApiReply> {
  const ctx = context(services, req);
  requireEmailSetup(services.config);
  readEmail(req.body);
  if (!answersAlike(ctx, kind)) {
    await work(ctx, req.body);
    return { body: {} };
  }
  work(ctx, req.body).catch((err: unknown) =>
    services.config.logger.error(`${kind} email request failed`, { error: String(err) }),
  );
  return { body: {} };
}

/** POST /verificationEmailRequest: a new link for an unverified address. */
export function verificationEmailRequest(services: Services, req: ApiRequest): Promise<ApiReply> {
  return emailRequest(services, req, 'verification', requestVerificationEmail);
}

/** POST /requestPasswordReset: a reset link for the address's user. */
export function passwordResetRequest(services: Services, req: ApiRequest): Promise<ApiReply> {
  return emailRequest(services, req, 'reset', requestPasswordReset);
}

/** POST /upgradeToRevocableSession: a revocable `r:` session for the caller; a legacy token is retired. */
export async function upgradeToRevocableSession(services: Services, req: ApiRequest): Promise<ApiReply> {
  return { body: await logins.upgradeToRevocableSession(context(services, req)) };
}
