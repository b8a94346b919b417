/**
 * Leases in the database: how processes sharing it agree on who does a piece of work, with no
 * other service. A lease has a name, a holder and an expiry; its holder renews it while it works,
 * and a holder that stops (a crash, a lost network) loses it when it expires, so another process
 * can take over, or tell that the work was cut short.
 */
import { randomBytes } from 'node:crypto';
import type { LeaseStorage } from '../storage/lease-storage.js';

/** A name for this process's holdings, unique enough across every process on the database. */
export function newHolderId(): string {
  return randomBytes(12).toString('hex');
}

/** One lease, as its would-be holder sees it. */
export class Lease {
  constructor(
    private readonly storage: LeaseStorage,
    readonly name: string,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Takes the lease, or renews it when already held; true when held until now + ttl. */
  acquire(): Promise<boolean> {
    const now = this.now();
    return this.storage.acquireLease(this.name, this.holder, new Date(now.getTime() + this.ttlMs), now);
  }

  /** Gives the lease up (when held), so that others need not wait for it to expire. */
  release(): Promise<void> {
    return this.storage.releaseLease(this.name, this.holder);
  }

  /**
   * Runs `work` holding the lease, renewed every third of its time to live until `work` ends, then
   * released. A renewal that fails is reported to `onRenewalError` and retried at the next turn.
   */
  async holdWhile<T>(work: () => Promise<T>, onRenewalError: (err: unknown) => void): Promise<T> {
    await this.acquire();
    const renewal = setInterval(
      () => {
        this.acquire().catch(onRenewalError);
      },
      Math.max(1, Math.floor(this.ttlMs / 3)),
    );
    renewal.unref();
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      await this.release().catch(onRenewalError);
    }
  }
}
