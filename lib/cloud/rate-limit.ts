/**
 * A fixed-window request counter for a Cloud validator's `rateLimit`.
 *
 * Counters live in this process's memory only: with several processes (a cluster, several
 * instances behind a load balancer) each counts on its own, so a client can make up to
 * `requestCount` calls per window in each process. That matches Parse Server's default (memory)
 * store; a shared limit needs a limit in front of the backend.
 */

/** How many calls each key may make in each window, and how many keys are remembered. */
export interface RateLimiterOptions {
  /** Window length in milliseconds. */
  requestTimeWindow: number;
  /** Calls allowed per key in one window. */
  requestCount: number;
  /** Most keys remembered at once (default 10,000), so that many callers cannot exhaust memory. */
  maxKeys?: number;
}

interface Window {
  start: number;
  count: number;
}

/** Counts calls per key in fixed windows of `requestTimeWindow` ms. */
export class RateLimiter {
  private readonly windowMs: number;
  private readonly limit: number;
  private readonly maxKeys: number;
  /**
   * Kept in the order windows started (a key is re-inserted when its window restarts), so the
   * oldest and expired windows are at the front and eviction need not scan the whole map.
   */
  private readonly windows = new Map<string, Window>();

  constructor(options: RateLimiterOptions) {
    this.windowMs = options.requestTimeWindow;
    this.limit = options.requestCount;
    this.maxKeys = Math.max(1, options.maxKeys ?? 10_000);
  }

  /** Number of keys currently remembered. */
  get size(): number {
    return this.windows.size;
  }

  /**
   * Counts one call for `key` at time `now` (ms). Returns false when the key has already made
   * `requestCount` calls in its current window (the refused call is not counted).
   */
  take(key: string, now: number = Date.now()): boolean {
    const current = this.windows.get(key);
    if (current !== undefined && now - current.start < this.windowMs) {
      if (current.count >= this.limit) return false;
      current.count += 1;
      return true;
    }
    // A new window: delete first so that the re-inserted key moves to the back of the order.
    this.windows.delete(key);
    this.makeRoom(now);
    this.windows.set(key, { start: now, count: 1 });
    return this.limit >= 1;
  }

  /** Frees a slot when full: expired windows first, then the oldest live ones. */
  private makeRoom(now: number): void {
    if (this.windows.size < this.maxKeys) return;
    for (const [key, window] of this.windows) {
      if (now - window.start < this.windowMs) break;
      this.windows.delete(key);
    }
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}
