/** Callers for the access unit tests, as `RequestAuth` values the auth resolution would give. */
import { MASTER_AUTH, PUBLIC_AUTH, type RequestAuth } from '../../lib/access/request-auth.js';

/** A logged-in user with the given roles (names, without `role:`). */
export const user = (userId: string, ...roles: string[]): RequestAuth => ({
  ...PUBLIC_AUTH,
  userId,
  sessionToken: `r:${userId}`,
  roles,
});

export const ANON = PUBLIC_AUTH;
export const MASTER = MASTER_AUTH;
export const ANN = user('ann');
export const BOB = user('bob');
/** A member of `Editors`. */
export const EVE = user('eve', 'Editors');

/** A pointer to a `_User`. */
export const userPointer = (objectId: string) => ({ __type: 'Pointer', className: '_User', objectId });
