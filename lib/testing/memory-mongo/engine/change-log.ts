/**
 * The server's recent history of changes, kept for change streams as mongod keeps its oplog: every
 * write to a document, drop, rename and database drop gets a cluster time and a place in a
 * bounded ring. A change stream reads the ring from a position onwards; a position older than
 * what the ring still holds can no longer be resumed from (ChangeStreamHistoryLost in mongod).
 *
 * Entries hold references to the stored documents, which are immutable, so recording a change
 * costs one small object. Pre-images (and the post-images of updates) are recorded only for
 * collections created or modified with `changeStreamPreAndPostImages: { enabled: true }`, as
 * mongod stores them only then.
 */
import type { Doc } from './values.js';

/** How many changes the history keeps by default. */
export const DEFAULT_CHANGE_HISTORY_SIZE = 10_000;

/** What an update changed, as change events report it. */
export interface UpdateDescription {
  updatedFields: Doc;
  removedFields: string[];
}

/** A namespace. */
export interface Namespace {
  db: string;
  coll: string;
}

/** One change, as the engine reports it. */
export type ChangeRecord =
  | { op: 'insert'; db: string; coll: string; id: unknown; after: Doc }
  | { op: 'update'; db: string; coll: string; id: unknown; description: UpdateDescription; before?: Doc; after?: Doc }
  | { op: 'replace'; db: string; coll: string; id: unknown; after: Doc; before?: Doc }
  | { op: 'delete'; db: string; coll: string; id: unknown; before?: Doc }
  | { op: 'drop'; db: string; coll: string }
  | { op: 'rename'; db: string; coll: string; to: Namespace }
  | { op: 'dropDatabase'; db: string };

/** Where a collection reports its changes: the history, or a transaction that holds them until commit. */
export interface ChangeSink {
  record(change: ChangeRecord): void;
}

/**
 * A place in the history: a cluster time (seconds in the high 32 bits, an increment in the low
 * ones, as a BSON Timestamp) and the index of the change among those of that time (a transaction
 * commits all its changes at one time). `index` {@link END_OF_TIME} stands after every change of
 * its time.
 */
export interface Position {
  readonly ts: bigint;
  readonly index: number;
}

/** The index of a position after every change of its time. */
export const END_OF_TIME = 0xffffffff;

/** The transaction a change was committed by. */
export interface TransactionInfo {
  lsid: Doc;
  txnNumber: number;
}

/** One change in the history. */
export interface LogEntry extends Position {
  readonly wallTime: Date;
  readonly change: ChangeRecord;
  readonly txn?: TransactionInfo;
}

/** Orders positions: negative, zero or positive as `a` is before, at or after `b`. */
export function comparePositions(a: Position, b: Position): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.index - b.index;
}

/** MongoDB's cluster time: seconds since the epoch and an increment within the second. */
class ClusterClock {
  private last: bigint;

  constructor() {
    this.last = BigInt(Math.floor(Date.now() / 1000)) << 32n;
  }

  get now(): bigint {
    return this.last;
  }

  tick(): bigint {
    const seconds = BigInt(Math.floor(Date.now() / 1000)) << 32n;
    this.last = seconds > this.last ? seconds | 1n : this.last + 1n;
    return this.last;
  }
}

export class ChangeLog implements ChangeSink {
  private readonly clock = new ClusterClock();
  private readonly ring: (LogEntry | undefined)[];
  private start = 0;
  private count = 0;
  /** Everything at or before this position is unknown: from before the server started, or evicted. */
  private horizon: Position;
  private readonly listeners = new Set<() => void>();

  constructor(readonly capacity = DEFAULT_CHANGE_HISTORY_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('the change history needs room for one change');
    this.ring = new Array<LogEntry | undefined>(capacity);
    this.horizon = this.now;
  }

  /** The position after every change recorded so far. */
  get now(): Position {
    return { ts: this.clock.now, index: END_OF_TIME };
  }

  /** The oldest position a reader may still stand at and lose nothing. */
  get oldest(): Position {
    return this.horizon;
  }

  /** Records one change at a new cluster time. */
  record(change: ChangeRecord): void {
    this.push({ ts: this.clock.tick(), index: 0, wallTime: new Date(), change });
    this.notify();
  }

  /** Records a committed transaction's changes, all at one new cluster time. */
  recordTransaction(changes: readonly ChangeRecord[], txn: TransactionInfo): void {
    if (changes.length === 0) return;
    const ts = this.clock.tick();
    const wallTime = new Date();
    changes.forEach((change, index) => this.push({ ts, index, wallTime, change, txn }));
    this.notify();
  }

  /** Forgets the history (after loading persisted data, whose inserts are no changes). */
  forget(): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.count = 0;
    this.horizon = this.now;
  }

  /** Whether changes after `position` have been evicted (or predate the history). */
  isLost(position: Position): boolean {
    return comparePositions(position, this.horizon) < 0;
  }

  /** The change recorded at exactly `position`, if the history holds it. */
  find(position: Position): LogEntry | undefined {
    const i = this.firstAfter({ ts: position.ts, index: position.index - 1 });
    const entry = i < this.count ? this.at(i) : undefined;
    return entry && comparePositions(entry, position) === 0 ? entry : undefined;
  }

  /** The changes after `position`, oldest first. */
  *after(position: Position): Generator<LogEntry> {
    // A reader may record nothing while it walks, so the ring cannot move under it.
    for (let i = this.firstAfter(position); i < this.count; i++) yield this.at(i);
  }

  /** Calls `listener` after each recorded change (or transaction); returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private at(i: number): LogEntry {
    return this.ring[(this.start + i) % this.capacity]!;
  }

  /** The index (0 = oldest kept) of the first entry after `position`: a binary search. */
  private firstAfter(position: Position): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (comparePositions(this.at(mid), position) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private push(entry: LogEntry): void {
    if (this.count === this.capacity) {
      const evicted = this.at(0);
      this.horizon = { ts: evicted.ts, index: evicted.index };
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    this.ring[(this.start + this.count) % this.capacity] = entry;
    this.count++;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
