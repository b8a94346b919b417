/**
 * Group commit for creates: the inserts into one collection that arrive in the same turn of the
 * event loop — the items of a /batch, concurrent requests under load — go to MongoDB as one
 * unordered insertMany, so that N creates cost one round trip instead of N. Each caller still gets
 * its own outcome: a duplicate key fails its own object only. Part of the MongoDB storage.
 */
import { MongoBulkWriteError, type Db, type Document } from 'mongodb';
import { toBackendError } from './mongo-errors.js';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

interface Group {
  docs: Document[];
  waiters: Waiter[];
}

/** Documents per insertMany at most (the driver splits by size on its own). */
const MAX_GROUP = 1000;

export class InsertBatcher {
  private readonly pending = new Map<string, Group>();

  /** `guard` bounds each insert as the storage bounds its other operations (outage-watchdog.ts). */
  constructor(
    private readonly database: () => Promise<Db>,
    private readonly guard: <T>(operation: Promise<T>) => Promise<T> = (operation) => operation,
  ) {}

  /** Inserts `doc` into `collection` together with the other inserts of this turn. */
  insert(collection: string, doc: Document): Promise<void> {
    let group = this.pending.get(collection);
    if (!group) {
      const created: Group = { docs: [], waiters: [] };
      this.pending.set(collection, created);
      // After this turn's callbacks and promise jobs, so every insert they start joins the group.
      setImmediate(() => void this.flush(collection, created));
      group = created;
    }
    const done = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
    group.docs.push(doc);
    if (group.docs.length >= MAX_GROUP) void this.flush(collection, group);
    return done;
  }

  private async flush(collection: string, group: Group): Promise<void> {
    if (this.pending.get(collection) !== group) return;
    this.pending.delete(collection);
    try {
      const target = (await this.database()).collection(collection);
      if (group.docs.length === 1) await this.guard(target.insertOne(group.docs[0]!));
      else await this.guard(target.insertMany(group.docs, { ordered: false }));
      for (const waiter of group.waiters) waiter.resolve();
    } catch (err) {
      const failed = perDocumentErrors(err);
      group.waiters.forEach((waiter, index) => {
        if (!failed) waiter.reject(toBackendError(err));
        else if (failed.has(index)) waiter.reject(toBackendError(failed.get(index)));
        else waiter.resolve();
      });
    }
  }
}

/** The failed documents of an unordered insertMany, by index; null when the whole command failed. */
function perDocumentErrors(err: unknown): Map<number, unknown> | null {
  if (!(err instanceof MongoBulkWriteError)) return null;
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  // Without per-document errors (a write concern failure), no document can be trusted as written.
  if (errors.length === 0) return null;
  return new Map(
    errors.map((e) => [
      e.index,
      Object.assign(new Error(e.errmsg ?? 'write error'), { name: 'MongoServerError', code: e.code }),
    ]),
  );
}
