/**
 * Changes to objects as LiveQuery sees them: the core publishes each create, update and delete of a
 * class `liveQuery.classNames` names, with the object before and after. Writes inside a database
 * transaction are held until it commits, and dropped when it does not.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RestObject } from '../storage/storage.js';

/** One change: `original` is null for a create; `deleted` marks a delete (then `object` is the last state). */
export interface LiveEvent {
  className: string;
  object: RestObject;
  original: RestObject | null;
  deleted: boolean;
}

export type LiveListener = (event: LiveEvent) => void;

export class LiveEvents {
  private readonly listeners = new Set<LiveListener>();
  private readonly held = new AsyncLocalStorage<LiveEvent[]>();

  constructor(private readonly classNames: ReadonlySet<string>) {}

  /** Whether changes to `className` are published (and someone listens), so the core fetches what they need. */
  watches(className: string): boolean {
    return this.listeners.size > 0 && this.classNames.has(className);
  }

  listen(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: LiveEvent): void {
    if (!this.watches(event.className)) return;
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

  private deliver(events: LiveEvent[]): void {
    for (const event of events) for (const listener of this.listeners) listener(event);
  }
}
