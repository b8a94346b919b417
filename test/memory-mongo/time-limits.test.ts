import { expect } from 'chai';
import { MongoClient, type Collection, type Db } from 'mongodb';
import { startMemoryMongo, type MemoryMongo } from 'plinth/testing';
import { connectFreshDatabase, expectServerError, usingExternalMongo, type TestDoc } from '../support/mongo.js';

/** A pattern that backtracks exponentially on a long run of `a` that does not end as it wants. */
const CATASTROPHIC = '^(a+)+$';
/** 40 `a` and a `!`: the pattern above needs around 2^40 steps to give up on it. */
const TRAP = `${'a'.repeat(40)}!`;
const MAX_TIME_MS_EXPIRED = 50;

describe('in-memory MongoDB: time limits', () => {
  before(function () {
    // These bound the built-in engine; a real mongod's PCRE stops such patterns by its own match limit.
    if (usingExternalMongo()) this.skip();
  });

  describe('maxTimeMS', () => {
    let db: Db;
    let close: () => Promise<void>;
    let notes: Collection<TestDoc>;

    before(async () => {
      ({ db, close } = await connectFreshDatabase());
      notes = db.collection<TestDoc>('notes');
      await notes.insertMany([
        { _id: 'trap', title: TRAP, n: 1 },
        { _id: 'plain', title: 'hello', n: 2 },
      ]);
    });
    after(() => close());

    const slow = { title: { $regex: CATASTROPHIC } };

    it('ends a find stuck in one regex match with MaxTimeMSExpired, and the server goes on serving', async () => {
      const error = await expectServerError(notes.find(slow).maxTimeMS(100).toArray(), MAX_TIME_MS_EXPIRED);
      expect(error.codeName).to.equal('MaxTimeMSExpired');
      expect(await notes.find({ title: /^hel/ }).toArray()).to.have.length(1);
    });

    it('ends count, distinct and aggregate the same way', async () => {
      await expectServerError(notes.countDocuments(slow, { maxTimeMS: 100 }), MAX_TIME_MS_EXPIRED);
      await expectServerError(notes.distinct('n', slow, { maxTimeMS: 100 }), MAX_TIME_MS_EXPIRED);
      await expectServerError(notes.aggregate([{ $match: slow }], { maxTimeMS: 100 }).toArray(), MAX_TIME_MS_EXPIRED);
      // A regex in a later stage's expression runs in the aggregation engine, under the same limit.
      const expression = [{ $project: { m: { $regexMatch: { input: '$title', regex: CATASTROPHIC } } } }];
      await expectServerError(notes.aggregate(expression, { maxTimeMS: 100 }).toArray(), MAX_TIME_MS_EXPIRED);
    });

    it('ends the matching of update, delete and findAndModify before anything is written', async () => {
      await expectServerError(notes.updateMany(slow, { $set: { n: 99 } }, { maxTimeMS: 100 }), MAX_TIME_MS_EXPIRED);
      await expectServerError(notes.deleteMany(slow, { maxTimeMS: 100 }), MAX_TIME_MS_EXPIRED);
      await expectServerError(
        notes.findOneAndUpdate(slow, { $set: { n: 99 } }, { maxTimeMS: 100 }),
        MAX_TIME_MS_EXPIRED,
      );
      const docs = await notes.find({}).sort({ _id: 1 }).toArray();
      expect(docs).to.deep.equal([
        { _id: 'plain', title: 'hello', n: 2 },
        { _id: 'trap', title: TRAP, n: 1 },
      ]);
    });

    it('lets a command that finishes in time answer as usual', async () => {
      expect(await notes.find({ title: /^h/ }).maxTimeMS(5000).toArray()).to.have.length(1);
      expect(await notes.countDocuments({}, { maxTimeMS: 5000 })).to.equal(2);
      const updated = await notes.updateOne({ _id: 'plain' }, { $set: { n: 3 } }, { maxTimeMS: 5000 });
      expect(updated.modifiedCount).to.equal(1);
      await notes.updateOne({ _id: 'plain' }, { $set: { n: 2 } });
    });

    it('refuses a negative or fractional maxTimeMS with BadValue', async () => {
      await expectServerError(db.command({ find: 'notes', filter: {}, maxTimeMS: -1 }), 2);
      await expectServerError(db.command({ find: 'notes', filter: {}, maxTimeMS: 1.5 }), 2);
    });
  });

  describe('the regex limit of commands without maxTimeMS', () => {
    let mongo: MemoryMongo;
    let client: MongoClient;
    let notes: Collection<TestDoc>;

    before(async () => {
      mongo = await startMemoryMongo({ env: {}, allowMongodBinary: false, regexTimeLimitMS: 200 });
      client = await MongoClient.connect(mongo.uriFor('limits'));
      notes = client.db('limits').collection<TestDoc>('notes');
      await notes.insertOne({ _id: 'trap', title: TRAP });
    });
    after(async () => {
      await client?.close();
      await mongo?.stop();
    });

    it('ends a regex match that would run for hours, and keeps the data', async () => {
      await expectServerError(notes.find({ title: { $regex: CATASTROPHIC } }).toArray(), MAX_TIME_MS_EXPIRED);
      await expectServerError(
        notes.aggregate([{ $match: { title: new RegExp(CATASTROPHIC) } }]).toArray(),
        MAX_TIME_MS_EXPIRED,
      );
      expect(await notes.find({}).toArray()).to.deep.equal([{ _id: 'trap', title: TRAP }]);
    });

    it('does not limit commands without a regex', async () => {
      const many = Array.from({ length: 2000 }, (_, i) => ({ _id: `d${i}`, title: `t${i}` }));
      await notes.insertMany(many);
      expect(await notes.countDocuments({ title: { $in: ['t1', 't2'] } })).to.equal(2);
      await notes.deleteMany({ _id: { $ne: 'trap' } });
    });
  });

  describe('in a worker thread', () => {
    // That the host's event loop stays free is shown over HTTP, in the attack list (area 24).
    it('starts, serves and stops, also when stopped twice', async () => {
      const mongo = await startMemoryMongo({ env: {}, allowMongodBinary: false });
      expect(mongo.engine).to.equal('builtin');
      const client = await MongoClient.connect(mongo.uriFor('worker'));
      try {
        await client.db('worker').collection<TestDoc>('c').insertOne({ _id: 1 });
        expect(await client.db('worker').collection('c').countDocuments()).to.equal(1);
      } finally {
        await client.close();
        await mongo.stop();
      }
      // Stopping twice is harmless.
      await mongo.stop();
    });
  });
});
