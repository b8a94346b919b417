/**
 * How the server keys and lays out what it stores: `_id` and single-field index keys are the
 * string itself for a string (and a marked key for anything else), stored documents are rebuilt
 * compactly, and a find by `_id` skips the general matcher. None of it may be visible: these
 * tests hold the results to what MongoDB returns.
 */
import { expect } from 'chai';
import { Double, Long, ObjectId, type Db } from 'mongodb';
import { connectFreshDatabase, expectServerError, idsOf, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: storage keys and layout', () => {
  let db: Db;
  let close: () => Promise<void>;

  before(async () => {
    ({ db, close } = await connectFreshDatabase());
  });
  after(() => close());

  /** Strings that spell other values' keys, or begin with the key marker. */
  const lookalikes: unknown[] = [
    '1',
    'n1',
    's1',
    '\u0001n1',
    '\u0001s1',
    '\u0001',
    '',
    'true',
    'bt',
    'o64b7f0a1c2d3e4f506070809',
  ];
  const others: unknown[] = [
    1,
    2.5,
    true,
    false,
    null,
    new ObjectId('64b7f0a1c2d3e4f506070809'),
    new Date(1),
    { a: 1 },
  ];

  it('keeps string _ids apart from every other value, whatever they spell', async () => {
    const coll = db.collection<TestDoc>('ids');
    // (The driver gives a document whose `_id` is null an ObjectId, so null is left out here.)
    const values = [...lookalikes, ...others.filter((v) => v !== null)];
    await coll.insertMany(values.map((v, i) => ({ _id: v as never, i })));
    for (const [i, v] of values.entries()) {
      const found = await coll.find({ _id: v as never }).toArray();
      expect(
        found.map((d) => d.i),
        `find ${JSON.stringify(v)}`,
      ).to.deep.equal([i]);
    }
    expect(await coll.countDocuments({ _id: { $in: ['\u0001n1', 1] as never[] } })).to.equal(2);
    await expectServerError(coll.insertOne({ _id: '\u0001n1' as never }), 11000);
    await expectServerError(coll.insertOne({ _id: new Double(1) as never }), 11000);
    await coll.insertOne({ _id: 'n2' as never, i: -1 });
    expect((await coll.deleteOne({ _id: 'n1' as never })).deletedCount).to.equal(1);
    expect(await coll.findOne({ _id: 1 as never })).to.deep.include({ i: values.indexOf(1) });
    expect(await coll.countDocuments()).to.equal(values.length);
  });

  it('finds by _id across numeric types, with $eq, and by ObjectId', async () => {
    const coll = db.collection<TestDoc>('numericIds');
    const oid = new ObjectId();
    await coll.insertMany([
      { _id: 1 as never, a: 'int' },
      { _id: 'x' as never, a: 'string' },
      { _id: oid, a: 'oid' },
    ]);
    expect((await coll.findOne({ _id: new Double(1) as never }))?.a).to.equal('int');
    expect((await coll.findOne({ _id: Long.fromNumber(1) as never }))?.a).to.equal('int');
    expect((await coll.findOne({ _id: { $eq: 1 } as never }))?.a).to.equal('int');
    expect((await coll.findOne({ _id: { $eq: 'x' } as never }))?.a).to.equal('string');
    expect((await coll.findOne({ _id: new ObjectId(oid.toHexString()) }))?.a).to.equal('oid');
    expect(await coll.findOne({ _id: '1' as never })).to.equal(null);
    expect(await coll.findOne({ _id: { $eq: true } as never })).to.equal(null);
    expect(await coll.findOne({ _id: 'X' as never })).to.equal(null);
    // The same lookup under a case-insensitive collation matches case-insensitively, as in MongoDB.
    const folded = await coll.find({ _id: 'X' as never }, { collation: { locale: 'en', strength: 2 } }).toArray();
    expect(folded.map((d) => d.a)).to.deep.equal(['string']);
  });

  it('keeps single-field index entries of strings apart from other values', async () => {
    const coll = db.collection<TestDoc>('indexed');
    await coll.createIndex({ v: 1 }, { unique: true });
    const values = [...lookalikes, ...others];
    await coll.insertMany(values.map((v, i) => ({ _id: i as never, v })));
    for (const [i, v] of values.entries()) {
      expect(idsOf(await coll.find({ v: v as never }).toArray()), `find ${JSON.stringify(v)}`).to.deep.equal([i]);
    }
    await expectServerError(coll.insertOne({ _id: 100 as never, v: '\u0001s1' }), 11000);
    await expectServerError(coll.insertOne({ _id: 101 as never, v: new Double(2.5) }), 11000);
    await coll.updateOne({ v: 'n1' }, { $set: { v: 'moved' } });
    expect(idsOf(await coll.find({ v: 'moved' }).toArray())).to.deep.equal([values.indexOf('n1')]);
    expect(await coll.countDocuments({ v: 'n1' })).to.equal(0);
    await coll.insertOne({ _id: 102 as never, v: 'n1' });
    expect(idsOf(await coll.find({ v: 'n1' }).toArray())).to.deep.equal([102]);
  });

  it('looks up a case-insensitive index by folded strings, and a compound index by its first field', async () => {
    const coll = db.collection<TestDoc>('collated');
    await coll.createIndex({ name: 1 }, { collation: { locale: 'en', strength: 2 } });
    await coll.createIndex({ a: 1, b: 1 });
    await coll.insertMany([
      { _id: 1 as never, name: 'Alice', a: 'x', b: 1 },
      { _id: 2 as never, name: 'ALICE', a: 'x', b: 2 },
      { _id: 3 as never, name: '\u0001alice', a: 1, b: 1 },
    ]);
    const found = await coll
      .find({ name: 'alice' }, { collation: { locale: 'en', strength: 2 } })
      .sort({ _id: 1 })
      .toArray();
    expect(idsOf(found)).to.deep.equal([1, 2]);
    expect(idsOf(await coll.find({ a: 'x' }).sort({ _id: 1 }).toArray())).to.deep.equal([1, 2]);
    expect(idsOf(await coll.find({ a: 1 }).toArray())).to.deep.equal([3]);
  });

  it('returns wide documents with their fields in order, including integer-like and repeated names', async () => {
    const coll = db.collection<TestDoc>('wide');
    const wide: TestDoc = { _id: 'w' as never };
    for (let i = 0; i < 40; i++) wide[`f${39 - i}`] = i % 3 === 0 ? `v${i}` : i;
    const tagged = {
      _id: 't' as never,
      z: 1,
      y: 2,
      x: 3,
      w: 4,
      v: 5,
      tags: ['red', 'web', 'red', 'a-much-longer-tag-than-is-shared'],
      sub: { e: 1, d: 2, c: 3, b: 4, a: [{ q: 1, p: 2, o: 3, n: 4, m: 5 }] },
    };
    await coll.insertMany([wide, tagged, { z: 1, y: 2, x: 3, w: 4, v: 5 }]);
    const back = await coll.findOne({ _id: 'w' as never });
    expect(back).to.deep.equal(wide);
    expect(Object.keys(back!)).to.deep.equal(Object.keys(wide));
    const t = await coll.findOne({ _id: 't' as never });
    expect(t).to.deep.equal(tagged);
    expect(Object.keys(t!)).to.deep.equal(Object.keys(tagged));
    expect(Object.keys((t!.sub as { a: TestDoc[] }).a[0]!)).to.deep.equal(['q', 'p', 'o', 'n', 'm']);
    const generated = await coll.findOne({ z: 1, _id: { $nin: ['t'] as never[] } });
    expect(Object.keys(generated!)).to.deep.equal(['_id', 'z', 'y', 'x', 'w', 'v']);
    // A document keeps its layout after updates, which store a new object.
    await coll.updateOne({ _id: 't' as never }, { $set: { x: 30, 'sub.d': 20 }, $push: { tags: 'vip' } as never });
    const updated = await coll.findOne({ _id: 't' as never });
    expect(Object.keys(updated!)).to.deep.equal(Object.keys(tagged));
    expect(updated!.tags).to.deep.equal(['red', 'web', 'red', 'a-much-longer-tag-than-is-shared', 'vip']);
    expect(updated!.sub).to.deep.equal({ e: 1, d: 20, c: 3, b: 4, a: [{ q: 1, p: 2, o: 3, n: 4, m: 5 }] });
    expect(await coll.countDocuments({ tags: 'red' })).to.equal(1);
  });
});
