/** Resolves a session token to its user: one query on `_Session`. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { classSchema } from '../schema/class-schema.js';
import type { Storage } from '../storage/storage.js';

const sessionSchema = classSchema('_Session', {
  user: { type: 'Pointer', targetClass: '_User' },
  expiresAt: { type: 'Date' },
  installationId: { type: 'String' },
}, undefined);

/** The objectId of the token's user; 209 when the token is unknown or expired. */
export async function resolveSessionUser(storage: Storage, token: string, now: Date): Promise<string> {
  const [session] = await storage.findObjects(sessionSchema, { sessionToken: token }, { limit: 1 }, null);
  const user = session?.user as { objectId?: string } | undefined;
  const expiresAt = session?.expiresAt as { iso?: string } | undefined;
  if (!session || !user?.objectId || (expiresAt?.iso && new Date(expiresAt.iso) <= now)) {
    throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
  }
  return user.objectId;
}
