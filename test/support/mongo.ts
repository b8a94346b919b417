/**
 * One MongoDB for the whole test run (see `startMemoryMongo`'s engine order), with a fresh
 * database name per caller so tests never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { MongoClient, MongoServerError, type Db, type ObjectId } from 'mongodb';
import { startMemoryMongo, type MemoryMongo } from 'plinth/testing';

let shared: Promise<MemoryMongo> | null = null;

/** The run's MongoDB, started on first use; its engine is printed once. */
export function testMongo(): Promise<MemoryMongo> {
  shared ??= startMemoryMongo().then((mongo) => {
    process.stdout.write(`  (MongoDB engine for this run: ${mongo.engine})\n`);
    return mongo;
  });
  return shared;
}

/** Stops the run's MongoDB (root hook). */
export async function stopTestMongo(): Promise<void> {
  if (!shared) return;
  const mongo = await shared;
  shared = null;
  await mongo.stop();
}

/** A database name no other test uses. */
export function uniqueDatabaseName(prefix = 'test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A connected client and a fresh database; call `close()` in `after`. */
export async function connectFreshDatabase(): Promise<{
  client: MongoClient;
  db: Db;
  uri: string;
  close(): Promise<void>;
}> {
  const mongo = await testMongo();
  const name = uniqueDatabaseName();
  const client = await MongoClient.connect(mongo.uriFor(name));
  const db = client.db(name);
  return {
    client,
    db,
    uri: mongo.uriFor(name),
    close: async () => {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/**
 * A test document of any shape: the conformance tests store arbitrary values (including `_id`s of
 * every type), which the driver's schema typing cannot express.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TestDoc = { _id?: TestId; [field: string]: any };

/** The `_id` types the tests use (a union, so the driver does not narrow `_id` to ObjectId). */
export type TestId = string | number | ObjectId | Date | Record<string, unknown>;

/** True when the tests run against a MongoDB named by `MONGODB_URI` rather than the built-in one. */
export function usingExternalMongo(): boolean {
  return Boolean(process.env.MONGODB_URI);
}

/**
 * Awaits an operation that must be refused by the server with `code`, and returns the error so
 * that its other fields can be checked. A success, a client-side error or another code fails.
 */
export async function expectServerError(operation: Promise<unknown>, code: number): Promise<MongoServerError> {
  const outcome = await operation.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome))
    expect.fail(`expected error ${code}, but the operation succeeded with ${JSON.stringify(outcome.value)}`);
  const { error } = outcome;
  expect(error, String(error)).to.be.instanceOf(MongoServerError);
  expect((error as MongoServerError).code, (error as MongoServerError).message).to.equal(code);
  return error as MongoServerError;
}

/** The `_id`s of documents, in order. */
export function idsOf(docs: readonly { _id?: unknown }[]): unknown[] {
  return docs.map((d) => d._id);
}

/**
 * Waits until `condition` holds (polling), for work a route does after answering (emails are
 * sent in the background so that answers do not reveal which addresses exist).
 */
export async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Lets background work that should not happen have its chance to (then the test checks it did not). */
export function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
