import { once } from 'node:events';
import { expect } from 'chai';
import {
  MongoClient,
  Timestamp,
  type ChangeStream,
  type ChangeStreamDocument,
  type ChangeStreamOptions,
  type Collection,
  type Db,
  type Document,
  type ResumeToken,
} from 'mongodb';
import { MemoryMongoServer } from 'plinth/testing';
import { connectFreshDatabase, expectServerError, settle, uniqueDatabaseName, type TestDoc } from '../support/mongo.js';

type Event = ChangeStreamDocument<TestDoc> & Document;

/** A short await, so that a stream with nothing to say answers quickly. */
const QUICK = { maxAwaitTimeMS: 20 };

/** Starts a stream (its aggregate runs and it has read to now), so that later writes are its events. */
async function started<T extends Document>(stream: ChangeStream<T>): Promise<ChangeStream<T>> {
  expect(await stream.tryNext()).to.equal(null);
  return stream;
}

/** The next `count` events of a stream. */
async function take(stream: ChangeStream<TestDoc>, count: number): Promise<Event[]> {
  const events: Event[] = [];
  while (events.length < count) events.push((await stream.next()) as Event);
  return events;
}

describe('in-memory MongoDB: change streams', () => {
  let db: Db;
  let client: MongoClient;
  let uri: string;
  let close: () => Promise<void>;
  let counter = 0;
  const streams: ChangeStream<TestDoc>[] = [];

  before(async () => {
    ({ db, client, uri, close } = await connectFreshDatabase());
  });
  after(() => close());
  afterEach(async () => {
    for (const stream of streams.splice(0)) await stream.close();
  });

  function fresh(): Collection<TestDoc> {
    return db.collection<TestDoc>(`cs_${counter++}`);
  }

  function watch(
    target: Collection<TestDoc> | Db | MongoClient,
    pipeline: Document[] = [],
    options: ChangeStreamOptions = {},
  ): Promise<ChangeStream<TestDoc>> {
    const stream = target.watch<TestDoc>(pipeline, { ...QUICK, ...options });
    streams.push(stream);
    // A stream that starts in the past has events at once.
    const resumes = options.resumeAfter ?? options.startAfter ?? options.startAtOperationTime;
    return resumes === undefined ? started(stream) : Promise.resolve(stream);
  }

  describe('events', () => {
    it('reports insert, update, replace, delete, drop and invalidate on a collection', async () => {
      const coll = fresh();
      const stream = await watch(coll);
      await coll.insertOne({ _id: 1, a: 1, b: { c: 1, d: 2 }, gone: true });
      await coll.updateOne({ _id: 1 }, { $set: { a: 2, 'b.c': 5 }, $unset: { gone: '' } });
      await coll.replaceOne({ _id: 1 }, { x: 'replaced' });
      await coll.deleteOne({ _id: 1 });
      await coll.drop();
      const events = await take(stream, 6);
      expect(events.map((e) => e.operationType)).to.deep.equal([
        'insert',
        'update',
        'replace',
        'delete',
        'drop',
        'invalidate',
      ]);
      const [insert, update, replace, remove, drop, invalidate] = events as [Event, Event, Event, Event, Event, Event];
      const ns = { db: db.databaseName, coll: coll.collectionName };
      expect(insert).to.include.keys('_id', 'clusterTime', 'wallTime');
      expect(insert.clusterTime).to.be.instanceOf(Timestamp);
      expect(insert.wallTime).to.be.instanceOf(Date);
      expect(insert._id).to.have.keys('_data');
      expect(insert.ns).to.deep.equal(ns);
      expect(insert.documentKey).to.deep.equal({ _id: 1 });
      expect(insert.fullDocument).to.deep.equal({ _id: 1, a: 1, b: { c: 1, d: 2 }, gone: true });
      expect(update.updateDescription).to.deep.equal({
        updatedFields: { a: 2, 'b.c': 5 },
        removedFields: ['gone'],
        truncatedArrays: [],
      });
      expect(update).not.to.have.property('fullDocument');
      expect(replace.fullDocument).to.deep.equal({ _id: 1, x: 'replaced' });
      expect(remove.documentKey).to.deep.equal({ _id: 1 });
      expect(remove).not.to.have.property('fullDocument');
      expect(drop.ns).to.deep.equal(ns);
      expect(invalidate).to.have.keys('_id', 'operationType', 'clusterTime', 'wallTime');
      // Tokens increase, as do cluster times.
      const tokens = events.map((e) => (e._id as { _data: string })._data);
      expect([...tokens].sort()).to.deep.equal(tokens);
      expect(new Set(tokens).size).to.equal(tokens.length);
      expect(stream.closed || (await stream.tryNext()) === null).to.equal(true);
    });

    it('reports rename, then invalidates a stream on the renamed collection', async () => {
      const coll = fresh();
      await coll.insertOne({ _id: 1 });
      const stream = await watch(coll);
      const target = `renamed_${counter++}`;
      await coll.rename(target);
      const [rename, invalidate] = await take(stream, 2);
      expect(rename!.operationType).to.equal('rename');
      expect((rename as Document).to).to.deep.equal({ db: db.databaseName, coll: target });
      expect(invalidate!.operationType).to.equal('invalidate');
    });

    it('reports every collection of a database, drops and dropDatabase on a database stream', async () => {
      const other = client.db(uniqueDatabaseName('cs'));
      const stream = await watch(other);
      await other.collection<TestDoc>('a').insertOne({ _id: 'a' });
      await other.collection<TestDoc>('b').insertOne({ _id: 'b' });
      await other.collection('a').drop();
      await other.dropDatabase();
      const events = await take(stream, 5);
      expect(events.map((e) => [e.operationType, (e as Document).ns])).to.deep.equal([
        ['insert', { db: other.databaseName, coll: 'a' }],
        ['insert', { db: other.databaseName, coll: 'b' }],
        ['drop', { db: other.databaseName, coll: 'a' }],
        ['drop', { db: other.databaseName, coll: 'b' }],
        ['dropDatabase', { db: other.databaseName }],
      ]);
      expect((await stream.next()).operationType).to.equal('invalidate');
    });

    it('reports changes of every database on a client stream', async () => {
      const first = client.db(uniqueDatabaseName('cs'));
      const second = client.db(uniqueDatabaseName('cs'));
      const stream = await watch(client);
      await first.collection<TestDoc>('x').insertOne({ _id: 1 });
      await second.collection<TestDoc>('y').insertOne({ _id: 2 });
      await second.dropDatabase();
      const events = await take(stream, 4);
      expect(events.map((e) => [e.operationType, (e as Document).ns])).to.deep.equal([
        ['insert', { db: first.databaseName, coll: 'x' }],
        ['insert', { db: second.databaseName, coll: 'y' }],
        ['drop', { db: second.databaseName, coll: 'y' }],
        ['dropDatabase', { db: second.databaseName }],
      ]);
      await first.dropDatabase();
    });

    it("reports the whole array an array operator rewrote, and a pipeline update's changed fields", async () => {
      const coll = fresh();
      await coll.insertOne({ _id: 1, tags: ['a'], n: 1, same: 's' });
      const stream = await watch(coll);
      await coll.updateOne({ _id: 1 }, { $push: { tags: 'b' } } as Document);
      await coll.updateOne({ _id: 1 }, [{ $set: { n: 2, same: 's' } }]);
      const [push, pipeline] = await take(stream, 2);
      expect(push!.updateDescription!.updatedFields).to.deep.equal({ tags: ['a', 'b'] });
      expect(pipeline!.updateDescription!.updatedFields).to.deep.equal({ n: 2 });
    });
  });

  describe('full documents and pre-images', () => {
    it('looks up the current document with updateLookup, or null when it is gone', async () => {
      const coll = fresh();
      await coll.insertMany([
        { _id: 1, n: 1 },
        { _id: 2, n: 1 },
      ]);
      const stream = await watch(coll, [], { fullDocument: 'updateLookup' });
      await coll.updateOne({ _id: 1 }, { $inc: { n: 1 } });
      await coll.updateOne({ _id: 2 }, { $inc: { n: 1 } });
      await coll.deleteOne({ _id: 2 });
      const [first, second] = await take(stream, 2);
      expect(first!.fullDocument).to.deep.equal({ _id: 1, n: 2 });
      // Looked up when read: the document was deleted by then.
      expect(second!.fullDocument).to.equal(null);
    });

    it('gives pre- and post-images of a collection that stores them', async () => {
      const name = `cs_images_${counter++}`;
      await db.createCollection(name, { changeStreamPreAndPostImages: { enabled: true } });
      const coll = db.collection<TestDoc>(name);
      await coll.insertOne({ _id: 1, n: 1 });
      const stream = await watch(coll, [], { fullDocument: 'required', fullDocumentBeforeChange: 'required' });
      await coll.updateOne({ _id: 1 }, { $set: { n: 2 } });
      await coll.replaceOne({ _id: 1 }, { n: 3 });
      await coll.deleteOne({ _id: 1 });
      const [update, replace, remove] = await take(stream, 3);
      expect(update!.fullDocumentBeforeChange).to.deep.equal({ _id: 1, n: 1 });
      expect(update!.fullDocument).to.deep.equal({ _id: 1, n: 2 });
      expect(replace!.fullDocumentBeforeChange).to.deep.equal({ _id: 1, n: 2 });
      expect(replace!.fullDocument).to.deep.equal({ _id: 1, n: 3 });
      expect(remove!.fullDocumentBeforeChange).to.deep.equal({ _id: 1, n: 3 });
    });

    it('gives null images when the collection does not store them, and fails when they are required', async () => {
      const coll = fresh();
      await coll.insertOne({ _id: 1, n: 1 });
      const lenient = await watch(coll, [], {
        fullDocument: 'whenAvailable',
        fullDocumentBeforeChange: 'whenAvailable',
      });
      const strict = await watch(coll, [], { fullDocumentBeforeChange: 'required' });
      await coll.updateOne({ _id: 1 }, { $set: { n: 2 } });
      const [event] = await take(lenient, 1);
      expect(event!.fullDocument).to.equal(null);
      expect(event!.fullDocumentBeforeChange).to.equal(null);
      await expectServerError(strict.next(), 47);
    });

    it('turns pre-images on with collMod', async () => {
      const coll = fresh();
      await coll.insertOne({ _id: 1, n: 1 });
      await db.command({ collMod: coll.collectionName, changeStreamPreAndPostImages: { enabled: true } });
      const stream = await watch(coll, [], { fullDocumentBeforeChange: 'whenAvailable' });
      await coll.deleteOne({ _id: 1 });
      const [remove] = await take(stream, 1);
      expect(remove!.fullDocumentBeforeChange).to.deep.equal({ _id: 1, n: 1 });
      const [info] = (await db.listCollections({ name: coll.collectionName }).toArray()) as Document[];
      const options = info!.options as Document;
      expect(options.changeStreamPreAndPostImages).to.deep.equal({ enabled: true });
      await expectServerError(db.command({ collMod: `missing_${counter++}`, validator: {} }), 26);
    });
  });

  describe('resuming', () => {
    it('resumes after a token with no event lost and none repeated', async () => {
      const coll = fresh();
      const stream = await watch(coll);
      await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
      const [first] = await take(stream, 1);
      await stream.close();
      await coll.insertOne({ _id: 4 });
      const resumed = await watch(coll, [], { resumeAfter: first!._id });
      const events = await take(resumed, 3);
      expect(events.map((e) => e.documentKey)).to.deep.equal([{ _id: 2 }, { _id: 3 }, { _id: 4 }]);
      expect(await resumed.tryNext()).to.equal(null);
    });

    it('resumes from a postBatchResumeToken and at an operation time', async () => {
      const coll = fresh();
      const stream = await watch(coll);
      const idleToken = stream.resumeToken;
      expect(idleToken).to.have.keys('_data');
      await coll.insertOne({ _id: 1 });
      const [insert] = await take(stream, 1);
      const fromToken = await watch(coll, [], { resumeAfter: idleToken });
      expect(((await fromToken.next()) as Event).documentKey).to.deep.equal({ _id: 1 });
      const fromTime = await watch(coll, [], { startAtOperationTime: insert!.clusterTime });
      expect(((await fromTime.next()) as Event).documentKey).to.deep.equal({ _id: 1 });
    });

    it('waits for an operation time in the future', async () => {
      const coll = fresh();
      const future = new Timestamp({ t: Math.floor(Date.now() / 1000) + 3600, i: 1 });
      const stream = await watch(coll, [], { startAtOperationTime: future });
      await coll.insertOne({ _id: 1 });
      expect(await stream.tryNext()).to.equal(null);
      expect(await stream.tryNext()).to.equal(null);
    });

    it('starts after an invalidate with startAfter, and refuses resumeAfter there', async () => {
      const coll = fresh();
      const stream = await watch(coll);
      await coll.insertOne({ _id: 1 });
      await coll.drop();
      const [, , invalidate] = await take(stream, 3);
      expect(invalidate!.operationType).to.equal('invalidate');
      await coll.insertOne({ _id: 2 });
      const after = await watch(coll, [], { startAfter: invalidate!._id });
      expect(((await after.next()) as Event).documentKey).to.deep.equal({ _id: 2 });
      await expectServerError(coll.watch([], { resumeAfter: invalidate!._id }).tryNext(), 260);
    });

    it('fails with ChangeStreamHistoryLost for a token older than the history kept', async () => {
      const server = await MemoryMongoServer.start({ changeHistorySize: 5 });
      const own = await MongoClient.connect(server.uri);
      try {
        const coll = own.db('lost').collection<TestDoc>('c');
        const stream = coll.watch<TestDoc>([], QUICK);
        await started(stream);
        await coll.insertOne({ _id: 0 });
        const first = await stream.next();
        await stream.close();
        // Five more changes fit the history with the first; the sixth evicts what came after it.
        await coll.insertMany([1, 2, 3, 4, 5].map((n) => ({ _id: n })));
        const kept = coll.watch<TestDoc>([], { resumeAfter: first._id });
        expect(((await kept.next()) as Event).documentKey).to.deep.equal({ _id: 1 });
        await kept.close();
        await coll.insertOne({ _id: 6 });
        const error = await expectServerError(coll.watch([], { resumeAfter: first._id }).tryNext(), 286);
        expect(error.hasErrorLabel('NonResumableChangeStreamError')).to.equal(true);
      } finally {
        await own.close();
        await server.stop();
      }
    });

    it('fails with ChangeStreamHistoryLost for a token from before the server started', async () => {
      const token: ResumeToken = { _data: `82${'0000000100000001'}${'00000000'}00` };
      await expectServerError(fresh().watch([], { resumeAfter: token }).tryNext(), 286);
    });
  });

  describe('pipelines', () => {
    it('filters events with $match and shapes them with $project', async () => {
      const coll = fresh();
      const stream = await watch(coll, [
        { $match: { operationType: 'insert', 'fullDocument.keep': true } },
        { $project: { operationType: 1, 'fullDocument.n': 1 } },
      ]);
      await coll.insertMany([
        { _id: 1, keep: false, n: 1 },
        { _id: 2, keep: true, n: 2 },
      ]);
      await coll.deleteOne({ _id: 2 });
      await coll.insertOne({ _id: 3, keep: true, n: 3 });
      const events = (await take(stream, 2)) as Document[];
      expect(events.map((e) => e.fullDocument)).to.deep.equal([{ n: 2 }, { n: 3 }]);
      expect(Object.keys(events[0]!).sort()).to.deep.equal(['_id', 'fullDocument', 'operationType']);
    });

    it('fails when the pipeline changes the resume token', async () => {
      const coll = fresh();
      const stream = await watch(coll, [{ $project: { _id: 0 } }]);
      await coll.insertOne({ _id: 1 });
      await expectServerError(stream.next(), 280);
    });
  });

  describe('transactions', () => {
    it('reports a transaction at commit, in order, at one cluster time, with lsid and txnNumber', async () => {
      const coll = fresh();
      await coll.insertOne({ _id: 0 });
      const stream = await watch(coll);
      const session = client.startSession();
      try {
        session.startTransaction();
        await coll.insertOne({ _id: 1 }, { session });
        await coll.updateOne({ _id: 0 }, { $set: { n: 1 } }, { session });
        await coll.deleteOne({ _id: 1 }, { session });
        await settle(50);
        expect(await stream.tryNext()).to.equal(null);
        await session.commitTransaction();
      } finally {
        await session.endSession();
      }
      const events = await take(stream, 3);
      expect(events.map((e) => e.operationType)).to.deep.equal(['insert', 'update', 'delete']);
      const times = events.map((e) => (e.clusterTime as Timestamp).toString());
      expect(new Set(times).size).to.equal(1);
      for (const event of events) {
        expect(event.lsid!.id).to.deep.equal(session.id!.id);
        expect(event.txnNumber).to.deep.equal(events[0]!.txnNumber);
      }
      expect(Number(events[0]!.txnNumber)).to.be.above(0);
    });

    it('reports nothing of an aborted transaction', async () => {
      const coll = fresh();
      await coll.insertOne({ _id: 0 });
      const stream = await watch(coll);
      const session = client.startSession();
      try {
        session.startTransaction();
        await coll.insertOne({ _id: 1 }, { session });
        await session.abortTransaction();
      } finally {
        await session.endSession();
      }
      await coll.insertOne({ _id: 2 });
      expect(((await stream.next()) as Event).documentKey).to.deep.equal({ _id: 2 });
    });
  });

  describe('waiting', () => {
    it('answers a waiting next() as soon as another client writes', async () => {
      const coll = fresh();
      const stream = coll.watch<TestDoc>([], { maxAwaitTimeMS: 10_000 });
      streams.push(stream);
      const next = stream.next();
      await once(stream, 'resumeTokenChanged');
      await settle(100);
      const writer = await MongoClient.connect(uri);
      try {
        const started = Date.now();
        await writer.db(db.databaseName).collection<TestDoc>(coll.collectionName).insertOne({ _id: 'woken' });
        const event = await next;
        expect((event as Event).documentKey).to.deep.equal({ _id: 'woken' });
        expect(Date.now() - started).to.be.below(1000);
      } finally {
        await writer.close();
      }
    });

    it('returns empty batches from an idle stream without error', async () => {
      const stream = await watch(fresh(), [], { maxAwaitTimeMS: 30 });
      const before = Date.now();
      for (let i = 0; i < 3; i++) expect(await stream.tryNext()).to.equal(null);
      expect(Date.now() - before).to.be.at.least(80);
      expect(stream.resumeToken).to.have.keys('_data');
    });

    it('closes server-side streams when the stream or the client closes', async () => {
      const server = await MemoryMongoServer.start();
      const own = await MongoClient.connect(server.uri);
      try {
        const coll = own.db('cleanup').collection<TestDoc>('c');
        const stream = await started(coll.watch<TestDoc>([], QUICK));
        expect(server.changeStreams).to.equal(1);
        await stream.close();
        expect(server.changeStreams).to.equal(0);
        const waiting = coll.watch<TestDoc>([], { maxAwaitTimeMS: 10_000 });
        const next = waiting.next().catch((err: unknown) => err);
        await once(waiting, 'resumeTokenChanged');
        await settle(50);
        expect(server.changeStreams).to.equal(1);
        await own.close(true);
        await next;
        await settle(50);
        expect(server.changeStreams).to.equal(0);
      } finally {
        await own.close();
        await server.stop();
      }
    });
  });

  describe('errors', () => {
    it("refuses $changeStream after the first stage, and stages a change stream can't run", async () => {
      const coll = fresh();
      await coll.insertOne({ _id: 1 });
      await expectServerError(coll.aggregate([{ $match: {} }, { $changeStream: {} }]).toArray(), 40602);
      await expectServerError(coll.watch([{ $group: { _id: null } }]).tryNext(), 20);
    });

    it('refuses unknown options, malformed tokens and internal namespaces', async () => {
      const coll = fresh();
      await expectServerError(coll.aggregate([{ $changeStream: { fullDocument: 'sometimes' } }]).toArray(), 2);
      await expectServerError(coll.aggregate([{ $changeStream: { bogus: 1 } }]).toArray(), 40415);
      await expectServerError(coll.watch([], { resumeAfter: { _data: 'zz' } }).tryNext(), 9);
      await expectServerError(coll.watch([], { resumeAfter: { _data: 'ABCD' } }).tryNext(), 260);
      await expectServerError(db.collection('system.views').watch().tryNext(), 73);
      await expectServerError(client.db('admin').watch().tryNext(), 73);
      await expectServerError(db.aggregate([{ $changeStream: { allChangesForCluster: true } }]).toArray(), 73);
      await expectServerError(
        coll.watch([], { startAfter: { _data: 'AB' }, resumeAfter: { _data: 'AB' } }).tryNext(),
        40674,
      );
    });

    it('still refuses other database-level aggregations', async () => {
      await expectServerError(db.aggregate([{ $documents: [{ a: 1 }] }]).toArray(), 2);
    });
  });
});
