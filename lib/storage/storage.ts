/**
 * The storage contract: what the core needs from a database, in Parse's terms (REST-format values,
 * validated `where` trees). Only `storage/mongo/` knows MongoDB.
 *
 * Implementations MUST: store objects in Parse Server's layout (so databases are shared with it);
 * apply every update atomically (no read-modify-write); report an unreachable database as a
 * `BackendError` with code 100; run everything inside {@link Storage.transaction}'s callback in one
 * database transaction. They SHOULD keep round trips to one per call.
 */
import type { ClassSchema, SchemaChange } from '../schema/class-schema.js';

/** A Parse object in REST format (`objectId`, `createdAt` as ISO string, `__type` encodings). */
export type RestObject = Record<string, unknown>;

/** A validated REST `where` object. */
export type RestWhere = Record<string, unknown>;

/** Permission principals (`*`, user ids, `role:Name`) a read or write is limited to; null for master. */
export type Principals = readonly string[] | null;

export interface FindOptions {
  /** Field names to sort on, `-` for descending. */
  order?: readonly string[];
  skip?: number;
  limit?: number;
  /** Field names to return (others are dropped); undefined returns every field. */
  keys?: readonly string[];
  readPreference?: 'PRIMARY' | 'PRIMARY_PREFERRED' | 'SECONDARY' | 'SECONDARY_PREFERRED' | 'NEAREST';
  /** An index name or key pattern the database should use. */
  hint?: string | Record<string, unknown>;
  /** Match objects the principals may write (`_wperm`) rather than read: what hooks of a write see. */
  forWrite?: boolean;
  /** Charged with the size of each document as it is read; it throws to stop the read. */
  budget?: ByteBudget;
}

/**
 * The bytes a request may still read. A storage MUST charge each document it reads (its stored
 * size) before reading the next batch, and MUST let the error `charge` throws reach the caller.
 */
export interface ByteBudget {
  charge(bytes: number): void;
}

export type DatabaseHealth = 'ok' | 'unreachable';

/** The stored form of `_GlobalConfig`. */
export interface GlobalConfig {
  params: Record<string, unknown>;
  masterKeyOnly: Record<string, boolean>;
}

export interface Storage {
  /** Connects (once; concurrent callers share the attempt) and creates the indexes Parse needs. */
  connect(): Promise<void>;
  close(): Promise<void>;
  health(): Promise<DatabaseHealth>;

  loadSchemas(): Promise<ClassSchema[]>;
  /** Adds fields to a class's `_SCHEMA` entry (creating it), never changing an existing type. */
  applySchemaChange(change: SchemaChange): Promise<void>;

  /** Replaces a class's class-level permissions in `_SCHEMA`. */
  setClassLevelPermissions(className: string, clp: Record<string, unknown>): Promise<void>;
  /** Removes fields from a class: from `_SCHEMA`, from every object, and relation join collections. */
  deleteFields(schema: ClassSchema, fields: readonly string[]): Promise<void>;
  /**
   * Creates and drops a class's indexes by name; `add` keys are Parse field names. Recorded in
   * `_SCHEMA` `_metadata.indexes`, as parse-server records them.
   */
  changeIndexes(
    schema: ClassSchema,
    add: Readonly<Record<string, Record<string, unknown>>>,
    drop: readonly string[],
  ): Promise<void>;
  /** Drops a class: its collection, its join collections and its `_SCHEMA` entry. */
  dropClass(schema: ClassSchema): Promise<void>;

  createObject(schema: ClassSchema, object: RestObject): Promise<void>;
  /**
   * Applies `update` (values and `__op`s) to the one object matching `where` and writable by
   * `writers`; returns the object's fields after the update, or null when nothing matched.
   */
  updateObject(
    schema: ClassSchema,
    where: RestWhere,
    update: RestObject,
    writers: Principals,
  ): Promise<RestObject | null>;
  /** Deletes the one object matching `where` writable by `writers`; false when none matched. */
  deleteObject(schema: ClassSchema, where: RestWhere, writers: Principals): Promise<boolean>;
  findObjects(schema: ClassSchema, where: RestWhere, options: FindOptions, readers: Principals): Promise<RestObject[]>;
  /** Deletes every object matching `where`, whatever its ACL (server-side cleanups); returns how many. */
  deleteObjects(schema: ClassSchema, where: RestWhere): Promise<number>;
  /** The one user matching `where` with its stored secrets (never returned to clients). */
  findUserSecrets(schema: ClassSchema, where: RestWhere): Promise<UserSecrets | null>;
  /**
   * Counts a login attempt before the password is checked, atomically, unless the account is
   * locked: returns the attempt's number since the last success, or null when locked. Parallel
   * attempts therefore cannot all pass a lock check made before any of them was counted.
   */
  reserveLoginAttempt(userId: string, now: Date): Promise<number | null>;
  /** Locks an account until `lockUntil` and starts counting again. */
  lockAccount(userId: string, lockUntil: Date): Promise<void>;
  /** Forgets failed logins and any lock (after a successful login). */
  clearFailedLogins(userId: string): Promise<void>;
  /**
   * Uses up a one-time user token atomically: the one user holding `token` (unexpired) gets
   * `set` applied and loses the token, in one update; null when no user holds it. Concurrent
   * uses of one token succeed once.
   */
  consumeUserToken(kind: UserTokenKind, token: string, now: Date, set: RestObject): Promise<RestObject | null>;
  /** The user holding an unexpired token, without using it up. */
  userWithToken(kind: UserTokenKind, token: string, now: Date): Promise<UserSecrets | null>;
  /** Whether an object other than `exceptObjectId` has `field` equal to `value`, ignoring case. */
  existsIgnoringCase(schema: ClassSchema, field: string, value: string, exceptObjectId?: string): Promise<boolean>;
  countObjects(schema: ClassSchema, where: RestWhere, readers: Principals): Promise<number>;
  /** Runs an aggregation pipeline in Parse's terms (stages already checked by query/). */
  aggregate(
    schema: ClassSchema,
    pipeline: readonly Record<string, unknown>[],
    readers: Principals,
    options?: Pick<FindOptions, 'readPreference' | 'hint' | 'budget'>,
  ): Promise<Record<string, unknown>[]>;
  /** Distinct values of a field among the objects matching `where`. */
  distinct(schema: ClassSchema, field: string, where: RestWhere, readers: Principals): Promise<unknown[]>;
  /** The database's plan for a find (master only, for diagnosis). */
  explainFind(schema: ClassSchema, where: RestWhere, options: FindOptions): Promise<unknown>;

  addRelations(relation: RelationRef, relatedIds: readonly string[]): Promise<void>;
  removeRelations(relation: RelationRef, relatedIds: readonly string[]): Promise<void>;
  /** Ids of the `owningClass` objects whose relation `field` holds any of `relatedIds`. */
  owningIdsOf(owningClass: string, field: string, relatedIds: readonly string[]): Promise<string[]>;
  /** Ids of the objects related to `owningId` through a relation field. */
  relatedIds(relation: RelationRef, owningId: string): Promise<string[]>;

  /** Creates the unique index on a provider's identity ids (once per provider and process). */
  ensureAuthDataIndex(provider: string): Promise<void>;
  /** The authData providers linked to a user (`anonymous`, ...), from `_auth_data_<provider>`. */
  authProvidersOf(userId: string): Promise<string[]>;

  loadGlobalConfig(): Promise<GlobalConfig>;
  saveGlobalConfig(update: {
    set: Record<string, unknown>;
    unset: string[];
    masterKeyOnly: Record<string, boolean>;
  }): Promise<void>;

  /** Runs `work` in one database transaction: all of its writes land, or none. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
}

/** One-time user tokens: email verification and password reset. */
export type UserTokenKind = 'verifyEmail' | 'resetPassword';

/** What a user's document holds besides its fields: never sent to a client. */
export interface UserSecrets {
  user: RestObject;
  hashedPassword: string | null;
  failedLogins: number;
  lockedUntil: Date | null;
  passwordChangedAt: Date | null;
  /** Previous password hashes, newest first. */
  passwordHistory: string[];
}

/** A relation field of one object: `owningClass.field`, joined in `_Join:<field>:<owningClass>`. */
export interface RelationRef {
  owningClass: string;
  field: string;
  owningId: string;
}
