/** Master key checks: constant-time comparison and the IP allowlist. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Digests of the configured secrets (a handful per backend), so each request hashes only what it sent. */
const expectedDigests = new Map<string, Buffer>();
const MAX_EXPECTED = 64;

/** Compares a given secret with a configured one in time that does not depend on where they differ. */
export function secretsEqual(given: string, expected: string): boolean {
  let digest = expectedDigests.get(expected);
  if (!digest) {
    if (expectedDigests.size >= MAX_EXPECTED) expectedDigests.clear();
    expectedDigests.set(expected, (digest = sha256(expected)));
  }
  return timingSafeEqual(sha256(given), digest);
}

function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => (n << 8) + Number(octet), 0) >>> 0;
}

function matches(ip: string, rule: string): boolean {
  if (rule === '0.0.0.0/0' || rule === '::/0') return true;
  const [base, bits] = rule.split('/');
  if (bits === undefined) return normalizeIp(base!) === ip;
  if (isIP(ip) !== 4 || isIP(base!) !== 4) return false;
  const prefix = Number(bits);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (ipv4ToNumber(ip) & mask) === (ipv4ToNumber(base!) & mask);
}

/** Whether the master key may be used from `ip` (exact addresses or IPv4 CIDR ranges). */
export function masterKeyAllowedFrom(ip: string | undefined, allowed: readonly string[]): boolean {
  if (!ip) return false;
  const client = normalizeIp(ip);
  return allowed.some((rule) => matches(client, rule));
}
