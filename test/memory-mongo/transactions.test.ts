import { expect } from 'chai';
import { MongoServerError, type ClientSession, type Collection, type Db, type MongoClient } from 'mongodb';
import { connectFreshDatabase, expectServerError, idsOf, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: transactions', () => {
  let db: Db;
  let client: MongoClient;
  let close: () => Promise<void>;
  let counter = 0;
  let session: ClientSession;

  before(async () => {
    ({ db, client, close } = await connectFreshDatabase());
  });
  after(() => close());
  beforeEach(() => {
    session = client.startSession();
  });
  afterEach(() => session.endSession());

  /** A fresh collection holding `docs` (collections are created outside transactions). */
  async function seeded(docs: TestDoc[]): Promise<Collection<TestDoc>> {
    const coll = db.collection<TestDoc>(`txn_${counter++}`);
    if (docs.length > 0) await coll.insertMany(docs);
    else await db.createCollection(coll.collectionName);
    return coll;
  }

  it('keeps writes invisible outside until withTransaction commits them', async () => {
    const coll = await seeded([{ _id: 1, n: 1 }]);
    await session.withTransaction(async () => {
      await coll.insertOne({ _id: 2, n: 2 }, { session });
      await coll.updateOne({ _id: 1 }, { $inc: { n: 10 } }, { session });
      // Inside, the transaction sees its own writes; outside, nothing has happened yet.
      expect(idsOf(await coll.find({}, { session }).sort({ _id: 1 }).toArray())).to.deep.equal([1, 2]);
      expect((await coll.findOne({ _id: 1 }, { session }))!.n).to.equal(11);
      expect(await coll.countDocuments()).to.equal(1);
      expect((await coll.findOne({ _id: 1 }))!.n).to.equal(1);
    });
    expect(await coll.find().sort({ _id: 1 }).toArray()).to.deep.equal([
      { _id: 1, n: 11 },
      { _id: 2, n: 2 },
    ]);
  });

  it('commits with startTransaction and commitTransaction', async () => {
    const coll = await seeded([{ _id: 1 }, { _id: 2 }]);
    session.startTransaction();
    await coll.deleteOne({ _id: 1 }, { session });
    await coll.insertOne({ _id: 3 }, { session });
    expect(idsOf(await coll.find().sort({ _id: 1 }).toArray())).to.deep.equal([1, 2]);
    await session.commitTransaction();
    expect(idsOf(await coll.find().sort({ _id: 1 }).toArray())).to.deep.equal([2, 3]);
  });

  it('discards every write on abortTransaction', async () => {
    const coll = await seeded([{ _id: 1, n: 1 }]);
    session.startTransaction();
    await coll.insertOne({ _id: 2 }, { session });
    await coll.updateOne({ _id: 1 }, { $set: { n: 99 } }, { session });
    await coll.deleteOne({ _id: 1 }, { session });
    await session.abortTransaction();
    expect(await coll.find().toArray()).to.deep.equal([{ _id: 1, n: 1 }]);
  });

  it('spans several collections, including one the transaction creates', async () => {
    const a = await seeded([{ _id: 1 }]);
    const b = db.collection<TestDoc>(`txn_new_${counter++}`);
    await session.withTransaction(async () => {
      await a.deleteOne({ _id: 1 }, { session });
      await b.insertOne({ _id: 'moved' }, { session });
    });
    expect(await a.countDocuments()).to.equal(0);
    expect(await b.find().toArray()).to.deep.equal([{ _id: 'moved' }]);
  });

  it('runs findOneAndUpdate, updateMany and aggregate inside a transaction', async () => {
    const coll = await seeded([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
    ]);
    await session.withTransaction(async () => {
      const before = await coll.findOneAndUpdate({ _id: 1 }, { $set: { n: 5 } }, { session });
      expect(before).to.deep.equal({ _id: 1, n: 1 });
      await coll.updateMany({}, { $inc: { n: 1 } }, { session });
      const [sum] = await coll.aggregate([{ $group: { _id: null, total: { $sum: '$n' } } }], { session }).toArray();
      expect(sum!.total).to.equal(9);
    });
    expect((await coll.find().sort({ _id: 1 }).toArray()).map((d) => d.n)).to.deep.equal([6, 3]);
  });

  it('fails the transaction on a duplicate key: nothing is committed', async () => {
    const coll = await seeded([{ _id: 1 }]);
    session.startTransaction();
    await coll.insertOne({ _id: 2 }, { session });
    await expectServerError(coll.insertOne({ _id: 1 }, { session }), 11000);
    await expectServerError(session.commitTransaction(), 251);
    expect(idsOf(await coll.find().toArray())).to.deep.equal([1]);
  });

  it('propagates a duplicate key out of withTransaction, committing nothing', async () => {
    const coll = await seeded([{ _id: 1, email: 'a' }]);
    await coll.createIndex({ email: 1 }, { unique: true });
    const outcome = await session
      .withTransaction(async () => {
        await coll.insertOne({ _id: 2, email: 'b' }, { session });
        await coll.insertOne({ _id: 3, email: 'a' }, { session });
      })
      .catch((err: unknown) => err);
    expect(outcome).to.be.instanceOf(MongoServerError);
    expect((outcome as MongoServerError).code).to.equal(11000);
    expect(idsOf(await coll.find().toArray())).to.deep.equal([1]);
  });

  it('runs one transaction after another in the same session', async () => {
    const coll = await seeded([]);
    await session.withTransaction(async () => {
      await coll.insertOne({ _id: 1 }, { session });
    });
    session.startTransaction();
    await coll.insertOne({ _id: 2 }, { session });
    await session.abortTransaction();
    await session.withTransaction(async () => {
      await coll.insertOne({ _id: 3 }, { session });
    });
    expect(idsOf(await coll.find().sort({ _id: 1 }).toArray())).to.deep.equal([1, 3]);
  });
});
