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
import { LeasedTurns } from '../leases/leased-turns.js';
import type { Services } from '../services.js';
import type { Pushes } from './pushes.js';

const STATUS = '_PushStatus';
/** The most due pushes one scan takes. */
const PAGE = 100;

export class PushScheduler {
  private readonly turns: LeasedTurns;

  constructor(
    private readonly services: Services,
    private readonly pushes: Pushes,
    interval: number,
  ) {
    this.turns = new LeasedTurns(
      services.storage,
      'pushScheduler',
      interval,
      services.now,
      () => this.scan(),
      (err) => services.config.logger.warn('push scheduler turn failed', { error: String(err) }),
    );
  }

  /** Starts scanning every `interval` ms (the first scan at once); idempotent. */
  start(): void {
    this.turns.start();
  }

  /** Stops scanning and hands the lease over; pushes already started are sent on. */
  stop(): Promise<void> {
    return this.turns.stop();
  }

  /** Sends the scheduled pushes that are due (in the process holding the lease). */
  private async scan(): Promise<void> {
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
