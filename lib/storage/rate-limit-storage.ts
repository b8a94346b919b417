/**
 * The rate-limit part of the storage contract: request counters shared by every process on the
 * database (`rateLimitStore: 'database'`).
 *
 * An implementation MUST count atomically across processes (two processes counting the same key
 * at once both see their own increment), and SHOULD drop a window's counter once it has expired.
 */
export interface RateLimitStorage {
  /** Counts one request of `key` in the window starting at `windowStart`; returns its count so far. */
  countRequest(key: string, windowStart: Date, expiresAt: Date): Promise<number>;
}
