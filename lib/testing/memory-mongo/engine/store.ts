/**
 * All databases of one server, and transactions over them. A transaction works on private copies
 * of the collections it touches (copy-on-write at the collection level); commit installs them if
 * nobody else wrote those collections meanwhile, else fails with a WriteConflict the driver retries.
 */
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
    database.set(name, collection);
    return collection;
  }

  dropCollection(db: string, name: string): boolean {
    const database = this.databases.get(db);
    const existed = database?.delete(name) ?? false;
    if (database && database.size === 0) this.databases.delete(db);
    return existed;
  }

  dropDatabase(db: string): void {
    this.databases.delete(db);
  }

  /** Installs a collection under a name (rename, commit of a new collection). */
  install(collection: Collection, db: string, name: string): void {
    let database = this.databases.get(db);
    if (!database) {
      database = new Map();
      this.databases.set(db, database);
    }
    database.set(name, collection);
  }
}

interface Shadow {
  copy: Collection;
  /** The collection's version when copied; undefined when the transaction created it. */
  baseVersion: number | undefined;
}

/** One multi-document transaction's private view of the store. */
export class Transaction implements Workspace {
  readonly txnNumber: number;
  state: 'active' | 'committed' | 'aborted' = 'active';
  private readonly shadows = new Map<string, Shadow>();

  constructor(
    private readonly store: Store,
    txnNumber: number,
  ) {
    this.txnNumber = txnNumber;
  }

  collection(db: string, name: string, create = false): Collection | undefined {
    const ns = `${db}.${name}`;
    const shadow = this.shadows.get(ns);
    if (shadow) return shadow.copy;
    const real = this.store.collection(db, name, false);
    if (!real && !create) return undefined;
    checkNamespace(db, name);
    const copy = real ? real.clone() : new Collection(db, name);
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
  }

  abort(): void {
    this.shadows.clear();
    this.state = 'aborted';
  }
}
