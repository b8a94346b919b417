/**
 * Sending scheduled pushes (`sendScheduledPushes`, opt-in; parse-server stores pushes with a
 * `push_time` but sends none of them). Every process may run it; the one holding the
 * `pushScheduler` lease scans `_PushStatus` for `scheduled` pushes whose time has come, and each is
 * claimed with a compare-and-set of its status (`scheduled` to `pending`) before it is sent, so it
 * is sent once, by one process. Pushes live in the database, so they outlive any process: one that
 * comes due while every process is down is sent by the first scan after.
 *
 * A `push_time` without a time zone is the device's local time in parse-server; here it is read as
 * UTC (docs/push.md).
 */
import { Lease, newHolderId } from '../leases/lease.js';
import type { Services } from '../services.js';
import type { Pushes } from './pushes.js';

const STATUS = '_PushStatus';
/** The most due pushes one scan takes. */
const PAGE = 100;

export class PushScheduler {
  private readonly lease: Lease;
  private timer: NodeJS.Timeout | undefined;
  private turn: Promise<void> | undefined;

  constructor(
    private readonly services: Services,
    private readonly pushes: Pushes,
    private readonly interval: number,
  ) {
    // Held for three turns: a holder that misses two renewals in a row hands over.
    this.lease = new Lease(services.storage, 'pushScheduler', newHolderId(), 3 * interval, services.now);
  }

  /** Starts scanning every `interval` ms (the first scan at once); idempotent. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runTurn(), this.interval);
    this.timer.unref();
    void this.runTurn();
  }

  /** Stops scanning and hands the lease over; pushes already started are sent on. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.turn;
    await this.lease.release().catch(() => undefined);
  }

  private runTurn(): Promise<void> {
    this.turn ??= this.scan()
      .catch((err: unknown) => this.services.config.logger.warn('push scheduler turn failed', { error: String(err) }))
      .finally(() => {
        this.turn = undefined;
      });
    return this.turn;
  }

  /** Sends the scheduled pushes that are due, when this process holds the lease. */
  async scan(): Promise<void> {
    if (!(await this.lease.acquire())) return;
    const schema = await this.services.schemas.get(STATUS);
    if (!schema) return;
    const now = this.services.now().toISOString();
    const due = await this.services.storage.findObjects(
      schema,
      // A local time has no `Z`, and sorts before the same UTC time with one.
      { status: 'scheduled', pushTime: { $lte: now } },
      { limit: PAGE, order: ['pushTime'] },
      null,
    );
    for (const status of due) {
      const claimed = await this.services.storage.updateObjects(
        schema,
        { objectId: status.objectId, status: 'scheduled' },
        { status: 'pending', updatedAt: this.services.now().toISOString() },
      );
      if (claimed === 1) await this.pushes.sendScheduled(this.services, status);
    }
  }
}
