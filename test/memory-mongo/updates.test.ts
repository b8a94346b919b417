import { expect } from 'chai';
import {
  Double,
  Int32,
  Long,
  ObjectId,
  Timestamp,
  type Collection,
  type Db,
  type Document,
  type UpdateFilter,
} from 'mongodb';
import { connectFreshDatabase, expectServerError, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: updates', () => {
  let db: Db;
  let close: () => Promise<void>;
  let counter = 0;

  before(async () => {
    ({ db, close } = await connectFreshDatabase());
  });
  after(() => close());

  /** A fresh collection holding `docs`. */
  async function seeded(docs: TestDoc[]): Promise<Collection<TestDoc>> {
    const coll = db.collection<TestDoc>(`updates_${counter++}`);
    if (docs.length > 0) await coll.insertMany(docs);
    return coll;
  }

  /**
   * An update as sent on the wire. The driver's typings refuse some valid updates on documents of
   * any shape (array operators on `any` fields) and the malformed ones these tests send on purpose.
   */
  function untyped(update: Document | Document[]): UpdateFilter<TestDoc> {
    return update as UpdateFilter<TestDoc>;
  }

  /** Applies `update` to the only document of a fresh collection holding `doc`; returns the result without `_id`. */
  async function afterUpdate(doc: TestDoc, update: Document | Document[]): Promise<TestDoc> {
    const coll = await seeded([{ _id: 1, ...doc }]);
    const result = await coll.updateOne({ _id: 1 }, untyped(update));
    expect(result.matchedCount).to.equal(1);
    const { _id, ...rest } = (await coll.findOne({ _id: 1 }))!;
    return rest;
  }

  describe('field operators', () => {
    it('$set sets top-level, nested and array-index fields, creating what is missing', async () => {
      expect(await afterUpdate({ a: 1, arr: [1, 2, 3] }, { $set: { a: 5, 'b.c': 'x', 'arr.1': 99 } })).to.deep.equal({
        a: 5,
        arr: [1, 99, 3],
        b: { c: 'x' },
      });
    });

    it('$set past the end of an array pads it with nulls', async () => {
      expect(await afterUpdate({ arr: [1] }, { $set: { 'arr.3': 4 } })).to.deep.equal({ arr: [1, null, null, 4] });
    });

    it('$unset removes fields and nulls array elements', async () => {
      expect(
        await afterUpdate({ a: 1, b: { c: 1, d: 2 }, arr: [1, 2] }, { $unset: { a: '', 'b.c': 1, 'arr.0': '' } }),
      ).to.deep.equal({
        b: { d: 2 },
        arr: [null, 2],
      });
    });

    it('$inc adds, creating a missing field', async () => {
      expect(await afterUpdate({ n: 5, sub: { m: 1 } }, { $inc: { n: -2, 'sub.m': 10, fresh: 3 } })).to.deep.equal({
        n: 3,
        sub: { m: 11 },
        fresh: 3,
      });
    });

    it('$mul multiplies, setting a missing field to 0', async () => {
      expect(await afterUpdate({ price: 10 }, { $mul: { price: 1.5, missing: 4 } })).to.deep.equal({
        price: 15,
        missing: 0,
      });
    });

    it('$min and $max only move a value in their direction', async () => {
      const early = new Date('2020-01-01');
      const late = new Date('2024-01-01');
      expect(
        await afterUpdate({ lo: 5, hi: 5, d: late }, { $min: { lo: 3, d: early }, $max: { hi: 3 } }),
      ).to.deep.equal({ lo: 3, hi: 5, d: early });
      expect(await afterUpdate({ lo: 5, hi: 5 }, { $min: { lo: 8 }, $max: { hi: 8, fresh: 1 } })).to.deep.equal({
        lo: 5,
        hi: 8,
        fresh: 1,
      });
    });

    it('$rename moves fields, nested ones too, and ignores missing ones', async () => {
      expect(
        await afterUpdate({ a: 1, b: { c: 2 }, keep: 0 }, { $rename: { a: 'z', 'b.c': 'y', nothing: 'x' } }),
      ).to.deep.equal({ b: {}, keep: 0, y: 2, z: 1 });
    });

    it('$currentDate sets a Date or a Timestamp', async () => {
      const before = Date.now();
      const doc = await afterUpdate(
        {},
        { $currentDate: { d: true, typed: { $type: 'date' }, ts: { $type: 'timestamp' } } },
      );
      expect(doc.d).to.be.instanceOf(Date);
      expect(doc.typed).to.be.instanceOf(Date);
      expect((doc.d as Date).getTime()).to.be.within(before - 1000, Date.now() + 1000);
      expect(doc.ts).to.be.instanceOf(Timestamp);
      expect((doc.ts as Timestamp).t).to.be.within(Math.floor(before / 1000) - 1, Math.ceil(Date.now() / 1000) + 1);
    });

    it('$bit applies bitwise and, or and xor', async () => {
      expect(
        await afterUpdate({ a: 12, b: 12, c: 12 }, { $bit: { a: { and: 10 }, b: { or: 3 }, c: { xor: 5 } } }),
      ).to.deep.equal({ a: 8, b: 15, c: 9 });
    });

    it('keeps BSON numeric types as MongoDB computes them', async () => {
      const coll = await seeded([{ _id: 1, i: new Int32(1), d: new Double(1), l: Long.fromNumber(1), f: 1.5 }]);
      await coll.updateOne(
        { _id: 1 },
        { $inc: { i: 1, d: 1, l: 1, f: 1 }, $set: { sd: new Double(3), sl: Long.fromNumber(4) } },
      );
      const doc = (await coll.findOne({ _id: 1 }, { promoteValues: false }))!;
      expect(doc.i).to.be.instanceOf(Int32);
      expect(doc.i.value).to.equal(2);
      expect(doc.d).to.be.instanceOf(Double);
      expect(doc.d.value).to.equal(2);
      expect(doc.l).to.be.instanceOf(Long);
      expect(doc.l.toNumber()).to.equal(2);
      expect(doc.f).to.be.instanceOf(Double);
      expect(doc.f.value).to.equal(2.5);
      expect(doc.sd).to.be.instanceOf(Double);
      expect(doc.sl).to.be.instanceOf(Long);
      await coll.updateOne({ _id: 1 }, { $mul: { i: new Double(2) } });
      const multiplied = (await coll.findOne({ _id: 1 }, { promoteValues: false }))!;
      expect(multiplied.i).to.be.instanceOf(Double);
      expect(multiplied.i.value).to.equal(4);
    });

    it('updates what the filter matched under a collation or by BSON type', async () => {
      const coll = await seeded([
        { _id: 1, name: 'Bob', tags: ['a', 'b'] },
        { _id: 2, v: new ObjectId(), size: { w: 2, h: 1 } },
      ]);
      const strength2 = { locale: 'en', strength: 2 };
      expect(
        (await coll.updateOne({ name: 'bob' }, { $set: { x: 1 } }, { collation: strength2 })).modifiedCount,
      ).to.equal(1);
      expect(
        (await coll.updateOne({ tags: 'B' }, { $set: { 'tags.$': 'z' } }, { collation: strength2 })).modifiedCount,
      ).to.equal(1);
      expect((await coll.updateOne({ v: { $type: 'objectId' } }, { $set: { x: 2 } })).modifiedCount).to.equal(1);
      expect((await coll.updateOne({ size: { w: 2, h: 1 } }, { $set: { x: 3 } })).modifiedCount).to.equal(1);
      expect(
        await coll
          .find({}, { projection: { x: 1, tags: 1 } })
          .sort({ _id: 1 })
          .toArray(),
      ).to.deep.equal([
        { _id: 1, tags: ['a', 'z'], x: 1 },
        { _id: 2, x: 3 },
      ]);
    });

    it('leaves the document unmodified (modifiedCount 0) when nothing changes', async () => {
      const coll = await seeded([{ _id: 1, a: 1, tags: ['x'] }]);
      const result = await coll.updateOne({ _id: 1 }, { $set: { a: 1 }, $addToSet: { tags: 'x' } });
      expect(result.matchedCount).to.equal(1);
      expect(result.modifiedCount).to.equal(0);
    });
  });

  describe('array operators', () => {
    it('$push appends one value, or several with $each, creating the array', async () => {
      expect(await afterUpdate({ arr: [1] }, { $push: { arr: 2, fresh: 'a' } })).to.deep.equal({
        arr: [1, 2],
        fresh: ['a'],
      });
      expect(await afterUpdate({ arr: [1] }, { $push: { arr: { $each: [2, 3] } } })).to.deep.equal({ arr: [1, 2, 3] });
    });

    it('$push honours $position, $sort and $slice', async () => {
      expect(await afterUpdate({ arr: [1, 2] }, { $push: { arr: { $each: [9], $position: 0 } } })).to.deep.equal({
        arr: [9, 1, 2],
      });
      expect(await afterUpdate({ arr: [1, 2, 3] }, { $push: { arr: { $each: [4, 5], $slice: -3 } } })).to.deep.equal({
        arr: [3, 4, 5],
      });
      const scores = [{ s: 5 }, { s: 9 }];
      expect(
        await afterUpdate(
          { scores },
          { $push: { scores: { $each: [{ s: 7 }, { s: 1 }], $sort: { s: -1 }, $slice: 3 } } },
        ),
      ).to.deep.equal({
        scores: [{ s: 9 }, { s: 7 }, { s: 5 }],
      });
      expect(await afterUpdate({ arr: [3, 1] }, { $push: { arr: { $each: [2], $sort: 1 } } })).to.deep.equal({
        arr: [1, 2, 3],
      });
    });

    it('$pull removes values equal to, or matching a condition on, elements', async () => {
      expect(await afterUpdate({ arr: [1, 5, 6, 7, 5] }, { $pull: { arr: { $gte: 6 } } })).to.deep.equal({
        arr: [1, 5, 5],
      });
      expect(await afterUpdate({ arr: [1, 5, 6, 5] }, { $pull: { arr: 5 } })).to.deep.equal({ arr: [1, 6] });
      const items = [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 3 },
      ];
      expect(await afterUpdate({ items }, { $pull: { items: { qty: { $lt: 2 } } } })).to.deep.equal({
        items: [{ sku: 'b', qty: 3 }],
      });
    });

    it('$pullAll removes every listed value', async () => {
      expect(await afterUpdate({ arr: [0, 2, 5, 5, 1, 0] }, { $pullAll: { arr: [0, 5] } })).to.deep.equal({
        arr: [2, 1],
      });
    });

    it('$addToSet adds only missing values, keeping duplicates already there', async () => {
      expect(await afterUpdate({ tags: ['a', 'b'] }, { $addToSet: { tags: 'c' } })).to.deep.equal({
        tags: ['a', 'b', 'c'],
      });
      expect(
        await afterUpdate({ tags: ['a', 'a'] }, { $addToSet: { tags: { $each: ['a', 'b', 'b'] } } }),
      ).to.deep.equal({ tags: ['a', 'a', 'b'] });
      expect(await afterUpdate({}, { $addToSet: { tags: 'x' } })).to.deep.equal({ tags: ['x'] });
    });

    it('$pop removes the last (1) or first (-1) element', async () => {
      expect(await afterUpdate({ a: [1, 2, 3], b: [1, 2, 3] }, { $pop: { a: 1, b: -1 } })).to.deep.equal({
        a: [1, 2],
        b: [2, 3],
      });
    });
  });

  describe('positional updates', () => {
    it('$ updates the first array element the query matched', async () => {
      const coll = await seeded([{ _id: 1, grades: [85, 80, 80] }]);
      await coll.updateOne({ _id: 1, grades: 80 }, { $set: { 'grades.$': 82 } });
      expect((await coll.findOne({ _id: 1 }))!.grades).to.deep.equal([85, 82, 80]);
    });

    it('$ reaches into the matched subdocument', async () => {
      const coll = await seeded([
        {
          _id: 1,
          items: [
            { sku: 'a', qty: 1 },
            { sku: 'b', qty: 2 },
          ],
        },
      ]);
      await coll.updateOne({ 'items.sku': 'b' }, { $inc: { 'items.$.qty': 5 } });
      expect((await coll.findOne({ _id: 1 }))!.items).to.deep.equal([
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 7 },
      ]);
    });

    it('$[] updates every element', async () => {
      expect(await afterUpdate({ grades: [1, 2, 3] }, { $inc: { 'grades.$[]': 10 } })).to.deep.equal({
        grades: [11, 12, 13],
      });
    });

    it('$[identifier] updates the elements arrayFilters select', async () => {
      const coll = await seeded([
        {
          _id: 1,
          grades: [95, 102, 90, 150],
          marks: [
            { grade: 80, mean: 75 },
            { grade: 90, mean: 85 },
          ],
        },
      ]);
      await coll.updateOne({ _id: 1 }, { $set: { 'grades.$[big]': 100 } }, { arrayFilters: [{ big: { $gte: 100 } }] });
      await coll.updateOne(
        { _id: 1 },
        { $set: { 'marks.$[m].mean': 100 } },
        { arrayFilters: [{ 'm.grade': { $gte: 85 } }] },
      );
      const doc = (await coll.findOne({ _id: 1 }))!;
      expect(doc.grades).to.deep.equal([95, 100, 90, 100]);
      expect(doc.marks).to.deep.equal([
        { grade: 80, mean: 75 },
        { grade: 90, mean: 100 },
      ]);
    });

    it('refuses $ without a matching array condition in the query (BadValue 2)', async () => {
      const coll = await seeded([{ _id: 1, grades: [1, 2] }]);
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { 'grades.$': 5 } }), 2);
      expect((await coll.findOne({ _id: 1 }))!.grades).to.deep.equal([1, 2]);
    });

    it('refuses $[identifier] without its array filter (BadValue 2) and an unused array filter (FailedToParse 9)', async () => {
      const coll = await seeded([{ _id: 1, grades: [1, 2] }]);
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { 'grades.$[x]': 5 } }), 2);
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { grades: [] } }, { arrayFilters: [{ x: 1 }] }), 9);
      expect((await coll.findOne({ _id: 1 }))!.grades).to.deep.equal([1, 2]);
    });
  });

  describe('upserts, multi-document updates and replacements', () => {
    it('upserts a document seeded from the filter equalities, returning its new _id', async () => {
      const coll = await seeded([]);
      const result = await coll.updateOne(
        { name: 'new', 'a.b': 3, n: { $gt: 5 }, $and: [{ k: 'v' }] },
        { $set: { c: 1 } },
        { upsert: true },
      );
      expect(result.matchedCount).to.equal(0);
      expect(result.upsertedCount).to.equal(1);
      expect(result.upsertedId).to.be.instanceOf(ObjectId);
      const doc = (await coll.findOne({ _id: result.upsertedId! }))!;
      expect(doc).to.deep.equal({ _id: result.upsertedId, name: 'new', a: { b: 3 }, k: 'v', c: 1 });
    });

    it('upserts with the _id the filter names, and applies the update operators to the seed', async () => {
      const coll = await seeded([]);
      const result = await coll.updateOne({ _id: 'custom', n: 1 }, { $inc: { n: 1 } }, { upsert: true });
      expect(result.upsertedId).to.equal('custom');
      expect(await coll.findOne({ _id: 'custom' })).to.deep.equal({ _id: 'custom', n: 2 });
    });

    it('applies $setOnInsert only when inserting', async () => {
      const coll = await seeded([]);
      await coll.updateOne({ _id: 1 }, { $set: { seen: 1 }, $setOnInsert: { created: 'first' } }, { upsert: true });
      const second = await coll.updateOne(
        { _id: 1 },
        { $set: { seen: 2 }, $setOnInsert: { created: 'second' } },
        { upsert: true },
      );
      expect(second.upsertedCount).to.equal(0);
      expect(second.matchedCount).to.equal(1);
      expect(await coll.findOne({ _id: 1 })).to.deep.equal({ _id: 1, seen: 2, created: 'first' });
    });

    it('updates every match with updateMany, counting matched and modified apart', async () => {
      const coll = await seeded([
        { _id: 1, g: 'x', flag: true },
        { _id: 2, g: 'x' },
        { _id: 3, g: 'x' },
        { _id: 4, g: 'y' },
      ]);
      const result = await coll.updateMany({ g: 'x' }, { $set: { flag: true } });
      expect(result.matchedCount).to.equal(3);
      expect(result.modifiedCount).to.equal(2);
      expect(await coll.countDocuments({ flag: true })).to.equal(3);
      const none = await coll.updateMany({ g: 'z' }, { $set: { flag: false } }, { upsert: true });
      expect(none.upsertedCount).to.equal(1);
      expect(await coll.countDocuments({ g: 'z', flag: false })).to.equal(1);
    });

    it('replaces a document whole, keeping its _id', async () => {
      const coll = await seeded([{ _id: 1, a: 1, b: 2 }]);
      const result = await coll.replaceOne({ a: 1 }, { c: 3 });
      expect(result.modifiedCount).to.equal(1);
      expect(await coll.findOne({ _id: 1 })).to.deep.equal({ _id: 1, c: 3 });
    });

    it('upserts a replacement without copying the filter fields other than _id', async () => {
      const coll = await seeded([]);
      const byName = await coll.replaceOne({ name: 'r' }, { v: 1 }, { upsert: true });
      expect(await coll.findOne({ _id: byName.upsertedId! })).to.deep.equal({ _id: byName.upsertedId, v: 1 });
      await coll.replaceOne({ _id: 'r2' }, { v: 2 }, { upsert: true });
      expect(await coll.findOne({ _id: 'r2' })).to.deep.equal({ _id: 'r2', v: 2 });
    });

    it('runs aggregation-pipeline updates', async () => {
      expect(
        await afterUpdate({ a: 2, b: 3, tmp: 1 }, [{ $set: { total: { $add: ['$a', '$b'] } } }, { $unset: ['tmp'] }]),
      ).to.deep.equal({
        a: 2,
        b: 3,
        total: 5,
      });
      expect(
        await afterUpdate({ wrapper: { x: 1 } }, [{ $replaceWith: { $mergeObjects: ['$wrapper', { y: 2 }] } }]),
      ).to.deep.equal({ x: 1, y: 2 });
    });
  });

  describe('findOneAndUpdate, findOneAndReplace, findOneAndDelete', () => {
    let coll: Collection<TestDoc>;
    beforeEach(async () => {
      coll = await seeded([
        { _id: 1, n: 1, g: 'a' },
        { _id: 2, n: 2, g: 'a' },
        { _id: 3, n: 3, g: 'b' },
      ]);
    });

    it('returns the document before (default) or after the update', async () => {
      expect(await coll.findOneAndUpdate({ _id: 1 }, { $inc: { n: 10 } })).to.deep.equal({ _id: 1, n: 1, g: 'a' });
      expect(await coll.findOneAndUpdate({ _id: 1 }, { $inc: { n: 10 } }, { returnDocument: 'after' })).to.deep.equal({
        _id: 1,
        n: 21,
        g: 'a',
      });
    });

    it('picks the first match by sort and projects the result', async () => {
      const result = await coll.findOneAndUpdate(
        { g: 'a' },
        { $set: { picked: true } },
        { sort: { n: -1 }, projection: { n: 1, picked: 1, _id: 0 }, returnDocument: 'after' },
      );
      expect(result).to.deep.equal({ n: 2, picked: true });
      expect(await coll.countDocuments({ picked: true })).to.equal(1);
    });

    it('returns null when nothing matches, and upserts on demand', async () => {
      expect(await coll.findOneAndUpdate({ _id: 9 }, { $set: { n: 9 } })).to.equal(null);
      expect(await coll.findOneAndUpdate({ _id: 9 }, { $set: { n: 9 } }, { upsert: true })).to.equal(null);
      expect(
        await coll.findOneAndUpdate({ _id: 10 }, { $set: { n: 10 } }, { upsert: true, returnDocument: 'after' }),
      ).to.deep.equal({ _id: 10, n: 10 });
      const withMetadata = await coll.findOneAndUpdate(
        { _id: 11 },
        { $set: { n: 11 } },
        { upsert: true, includeResultMetadata: true },
      );
      expect(withMetadata.lastErrorObject).to.deep.include({ n: 1, updatedExisting: false, upserted: 11 });
      expect(await coll.countDocuments()).to.equal(6);
    });

    it('replaces and returns before or after', async () => {
      expect(await coll.findOneAndReplace({ _id: 2 }, { n: 20 })).to.deep.equal({ _id: 2, n: 2, g: 'a' });
      expect(await coll.findOneAndReplace({ _id: 2 }, { n: 21 }, { returnDocument: 'after' })).to.deep.equal({
        _id: 2,
        n: 21,
      });
    });

    it('deletes the first match by sort and returns it', async () => {
      expect(await coll.findOneAndDelete({ g: 'a' }, { sort: { n: -1 } })).to.deep.equal({ _id: 2, n: 2, g: 'a' });
      expect(await coll.countDocuments()).to.equal(2);
      expect(await coll.findOneAndDelete({ g: 'zzz' })).to.equal(null);
    });
  });

  describe('refused updates', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded([{ _id: 1, s: 'text', n: 1, arr: [1], sub: { x: 1 } }]);
    });
    afterEach(async () => {
      // No refused update may have changed anything.
      expect(await coll.findOne({ _id: 1 })).to.deep.equal({ _id: 1, s: 'text', n: 1, arr: [1], sub: { x: 1 } });
    });

    it('$inc on a string, or by a non-number, is TypeMismatch (14)', async () => {
      await expectServerError(coll.updateOne({ _id: 1 }, { $inc: { s: 1 } }), 14);
      await expectServerError(coll.updateOne({ _id: 1 }, untyped({ $inc: { n: 'x' } })), 14);
      await expectServerError(coll.updateOne({ _id: 1 }, { $mul: { s: 2 } }), 14);
    });

    it('an unknown modifier, or a modifier without a document, is FailedToParse (9)', async () => {
      await expectServerError(coll.updateOne({ _id: 1 }, untyped({ $foo: { n: 1 } })), 9);
      await expectServerError(coll.updateOne({ _id: 1 }, untyped({ $set: 1 })), 9);
    });

    it('changing _id is ImmutableField (66)', async () => {
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { _id: 2 } }), 66);
      await expectServerError(coll.replaceOne({ _id: 1 }, { _id: 2, n: 1 }), 66);
      await expectServerError(coll.findOneAndUpdate({ _id: 1 }, { $set: { _id: 3 } }), 66);
    });

    it('two operators on the same path, or a path and its parent, are ConflictingUpdateOperators (40)', async () => {
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { n: 1 }, $inc: { n: 1 } }), 40);
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { 'sub.x': 2 }, $unset: { sub: '' } }), 40);
    });

    it('array operators on non-arrays are refused with MongoDB codes', async () => {
      await expectServerError(coll.updateOne({ _id: 1 }, untyped({ $push: { n: 1 } })), 2);
      await expectServerError(coll.updateOne({ _id: 1 }, untyped({ $addToSet: { n: 1 } })), 2);
      await expectServerError(coll.updateOne({ _id: 1 }, untyped({ $pop: { n: 1 } })), 14);
      await expectServerError(coll.updateOne({ _id: 1 }, untyped({ $pull: { n: 1 } })), 2);
    });

    it('a path through a scalar is PathNotViable (28)', async () => {
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { 'n.deeper': 2 } }), 28);
    });

    it('an empty field name in an update path is EmptyFieldName (56)', async () => {
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { '': 1 } }), 56);
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { 'sub..x': 1 } }), 56);
    });

    it('$rename onto itself is BadValue (2)', async () => {
      await expectServerError(coll.updateOne({ _id: 1 }, { $rename: { n: 'n' } }), 2);
    });

    it('a refused update in a multi-document update stops it without partial changes to that document', async () => {
      await expectServerError(coll.updateMany({}, { $set: { fine: 1 }, $inc: { s: 1 } }), 14);
    });
  });
});
