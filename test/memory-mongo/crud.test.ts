import { expect } from 'chai';
import { Double, Int32, Long, Decimal128, Binary, ObjectId, type Db, type MongoClient } from 'mongodb';
import { connectFreshDatabase, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: documents', () => {
  let db: Db;
  let client: MongoClient;
  let close: () => Promise<void>;

  before(async () => {
    ({ db, client, close } = await connectFreshDatabase());
  });
  after(() => close());

  it('inserts, finds, updates and deletes through the driver', async () => {
    const things = db.collection<TestDoc>('things');
    const inserted = await things.insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(inserted.insertedCount).to.equal(3);
    expect(await things.countDocuments({ n: { $gte: 2 } })).to.equal(2);
    const updated = await things.updateMany({ n: { $lt: 3 } }, { $inc: { n: 10 } });
    expect(updated.matchedCount).to.equal(2);
    expect(updated.modifiedCount).to.equal(2);
    const all = await things
      .find({}, { projection: { _id: 0 } })
      .sort({ n: 1 })
      .toArray();
    expect(all).to.deep.equal([{ n: 3 }, { n: 11 }, { n: 12 }]);
    const deleted = await things.deleteOne({ n: 11 });
    expect(deleted.deletedCount).to.equal(1);
    expect(await things.countDocuments()).to.equal(2);
  });

  it('generates an ObjectId _id first in the document when none is given', async () => {
    const coll = db.collection<TestDoc>('generated');
    const { insertedId } = await coll.insertOne({ a: 1 });
    expect(insertedId).to.be.instanceOf(ObjectId);
    const raw = await coll.findOne({ _id: insertedId });
    expect(Object.keys(raw!)).to.deep.equal(['_id', 'a']);
  });

  it('round-trips every BSON value type exactly, with field order', async () => {
    const coll = db.collection<TestDoc>('values');
    const doc = {
      _id: 'exact',
      z: 1,
      double: new Double(1),
      fraction: new Double(2.5),
      int: new Int32(7),
      long: Long.fromString('9007199254740993'),
      smallLong: Long.fromNumber(42),
      decimal: Decimal128.fromString('1.10'),
      binary: new Binary(Buffer.from([0, 1, 2, 255])),
      oid: new ObjectId('64b7f0a1c2d3e4f506070809'),
      date: new Date('2024-01-02T03:04:05.678Z'),
      nil: null,
      nested: { b: 2, a: [1, { c: new Double(3) }] },
      a: 'last',
    };
    await coll.insertOne(doc);
    const back = await coll.findOne({ _id: 'exact' }, { promoteValues: false, promoteLongs: false });
    expect(Object.keys(back!)).to.deep.equal(Object.keys(doc));
    expect(back!.double).to.be.instanceOf(Double);
    expect(back!.fraction).to.be.instanceOf(Double);
    expect(back!.int).to.be.instanceOf(Int32);
    expect(back!.long).to.be.instanceOf(Long);
    expect(back!.long.toString()).to.equal('9007199254740993');
    expect(back!.smallLong).to.be.instanceOf(Long);
    expect(back!.decimal.toString()).to.equal('1.10');
    expect(Buffer.from(back!.binary.buffer).equals(Buffer.from([0, 1, 2, 255]))).to.equal(true);
    expect(back!.oid.toHexString()).to.equal('64b7f0a1c2d3e4f506070809');
    expect(back!.date.toISOString()).to.equal('2024-01-02T03:04:05.678Z');
    expect(back!.nil).to.equal(null);
    expect('missing' in back!).to.equal(false);
    expect(back!.nested.a[1].c).to.be.instanceOf(Double);
  });

  it('distinguishes null from a missing field', async () => {
    const coll = db.collection<TestDoc>('nulls');
    await coll.insertMany([{ _id: 1, a: null }, { _id: 2 }, { _id: 3, a: 1 }]);
    expect((await coll.find({ a: null }).toArray()).map((d) => d._id)).to.deep.equal([1, 2]);
    expect((await coll.find({ a: { $exists: true } }).toArray()).map((d) => d._id)).to.deep.equal([1, 3]);
    expect((await coll.find({ a: { $type: 'null' } }).toArray()).map((d) => d._id)).to.deep.equal([1]);
  });

  it('rejects a duplicate _id with error 11000', async () => {
    const coll = db.collection<TestDoc>('dups');
    await coll.insertOne({ _id: 'x' });
    const err = await coll.insertOne({ _id: 'x' }).catch((e: unknown) => e);
    expect(err).to.have.property('code', 11000);
  });

  it('answers an unknown command with CommandNotFound (59)', async () => {
    const err = await db.command({ frobnicate: 1 }).catch((e: unknown) => e);
    expect(err).to.have.property('code', 59);
  });

  it('serves many concurrent operations over the driver pool', async () => {
    const coll = db.collection<TestDoc>('concurrent');
    await Promise.all(Array.from({ length: 200 }, (_, i) => coll.insertOne({ i })));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => coll.findOne({ i })));
    expect(results.every((r, i) => r?.i === i)).to.equal(true);
    expect(client.options.maxPoolSize).to.be.greaterThan(1);
  });
});
