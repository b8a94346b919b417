/**
 * A sign-up (`POST /users`, `POST /classes/_User`): an identity already linked to a user logs that
 * user in; anything else creates a user, whose rules (user-rules.ts) start its session.
 */
import { createObject } from '../objects/save-object.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import { isObject } from '../values/json.js';
import { logInWithAuthData } from './log-in.js';

export interface SignUpResult {
  /** False when a known identity logged in instead. */
  created: boolean;
  objectId: string;
  /** What the client gets: the new user's id and dates (or the logged-in user), with the session token. */
  body: RestObject;
}

export async function signUp(ctx: OperationContext, body: unknown): Promise<SignUpResult> {
  const authData = isObject(body) ? body.authData : undefined;
  // An empty authData is no identity (the Android SDK sends one with a username and password).
  if (authData !== undefined && !(isObject(authData) && Object.keys(authData).length === 0)) {
    const user = await logInWithAuthData(ctx, authData);
    if (user) return { created: false, objectId: String(user.objectId), body: user };
  }
  const result = await createObject(ctx, '_User', body);
  return { created: true, objectId: result.objectId, body: result.body };
}
