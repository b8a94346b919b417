/**
 * The objects part of the storage contract: Parse objects of any class, their relations and
 * queries, in Parse's terms (REST-format values, validated `where` trees).
 *
 * An implementation MUST:
 * - store objects in Parse Server's layout, so that a database is shared with Parse Server;
 * - apply every write atomically, in one database operation (no read-modify-write), limited to
 *   objects the given principals may write (`_wperm`), and every read to those they may read;
 * - charge each document it reads to `FindOptions.budget` before reading the next batch, and let
 *   the error the budget throws reach the caller;
 * - report an unreachable database as a `BackendError` with code 100, a bad query as 102;
 * - run everything inside `transaction`'s callback in one database transaction.
 * It SHOULD make one round trip per call, and group concurrent inserts into one class.
 */
import type { ClassSchema } from '../schema/class-schema.js';
import type { UserSecretsChange } from './user-storage.js';

/** A Parse object in REST format (`objectId`, `createdAt` as ISO string, `__type` encodings). */
export type RestObject = Record<string, unknown>;

/** A validated REST `where` object. */
export type RestWhere = Record<string, unknown>;

/** Permission principals (`*`, user ids, `role:Name`) a read or write is limited to; null for master. */
export type Principals = readonly string[] | null;

/** The verbosities of MongoDB's explain. */
export type ExplainVerbosity = 'queryPlanner' | 'queryPlannerExtended' | 'executionStats' | 'allPlansExecution';

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

/** A relation field of one object: `owningClass.field`, joined in `_Join:<field>:<owningClass>`. */
export interface RelationRef {
  owningClass: string;
  field: string;
  owningId: string;
}

export interface ObjectStorage {
  /** Stores a new object; `secrets` are a new user's (its password hash, linked identities). */
  createObject(schema: ClassSchema, object: RestObject, secrets?: UserSecretsChange): Promise<void>;
  /**
   * Applies `update` (values and `__op`s) and `secrets` to the one object matching `where` and
   * writable by `writers`; returns the object's fields after the update, or null when nothing matched.
   */
  updateObject(
    schema: ClassSchema,
    where: RestWhere,
    update: RestObject,
    writers: Principals,
    secrets?: UserSecretsChange,
  ): Promise<RestObject | null>;
  /** Deletes the one object matching `where` writable by `writers`; false when none matched. */
  deleteObject(schema: ClassSchema, where: RestWhere, writers: Principals): Promise<boolean>;
  findObjects(schema: ClassSchema, where: RestWhere, options: FindOptions, readers: Principals): Promise<RestObject[]>;
  /** Deletes every object matching `where`, whatever its ACL (server-side cleanups); returns how many. */
  deleteObjects(schema: ClassSchema, where: RestWhere): Promise<number>;
  /**
   * Applies `update` (values and `__op`s) to every object matching `where`, whatever its ACL
   * (server-side changes: a push's badge increments); returns how many matched.
   */
  updateObjects(schema: ClassSchema, where: RestWhere, update: RestObject): Promise<number>;
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
  explainFind(
    schema: ClassSchema,
    where: RestWhere,
    options: FindOptions,
    verbosity: ExplainVerbosity,
  ): Promise<unknown>;

  addRelations(relation: RelationRef, relatedIds: readonly string[]): Promise<void>;
  removeRelations(relation: RelationRef, relatedIds: readonly string[]): Promise<void>;
  /** Ids of the `owningClass` objects whose relation `field` holds any of `relatedIds`. */
  owningIdsOf(owningClass: string, field: string, relatedIds: readonly string[]): Promise<string[]>;
  /** Ids of the objects related to `owningId` through a relation field. */
  relatedIds(relation: RelationRef, owningId: string): Promise<string[]>;

  /** Runs `work` in one database transaction: all of its writes land, or none. */
  transaction<T>(work: () => Promise<T>): Promise<T>;

  /**
   * A test of objects (as this storage returns them) against `where`, giving the answer a query
   * would: the same operators and types, and only objects `readers` may read (null: all). MUST
   * hold no database resource: it runs for every change LiveQuery sees.
   */
  objectMatcher(
    schema: ClassSchema,
    where: RestWhere,
    readers: readonly string[] | null,
  ): (object: RestObject) => boolean;
}
