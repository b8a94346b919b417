/**
 * The MongoDB storage: the only code that talks to MongoDB. It connects lazily, keeps parse-server's
 * layout, turns driver failures into Parse errors (100 when the database cannot be reached, 137 for
 * a duplicate unique value), and threads a transaction's session through AsyncLocalStorage so that
 * callers never pass sessions around.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Db,
  MongoClient,
  ReadPreference,
  type AbstractCursor,
  type ClientSession,
  type Document,
  type MongoClientOptions,
  ObjectId,
} from 'mongodb';
import { BackendError } from '../../errors/backend-error.js';
import { newObjectId } from '../../values/object-id.js';
import { ErrorCode } from '../../errors/error-codes.js';
import { classSchema, type ClassSchema, type SchemaChange } from '../../schema/class-schema.js';
import { fromStorageType, toStorageType, type FieldType } from '../../schema/field-types.js';
import type {
  ByteBudget,
  ChangeFeed,
  DatabaseHealth,
  FindOptions,
  ExplainVerbosity,
  GlobalConfig,
  Principals,
  RelationRef,
  RestObject,
  RestWhere,
  Storage,
  UserSecrets,
  UserSecretsChange,
  UserTokenKind,
  Webhook,
  WebhookKey,
  WatchOptions,
  LogLineQuery,
  StoredLogLine,
} from '../storage.js';
import {
  documentToObject,
  interiorFromMongo,
  interiorToMongo,
  pointerFromStored,
  storedKey,
  type FileUrl,
} from './codec.js';
import { fromMongoResult, toMongoPipeline } from './aggregate-pipeline.js';
import { GridFsFileStore } from './gridfs-file-store.js';
import { InsertBatcher } from './insert-batcher.js';
import { toBackendError } from './mongo-errors.js';
import { estimatedSize } from './document-size.js';
import { ensureCaseInsensitiveUnique } from './user-indexes.js';
import { MongoUserRecords, secretFields } from './user-records.js';
import { objectToDocument, updateToMongo } from './update-document.js';
import { textSearchField, whereToFilter, writableBy } from './where-filter.js';
import { OutageWatchdog } from './outage-watchdog.js';
import { objectMatcher } from './object-matcher.js';
import { openChangeFeed } from './change-feed.js';

export interface MongoStorageOptions {
  uri?: string;
  database?: MongoClient | Db;
  clientOptions?: MongoClientOptions & { maxTimeMS?: number };
  /** How long an operation waits for a reachable server before failing with code 100. */
  timeoutMS: number;
  fileUrl: FileUrl;
  /** Sets File fields' URLs where the file store decides them (a files adapter), after decoding. */
  locateFiles?: (objects: RestObject[]) => Promise<void>;
  onError?: (message: string, details: Record<string, unknown>) => void;
}

const SCHEMA_COLLECTION = '_SCHEMA';
/** Request counters of `rateLimitStore: 'database'` (not a Parse class: never served). */
const RATE_LIMIT_COLLECTION = '_RateLimit';
/** Leases between processes (lease-storage.ts; not a Parse class: never served). */
const LEASE_COLLECTION = '_Leases';
const LOG_COLLECTION = '_Logs';
const NON_FIELD_KEYS = new Set([
  '_id',
  '_metadata',
  '_client_permissions',
  'objectId',
  'createdAt',
  'updatedAt',
  'ACL',
]);

/** The indexes parse-server creates at startup, so both servers can share a database. */
const STARTUP_INDEXES: { collection: string; key: Document; options: Document }[] = [
  { collection: '_User', key: { username: 1 }, options: { name: 'username_1', unique: true } },
  { collection: '_User', key: { email: 1 }, options: { name: 'email_1', unique: true, sparse: true } },
  { collection: '_Role', key: { name: 1 }, options: { name: 'name_1', unique: true } },
  { collection: '_Idempotency', key: { reqId: 1 }, options: { name: 'reqId_1', unique: true } },
  // Expired request ids are removed by the database itself, as parse-server indexes them.
  { collection: '_Idempotency', key: { expire: 1 }, options: { name: 'ttl', expireAfterSeconds: 0 } },
];

const READ_PREFERENCE_MODES = {
  PRIMARY: 'primary',
  PRIMARY_PREFERRED: 'primaryPreferred',
  SECONDARY: 'secondary',
  SECONDARY_PREFERRED: 'secondaryPreferred',
  NEAREST: 'nearest',
} as const;

function readPreferenceOf(options: FindOptions): ReadPreference | undefined {
  return options.readPreference ? new ReadPreference(READ_PREFERENCE_MODES[options.readPreference]) : undefined;
}

/**
 * Reads a cursor to its end, charging `budget` with each document's size one batch at a time, so
 * that a read past the budget stops after the batch that crossed it.
 */
async function readCharged<T extends Document>(
  cursor: AbstractCursor<T>,
  budget: ByteBudget | undefined,
): Promise<T[]> {
  if (!budget) return cursor.toArray();
  // A request already past its budget reads nothing more.
  budget.charge(0);
  const docs: T[] = [];
  try {
    while (await cursor.hasNext()) {
      for (const doc of cursor.readBufferedDocuments()) {
        budget.charge(estimatedSize(doc));
        docs.push(doc);
      }
    }
  } finally {
    await cursor.close();
  }
  return docs;
}

/** The fields of `doc` a projection names, and the `_auth_data_<provider>` fields. */
function selected(doc: Document, projection: Document): Document {
  return Object.fromEntries(Object.entries(doc).filter(([key]) => key in projection || key.startsWith('_auth_data_')));
}

/** The filter naming a webhook's document: its function name, or its class and trigger. */
function webhookFilter(key: WebhookKey): Document {
  return 'functionName' in key
    ? { functionName: key.functionName }
    : { className: key.className, triggerName: key.triggerName, functionName: { $exists: false } };
}

export class MongoStorage implements Storage {
  /** Whether the rate-limit counters' expiry index is known to exist. */
  private rateLimitIndexed = false;
  private leasesIndexed = false;
  private logsIndexed = false;
  private readonly options: MongoStorageOptions;
  private readonly sessions = new AsyncLocalStorage<ClientSession>();
  private connecting: Promise<{ client: MongoClient; db: Db }> | null = null;
  /** Classes known to have a text index (MongoDB allows one per collection). */
  private readonly textIndexed = new Set<string>();
  private ownedClient: MongoClient | null = null;
  /**
   * Whether the driver's server monitoring last saw a data-bearing server (null: no news yet). It
   * lets /health answer without a round trip, so a database busy with one long command (the
   * built-in one runs one command at a time) is not reported down.
   */
  private serverKnown: boolean | null = null;
  private closed = false;
  private readonly watchdog: OutageWatchdog;
  private readonly inserts = new InsertBatcher(
    async () => (await this.open()).db,
    (operation) => this.guard(operation),
  );

  /** The time limit of each query (parse-server's `databaseOptions.maxTimeMS`), if any. */
  private readonly maxTimeMS: number | undefined;

  constructor(options: MongoStorageOptions) {
    this.options = options;
    this.maxTimeMS = options.clientOptions?.maxTimeMS;
    this.watchdog = new OutageWatchdog(
      options.timeoutMS,
      () => new BackendError(ErrorCode.CONNECTION_FAILED, 'The database is unavailable; try again shortly.'),
    );
  }

  /**
   * A driver operation, bounded by the watchdog; a failure to reach the database starts the watchdog's
   * grace for the others in flight, and tells /health to ask the database again.
   */
  private guard<T>(operation: Promise<T>): Promise<T> {
    return this.watchdog.watch(operation).catch((err: unknown) => {
      const mapped = toBackendError(err);
      if (mapped instanceof BackendError && mapped.code === ErrorCode.CONNECTION_FAILED) {
        this.serverKnown = false;
        this.watchdog.connectionLost();
      }
      throw err;
    });
  }

  private open(): Promise<{ client: MongoClient; db: Db }> {
    // Work still running after close() (a job, say) must not open a connection nobody will close.
    if (this.closed) return Promise.reject(new BackendError(ErrorCode.CONNECTION_FAILED, 'The backend is closed.'));
    this.connecting ??= this.openOnce().catch((err: unknown) => {
      // Let the next request try again rather than caching the failure.
      this.connecting = null;
      throw toBackendError(err);
    });
    return this.connecting;
  }

  private async openOnce(): Promise<{ client: MongoClient; db: Db }> {
    const { database, uri } = this.options;
    // Told by shape, as the config check does: the host's copy of the driver may not be ours.
    if (database && 'collection' in database) return { client: database.client, db: database };
    if (database) return { client: database, db: database.db() };
    // maxTimeMS is set on each query: the driver refuses it as a client option.
    const { maxTimeMS: _perQuery, ...clientOptions } = this.options.clientOptions ?? {};
    const client = new MongoClient(uri!, {
      serverSelectionTimeoutMS: this.options.timeoutMS,
      connectTimeoutMS: this.options.timeoutMS,
      ...clientOptions,
    });
    this.ownedClient = client;
    client.on('topologyDescriptionChanged', (event) => {
      this.serverKnown = event.newDescription.hasDataBearingServers;
    });
    await client.connect();
    return { client, db: client.db() };
  }

  /** Runs one database operation, with the current transaction's session, mapping its errors. */
  private async run<T>(operation: (db: Db, session: ClientSession | undefined) => Promise<T>): Promise<T> {
    const { db } = await this.open();
    try {
      return await this.guard(operation(db, this.sessions.getStore()));
    } catch (err) {
      throw toBackendError(err);
    }
  }

  async watchChanges(options: WatchOptions): Promise<ChangeFeed | null> {
    const { db } = await this.open();
    return openChangeFeed(
      db,
      options,
      async (schema, doc) => this.located(documentToObject(schema, doc, this.options.fileUrl)),
      () => this.closed,
    );
  }

  /** The files in GridFS, on this storage's connection. */
  files(): GridFsFileStore {
    return new GridFsFileStore(async () => (await this.open()).db, toBackendError);
  }

  async connect(): Promise<void> {
    const warn = (message: string, details: Record<string, unknown>) => this.options.onError?.(message, details);
    await this.run(async (db) => {
      await Promise.all([
        ...STARTUP_INDEXES.map(({ collection, key, options }) =>
          db
            .collection(collection)
            .createIndex(key, options)
            .catch((err: unknown) => {
              // An existing index from another server with other options is theirs to keep.
              warn('could not create index', { collection, name: options.name, error: String(err) });
            }),
        ),
        ...(['username', 'email'] as const).map((field) =>
          ensureCaseInsensitiveUnique(db, field, warn).catch((err: unknown) => {
            warn('could not create index', {
              collection: '_User',
              name: `case_insensitive_${field}`,
              error: String(err),
            });
          }),
        ),
      ]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.ownedClient;
    this.ownedClient = null;
    this.connecting = null;
    await client?.close();
  }

  async health(): Promise<DatabaseHealth> {
    try {
      await this.open();
      if (this.serverKnown === true) return 'ok';
      await this.run((db) => db.command({ ping: 1 }, { timeoutMS: Math.min(this.options.timeoutMS, 2000) }));
      return 'ok';
    } catch {
      return 'unreachable';
    }
  }

  // ---- schema ----

  async loadSchemas(): Promise<ClassSchema[]> {
    const docs = await this.run((db, session) => db.collection(SCHEMA_COLLECTION).find({}, { session }).toArray());
    return docs.map((doc) => {
      const fields: Record<string, FieldType> = {};
      for (const [key, value] of Object.entries(doc)) {
        if (NON_FIELD_KEYS.has(key)) continue;
        const type = fromStorageType(value);
        if (type) fields[key] = type;
      }
      const metadata = (doc._metadata ?? {}) as Document;
      // parse-server keeps `required` and `defaultValue` beside the types, in `_metadata.fields_options`.
      for (const [field, options] of Object.entries((metadata.fields_options ?? {}) as Document)) {
        if (fields[field] && options !== null && typeof options === 'object') {
          const { required, defaultValue } = options as { required?: unknown; defaultValue?: unknown };
          if (typeof required === 'boolean') fields[field] = { ...fields[field], required };
          if (defaultValue !== undefined && defaultValue !== null) fields[field] = { ...fields[field], defaultValue };
        }
      }
      return classSchema(
        String(doc._id),
        fields,
        metadata.class_permissions as Document | undefined,
        (metadata.indexes ?? {}) as Document,
      );
    });
  }

  async applySchemaChange(change: SchemaChange): Promise<void> {
    const filter: Document = { _id: change.className };
    const set: Document = {};
    for (const [field, type] of Object.entries(change.addFields)) {
      filter[field] = { $exists: false };
      set[field] = toStorageType(type);
      const options: Document = {};
      if (type.required !== undefined) options.required = type.required;
      if (type.defaultValue !== undefined) options.defaultValue = type.defaultValue;
      if (Object.keys(options).length > 0) set[`_metadata.fields_options.${field}`] = options;
    }
    const update: Document = { $set: set };
    if (change.create) update.$setOnInsert = { objectId: 'string', updatedAt: 'string', createdAt: 'string' };
    if (Object.keys(set).length === 0) delete update.$set;
    try {
      await this.run((db, session) =>
        db.collection<Document>(SCHEMA_COLLECTION).updateOne(filter, update, { upsert: true, session }),
      );
      // GeoPoint fields get the 2dsphere index their queries need, as parse-server creates it.
      const geoFields = Object.entries(change.addFields)
        .filter(([, type]) => type.type === 'GeoPoint')
        .map(([field]) => field);
      await Promise.all(
        geoFields.map((field) =>
          this.run((db) =>
            db.collection(change.className).createIndex({ [field]: '2dsphere' }, { name: `${field}_2dsphere` }),
          ),
        ),
      );
    } catch (err) {
      // A concurrent writer added one of the fields first; the caller reloads and re-checks.
      if (err instanceof BackendError && err.code === ErrorCode.DUPLICATE_VALUE) return;
      throw err;
    }
  }

  async setClassLevelPermissions(className: string, clp: Record<string, unknown> | null): Promise<void> {
    await this.run((db, session) =>
      db
        .collection<Document>(SCHEMA_COLLECTION)
        .updateOne({ _id: className } as Document, { $set: { '_metadata.class_permissions': clp } }, { session }),
    );
  }

  async deleteFields(schema: ClassSchema, fields: readonly string[]): Promise<void> {
    const schemaUnset: Document = {};
    const dataUnset: Document = {};
    for (const field of fields) {
      schemaUnset[field] = '';
      schemaUnset[`_metadata.fields_options.${field}`] = '';
      dataUnset[storedKey(schema, field)] = '';
    }
    await this.run(async (db, session) => {
      await db
        .collection<Document>(SCHEMA_COLLECTION)
        .updateOne({ _id: schema.className } as Document, { $unset: schemaUnset }, { session });
      await db.collection(schema.className).updateMany({}, { $unset: dataUnset }, { session });
      for (const field of fields) {
        if (schema.fields[field]?.type === 'Relation')
          await db
            .collection(`_Join:${field}:${schema.className}`)
            .drop()
            .catch(() => undefined);
      }
    });
  }

  async changeIndexes(
    schema: ClassSchema,
    add: Readonly<Record<string, Record<string, unknown>>>,
    drop: readonly string[],
  ): Promise<void> {
    await this.run(async (db, session) => {
      const collection = db.collection(schema.className);
      for (const name of drop) await collection.dropIndex(name).catch(() => undefined);
      for (const [name, key] of Object.entries(add)) {
        const stored = Object.fromEntries(
          Object.entries(key).map(([field, direction]) => [storedKey(schema, field), direction]),
        );
        await collection.createIndex(stored as Document, { name });
      }
      const set: Document = {};
      const unset: Document = {};
      for (const [name, key] of Object.entries(add)) set[`_metadata.indexes.${name}`] = key;
      for (const name of drop) unset[`_metadata.indexes.${name}`] = '';
      const update: Document = {};
      if (Object.keys(set).length > 0) update.$set = set;
      if (Object.keys(unset).length > 0) update.$unset = unset;
      if (Object.keys(update).length > 0)
        await db
          .collection<Document>(SCHEMA_COLLECTION)
          .updateOne({ _id: schema.className } as Document, update, { session });
    });
  }

  async dropClass(schema: ClassSchema): Promise<void> {
    await this.run(async (db, session) => {
      await db
        .collection(schema.className)
        .drop()
        .catch(() => undefined);
      for (const [field, type] of Object.entries(schema.fields)) {
        if (type.type === 'Relation')
          await db
            .collection(`_Join:${field}:${schema.className}`)
            .drop()
            .catch(() => undefined);
      }
      await db.collection<Document>(SCHEMA_COLLECTION).deleteOne({ _id: schema.className } as Document, { session });
    });
  }

  // ---- objects ----

  async createObject(schema: ClassSchema, object: RestObject, secrets?: UserSecretsChange): Promise<void> {
    const doc = objectToDocument(schema, { ...object, ...secretFields(secrets) });
    // Inside a transaction the insert must use its session; otherwise it joins this turn's group.
    if (this.sessions.getStore())
      await this.run((db, session) => db.collection(schema.className).insertOne(doc, { session }));
    else await this.inserts.insert(schema.className, doc);
  }

  async updateObject(
    schema: ClassSchema,
    where: RestWhere,
    update: RestObject,
    writers: Principals,
    secrets?: UserSecretsChange,
  ): Promise<RestObject | null> {
    const filter = writableBy(whereToFilter(schema, where), writers);
    const mongoUpdate = updateToMongo(schema, { ...update, ...secretFields(secrets) });
    const doc = await this.run((db, session) =>
      db.collection(schema.className).findOneAndUpdate(filter, mongoUpdate, { returnDocument: 'after', session }),
    );
    return doc ? this.located(documentToObject(schema, doc, this.options.fileUrl)) : null;
  }

  /** `object` with its File URLs as the file store places them. */
  private located<T extends RestObject | RestObject[]>(objects: T): T | Promise<T> {
    // Without a files adapter the URLs are already right: no extra await on the read path.
    const { locateFiles } = this.options;
    if (!locateFiles) return objects;
    return locateFiles(Array.isArray(objects) ? objects : [objects as RestObject]).then(() => objects);
  }

  objectMatcher(schema: ClassSchema, where: RestWhere, readers: Principals): (object: RestObject) => boolean {
    return objectMatcher(schema, where, readers);
  }

  async deleteObject(schema: ClassSchema, where: RestWhere, writers: Principals): Promise<boolean> {
    const filter = writableBy(whereToFilter(schema, where), writers);
    const result = await this.run((db, session) => db.collection(schema.className).deleteOne(filter, { session }));
    return result.deletedCount === 1;
  }

  /**
   * Creates the text index a `$text` query needs, as parse-server does, once per class and process.
   * A collection may hold one text index; a query on another field than it covers is refused.
   */
  private async ensureTextIndex(schema: ClassSchema, where: RestWhere): Promise<void> {
    const field = textSearchField(where);
    if (!field || this.textIndexed.has(schema.className)) return;
    await this.run(async (db) => {
      const collection = db.collection(schema.className);
      const existing = await collection
        .listIndexes()
        .toArray()
        .catch(() => [] as Document[]);
      const text = existing.find((index) => Object.values(index.key as Document).includes('text'));
      if (text && !(field in ((text.weights as Document) ?? {})) && !(field in (text.key as Document))) {
        throw new BackendError(
          ErrorCode.INVALID_QUERY,
          `${schema.className} already has a text index on other fields; MongoDB allows one text index per collection.`,
        );
      }
      if (!text) await collection.createIndex({ [field]: 'text' }, { name: `${field}_text` });
    });
    this.textIndexed.add(schema.className);
  }

  async findObjects(
    schema: ClassSchema,
    where: RestWhere,
    options: FindOptions,
    readers: Principals,
  ): Promise<RestObject[]> {
    await this.ensureTextIndex(schema, where);
    const filter = options.forWrite
      ? writableBy(whereToFilter(schema, where), readers)
      : whereToFilter(schema, where, readers);
    const sort: Document = {};
    for (const key of options.order ?? []) {
      const descending = key.startsWith('-');
      const field = descending ? key.slice(1) : key;
      // `$score` orders a $text search by relevance, best first.
      sort[field === '$score' ? 'score' : storedKey(schema, field)] =
        field === '$score' ? { $meta: 'textScore' } : descending ? -1 : 1;
    }
    let projection: Document | undefined;
    if (options.keys) {
      projection = { _id: 1, _created_at: 1, _updated_at: 1, _rperm: 1, _wperm: 1 };
      for (const key of options.keys) {
        if (key === '$score') projection.score = { $meta: 'textScore' };
        else projection[storedKey(schema, key.split('.')[0]!)] = 1;
      }
    }
    // `authData` is stored as one `_auth_data_<provider>` field per provider, which a projection
    // cannot name by prefix: such a read fetches whole documents and keeps the selection after.
    const selection = options.keys?.some((key) => key.split('.')[0] === 'authData') ? projection : undefined;
    if (selection) projection = undefined;
    const docs = await this.run((db, session) =>
      readCharged(
        db.collection(schema.className).find(filter, {
          sort,
          skip: options.skip,
          limit: options.limit,
          projection,
          session,
          hint: options.hint as Document | string | undefined,
          readPreference: readPreferenceOf(options),
          maxTimeMS: this.maxTimeMS,
        }),
        options.budget,
      ),
    );
    return this.located(
      docs.map((doc) => documentToObject(schema, selection ? selected(doc, selection) : doc, this.options.fileUrl)),
    );
  }

  async aggregate(
    schema: ClassSchema,
    pipeline: readonly Record<string, unknown>[],
    readers: Principals,
    options: Pick<FindOptions, 'readPreference' | 'hint' | 'budget'> = {},
  ): Promise<Record<string, unknown>[]> {
    const stages = toMongoPipeline(schema, [...pipeline], readers);
    const aggregateOptions = {
      session: undefined as ClientSession | undefined,
      readPreference: readPreferenceOf(options),
      hint: options.hint as Document | string | undefined,
      maxTimeMS: this.maxTimeMS,
    };
    const docs = await this.run((db, session) =>
      readCharged(db.collection(schema.className).aggregate(stages, { ...aggregateOptions, session }), options.budget),
    ).catch((err: unknown) => {
      // The database refusing a stage or expression is a bad query, not a server fault.
      if ((err as { name?: string } | null)?.name === 'MongoServerError')
        throw new BackendError(ErrorCode.INVALID_QUERY, (err as Error).message, { cause: err });
      throw err;
    });
    return docs.map(fromMongoResult);
  }

  async distinct(schema: ClassSchema, field: string, where: RestWhere, readers: Principals): Promise<unknown[]> {
    const filter = whereToFilter(schema, where, readers);
    const stored = storedKey(schema, field.split('.')[0]!) + field.slice(field.split('.')[0]!.length);
    const values = await this.run((db, session) =>
      db.collection(schema.className).distinct(stored, filter, { session, maxTimeMS: this.maxTimeMS }),
    );
    if (schema.fields[field]?.type === 'Pointer') return values.map((v: unknown) => pointerFromStored(String(v)));
    return values.map(interiorFromMongo);
  }

  async explainFind(
    schema: ClassSchema,
    where: RestWhere,
    options: FindOptions,
    verbosity: ExplainVerbosity,
  ): Promise<unknown> {
    const filter = whereToFilter(schema, where, null);
    return this.run((db, session) =>
      db
        .collection(schema.className)
        .find(filter, {
          skip: options.skip,
          limit: options.limit,
          session,
          hint: options.hint as Document | string | undefined,
        })
        .explain(verbosity),
    );
  }

  async deleteObjects(schema: ClassSchema, where: RestWhere): Promise<number> {
    const filter = whereToFilter(schema, where);
    const result = await this.run((db, session) => db.collection(schema.className).deleteMany(filter, { session }));
    return result.deletedCount;
  }

  async updateObjects(schema: ClassSchema, where: RestWhere, update: RestObject): Promise<number> {
    const filter = whereToFilter(schema, where);
    const mongoUpdate = updateToMongo(schema, update);
    const result = await this.run((db, session) =>
      db.collection(schema.className).updateMany(filter, mongoUpdate, { session }),
    );
    return result.matchedCount;
  }

  async countObjects(schema: ClassSchema, where: RestWhere, readers: Principals): Promise<number> {
    await this.ensureTextIndex(schema, where);
    const filter = whereToFilter(schema, where, readers);
    return this.run((db, session) =>
      db.collection(schema.className).countDocuments(filter, { session, maxTimeMS: this.maxTimeMS }),
    );
  }

  // ---- relations ----

  private joinCollection(relation: RelationRef): string {
    return `_Join:${relation.field}:${relation.owningClass}`;
  }

  async addRelations(relation: RelationRef, relatedIds: readonly string[]): Promise<void> {
    if (relatedIds.length === 0) return;
    await this.run((db, session) =>
      db.collection(this.joinCollection(relation)).bulkWrite(
        relatedIds.map((relatedId) => ({
          updateOne: {
            filter: { owningId: relation.owningId, relatedId },
            update: { $set: { owningId: relation.owningId, relatedId } },
            upsert: true,
          },
        })),
        { session },
      ),
    );
  }

  async removeRelations(relation: RelationRef, relatedIds: readonly string[]): Promise<void> {
    if (relatedIds.length === 0) return;
    await this.run((db, session) =>
      db
        .collection(this.joinCollection(relation))
        .deleteMany({ owningId: relation.owningId, relatedId: { $in: [...relatedIds] } }, { session }),
    );
  }

  async owningIdsOf(owningClass: string, field: string, relatedIds: readonly string[]): Promise<string[]> {
    if (relatedIds.length === 0) return [];
    const collection = this.joinCollection({ owningClass, field, owningId: '' });
    const ids = await this.run((db, session) =>
      db.collection(collection).distinct('owningId', { relatedId: { $in: [...relatedIds] } }, { session }),
    );
    return ids.map(String);
  }

  async relatedIds(relation: RelationRef, owningId: string): Promise<string[]> {
    const docs = await this.run((db, session) =>
      db
        .collection(this.joinCollection(relation))
        .find({ owningId }, { projection: { relatedId: 1 }, session })
        .toArray(),
    );
    return docs.map((d) => String(d.relatedId));
  }

  // ---- users (see user-records.ts) ----

  private readonly users = new MongoUserRecords(
    (operation) => this.run(operation),
    (name) => this.options.fileUrl(name),
    async (objects) => this.located(objects),
  );

  findUserSecrets(schema: ClassSchema, where: RestWhere, preferUsername?: string): Promise<UserSecrets | null> {
    return this.users.findUserSecrets(schema, where, preferUsername);
  }

  reserveLoginAttempt(userId: string, now: Date): Promise<number | null> {
    return this.users.reserveLoginAttempt(userId, now);
  }

  lockAccount(userId: string, lockUntil: Date): Promise<void> {
    return this.users.lockAccount(userId, lockUntil);
  }

  clearFailedLogins(userId: string): Promise<void> {
    return this.users.clearFailedLogins(userId);
  }

  consumeUserToken(
    kind: UserTokenKind,
    token: string,
    now: Date,
    set: RestObject,
    secrets?: UserSecretsChange,
  ): Promise<RestObject | null> {
    return this.users.consumeUserToken(kind, token, now, set, secrets);
  }

  async countRequest(key: string, windowStart: Date, expiresAt: Date): Promise<number> {
    return this.run(async (db, session) => {
      const counters = db.collection<{ _id: string; count: number; expiresAt: Date }>(RATE_LIMIT_COLLECTION);
      if (!this.rateLimitIndexed) {
        // Expired windows are removed by the database itself.
        await counters.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 });
        this.rateLimitIndexed = true;
      }
      const counter = await counters.findOneAndUpdate(
        { _id: `${key}@${windowStart.getTime()}` },
        { $inc: { count: 1 }, $setOnInsert: { expiresAt } },
        { upsert: true, returnDocument: 'after', session },
      );
      return counter?.count ?? 1;
    });
  }

  userWithLegacySessionToken(token: string): Promise<RestObject | null> {
    return this.users.userWithLegacySessionToken(token);
  }

  userWithToken(kind: UserTokenKind, token: string, now: Date): Promise<UserSecrets | null> {
    return this.users.userWithToken(kind, token, now);
  }

  existsIgnoringCase(schema: ClassSchema, field: string, value: string, exceptObjectId?: string): Promise<boolean> {
    return this.users.existsIgnoringCase(schema, field, value, exceptObjectId);
  }

  ensureAuthDataIndex(provider: string): Promise<void> {
    return this.users.ensureAuthDataIndex(provider);
  }

  authProvidersOf(userId: string): Promise<string[]> {
    return this.users.authProvidersOf(userId);
  }

  // ---- global config ----

  async loadGlobalConfig(): Promise<GlobalConfig> {
    const doc = await this.run((db, session) =>
      db.collection<Document>('_GlobalConfig').findOne({ _id: 1 } as Document, { session }),
    );
    return {
      params: interiorFromMongo(doc?.params ?? {}) as Record<string, unknown>,
      masterKeyOnly: (doc?.masterKeyOnly ?? {}) as Record<string, boolean>,
    };
  }

  async saveGlobalConfig(update: {
    set: Record<string, unknown>;
    unset: string[];
    masterKeyOnly: Record<string, boolean>;
  }): Promise<void> {
    const $set: Document = {};
    const $unset: Document = {};
    for (const [key, value] of Object.entries(update.set)) $set[`params.${key}`] = interiorToMongo(value);
    for (const [key, value] of Object.entries(update.masterKeyOnly))
      if (!update.unset.includes(key)) $set[`masterKeyOnly.${key}`] = value;
    for (const key of update.unset) {
      $unset[`params.${key}`] = '';
      $unset[`masterKeyOnly.${key}`] = '';
    }
    const mongoUpdate: Document = {};
    if (Object.keys($set).length > 0) mongoUpdate.$set = $set;
    if (Object.keys($unset).length > 0) mongoUpdate.$unset = $unset;
    if (Object.keys(mongoUpdate).length === 0) return;
    await this.run((db, session) =>
      db
        .collection<Document>('_GlobalConfig')
        .updateOne({ _id: 1 } as Document, mongoUpdate, { upsert: true, session }),
    );
  }

  // ---- webhooks (`_Hooks`, parse-server's layout) ----

  async listWebhooks(): Promise<Webhook[]> {
    const docs = await this.run((db, session) => db.collection<Document>('_Hooks').find({}, { session }).toArray());
    const out: Webhook[] = [];
    for (const { functionName, className, triggerName, url } of docs) {
      if (typeof url !== 'string') continue;
      if (typeof functionName === 'string') out.push({ functionName, url });
      else if (typeof className === 'string' && typeof triggerName === 'string')
        out.push({ className, triggerName, url });
    }
    return out;
  }

  async createWebhook(hook: Webhook): Promise<boolean> {
    // One atomic upsert that writes only when inserting: of two creators, one inserts.
    const result = await this.run((db, session) =>
      db
        .collection<Document>('_Hooks')
        .updateOne(webhookFilter(hook), { $setOnInsert: { ...hook } }, { upsert: true, session }),
    );
    return result.upsertedCount === 1;
  }

  async updateWebhook(hook: Webhook): Promise<boolean> {
    const result = await this.run((db, session) =>
      db.collection<Document>('_Hooks').updateOne(webhookFilter(hook), { $set: { url: hook.url } }, { session }),
    );
    return result.matchedCount === 1;
  }

  async deleteWebhook(key: WebhookKey): Promise<void> {
    await this.run((db, session) => db.collection<Document>('_Hooks').deleteMany(webhookFilter(key), { session }));
  }

  // ---- request ids (`_Idempotency`, parse-server's layout) ----

  async recordRequestId(reqId: string, expiresAt: Date, now: Date): Promise<boolean> {
    try {
      await this.run((db, session) =>
        db
          .collection<Document>('_Idempotency')
          .insertOne({ _id: newObjectId(), reqId, expire: expiresAt, _created_at: now, _updated_at: now } as Document, {
            session,
          }),
      );
      return true;
    } catch (err) {
      if (!(err instanceof BackendError && err.code === ErrorCode.DUPLICATE_VALUE)) throw err;
    }
    // Seen before: a repeat, unless that entry expired (the TTL monitor removes it only every minute).
    const renewed = await this.run((db, session) =>
      db
        .collection<Document>('_Idempotency')
        .updateOne({ reqId, expire: { $lte: now } }, { $set: { expire: expiresAt, _updated_at: now } }, { session }),
    );
    return renewed.modifiedCount === 1;
  }

  // ---- log lines (`_Logs`, Plinth's own) ----

  async appendLogLines(lines: readonly StoredLogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.run(async (db, session) => {
      const logs = db.collection<Document>(LOG_COLLECTION);
      if (!this.logsIndexed) {
        // A week of lines, as /scriptlog reads by default; the database removes older ones.
        await logs.createIndex({ timestamp: 1 }, { name: 'timestamp_ttl', expireAfterSeconds: 7 * 86_400 });
        this.logsIndexed = true;
      }
      await logs.insertMany(
        // The driver's ObjectIds grow within a process: lines of one millisecond keep their order.
        lines.map((line) => ({ _id: new ObjectId(), ...line }) as Document),
        { session, ordered: false },
      );
    });
  }

  async findLogLines(query: LogLineQuery): Promise<StoredLogLine[]> {
    const filter: Document = { timestamp: { $gte: query.from, $lte: query.until } };
    if (query.errorsOnly) filter.level = 'error';
    const docs = await this.run((db, session) =>
      db
        .collection<Document>(LOG_COLLECTION)
        .find(filter, { session, maxTimeMS: this.maxTimeMS })
        .sort({ timestamp: query.order === 'asc' ? 1 : -1, _id: query.order === 'asc' ? 1 : -1 })
        .limit(query.size)
        .toArray(),
    );
    return docs.map((doc) => ({
      level: String(doc.level),
      message: String(doc.message),
      timestamp: doc.timestamp as Date,
      ...(doc.meta !== undefined && { meta: doc.meta as Record<string, unknown> }),
    }));
  }

  // ---- leases (`_Leases`, Plinth's own) and scheduled runs ----

  async acquireLease(name: string, holder: string, until: Date, now: Date): Promise<boolean> {
    try {
      await this.run(async (db, session) => {
        const leases = db.collection<{ _id: string; holder: string; expiresAt: Date }>(LEASE_COLLECTION);
        if (!this.leasesIndexed) {
          // Leases long expired (a crashed holder's) are removed by the database itself.
          await leases.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 86_400 });
          this.leasesIndexed = true;
        }
        // Free, expired or ours: taken. Held by another: the upsert meets the existing _id and fails.
        await leases.updateOne(
          { _id: name, $or: [{ holder }, { expiresAt: { $lte: now } }] },
          { $set: { holder, expiresAt: until } },
          { upsert: true, session },
        );
      });
      return true;
    } catch (err) {
      if (err instanceof BackendError && err.code === ErrorCode.DUPLICATE_VALUE) return false;
      throw err;
    }
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.run((db, session) =>
      db.collection<{ _id: string }>(LEASE_COLLECTION).deleteOne({ _id: name, holder }, { session }),
    );
  }

  async heldLeases(names: readonly string[], now: Date): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const held = await this.run((db, session) =>
      db
        .collection<{ _id: string }>(LEASE_COLLECTION)
        .find({ _id: { $in: [...names] }, expiresAt: { $gt: now } }, { session, projection: { _id: 1 } })
        .toArray(),
    );
    return new Set(held.map((lease) => lease._id));
  }

  async claimScheduledRun(scheduleId: string, due: number): Promise<boolean> {
    const result = await this.run((db, session) =>
      db
        .collection<{ _id: string }>('_JobSchedule')
        .updateOne(
          { _id: scheduleId, $or: [{ lastRun: { $exists: false } }, { lastRun: null }, { lastRun: { $lt: due } }] },
          { $set: { lastRun: due } },
          { session },
        ),
    );
    return result.modifiedCount === 1;
  }

  // ---- transactions ----

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    const { client } = await this.open();
    const session = client.startSession();
    try {
      session.startTransaction();
      const result = await this.sessions.run(session, work);
      await session.commitTransaction().catch((err: unknown) => {
        throw toBackendError(err);
      });
      return result;
    } catch (err) {
      if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
      if ((err as { code?: number } | null)?.code === 20) {
        throw new BackendError(ErrorCode.COMMAND_UNAVAILABLE, 'Transactions need MongoDB running as a replica set.', {
          cause: err,
        });
      }
      throw err;
    } finally {
      await session.endSession();
    }
  }
}
