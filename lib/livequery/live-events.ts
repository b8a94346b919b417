/**
 * Changes to objects as LiveQuery sees them, from one of two sources:
 *
 * - the database's change feed (`fromDatabase`), when it has one: every write, from any process or
 *   tool, once committed. The core's own writes still tell (`publish`) what they knew — the object
 *   before the write — so their events keep `original` even where the database keeps no pre-images.
 * - else this process's writes (`publish`), a transaction's held until it commits.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RestObject, StoredChange } from '../storage/storage.js';

/** One change: `original` is null for a create; `deleted` marks a delete (then `object` is the last state). */
export interface LiveEvent {
  className: string;
  object: RestObject;
  original: RestObject | null;
  deleted: boolean;
  /**
   * An update whose before-state nobody knows (made elsewhere, no pre-images): `original` is null,
   * and `changedFields` says what the update touched.
   */
  originalUnknown?: boolean;
  changedFields?: string[];
}

/** What this process knew of its own recent writes, for the feed's events of them. */
const REMEMBERED = 10_000;

export type LiveListener = (event: LiveEvent) => void;

export class LiveEvents {
  private readonly listeners = new Set<LiveListener>();
  private readonly held = new AsyncLocalStorage<LiveEvent[]>();
  /** Set once the database's change feed delivers the events. */
  private fromFeed = false;
  private readonly known = new Map<string, LiveEvent>();

  constructor(private readonly classNames: ReadonlySet<string>) {}

  /** Whether changes to `className` are published (and someone listens), so the core fetches what they need. */
  watches(className: string): boolean {
    return this.listeners.size > 0 && this.classNames.has(className);
  }

  listen(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** From now on, events come from the database's change feed. */
  useDatabaseFeed(): void {
    this.fromFeed = true;
  }

  publish(event: LiveEvent): void {
    if (!this.watches(event.className)) return;
    if (this.fromFeed) {
      // The feed delivers it; keep what only this process knows for then.
      const key = `${event.className}/${String(event.object.objectId)}`;
      this.known.delete(key);
      if (this.known.size >= REMEMBERED) this.known.delete(this.known.keys().next().value as string);
      this.known.set(key, event);
      return;
    }
    const held = this.held.getStore();
    if (held) held.push(event);
    else this.deliver([event]);
  }

  /**
   * Runs a database transaction (`run`): the events of its writes are published once it has
   * committed. `run` calls `attempt()` at the start of each try, so a retried transaction's
   * events are those of its last try.
   */
  async transaction<T>(run: (attempt: () => void) => Promise<T>): Promise<T> {
    const held: LiveEvent[] = [];
    const result = await this.held.run(held, () =>
      run(() => {
        held.length = 0;
      }),
    );
    this.deliver(held);
    return result;
  }

  /** A change the database reports, from any process. */
  fromDatabase(change: StoredChange): void {
    if (!this.classNames.has(change.className) || this.listeners.size === 0) return;
    const key = `${change.className}/${change.objectId}`;
    const mine = this.known.get(key);
    if (mine) this.known.delete(key);
    if (change.kind === 'delete') {
      // Without a pre-image only the writing process knows what went (and who could see it).
      const last = change.original ?? (mine?.deleted ? mine.object : null);
      if (last) this.deliver([{ className: change.className, object: last, original: null, deleted: true }]);
      return;
    }
    if (!change.object) return;
    if (change.kind === 'insert') {
      this.deliver([{ className: change.className, object: change.object, original: null, deleted: false }]);
      return;
    }
    const sameWrite = mine && !mine.deleted && mine.object.updatedAt === change.object.updatedAt;
    const original = change.original ?? (sameWrite ? mine.original : null);
    this.deliver([
      {
        className: change.className,
        object: change.object,
        original,
        deleted: false,
        ...(original === null && { originalUnknown: true, changedFields: change.changedFields }),
      },
    ]);
  }

  private deliver(events: LiveEvent[]): void {
    for (const event of events) for (const listener of this.listeners) listener(event);
  }
}
