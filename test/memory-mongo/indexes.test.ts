import { expect } from 'chai';
import {
  Decimal128,
  Double,
  Long,
  MongoBulkWriteError,
  type Collection,
  type Db,
  type Filter,
  type IndexDescriptionInfo,
} from 'mongodb';
import { connectFreshDatabase, expectServerError, idsOf, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: indexes', () => {
  let db: Db;
  let close: () => Promise<void>;
  let counter = 0;

  before(async () => {
    ({ db, close } = await connectFreshDatabase());
  });
  after(() => close());

  /** A fresh collection holding `docs`. */
  async function seeded(docs: TestDoc[] = []): Promise<Collection<TestDoc>> {
    const coll = db.collection<TestDoc>(`indexes_${counter++}`);
    if (docs.length > 0) await coll.insertMany(docs);
    return coll;
  }

  async function indexNamed(coll: Collection<TestDoc>, name: string): Promise<IndexDescriptionInfo | undefined> {
    return (await coll.listIndexes().toArray()).find((i) => i.name === name);
  }

  describe('managing indexes', () => {
    it('creates, lists and drops indexes by name, by key and all at once', async () => {
      const coll = await seeded([{ a: 1, b: 2 }]);
      expect(await coll.createIndex({ a: 1 })).to.equal('a_1');
      expect(await coll.createIndex({ a: 1, b: -1 })).to.equal('a_1_b_-1');
      expect(await coll.createIndex({ b: 1 }, { name: 'by_b' })).to.equal('by_b');
      const listed = await coll.listIndexes().toArray();
      expect(listed.map((i) => i.name)).to.deep.equal(['_id_', 'a_1', 'a_1_b_-1', 'by_b']);
      expect(listed[2]!.key).to.deep.equal({ a: 1, b: -1 });
      expect(Object.keys(await coll.indexInformation())).to.have.members(['_id_', 'a_1', 'a_1_b_-1', 'by_b']);
      await coll.dropIndex('a_1');
      await coll.dropIndex({ a: 1, b: -1 } as never);
      expect((await coll.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_', 'by_b']);
      await coll.createIndex({ c: 1 });
      await coll.dropIndexes();
      expect((await coll.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_']);
    });

    it('accepts an identical index again, and reports index counts', async () => {
      const coll = await seeded([{ a: 1 }]);
      await coll.createIndex({ a: 1 });
      const reply = await db.command({ createIndexes: coll.collectionName, indexes: [{ key: { a: 1 }, name: 'a_1' }] });
      expect(reply.numIndexesBefore).to.equal(2);
      expect(reply.numIndexesAfter).to.equal(2);
      const created = await db.command({
        createIndexes: 'brand_new_collection',
        indexes: [{ key: { z: 1 }, name: 'z_1' }],
      });
      expect(created.createdCollectionAutomatically).to.equal(true);
      expect(created.numIndexesAfter).to.equal(2);
    });

    it('refuses the same key under another name (85) and the same name on another key (86)', async () => {
      const coll = await seeded([{ a: 1 }]);
      await coll.createIndex({ a: 1 });
      await expectServerError(coll.createIndex({ a: 1 }, { name: 'other' }), 85);
      await expectServerError(coll.createIndex({ b: 1 }, { name: 'a_1' }), 86);
    });

    it('refuses to drop a missing index (27) or the _id index (72), and to list a missing collection (26)', async () => {
      const coll = await seeded([{ a: 1 }]);
      await expectServerError(coll.dropIndex('nope_1'), 27);
      await expectServerError(coll.dropIndex('_id_'), 72);
      await expectServerError(db.command({ listIndexes: 'no_such_collection' }), 26);
    });

    it('refuses an unknown index type (67)', async () => {
      const coll = await seeded([{ a: 1 }]);
      await expectServerError(coll.createIndex({ a: 'fancy' } as never), 67);
    });

    it('accepts TTL, hashed, 2d and 2dsphere indexes, listing their options', async () => {
      const coll = await seeded([{ at: new Date(), h: 'x', p: [1, 2] }]);
      await coll.createIndex({ at: 1 }, { expireAfterSeconds: 3600 });
      await coll.createIndex({ h: 'hashed' });
      await coll.createIndex({ p: '2d' });
      await coll.createIndex({ g: '2dsphere' });
      expect((await indexNamed(coll, 'at_1'))!.expireAfterSeconds).to.equal(3600);
      expect((await indexNamed(coll, 'h_hashed'))!.key).to.deep.equal({ h: 'hashed' });
      expect(await indexNamed(coll, 'p_2d')).to.not.equal(undefined);
      expect(await indexNamed(coll, 'g_2dsphere')).to.not.equal(undefined);
    });

    it('keeps indexes with a renamed collection', async () => {
      const coll = await seeded([{ a: 1 }]);
      await coll.createIndex({ a: 1 }, { unique: true });
      const renamed = await coll.rename(`renamed_${counter++}`);
      expect((await renamed.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_', 'a_1']);
      await expectServerError(renamed.insertOne({ a: 1 }), 11000);
    });
  });

  describe('unique indexes', () => {
    it('refuses a duplicate insert with 11000, keyPattern and keyValue', async () => {
      const coll = await seeded([{ _id: 1, email: 'a@x' }]);
      await coll.createIndex({ email: 1 }, { unique: true });
      const err = await expectServerError(coll.insertOne({ _id: 2, email: 'a@x' }), 11000);
      expect(err.keyPattern).to.deep.equal({ email: 1 });
      expect(err.keyValue).to.deep.equal({ email: 'a@x' });
      expect(await coll.countDocuments()).to.equal(1);
    });

    it('stops an ordered insertMany at the duplicate, and skips only it when unordered', async () => {
      const coll = await seeded([{ email: 'dup' }]);
      await coll.createIndex({ email: 1 }, { unique: true });
      const ordered = await coll
        .insertMany([{ email: 'a' }, { email: 'dup' }, { email: 'b' }])
        .catch((e: unknown) => e);
      expect(ordered).to.be.instanceOf(MongoBulkWriteError);
      expect((ordered as MongoBulkWriteError).code).to.equal(11000);
      expect((ordered as MongoBulkWriteError).insertedCount).to.equal(1);
      expect((ordered as MongoBulkWriteError).writeErrors).to.satisfy((errors: unknown) => {
        const list = Array.isArray(errors) ? errors : [errors];
        return list.length === 1 && list[0].index === 1;
      });
      const unordered = await coll
        .insertMany([{ email: 'c' }, { email: 'dup' }, { email: 'd' }], { ordered: false })
        .catch((e: unknown) => e);
      expect((unordered as MongoBulkWriteError).insertedCount).to.equal(2);
      expect(
        (
          await coll
            .find({}, { projection: { _id: 0 } })
            .sort({ email: 1 })
            .toArray()
        ).map((d) => d.email),
      ).to.deep.equal(['a', 'c', 'd', 'dup']);
    });

    it('refuses a duplicate made by an update, a replacement, an upsert or findOneAndUpdate', async () => {
      const coll = await seeded([
        { _id: 1, email: 'a' },
        { _id: 2, email: 'b' },
      ]);
      await coll.createIndex({ email: 1 }, { unique: true });
      const byUpdate = await expectServerError(coll.updateOne({ _id: 2 }, { $set: { email: 'a' } }), 11000);
      expect(byUpdate.keyValue).to.deep.equal({ email: 'a' });
      await expectServerError(coll.replaceOne({ _id: 2 }, { email: 'a' }), 11000);
      await expectServerError(coll.updateOne({ _id: 3 }, { $set: { email: 'a' } }, { upsert: true }), 11000);
      const byFindAndModify = await expectServerError(
        coll.findOneAndUpdate({ _id: 2 }, { $set: { email: 'a' } }),
        11000,
      );
      expect(byFindAndModify.keyPattern).to.deep.equal({ email: 1 });
      expect(byFindAndModify.keyValue).to.deep.equal({ email: 'a' });
      expect(await coll.find().sort({ _id: 1 }).toArray()).to.deep.equal([
        { _id: 1, email: 'a' },
        { _id: 2, email: 'b' },
      ]);
    });

    it('frees a value when its document is deleted or changed, and after the index is dropped', async () => {
      const coll = await seeded([{ _id: 1, email: 'a' }]);
      await coll.createIndex({ email: 1 }, { unique: true });
      await coll.updateOne({ _id: 1 }, { $set: { email: 'b' } });
      await coll.insertOne({ _id: 2, email: 'a' });
      await coll.deleteOne({ _id: 2 });
      await coll.insertOne({ _id: 3, email: 'a' });
      await expectServerError(coll.insertOne({ _id: 4, email: 'b' }), 11000);
      await coll.dropIndex('email_1');
      await coll.insertOne({ _id: 4, email: 'b' });
      expect(await coll.countDocuments({ email: 'b' })).to.equal(2);
    });

    it('treats a missing field as null: one document without it is allowed, a second is not', async () => {
      const coll = await seeded([{ _id: 1 }]);
      await coll.createIndex({ email: 1 }, { unique: true });
      const err = await expectServerError(coll.insertOne({ _id: 2 }), 11000);
      expect(err.keyValue).to.deep.equal({ email: null });
      await expectServerError(coll.insertOne({ _id: 3, email: null }), 11000);
    });

    it('indexes each array element, so documents may not share one', async () => {
      const coll = await seeded([{ _id: 1, tags: ['x', 'x', 'y'] }]);
      await coll.createIndex({ tags: 1 }, { unique: true });
      await coll.insertOne({ _id: 2, tags: ['z'] });
      await expectServerError(coll.insertOne({ _id: 3, tags: ['w', 'y'] }), 11000);
    });

    it('lets a sparse unique index skip documents without the field', async () => {
      const coll = await seeded([{ _id: 1 }, { _id: 2 }, { _id: 3, email: 'a' }]);
      await coll.createIndex({ email: 1 }, { unique: true, sparse: true });
      await coll.insertMany([{ _id: 4 }, { _id: 5 }]);
      await expectServerError(coll.insertOne({ _id: 6, email: 'a' }), 11000);
      expect((await indexNamed(coll, 'email_1'))!.sparse).to.equal(true);
    });

    it('enforces a partial unique index only on the documents it covers', async () => {
      const coll = await seeded([
        { _id: 1, email: 'a', active: false },
        { _id: 2, email: 'a', active: false },
      ]);
      await coll.createIndex({ email: 1 }, { unique: true, partialFilterExpression: { active: true } });
      await coll.insertOne({ _id: 3, email: 'a', active: true });
      await expectServerError(coll.insertOne({ _id: 4, email: 'a', active: true }), 11000);
      await expectServerError(coll.updateOne({ _id: 1 }, { $set: { active: true } }), 11000);
      await coll.insertOne({ _id: 5, email: 'a' });
      expect((await indexNamed(coll, 'email_1'))!.partialFilterExpression).to.deep.equal({ active: true });
    });

    it('refuses case variants under a collation of strength 2', async () => {
      const coll = await seeded([{ name: 'Bob' }]);
      await coll.createIndex({ name: 1 }, { unique: true, collation: { locale: 'en', strength: 2 } });
      await expectServerError(coll.insertOne({ name: 'bob' }), 11000);
      await expectServerError(coll.insertOne({ name: 'BOB' }), 11000);
      await coll.insertOne({ name: 'Böb' });
      expect((await indexNamed(coll, 'name_1'))!.collation).to.deep.include({ locale: 'en', strength: 2 });
    });

    it('enforces a compound unique index on the combination of values', async () => {
      const coll = await seeded([{ a: 1, b: 1 }]);
      await coll.createIndex({ a: 1, b: 1 }, { unique: true });
      await coll.insertMany([
        { a: 1, b: 2 },
        { a: 2, b: 1 },
      ]);
      const err = await expectServerError(coll.insertOne({ a: 1, b: 1 }), 11000);
      expect(err.keyPattern).to.deep.equal({ a: 1, b: 1 });
      expect(err.keyValue).to.deep.equal({ a: 1, b: 1 });
    });

    it('refuses to create a unique index over existing duplicates, creating nothing', async () => {
      const coll = await seeded([{ a: 1 }, { a: 1 }]);
      await expectServerError(coll.createIndex({ a: 1 }, { unique: true }), 11000);
      expect((await coll.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_']);
    });

    it('lets updateMany stop at the first duplicate it would create', async () => {
      const coll = await seeded([
        { _id: 1, email: 'a' },
        { _id: 2, email: 'b' },
      ]);
      await coll.createIndex({ email: 1 }, { unique: true });
      await expectServerError(coll.updateMany({}, { $set: { email: 'same' } }), 11000);
      expect(await coll.countDocuments({ email: 'same' })).to.equal(1);
    });
  });

  describe('lookups through indexes', () => {
    const docs: TestDoc[] = [
      { _id: 1, v: 1, tags: ['a', 'b'], sub: { k: 1 }, s: 'Abc' },
      { _id: 2, v: new Double(1) },
      { _id: 3, v: Long.fromNumber(1) },
      { _id: 4, v: '1' },
      { _id: 5, v: null },
      { _id: 6, tags: 'a' },
      { _id: 7, v: [1, 2] },
      { _id: 8, v: [[1, 2]] },
      { _id: 9, v: { x: 1 } },
      { _id: 10, v: { x: 1, y: 2 } },
      { _id: 11, v: { y: 2, x: 1 } },
      { _id: 12, v: new Date(0) },
      { _id: 13, v: true },
      { _id: 14, v: 2, sub: [{ k: 1 }, { k: 2 }], s: 'ABC' },
      { _id: 15, v: 'abc', s: 'abc' },
      { _id: 16, v: Decimal128.fromString('1') },
      { _id: 17, v: 1, s: 'Abc' },
    ];
    let plain: Collection<TestDoc>;
    let indexed: Collection<TestDoc>;

    before(async () => {
      plain = await seeded(docs);
      indexed = await seeded(docs);
      await indexed.createIndex({ v: 1 });
      await indexed.createIndex({ 'sub.k': 1 });
      await indexed.createIndex({ tags: 1 });
      await indexed.createIndex({ v: 1, s: 1 });
      await indexed.createIndex({ s: 1 }, { collation: { locale: 'en', strength: 2 } });
    });

    const cases: [string, Filter<TestDoc>, unknown[]][] = [
      ['a number, whatever its BSON type', { v: 1 }, [1, 2, 3, 7, 16, 17]],
      ['a double', { v: new Double(1) }, [1, 2, 3, 7, 16, 17]],
      ['a long', { v: Long.fromNumber(1) }, [1, 2, 3, 7, 16, 17]],
      ['a decimal', { v: Decimal128.fromString('1.0') }, [1, 2, 3, 7, 16, 17]],
      ['a string', { v: '1' }, [4]],
      ['null, matching missing fields', { v: null }, [5, 6]],
      ['a whole array', { v: [1, 2] }, [7, 8]],
      ['a document, field order included', { v: { x: 1, y: 2 } }, [10]],
      ['$in', { v: { $in: [2, 'abc', null] } }, [5, 6, 7, 14, 15]],
      ['$eq', { v: { $eq: true } }, [13]],
      ['a date', { v: new Date(0) }, [12]],
      ['a dotted path into an array of documents', { 'sub.k': 1 }, [1, 14]],
      ['an array element', { tags: 'a' }, [1, 6]],
      ['two fields', { v: 1, 'sub.k': 1 }, [1]],
      ['an $and of equalities', { $and: [{ v: 2 }, { 'sub.k': 2 }] }, [14]],
      ['a compound prefix and more', { v: 1, s: 'Abc' }, [1, 17]],
      ['an empty $in', { v: { $in: [] } }, []],
      ['_id across numeric types', { _id: { $in: [new Double(1), Long.fromNumber(2)] } }, [1, 2]],
    ];

    for (const [what, filter, expected] of cases) {
      it(`finds the same documents by ${what} with and without an index`, async () => {
        const scanned = idsOf(await plain.find(filter).sort({ _id: 1 }).toArray());
        const viaIndex = idsOf(await indexed.find(filter).sort({ _id: 1 }).toArray());
        expect(scanned).to.deep.equal(expected);
        expect(viaIndex).to.deep.equal(expected);
      });
    }

    it('finds the same documents under a collation with and without an index', async () => {
      const options = { collation: { locale: 'en', strength: 2 } };
      const scanned = idsOf(await plain.find({ s: 'abc' }, options).sort({ _id: 1 }).toArray());
      const viaIndex = idsOf(await indexed.find({ s: 'abc' }, options).sort({ _id: 1 }).toArray());
      expect(scanned).to.deep.equal([1, 14, 15, 17]);
      expect(viaIndex).to.deep.equal([1, 14, 15, 17]);
      expect(idsOf(await indexed.find({ s: 'abc' }).sort({ _id: 1 }).toArray())).to.deep.equal([15]);
    });
  });

  describe('sorted reads through an index', () => {
    /** The same find with and without an index on `n`: the answers must be identical. */
    async function bothWays(
      docs: TestDoc[],
      filter: Filter<TestDoc>,
      sort: Record<string, 1 | -1>,
      limit: number,
      skip = 0,
    ): Promise<unknown[][]> {
      const plain = await seeded(docs.map((d) => ({ ...d })));
      const indexed = await seeded(docs.map((d) => ({ ...d })));
      await indexed.createIndex({ n: 1 });
      const read = (coll: Collection<TestDoc>) => coll.find(filter, { sort, limit, skip }).toArray().then(idsOf);
      return [await read(plain), await read(indexed)];
    }

    const numbers: TestDoc[] = Array.from({ length: 200 }, (_, i) => ({
      _id: `d${i}`,
      n: (i * 37) % 100,
      odd: i % 2 === 1,
    }));

    it('answers ranges, descending orders, skips and extra conditions as a full scan does', async () => {
      for (const [filter, sort, limit, skip] of [
        [{ n: { $lt: 50 } }, { n: -1 }, 20, 0],
        [{ n: { $gte: 10, $lt: 30 } }, { n: 1 }, 15, 5],
        [{ n: { $gt: 90 }, odd: true }, { n: -1 }, 5, 0],
        [{ $and: [{ n: { $lte: 40 } }, { n: { $gt: 20 } }] }, { n: 1 }, 10, 0],
        [{ odd: false }, { n: 1 }, 7, 3],
        [{ n: { $lt: -1 } }, { n: 1 }, 5, 0],
      ] as [Filter<TestDoc>, Record<string, 1 | -1>, number, number][]) {
        const [plain, indexed] = await bothWays(numbers, filter, sort, limit, skip);
        expect(indexed, JSON.stringify(filter)).to.deep.equal(plain);
      }
    });

    it('keeps MongoDB order across types, missing fields and ties', async () => {
      const mixed: TestDoc[] = [
        { _id: 'a', n: 'text' },
        { _id: 'b', n: 3 },
        { _id: 'c' },
        { _id: 'd', n: null },
        { _id: 'e', n: 3 },
        { _id: 'f', n: new Date('2024-01-01T00:00:00Z') },
        { _id: 'g', n: 1.5 },
        { _id: 'h', n: true },
      ];
      for (const [filter, sort] of [
        [{}, { n: 1 }],
        [{}, { n: -1 }],
        [{ n: { $lt: 10 } }, { n: -1 }],
        [{ n: { $gte: 'a' } }, { n: 1 }],
      ] as [Filter<TestDoc>, Record<string, 1 | -1>][]) {
        const [plain, indexed] = await bothWays(mixed, filter, sort, 5);
        expect(indexed, JSON.stringify([filter, sort])).to.deep.equal(plain);
      }
    });

    it('falls back to the general sort for arrays, and sees writes made since the last read', async () => {
      const withArrays: TestDoc[] = [
        { _id: 'x', n: [5, 1] },
        { _id: 'y', n: 3 },
        { _id: 'z', n: [0, 9] },
      ];
      const [plain, indexed] = await bothWays(withArrays, {}, { n: 1 }, 2);
      expect(indexed).to.deep.equal(plain);
      const coll = await seeded(numbers.slice(0, 10).map((d) => ({ ...d })));
      await coll.createIndex({ n: 1 });
      const top = async () => idsOf(await coll.find({}, { sort: { n: -1 }, limit: 1 }).toArray());
      const before = await top();
      await coll.insertOne({ _id: 'new', n: 1000 });
      expect(await top()).to.deep.equal(['new']);
      await coll.deleteOne({ _id: 'new' });
      expect(await top()).to.deep.equal(before);
    });
  });
});
