/**
 * Passwords: bcrypt, compatible with the hashes parse-server stores. Hashes are written by bcryptjs
 * (pure JavaScript, `$2b$`); logins are checked by the native `@node-rs/bcrypt` when the host app
 * installs it — about a third less CPU per login, as parse-server does — and by bcryptjs otherwise.
 */
import bcryptjs from 'bcryptjs';
import { importOptional } from '../environment/optional-package.js';

const COST = 10;
/**
 * A real hash at the same cost, compared against when no user matched, so a miss takes as long as
 * a wrong password. A constant: hashing one at import would block the event loop for ~80 ms.
 */
const DUMMY_HASH = '$2b$10$v30VwBgmOQ0mo4ZPqh06J.HtuqpqeQgm2CrsFHz57uWsZnmGDwCly';

type Compare = (password: string, hash: string) => Promise<boolean>;

interface NativeBcrypt {
  verify: Compare;
}

let chosen: Promise<Compare> | undefined;

/** The comparison, chosen once on first use (an import, so not at load time). */
function compare(): Promise<Compare> {
  chosen ??= importOptional<NativeBcrypt>('@node-rs/bcrypt').then((native) =>
    native && typeof native.verify === 'function' ? native.verify : bcryptjs.compare,
  );
  return chosen;
}

export function hashPassword(password: string): Promise<string> {
  return bcryptjs.hash(password, COST);
}

/** Compares a password with a stored hash; with no hash, spends the same time and answers false. */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  const check = await compare();
  if (typeof hash !== 'string' || hash === '') {
    await check(password, DUMMY_HASH);
    return false;
  }
  try {
    return await check(password, hash);
  } catch {
    return false;
  }
}
