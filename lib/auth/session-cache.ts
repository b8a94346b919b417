/**
 * Resolved session tokens, cached per backend so that a request carrying a token costs at most one
 * database round trip, and usually none. Bounded in size and in time: a session revoked by another
 * process stops working here within `ttlMs` (documented in docs/scaling.md).
 */
export interface CachedSession {
  userId: string;
  /** The `_Session` objectId; null for a legacy token stored on the user (pre-2016 parse-server). */
  sessionId: string | null;
  expiresAt: number | null;
}

export class SessionCache {
  private readonly entries = new Map<string, { session: CachedSession; cachedAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(token: string): CachedSession | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    const now = this.now();
    if (now - entry.cachedAt > this.ttlMs || (entry.session.expiresAt !== null && entry.session.expiresAt <= now)) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.session;
  }

  set(token: string, session: CachedSession): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { session, cachedAt: this.now() });
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Forgets the cached token of one `_Session` (deleted or changed, maybe by another process). */
  deleteSession(sessionId: string): void {
    for (const [token, entry] of this.entries) if (entry.session.sessionId === sessionId) this.entries.delete(token);
  }

  /** Forgets every cached token of a user (after a password change or logout everywhere). */
  deleteUser(userId: string): void {
    for (const [token, entry] of this.entries) if (entry.session.userId === userId) this.entries.delete(token);
  }
}
