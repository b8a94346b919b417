/**
 * All databases of one server, and transactions over them. A transaction works on private copies
 * of the collections it touches (copy-on-write at the collection level); commit installs them if
 * nobody else wrote those collections meanwhile, else fails with a WriteConflict the driver retries.
 * Every change reaches the store's {@link ChangeLog}: a transaction's only when it commits.
 */
import { ChangeLog, type ChangeRecord, type ChangeSink } from './change-log.js';
import { commandError, ErrorCode } from './command-error.js';
import { Collection } from './collection.js';
import type { Doc } from './values.js';

/** Where commands find collections: the store itself, or a transaction's view of it. */
export interface Workspace {
  /** The collection, or undefined when it does not exist (and `create` is false). */
  collection(db: string, name: string, create?: boolean): Collection | undefined;
}

/** A database: its collections by name. */
export type Database = Map<string, Collection>;

const VALID_NAME = /^[^\0$]+$/;

function checkNamespace(db: string, name: string): void {
  if (!VALID_NAME.test(db) || /[/\\. "*<>:|?]/.test(db) || !VALID_NAME.test(name) || name.startsWith('system.')) {
    throw commandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${db}.${name}'`);
  }
}

export class Store implements Workspace {
  readonly databases = new Map<string, Database>();
  /** The recent history of changes, for change streams. */
  readonly changes: ChangeLog;

  /** `changeHistorySize`: how many changes the history keeps (see change-log.ts). */
  constructor(changeHistorySize?: number) {
    this.changes = new ChangeLog(changeHistorySize);
  }

  collection(db: string, name: string, create = false): Collection | undefined {
    const existing = this.databases.get(db)?.get(name);
    if (existing || !create) return existing;
    return this.createCollection(db, name);
  }

  createCollection(db: string, name: string, options: Doc = {}): Collection {
    checkNamespace(db, name);
    let database = this.databases.get(db);
    if (!database) {
      database = new Map();
      this.databases.set(db, database);
    }
    if (database.has(name)) throw commandError(ErrorCode.NamespaceExists, `Collection ${db}.${name} already exists.`);
    const collection = new Collection(db, name, options);
    collection.changeSink = this.changes;
    database.set(name, collection);
    return collection;
  }

  dropCollection(db: string, name: string): boolean {
    const existed = this.detach(db, name);
    if (existed) this.changes.record({ op: 'drop', db, coll: name });
    return existed;
  }

  /** Takes a collection out of its database, recording nothing. */
  private detach(db: string, name: string): boolean {
    const database = this.databases.get(db);
    const existed = database?.delete(name) ?? false;
    if (database && database.size === 0) this.databases.delete(db);
    return existed;
  }

  /** Drops a database; as in mongod, each collection's drop is recorded, then the database's. */
  dropDatabase(db: string): void {
    const database = this.databases.get(db);
    if (!database) return;
    this.databases.delete(db);
    for (const name of database.keys()) this.changes.record({ op: 'drop', db, coll: name });
    this.changes.record({ op: 'dropDatabase', db });
  }

  /** Renames a collection (the target, if any, is dropped first; the caller checks `dropTarget`). */
  renameCollection(from: { db: string; coll: string }, to: { db: string; coll: string }): void {
    const source = this.collection(from.db, from.coll);
    if (!source) throw commandError(ErrorCode.NamespaceNotFound, 'source namespace does not exist');
    this.dropCollection(to.db, to.coll);
    const target = this.createCollection(to.db, to.coll, source.options);
    target.adopt(source);
    this.detach(from.db, from.coll);
    this.changes.record({ op: 'rename', db: from.db, coll: from.coll, to: { db: to.db, coll: to.coll } });
  }

  /** Installs a collection under a name (rename, commit of a new collection). */
  install(collection: Collection, db: string, name: string): void {
    let database = this.databases.get(db);
    if (!database) {
      database = new Map();
      this.databases.set(db, database);
    }
    collection.changeSink = this.changes;
    database.set(name, collection);
  }
}

interface Shadow {
  copy: Collection;
  /** The collection's version when copied; undefined when the transaction created it. */
  baseVersion: number | undefined;
}

/**
 * One multi-document transaction's private view of the store. Its copies report their changes to
 * it; they reach the store's history together, at one cluster time, when it commits.
 */
export class Transaction implements Workspace, ChangeSink {
  readonly txnNumber: number;
  state: 'active' | 'committed' | 'aborted' = 'active';
  private readonly shadows = new Map<string, Shadow>();
  private pending: ChangeRecord[] = [];

  /** `lsid`: the session's id, which the transaction's change events carry. */
  constructor(
    private readonly store: Store,
    txnNumber: number,
    private readonly lsid: Doc = {},
  ) {
    this.txnNumber = txnNumber;
  }

  record(change: ChangeRecord): void {
    this.pending.push(change);
  }

  collection(db: string, name: string, create = false): Collection | undefined {
    const ns = `${db}.${name}`;
    const shadow = this.shadows.get(ns);
    if (shadow) return shadow.copy;
    const real = this.store.collection(db, name, false);
    if (!real && !create) return undefined;
    checkNamespace(db, name);
    const copy = real ? real.clone() : new Collection(db, name);
    copy.changeSink = this;
    this.shadows.set(ns, { copy, baseVersion: real?.version });
    return copy;
  }

  commit(): void {
    const written = [...this.shadows.values()].filter((s) => s.copy.version !== s.baseVersion);
    for (const { copy, baseVersion } of written) {
      const real = this.store.collection(copy.db, copy.name);
      if (baseVersion === undefined ? real !== undefined : real?.version !== baseVersion) {
        this.state = 'aborted';
        throw commandError(
          ErrorCode.WriteConflict,
          'WriteConflict error: this operation conflicted with another operation. Please retry your operation or multi-document transaction.',
          {
            errorLabels: ['TransientTransactionError'],
          },
        );
      }
    }
    for (const { copy } of written) {
      const real = this.store.collection(copy.db, copy.name);
      if (real) real.adopt(copy);
      else this.store.install(copy, copy.db, copy.name);
    }
    this.state = 'committed';
    this.store.changes.recordTransaction(this.pending, { lsid: this.lsid, txnNumber: this.txnNumber });
    this.pending = [];
  }

  abort(): void {
    this.shadows.clear();
    this.pending = [];
    this.state = 'aborted';
  }
}
