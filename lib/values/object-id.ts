/** Parse object ids: 10 alphanumeric characters from a CSPRNG. */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new objectId. Rejection sampling keeps every character equally likely. */
export function newObjectId(size = 10): string {
  let id = '';
  while (id.length < size) {
    for (const byte of randomBytes(size * 2)) {
      if (byte < 248) id += ALPHABET[byte % 62];
      if (id.length === size) break;
    }
  }
  return id;
}

/** A client-chosen objectId must look like one and never collide with ACL principals (`*`, `role:`). */
export function isValidCustomObjectId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id);
}
