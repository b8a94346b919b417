/** Passwords: bcrypt (bcryptjs), compatible with the hashes parse-server stores. */
import bcrypt from 'bcryptjs';

const COST = 10;
/**
 * A real hash at the same cost, compared against when no user matched, so a miss takes as long as
 * a wrong password. A constant: hashing one at import would block the event loop for ~80 ms.
 */
const DUMMY_HASH = '$2b$10$v30VwBgmOQ0mo4ZPqh06J.HtuqpqeQgm2CrsFHz57uWsZnmGDwCly';

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

/** Compares a password with a stored hash; with no hash, spends the same time and answers false. */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (typeof hash !== 'string' || hash === '') {
    await bcrypt.compare(password, DUMMY_HASH);
    return false;
  }
  try {
    return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
}
