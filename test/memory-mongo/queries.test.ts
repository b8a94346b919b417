import { expect } from 'chai';
import {
  Binary,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MongoClient,
  MongoServerError,
  ObjectId,
  Timestamp,
  type Collection,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Db,
  type Filter,
} from 'mongodb';
import { connectFreshDatabase, expectServerError, idsOf, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: queries', () => {
  let db: Db;
  let uri: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ db, uri, close } = await connectFreshDatabase());
  });
  after(() => close());

  /** A collection holding exactly `docs`. */
  async function seeded(name: string, docs: TestDoc[]): Promise<Collection<TestDoc>> {
    const coll = db.collection<TestDoc>(name);
    await coll.insertMany(docs);
    return coll;
  }

  /** The `_id`s of the documents matching `filter`, in `_id` order. */
  async function matching(coll: Collection<TestDoc>, filter: Filter<TestDoc>): Promise<unknown[]> {
    return idsOf(await coll.find(filter).sort({ _id: 1 }).toArray());
  }

  describe('comparison operators', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('comparison', [
        { _id: 1, n: 1 },
        { _id: 2, n: 5 },
        { _id: 3, n: 10 },
        { _id: 4, n: 'ten' },
        { _id: 5, n: null },
        { _id: 6 },
        { _id: 7, n: [2, 12] },
        { _id: 8, n: Long.fromNumber(5) },
        { _id: 9, n: 5.5 },
      ]);
    });

    it('$eq compares numbers by value across BSON numeric types', async () => {
      expect(await matching(coll, { n: { $eq: 5 } })).to.deep.equal([2, 8]);
      expect(await matching(coll, { n: new Double(5) })).to.deep.equal([2, 8]);
    });

    it('$gt, $gte, $lt, $lte match array elements and only values of the same type', async () => {
      expect(await matching(coll, { n: { $gt: 5 } })).to.deep.equal([3, 7, 9]);
      expect(await matching(coll, { n: { $gte: 5 } })).to.deep.equal([2, 3, 7, 8, 9]);
      expect(await matching(coll, { n: { $lt: 5 } })).to.deep.equal([1, 7]);
      expect(await matching(coll, { n: { $lte: 5 } })).to.deep.equal([1, 2, 7, 8]);
      expect(await matching(coll, { n: { $gt: 'a' } })).to.deep.equal([4]);
      expect(await matching(coll, { n: { $gt: 2, $lt: 10 } })).to.deep.equal([2, 7, 8, 9]);
    });

    it('$ne and $nin also match documents without the field', async () => {
      expect(await matching(coll, { n: { $ne: 5 } })).to.deep.equal([1, 3, 4, 5, 6, 7, 9]);
      expect(await matching(coll, { n: { $nin: [1, 'ten', null] } })).to.deep.equal([2, 3, 7, 8, 9]);
    });

    it('$in matches any listed value, null matching a missing field', async () => {
      expect(await matching(coll, { n: { $in: [1, 'ten'] } })).to.deep.equal([1, 4]);
      expect(await matching(coll, { n: { $in: [null] } })).to.deep.equal([5, 6]);
      expect(await matching(coll, { n: { $in: [12] } })).to.deep.equal([7]);
      expect(await matching(coll, { n: { $in: [] } })).to.deep.equal([]);
    });

    it('refuses $in and $nin without an array (BadValue 2)', async () => {
      await expectServerError(coll.find({ n: { $in: 5 } }).toArray(), 2);
      await expectServerError(coll.find({ n: { $nin: 'x' } }).toArray(), 2);
    });
  });

  describe('$exists and $type', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('types', [
        { _id: 1, a: 'str' },
        { _id: 2, a: new Int32(5) },
        { _id: 3, a: new Double(5) },
        { _id: 4, a: Long.fromNumber(5) },
        { _id: 5, a: 2.5 },
        { _id: 6, a: [new Int32(1), 'x'] },
        { _id: 7, a: { x: 1 } },
        { _id: 8, a: null },
        { _id: 9, a: new ObjectId() },
        { _id: 10, a: true },
        { _id: 11, a: new Date(0) },
        { _id: 12 },
        { _id: 13, a: Decimal128.fromString('1.5') },
        { _id: 14, a: new Binary(Buffer.from([1, 2])) },
        { _id: 15, a: /re/ },
        { _id: 16, a: { b: [{ c: 1 }, { d: 2 }] } },
        { _id: 17, a: new Timestamp({ t: 100, i: 1 }) },
      ]);
    });

    it('$exists tells present (even null) from missing fields, also on dotted paths', async () => {
      expect(await matching(coll, { a: { $exists: false } })).to.deep.equal([12]);
      expect((await matching(coll, { a: { $exists: true } })).length).to.equal(16);
      expect(await matching(coll, { 'a.x': { $exists: true } })).to.deep.equal([7]);
      expect(await matching(coll, { 'a.b.c': { $exists: true } })).to.deep.equal([16]);
      expect(await matching(coll, { 'a.b.e': { $exists: true } })).to.deep.equal([]);
    });

    it('$type matches by BSON type name, including each numeric type', async () => {
      expect(await matching(coll, { a: { $type: 'string' } })).to.deep.equal([1, 6]);
      expect(await matching(coll, { a: { $type: 'int' } })).to.deep.equal([2, 6]);
      expect(await matching(coll, { a: { $type: 'double' } })).to.deep.equal([3, 5]);
      expect(await matching(coll, { a: { $type: 'long' } })).to.deep.equal([4]);
      expect(await matching(coll, { a: { $type: 'decimal' } })).to.deep.equal([13]);
      expect(await matching(coll, { a: { $type: 'number' } })).to.deep.equal([2, 3, 4, 5, 6, 13]);
    });

    it('$type matches the other BSON types, arrays, type numbers and lists of types', async () => {
      expect(await matching(coll, { a: { $type: 'array' } })).to.deep.equal([6]);
      expect(await matching(coll, { a: { $type: 'object' } })).to.deep.equal([7, 16]);
      expect(await matching(coll, { a: { $type: 'null' } })).to.deep.equal([8]);
      expect(await matching(coll, { a: { $type: 'objectId' } })).to.deep.equal([9]);
      expect(await matching(coll, { a: { $type: 'bool' } })).to.deep.equal([10]);
      expect(await matching(coll, { a: { $type: 'date' } })).to.deep.equal([11]);
      expect(await matching(coll, { a: { $type: 'binData' } })).to.deep.equal([14]);
      expect(await matching(coll, { a: { $type: 'regex' } })).to.deep.equal([15]);
      expect(await matching(coll, { a: { $type: 'timestamp' } })).to.deep.equal([17]);
      expect(await matching(coll, { a: { $type: 2 } })).to.deep.equal([1, 6]);
      expect(await matching(coll, { a: { $type: ['bool', 'date'] } })).to.deep.equal([10, 11]);
    });

    it('keeps a Timestamp a Timestamp', async () => {
      const doc = await coll.findOne({ _id: 17 });
      expect(doc!.a).to.be.instanceOf(Timestamp);
      expect((doc!.a as Timestamp).t).to.equal(100);
      expect((doc!.a as Timestamp).i).to.equal(1);
    });

    it('refuses an unknown $type alias or type number (BadValue 2)', async () => {
      await expectServerError(coll.find({ a: { $type: 'text' } }).toArray(), 2);
      await expectServerError(coll.find({ a: { $type: 999 } }).toArray(), 2);
    });
  });

  describe('$regex', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('regex', [
        { _id: 1, s: 'Apple' },
        { _id: 2, s: 'apple pie' },
        { _id: 3, s: 'banana' },
        { _id: 4, s: ['grape', 'pineapple'] },
        { _id: 5, s: 42 },
        { _id: 6, s: 'line1\nApple' },
      ]);
    });

    it('matches strings and array elements, with $options i, m, s and x', async () => {
      expect(await matching(coll, { s: { $regex: '^apple' } })).to.deep.equal([2]);
      expect(await matching(coll, { s: { $regex: 'apple$' } })).to.deep.equal([4]);
      expect(await matching(coll, { s: { $regex: '^apple', $options: 'i' } })).to.deep.equal([1, 2]);
      expect(await matching(coll, { s: /^apple/i })).to.deep.equal([1, 2]);
      expect(await matching(coll, { s: { $regex: '^apple', $options: 'im' } })).to.deep.equal([1, 2, 6]);
      expect(await matching(coll, { s: { $regex: 'line1.Apple' } })).to.deep.equal([]);
      expect(await matching(coll, { s: { $regex: 'line1.Apple', $options: 's' } })).to.deep.equal([6]);
      expect(await matching(coll, { s: { $regex: 'a p p l e  # spaced out', $options: 'x' } })).to.deep.equal([2, 4]);
    });

    it('quotes literal text between \\Q and \\E, as PCRE does (the Parse SDKs send startsWith this way)', async () => {
      expect(await matching(coll, { s: { $regex: '^\\Qapple p\\E' } })).to.deep.equal([2]);
      expect(await matching(coll, { s: { $regex: '\\Qapple\\E$' } })).to.deep.equal([4]);
      expect(await matching(coll, { s: { $regex: '\\Q.\\E' } })).to.deep.equal([]);
      expect(await matching(coll, { s: { $regex: '^\\QAPPLE\\E', $options: 'i' } })).to.deep.equal([1, 2]);
    });

    it('takes BSON regex options as MongoDB does: s is dotAll, and matching is not stateful', async () => {
      expect(await matching(coll, { s: new BSONRegExp('line1.Apple', 's') })).to.deep.equal([6]);
      expect(await matching(coll, { s: new BSONRegExp('p', 's') })).to.deep.equal([1, 2, 4, 6]);
      expect(await matching(coll, { s: new BSONRegExp('^A p', 'x') })).to.deep.equal([1]);
      expect(await matching(coll, { s: { $regex: new BSONRegExp('^apple', 'i') } })).to.deep.equal([1, 2]);
    });

    it('works inside $in and $not', async () => {
      expect(await matching(coll, { s: { $in: [/^ban/, 'Apple'] } })).to.deep.equal([1, 3]);
      expect(await matching(coll, { s: { $not: /^a/ } })).to.deep.equal([1, 3, 4, 5, 6]);
    });

    it('refuses an invalid pattern (51091) and invalid options (51108)', async () => {
      await expectServerError(coll.find({ s: { $regex: '(' } }).toArray(), 51091);
      await expectServerError(coll.find({ s: { $regex: 'a', $options: 'z' } }).toArray(), 51108);
    });
  });

  describe('array operators', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('arrays', [
        { _id: 1, tags: ['a', 'b', 'c'], scores: [82, 85, 88] },
        { _id: 2, tags: ['a', 'c'], scores: [75, 88, 89] },
        { _id: 3, tags: 'a' },
        { _id: 4, tags: [['a', 'b']] },
        {
          _id: 5,
          results: [
            { product: 'abc', score: 10 },
            { product: 'xyz', score: 5 },
          ],
        },
        {
          _id: 6,
          results: [
            { product: 'abc', score: 8 },
            { product: 'xyz', score: 7 },
          ],
        },
        { _id: 7, results: [{ product: 'xyz', score: 9 }] },
      ]);
    });

    it('$all requires every value, treating a scalar field as a one-element array', async () => {
      expect(await matching(coll, { tags: { $all: ['a', 'c'] } })).to.deep.equal([1, 2]);
      expect(await matching(coll, { tags: { $all: ['a', 'b'] } })).to.deep.equal([1]);
      expect(await matching(coll, { tags: { $all: ['a'] } })).to.deep.equal([1, 2, 3]);
      expect(await matching(coll, { tags: { $all: [['a', 'b']] } })).to.deep.equal([4]);
      expect(await matching(coll, { tags: { $all: [] } })).to.deep.equal([]);
    });

    it('$elemMatch needs one element to satisfy every condition', async () => {
      expect(await matching(coll, { scores: { $elemMatch: { $gte: 80, $lt: 85 } } })).to.deep.equal([1]);
      expect(await matching(coll, { results: { $elemMatch: { product: 'xyz', score: { $gte: 8 } } } })).to.deep.equal([
        7,
      ]);
      // Without $elemMatch, each condition may be met by a different element.
      expect(await matching(coll, { 'results.product': 'xyz', 'results.score': { $gte: 8 } })).to.deep.equal([5, 6, 7]);
    });

    it('$size matches arrays by length', async () => {
      expect(await matching(coll, { scores: { $size: 3 } })).to.deep.equal([1, 2]);
      expect(await matching(coll, { results: { $size: 1 } })).to.deep.equal([7]);
      expect(await matching(coll, { tags: { $size: 1 } })).to.deep.equal([4]);
    });

    it('refuses malformed $all, $elemMatch and $size (BadValue 2)', async () => {
      await expectServerError(coll.find({ tags: { $all: 'a' } }).toArray(), 2);
      await expectServerError(coll.find({ tags: { $elemMatch: 1 } }).toArray(), 2);
      await expectServerError(coll.find({ tags: { $size: 'x' } }).toArray(), 2);
      await expectServerError(coll.find({ tags: { $size: -1 } }).toArray(), 2);
      await expectServerError(coll.find({ tags: { $size: 1.5 } }).toArray(), 2);
    });
  });

  describe('logical operators', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('logical', [
        ...Array.from({ length: 10 }, (_, i) => ({ _id: i + 1, n: i + 1 })),
        { _id: 11 },
      ]);
    });

    it('$and, $or, $nor and $not combine conditions', async () => {
      expect(await matching(coll, { $and: [{ n: { $gt: 2 } }, { n: { $lt: 5 } }] })).to.deep.equal([3, 4]);
      expect(await matching(coll, { $or: [{ n: 1 }, { n: { $gte: 9 } }] })).to.deep.equal([1, 9, 10]);
      expect(await matching(coll, { $nor: [{ n: { $lt: 3 } }, { n: { $gt: 8 } }] })).to.deep.equal([
        3, 4, 5, 6, 7, 8, 11,
      ]);
      expect(await matching(coll, { n: { $not: { $gt: 3 } } })).to.deep.equal([1, 2, 3, 11]);
      expect(
        await matching(coll, { $or: [{ $and: [{ n: { $gte: 2 } }, { n: { $lte: 3 } }] }, { n: 10 }] }),
      ).to.deep.equal([2, 3, 10]);
    });

    it('matches $mod and ignores a top-level $comment', async () => {
      expect(await matching(coll, { n: { $mod: [4, 1] } })).to.deep.equal([1, 5, 9]);
      expect(await matching(coll, { $comment: 'why this query runs', n: { $lte: 2 } })).to.deep.equal([1, 2]);
      await expectServerError(coll.find({ n: { $mod: [4] } }).toArray(), 2);
      await expectServerError(coll.find({ n: { $mod: [0, 1] } }).toArray(), 2);
    });

    it('refuses empty or malformed logical operators (BadValue 2)', async () => {
      await expectServerError(coll.find({ $and: [] }).toArray(), 2);
      await expectServerError(coll.find({ $or: {} as never }).toArray(), 2);
      await expectServerError(coll.find({ $nor: [1] as never }).toArray(), 2);
      await expectServerError(coll.find({ n: { $not: 1 } }).toArray(), 2);
      await expectServerError(coll.find({ n: { $not: {} } }).toArray(), 2);
    });
  });

  describe('paths, arrays and embedded documents', () => {
    it('follows dotted paths into subdocuments and arrays, and numeric array indexes', async () => {
      const coll = await seeded('paths', [
        { _id: 1, a: { b: { c: 1 } } },
        { _id: 2, a: { b: { c: 2 } } },
        { _id: 3, a: [{ b: { c: 1 } }, { b: { c: 3 } }] },
        { _id: 4, a: { b: [{ c: 4 }, { c: 1 }] } },
        { _id: 5, arr: [10, 20, 30] },
      ]);
      expect(await matching(coll, { 'a.b.c': 1 })).to.deep.equal([1, 3, 4]);
      expect(await matching(coll, { 'a.b.c': { $gt: 2 } })).to.deep.equal([3, 4]);
      expect(await matching(coll, { 'a.1.b.c': 3 })).to.deep.equal([3]);
      expect(await matching(coll, { 'arr.1': 20 })).to.deep.equal([5]);
      expect(await matching(coll, { 'arr.1': { $gte: 25 } })).to.deep.equal([]);
      expect(await matching(coll, { 'a.b.c': null })).to.deep.equal([5]);
    });

    it('matches an array field by element or by whole array, in order', async () => {
      const coll = await seeded('contains', [
        { _id: 1, tags: ['red', 'blue'] },
        { _id: 2, tags: ['blue'] },
        { _id: 3, tags: 'blue' },
        { _id: 4, tags: ['red', 'blue', 'green'] },
        { _id: 5, tags: [['red', 'blue']] },
      ]);
      expect(await matching(coll, { tags: 'blue' })).to.deep.equal([1, 2, 3, 4]);
      expect(await matching(coll, { tags: ['red', 'blue'] })).to.deep.equal([1, 5]);
      expect(await matching(coll, { tags: ['blue', 'red'] })).to.deep.equal([]);
      expect(await matching(coll, { tags: { $in: ['green', 'nope'] } })).to.deep.equal([4]);
    });

    it('matches an embedded document exactly, field order included', async () => {
      const coll = await seeded('embedded', [
        { _id: 1, size: { h: 14, w: 21, uom: 'cm' } },
        { _id: 2, size: { w: 21, h: 14, uom: 'cm' } },
        { _id: 3, size: { h: 14, w: 21 } },
        {
          _id: 4,
          sizes: [
            { h: 14, w: 21 },
            { h: 1, w: 2 },
          ],
        },
      ]);
      expect(await matching(coll, { size: { h: 14, w: 21, uom: 'cm' } })).to.deep.equal([1]);
      expect(await matching(coll, { size: { h: 14, w: 21 } })).to.deep.equal([3]);
      expect(await matching(coll, { size: { $eq: { w: 21, h: 14, uom: 'cm' } } })).to.deep.equal([2]);
      expect(await matching(coll, { sizes: { h: 14, w: 21 } })).to.deep.equal([4]);
      expect(await matching(coll, { sizes: { w: 21, h: 14 } })).to.deep.equal([]);
      expect(await matching(coll, { size: { $in: [{ h: 14, w: 21 }] } })).to.deep.equal([3]);
      expect(await matching(coll, { size: { $ne: { h: 14, w: 21 } } })).to.deep.equal([1, 2, 4]);
      expect(await matching(coll, { 'size.h': 14, 'size.uom': 'cm' })).to.deep.equal([1, 2]);
    });
  });

  describe('sort, skip and limit', () => {
    it('sorts by several keys', async () => {
      const coll = await seeded('multisort', [
        { _id: 1, g: 'b', n: 1 },
        { _id: 2, g: 'a', n: 2 },
        { _id: 3, g: 'b', n: 3 },
        { _id: 4, g: 'a', n: 4 },
        { _id: 5, g: 'c', n: 0 },
      ]);
      expect(idsOf(await coll.find().sort({ g: 1, n: -1 }).toArray())).to.deep.equal([4, 2, 3, 1, 5]);
      expect(idsOf(await coll.find().sort({ g: -1, n: 1 }).toArray())).to.deep.equal([5, 1, 3, 2, 4]);
    });

    it('orders mixed types in BSON order, numbers by value', async () => {
      const coll = await seeded('mixedsort', [
        { _id: 1, v: null },
        { _id: 2 },
        { _id: 3, v: new Int32(10) },
        { _id: 4, v: 2.5 },
        { _id: 5, v: Long.fromNumber(3) },
        { _id: 6, v: 'apple' },
        { _id: 7, v: 'Banana' },
        { _id: 8, v: { x: 1 } },
        { _id: 9, v: new ObjectId() },
        { _id: 10, v: true },
        { _id: 11, v: false },
        { _id: 12, v: new Date(0) },
        { _id: 13, v: /re/ },
        { _id: 14, v: new Binary(Buffer.from([9])) },
        { _id: 15, v: new Binary(Buffer.from([1, 2])) },
      ]);
      const ascending = [1, 2, 4, 5, 3, 7, 6, 8, 14, 15, 9, 11, 10, 12, 13];
      expect(idsOf(await coll.find().sort({ v: 1, _id: 1 }).toArray())).to.deep.equal(ascending);
      expect(idsOf(await coll.find().sort({ v: -1, _id: 1 }).toArray())).to.deep.equal([
        ...ascending.slice(2).reverse(),
        1,
        2,
      ]);
    });

    it('sorts arrays by their smallest element ascending and largest descending; [] before null', async () => {
      const coll = await seeded('arraysort', [
        { _id: 1, v: [3, 10] },
        { _id: 2, v: [5] },
        { _id: 3, v: 4 },
        { _id: 4, v: [1, 20] },
        { _id: 5, v: [] },
        { _id: 6, v: null },
      ]);
      expect(idsOf(await coll.find().sort({ v: 1 }).toArray())).to.deep.equal([5, 6, 4, 1, 3, 2]);
      expect(idsOf(await coll.find().sort({ v: -1 }).toArray())).to.deep.equal([4, 1, 2, 3, 6, 5]);
    });

    it('sorts on a dotted path', async () => {
      const coll = await seeded('dottedsort', [
        { _id: 1, a: { b: 3 } },
        { _id: 2, a: { b: 1 } },
        { _id: 3, a: { b: 2 } },
      ]);
      expect(idsOf(await coll.find().sort({ 'a.b': 1 }).toArray())).to.deep.equal([2, 3, 1]);
    });

    it('applies skip then limit after sorting; limit 0 means none', async () => {
      const coll = await seeded(
        'paging',
        Array.from({ length: 10 }, (_, i) => ({ _id: i + 1, n: 10 - i })),
      );
      expect(idsOf(await coll.find().sort({ n: 1 }).skip(2).limit(3).toArray())).to.deep.equal([8, 7, 6]);
      expect(idsOf(await coll.find().sort({ n: 1 }).skip(8).limit(5).toArray())).to.deep.equal([2, 1]);
      expect(await coll.find().skip(20).toArray()).to.deep.equal([]);
      expect(await coll.find().limit(0).toArray()).to.have.length(10);
      expect(idsOf(await coll.find().sort({ _id: -1 }).limit(-2).toArray())).to.deep.equal([10, 9]);
    });
  });

  describe('projection', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('projection', [
        {
          _id: 1,
          a: 1,
          b: { c: 2, d: 3 },
          items: [
            { x: 1, y: 2 },
            { x: 3, y: 4 },
          ],
          arr: [1, 2, 3, 4, 5],
        },
      ]);
    });

    async function project(projection: TestDoc, filter: Filter<TestDoc> = {}): Promise<TestDoc | null> {
      return coll.findOne(filter, { projection });
    }

    it('includes fields, with _id unless excluded', async () => {
      expect(await project({ a: 1 })).to.deep.equal({ _id: 1, a: 1 });
      expect(await project({ a: 1, _id: 0 })).to.deep.equal({ a: 1 });
      expect(await project({ 'b.c': 1 })).to.deep.equal({ _id: 1, b: { c: 2 } });
      expect(await project({ 'items.x': 1, _id: 0 })).to.deep.equal({ items: [{ x: 1 }, { x: 3 }] });
      expect(await project({ _id: 0 })).to.deep.equal({
        a: 1,
        b: { c: 2, d: 3 },
        items: [
          { x: 1, y: 2 },
          { x: 3, y: 4 },
        ],
        arr: [1, 2, 3, 4, 5],
      });
    });

    it('returns fields in the order of the document, not of the projection', async () => {
      expect(Object.keys((await project({ arr: 1, a: 1 }))!)).to.deep.equal(['_id', 'a', 'arr']);
      expect(Object.keys((await project({ 'b.d': 1, 'b.c': 1, _id: 0 }))!.b)).to.deep.equal(['c', 'd']);
    });

    it('excludes fields, nested ones too, leaving the stored document whole', async () => {
      expect(await project({ a: 0, items: 0, arr: 0 })).to.deep.equal({ _id: 1, b: { c: 2, d: 3 } });
      expect(await project({ 'b.c': 0, items: 0, arr: 0 })).to.deep.equal({ _id: 1, a: 1, b: { d: 3 } });
      expect(await project({ 'items.y': 0, b: 0, arr: 0 })).to.deep.equal({
        _id: 1,
        a: 1,
        items: [{ x: 1 }, { x: 3 }],
      });
      expect(await coll.findOne({ _id: 1 })).to.deep.equal({
        _id: 1,
        a: 1,
        b: { c: 2, d: 3 },
        items: [
          { x: 1, y: 2 },
          { x: 3, y: 4 },
        ],
        arr: [1, 2, 3, 4, 5],
      });
    });

    it('supports $slice, $elemMatch and the positional $ projection', async () => {
      expect(await project({ a: 1, arr: { $slice: -2 } })).to.deep.equal({ _id: 1, a: 1, arr: [4, 5] });
      expect(await project({ arr: { $slice: [1, 2] }, items: 0 })).to.deep.equal({
        _id: 1,
        a: 1,
        b: { c: 2, d: 3 },
        arr: [2, 3],
      });
      expect(await project({ arr: { $slice: 2 } })).to.deep.equal({
        _id: 1,
        a: 1,
        b: { c: 2, d: 3 },
        items: [
          { x: 1, y: 2 },
          { x: 3, y: 4 },
        ],
        arr: [1, 2],
      });
      expect(await project({ items: { $elemMatch: { x: 3 } } })).to.deep.equal({ _id: 1, items: [{ x: 3, y: 4 }] });
      expect(await project({ 'items.$': 1 }, { 'items.x': 3 })).to.deep.equal({ _id: 1, items: [{ x: 3, y: 4 }] });
    });

    it('refuses to mix inclusion and exclusion (31254, 31253)', async () => {
      await expectServerError(project({ a: 1, b: 0 }), 31254);
      await expectServerError(project({ a: 0, b: 1 }), 31253);
    });
  });

  describe('cursors and batches', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = db.collection<TestDoc>('batches');
      await coll.insertMany(Array.from({ length: 1000 }, (_, i) => ({ _id: i, n: i % 7 })));
    });

    it('delivers 1,000 documents in batches of 100 through getMore, each exactly once', async () => {
      const watcher = await MongoClient.connect(uri, { monitorCommands: true });
      try {
        const started: CommandStartedEvent[] = [];
        const succeeded: CommandSucceededEvent[] = [];
        watcher.on('commandStarted', (e) => started.push(e));
        watcher.on('commandSucceeded', (e) => succeeded.push(e));
        const docs = await watcher
          .db(db.databaseName)
          .collection<TestDoc>('batches')
          .find({}, { batchSize: 100 })
          .sort({ n: 1, _id: 1 })
          .toArray();
        expect(docs).to.have.length(1000);
        expect(new Set(idsOf(docs)).size).to.equal(1000);
        const getMores = started.filter((e) => e.commandName === 'getMore');
        expect(getMores.length).to.be.within(9, 10);
        expect(getMores.every((e) => e.command.batchSize === 100)).to.equal(true);
        const findReply = succeeded.find((e) => e.commandName === 'find')!.reply as {
          cursor: { firstBatch: unknown[] };
        };
        expect(findReply.cursor.firstBatch).to.have.length(100);
        const sorted = docs.map((d) => d.n as number);
        expect(sorted).to.deep.equal([...sorted].sort((a, b) => a - b));
      } finally {
        await watcher.close();
      }
    });

    it('kills the server cursor on close(); getMore on it then fails with CursorNotFound (43)', async () => {
      const session = db.client.startSession();
      try {
        const cursor = coll.find({}, { batchSize: 10, session });
        expect(await cursor.next()).to.not.equal(null);
        const id = cursor.id!;
        expect(id.isZero()).to.equal(false);
        const more = await db.command({ getMore: id, collection: 'batches', batchSize: 10 }, { session });
        expect(more.cursor.nextBatch).to.have.length(10);
        await cursor.close();
        await expectServerError(db.command({ getMore: id, collection: 'batches', batchSize: 10 }, { session }), 43);
      } finally {
        await session.endSession();
      }
    });

    it('streams with for await', async () => {
      let seen = 0;
      for await (const doc of coll.find({ n: 3 }, { batchSize: 7 })) {
        expect(doc.n).to.equal(3);
        seen++;
      }
      expect(seen).to.equal(143);
    });
  });

  describe('collation', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('collation', [
        { _id: 1, name: 'cafe' },
        { _id: 2, name: 'Café' },
        { _id: 3, name: 'CAFE' },
        { _id: 4, name: 'café' },
        { _id: 5, name: 'bar' },
        { _id: 6, name: 'Bar' },
        { _id: 7, name: 'apple' },
      ]);
    });

    it('strength 1 ignores case and diacritics when matching', async () => {
      const docs = await coll
        .find({ name: 'cafe' }, { collation: { locale: 'en', strength: 1 } })
        .sort({ _id: 1 })
        .toArray();
      expect(idsOf(docs)).to.deep.equal([1, 2, 3, 4]);
    });

    it('strength 2 ignores case but not diacritics when matching', async () => {
      const docs = await coll
        .find({ name: 'CAFE' }, { collation: { locale: 'en', strength: 2 } })
        .sort({ _id: 1 })
        .toArray();
      expect(idsOf(docs)).to.deep.equal([1, 3]);
      const accented = await coll
        .find({ name: { $in: ['CAFÉ', 'BAR'] } }, { collation: { locale: 'en', strength: 2 } })
        .sort({ _id: 1 })
        .toArray();
      expect(idsOf(accented)).to.deep.equal([2, 4, 5, 6]);
    });

    it('without a collation, matching is exact', async () => {
      expect(await matching(coll, { name: 'cafe' })).to.deep.equal([1]);
    });

    it('sorts case-insensitively under strength 2 and accent-insensitively under strength 1', async () => {
      const byStrength2 = await coll
        .find({}, { collation: { locale: 'en', strength: 2 } })
        .sort({ name: 1, _id: 1 })
        .toArray();
      expect(idsOf(byStrength2)).to.deep.equal([7, 5, 6, 1, 3, 2, 4]);
      const byStrength1 = await coll
        .find({}, { collation: { locale: 'en', strength: 1 } })
        .sort({ name: 1, _id: 1 })
        .toArray();
      expect(idsOf(byStrength1)).to.deep.equal([7, 5, 6, 1, 2, 3, 4]);
      const binary = await coll.find({}).sort({ name: 1, _id: 1 }).toArray();
      expect(idsOf(binary)).to.deep.equal([6, 3, 2, 7, 5, 1, 4]);
    });

    it('applies to countDocuments and distinct', async () => {
      expect(await coll.countDocuments({ name: 'bar' }, { collation: { locale: 'en', strength: 2 } })).to.equal(2);
      const names = await coll.distinct('name', {}, { collation: { locale: 'en', strength: 1 } });
      expect(names).to.have.length(3);
    });
  });

  describe('counting and distinct', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('counting', [
        { _id: 1, g: 'a', tags: ['x', 'y'], sub: { k: 1 } },
        { _id: 2, g: 'b', tags: ['y', 'z'], sub: { k: 2 } },
        { _id: 3, g: 'a', tags: 'x', sub: { k: 1 } },
        { _id: 4, g: 'c', sub: [{ k: 3 }, { k: 1 }] },
        { _id: 5, g: 1 },
      ]);
    });

    it('counts with countDocuments (filter, skip, limit) and estimatedDocumentCount', async () => {
      expect(await coll.countDocuments()).to.equal(5);
      expect(await coll.countDocuments({ g: 'a' })).to.equal(2);
      expect(await coll.countDocuments({}, { skip: 1, limit: 2 })).to.equal(2);
      expect(await coll.countDocuments({}, { skip: 4 })).to.equal(1);
      expect(await coll.estimatedDocumentCount()).to.equal(5);
      expect(await db.collection('nothing-here').countDocuments()).to.equal(0);
      expect(await db.collection('nothing-here').estimatedDocumentCount()).to.equal(0);
    });

    it('answers the count command', async () => {
      const reply = await db.command({ count: 'counting', query: { g: 'a' } });
      expect(reply.n).to.equal(2);
    });

    it('lists distinct values, flattening arrays and following dotted paths', async () => {
      expect([...(await coll.distinct('g'))].sort()).to.deep.equal([1, 'a', 'b', 'c'].sort());
      expect([...(await coll.distinct('tags'))].sort()).to.deep.equal(['x', 'y', 'z']);
      expect([...(await coll.distinct('sub.k'))].sort()).to.deep.equal([1, 2, 3]);
      expect([...(await coll.distinct('tags', { g: 'a' }))].sort()).to.deep.equal(['x', 'y']);
      expect(await db.collection('nothing-here').distinct('a')).to.deep.equal([]);
    });
  });

  describe('unsupported and unknown operators', () => {
    let coll: Collection<TestDoc>;
    before(async () => {
      coll = await seeded('unknown', [
        { _id: 1, a: 1 },
        { _id: 2, a: 2 },
      ]);
    });

    it('refuses an unknown field operator or top-level operator (BadValue 2) in every command', async () => {
      await expectServerError(coll.find({ a: { $foo: 1 } } as Filter<TestDoc>).toArray(), 2);
      await expectServerError(coll.find({ $foo: 1 } as Filter<TestDoc>).toArray(), 2);
      await expectServerError(coll.countDocuments({ a: { $foo: 1 } } as Filter<TestDoc>), 2);
      await expectServerError(coll.distinct('a', { a: { $foo: 1 } } as Filter<TestDoc>), 2);
      await expectServerError(coll.updateMany({ a: { $foo: 1 } } as Filter<TestDoc>, { $set: { b: 1 } }), 2);
      await expectServerError(coll.deleteMany({ a: { $foo: 1 } } as Filter<TestDoc>), 2);
      expect(await coll.countDocuments()).to.equal(2);
    });

    it('refuses a mix of operators and fields in one condition (BadValue 2)', async () => {
      await expectServerError(coll.find({ a: { $gt: 0, b: 1 } } as Filter<TestDoc>).toArray(), 2);
    });

    it('answers $where with an error or with the right documents, never with wrong ones', async () => {
      const outcome = await coll
        .find({ $where: 'this.a > 1' })
        .toArray()
        .then(
          (docs) => idsOf(docs),
          (err: unknown) => err,
        );
      if (outcome instanceof Error) {
        expect(outcome).to.be.instanceOf(MongoServerError);
        expect((outcome as MongoServerError).code).to.be.a('number');
      } else {
        expect(outcome).to.deep.equal([2]);
      }
    });

    it('evaluates $expr, and refuses an unknown expression operator (168)', async () => {
      expect(await matching(coll, { $expr: { $gt: ['$a', 1] } })).to.deep.equal([2]);
      await expectServerError(coll.find({ $expr: { $frobnicate: ['$a', 1] } }).toArray(), 168);
    });

    it('refuses a negative skip or batchSize (51024)', async () => {
      await expectServerError(db.command({ find: 'unknown', skip: -1 }), 51024);
      await expectServerError(db.command({ find: 'unknown', batchSize: -1 }), 51024);
    });

    it('refuses killCursors with something other than cursor ids (TypeMismatch 14)', async () => {
      await expectServerError(db.command({ killCursors: 'unknown', cursors: ['not-an-id'] }), 14);
    });

    it('refuses a sort direction other than 1, -1 or $meta (15975)', async () => {
      await expectServerError(db.command({ find: 'unknown', sort: { a: 2 } }), 15975);
    });
  });
});
