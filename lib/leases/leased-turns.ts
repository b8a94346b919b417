/**
 * Work that one of several processes does every `interval` (scanning for due jobs, due pushes):
 * each process takes turns, and a turn runs the work only in the process holding the lease
 * `name`. The lease is held for three turns and renewed at every turn, so a holder that misses two
 * renewals in a row (it stopped) hands over to another process. A turn that is still running when
 * the next is due is not doubled.
 */
import type { LeaseStorage } from '../storage/lease-storage.js';
import { Lease, newHolderId } from './lease.js';

export class LeasedTurns {
  private readonly lease: Lease;
  private timer: NodeJS.Timeout | undefined;
  private turn: Promise<void> | undefined;

  constructor(
    storage: LeaseStorage,
    name: string,
    private readonly interval: number,
    now: () => Date,
    private readonly work: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {
    this.lease = new Lease(storage, name, newHolderId(), 3 * interval, now);
  }

  /** Starts taking turns every `interval` ms (the first at once); idempotent. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runTurn(), this.interval);
    this.timer.unref();
    void this.runTurn();
  }

  /** Stops taking turns and hands the lease over; work a turn started has ended. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.turn;
    await this.lease.release().catch(() => undefined);
  }

  /** One turn, unless the previous one is still going: the work, when this process holds the lease. */
  runTurn(): Promise<void> {
    this.turn ??= (async () => {
      if (await this.lease.acquire()) await this.work();
    })()
      .catch(this.onError)
      .finally(() => {
        this.turn = undefined;
      });
    return this.turn;
  }
}
