/**
 * `POST /challenge`: a step some identity providers need before a login (a code sent by SMS, a
 * nonce to sign), as parse-server serves it. The caller names the user by username and password or
 * by one identity (`authData` with an `id`), and sends `challengeData` by provider; each provider's
 * `challenge` answers. Who the identity belongs to is never told apart from a refused identity.
 */
import { authCheckFor, isAuthCheck, parseAuthData, validateAuthData } from '../auth/auth-data.js';
import { hookError } from '../cloud/hook-runner.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import { isPlainObject, type Json } from '../values/json.js';
import { authenticate, readCredentials } from './authenticate.js';
import { authRequest, findUserByAuthData } from './user-save-steps.js';

function refused(message: string): BackendError {
  return new BackendError(ErrorCode.OTHER_CAUSE, message);
}

/** The user an identity names, after its provider accepted it; 101 `User not found.` otherwise. */
async function userOfIdentity(ctx: OperationContext, authData: Json): Promise<RestObject | undefined> {
  for (const [provider, data] of Object.entries(authData))
    if (data !== null && !isPlainObject(data)) throw refused(`authData.${provider} should be an object.`);
  const named = Object.entries(authData).filter(([, data]) => isPlainObject(data) && data.id !== undefined);
  if (named.length > 1) throw refused('You cannot provide more than one authData provider with an id.');
  if (named.length === 0) return undefined;
  try {
    const change = parseAuthData(Object.fromEntries(named), ctx.services.config.auth);
    const user = await findUserByAuthData(ctx, change);
    if (!user) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'User not found.');
    await validateAuthData(change, ctx.services.config.auth, {
      userId: String(user.objectId),
      stored: isPlainObject(user.authData) ? user.authData : undefined,
      ownerOrMaster: false,
      request: { ...(await authRequest(ctx, user)), isChallenge: true },
    });
    return user;
  } catch {
    // A wrong id and a refused proof answer alike: an id cannot be probed (parse-server's guess-id defence).
    throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'User not found.');
  }
}

/** Runs the challenges asked for: `{ challengeData: { provider: answer } }` (unknown providers left out). */
export async function runChallenge(ctx: OperationContext, body: Json): Promise<{ challengeData: Json }> {
  const { username, email, password, authData, challengeData } = body;
  let user: RestObject | undefined;
  if (username !== undefined || email !== undefined) {
    if (password === undefined) throw refused('You provided username or email, you need to also provide password.');
    const { where, preferUsername } = readCredentials(body);
    user = await authenticate(ctx, where, String(password), preferUsername);
  }
  if (challengeData === undefined || challengeData === null) throw refused('Nothing to challenge.');
  if (!isPlainObject(challengeData)) throw refused('challengeData should be an object.');
  if (authData !== undefined) {
    if (!isPlainObject(authData)) throw refused('authData should be an object.');
    if (user) throw refused('You cannot provide username/email and authData, only use one identification method.');
    user = await userOfIdentity(ctx, authData);
  }
  const answers: Json = {};
  const request = { ...(await authRequest(ctx, user)), isChallenge: true };
  for (const provider of Object.keys(challengeData).sort()) {
    const check = authCheckFor(provider, ctx.services.config.auth);
    if (!isAuthCheck(check) || !check.challenge) continue;
    const sent = isPlainObject(authData) && isPlainObject(authData[provider]) ? authData[provider] : undefined;
    try {
      answers[provider] = (await check.challenge(challengeData[provider], sent, request)) ?? true;
    } catch (err) {
      throw hookError(err, ErrorCode.SCRIPT_FAILED, 'Challenge failed. Unknown error.');
    }
  }
  return { challengeData: answers };
}
