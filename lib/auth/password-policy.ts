/**
 * `passwordPolicy`: what a new password must satisfy, its history, and its age — parse-server's
 * option names and messages.
 */
import type { PasswordPolicy } from '../config/options.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

const DEFAULT_MESSAGE = 'Password does not meet the Password Policy requirements.';

function refuse(message: string): BackendError {
  return new BackendError(ErrorCode.VALIDATION_ERROR, message);
}

/** The longest password bcrypt reads in full, in UTF-8 bytes. */
export const BCRYPT_MAX_BYTES = 72;

/** Checks a new password; `history` holds the hashes it may not match (newest first). */
export async function checkNewPassword(
  policy: PasswordPolicy | null,
  password: string,
  context: {
    username: string | undefined;
    history: string[];
    /** Compares a password with an old hash (the backend's hasher). */
    verify: (password: string, hash: string) => Promise<boolean>;
    refuseLongPasswords?: boolean;
  },
): Promise<void> {
  // bcrypt reads only the first 72 bytes: longer passwords are cut, as in parse-server, unless refused.
  if (context.refuseLongPasswords && Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES) {
    throw refuse(`Password must be at most ${BCRYPT_MAX_BYTES} bytes long.`);
  }
  if (!policy) return;
  const message = policy.validationError ?? DEFAULT_MESSAGE;
  if (policy.validatorPattern !== undefined) {
    const pattern =
      typeof policy.validatorPattern === 'string' ? new RegExp(policy.validatorPattern) : policy.validatorPattern;
    pattern.lastIndex = 0;
    if (!pattern.test(password)) throw refuse(message);
  }
  if (policy.validatorCallback) {
    let ok = false;
    try {
      ok = (await policy.validatorCallback(password)) === true;
    } catch {
      ok = false;
    }
    if (!ok) throw refuse(message);
  }
  if (policy.doNotAllowUsername && context.username && password.includes(context.username)) {
    throw refuse('Password cannot contain your username.');
  }
  const keep = policy.maxPasswordHistory ?? 0;
  for (const previous of context.history.slice(0, keep)) {
    if (await context.verify(password, previous)) {
      throw refuse(`New password should not be the same as last ${keep} passwords.`);
    }
  }
}

/** The password history to store after a change: the old hash first, at most `maxPasswordHistory`. */
export function nextHistory(
  policy: PasswordPolicy | null,
  oldHash: string | null,
  history: string[],
): string[] | undefined {
  const keep = policy?.maxPasswordHistory ?? 0;
  if (keep === 0) return undefined;
  return [...(oldHash ? [oldHash] : []), ...history].slice(0, keep);
}

/** Throws when the password is older than `maxPasswordAge` days (the user must reset it). */
export function assertPasswordNotExpired(policy: PasswordPolicy | null, changedAt: Date | null, now: Date): void {
  if (!policy?.maxPasswordAge || !changedAt) return;
  if (now.getTime() - changedAt.getTime() > policy.maxPasswordAge * 86400000) {
    throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Your password has expired. Please reset your password.');
  }
}
