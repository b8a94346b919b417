import { expect } from 'chai';
import { MongoClient, type Collection, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import { connectFreshDatabase, expectServerError, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: aggregation', () => {
  let db: Db;
  let uri: string;
  let close: () => Promise<void>;
  let orders: Collection<TestDoc>;
  let customers: Collection<TestDoc>;

  before(async () => {
    ({ db, uri, close } = await connectFreshDatabase());
    orders = db.collection<TestDoc>('orders');
    await orders.insertMany([
      {
        _id: 1,
        customer: 'ann',
        item: 'pen',
        qty: 2,
        price: 1.5,
        tags: ['office', 'cheap'],
        at: new Date('2024-01-05'),
      },
      { _id: 2, customer: 'bob', item: 'book', qty: 1, price: 12, tags: ['paper'], at: new Date('2024-02-10') },
      { _id: 3, customer: 'ann', item: 'book', qty: 3, price: 10, tags: [], at: new Date('2024-02-11') },
      { _id: 4, customer: 'cid', item: 'pen', qty: 10, price: 1, at: new Date('2023-12-31') },
      { _id: 5, customer: 'bob', item: 'lamp', qty: 1, price: 30, tags: ['home'], at: new Date('2024-03-01') },
    ]);
    customers = db.collection<TestDoc>('customers');
    await customers.insertMany([
      { _id: 'ann', name: 'Ann', city: 'Oslo' },
      { _id: 'bob', name: 'Bob', city: 'Rome' },
      { _id: 'dan', name: 'Dan', city: 'Oslo' },
    ]);
  });
  after(() => close());

  async function run(pipeline: Document[], coll: Collection<TestDoc> = orders): Promise<Document[]> {
    return coll.aggregate(pipeline).toArray();
  }

  it('filters with $match, groups with accumulators and sorts', async () => {
    const result = await run([
      { $match: { qty: { $gte: 1 } } },
      { $sort: { _id: 1 } },
      {
        $group: {
          _id: '$customer',
          orders: { $sum: 1 },
          units: { $sum: '$qty' },
          spent: { $sum: { $multiply: ['$qty', '$price'] } },
          avgQty: { $avg: '$qty' },
          cheapest: { $min: '$price' },
          dearest: { $max: '$price' },
          items: { $push: '$item' },
          distinctItems: { $addToSet: '$item' },
        },
      },
      { $sort: { spent: -1 } },
    ]);
    expect(result.map((r) => r._id)).to.deep.equal(['bob', 'ann', 'cid']);
    const ann = result.find((r) => r._id === 'ann')!;
    expect(ann).to.deep.include({ orders: 2, units: 5, spent: 33, avgQty: 2.5, cheapest: 1.5, dearest: 10 });
    expect(ann.items).to.deep.equal(['pen', 'book']);
    expect([...ann.distinctItems].sort()).to.deep.equal(['book', 'pen']);
  });

  it('groups everything with _id null, and by computed keys', async () => {
    expect(await run([{ $group: { _id: null, total: { $sum: '$qty' } } }])).to.deep.equal([{ _id: null, total: 17 }]);
    const byYear = await run([{ $group: { _id: { $year: '$at' }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
    expect(byYear).to.deep.equal([
      { _id: 2023, n: 1 },
      { _id: 2024, n: 4 },
    ]);
  });

  it('takes $first and $last in the order of a preceding $sort', async () => {
    const result = await run([
      { $sort: { at: 1 } },
      { $group: { _id: '$customer', first: { $first: '$item' }, last: { $last: '$item' } } },
      { $sort: { _id: 1 } },
    ]);
    expect(result).to.deep.equal([
      { _id: 'ann', first: 'pen', last: 'book' },
      { _id: 'bob', first: 'book', last: 'lamp' },
      { _id: 'cid', first: 'pen', last: 'pen' },
    ]);
  });

  it('pages with $sort, $skip and $limit', async () => {
    const result = await run([{ $sort: { price: -1, _id: 1 } }, { $skip: 1 }, { $limit: 2 }, { $project: { _id: 1 } }]);
    expect(result).to.deep.equal([{ _id: 2 }, { _id: 3 }]);
  });

  it('reshapes with $project and $addFields', async () => {
    const projected = await run([
      { $match: { _id: 1 } },
      { $project: { _id: 0, item: 1, total: { $multiply: ['$qty', '$price'] }, who: { $toUpper: '$customer' } } },
    ]);
    expect(projected).to.deep.equal([{ item: 'pen', total: 3, who: 'ANN' }]);
    const excluded = await run([{ $match: { _id: 2 } }, { $project: { tags: 0, at: 0 } }]);
    expect(excluded).to.deep.equal([{ _id: 2, customer: 'bob', item: 'book', qty: 1, price: 12 }]);
    const added = await run([
      { $match: { _id: 2 } },
      { $addFields: { total: { $multiply: ['$qty', '$price'] } } },
      { $project: { total: 1 } },
    ]);
    expect(added).to.deep.equal([{ _id: 2, total: 12 }]);
  });

  it('unwinds arrays, optionally keeping empty ones and the index', async () => {
    const plain = await run([{ $sort: { _id: 1 } }, { $unwind: '$tags' }, { $project: { tags: 1 } }]);
    expect(plain).to.deep.equal([
      { _id: 1, tags: 'office' },
      { _id: 1, tags: 'cheap' },
      { _id: 2, tags: 'paper' },
      { _id: 5, tags: 'home' },
    ]);
    const kept = await run([
      { $sort: { _id: 1 } },
      { $unwind: { path: '$tags', preserveNullAndEmptyArrays: true, includeArrayIndex: 'i' } },
      { $project: { tags: 1, i: 1 } },
    ]);
    expect(kept).to.have.length(6);
    expect(kept[1]).to.deep.equal({ _id: 1, tags: 'cheap', i: 1 });
    expect(kept.find((d) => d._id === 3)).to.deep.equal({ _id: 3, i: null });
  });

  it('joins another collection with $lookup, by fields and by pipeline', async () => {
    const joined = await run(
      [
        { $lookup: { from: 'orders', localField: '_id', foreignField: 'customer', as: 'orders' } },
        { $project: { n: { $size: '$orders' } } },
        { $sort: { _id: 1 } },
      ],
      customers,
    );
    expect(joined).to.deep.equal([
      { _id: 'ann', n: 2 },
      { _id: 'bob', n: 2 },
      { _id: 'dan', n: 0 },
    ]);
    const withPipeline = await run([
      { $match: { _id: { $in: [1, 4] } } },
      { $sort: { _id: 1 } },
      {
        $lookup: {
          from: 'customers',
          let: { who: '$customer' },
          pipeline: [{ $match: { $expr: { $eq: ['$_id', '$$who'] } } }, { $project: { _id: 0, city: 1 } }],
          as: 'customer',
        },
      },
      { $project: { customer: 1 } },
    ]);
    expect(withPipeline).to.deep.equal([
      { _id: 1, customer: [{ city: 'Oslo' }] },
      { _id: 4, customer: [] },
    ]);
    const missing = await run([
      { $match: { _id: 1 } },
      { $lookup: { from: 'nowhere', localField: 'customer', foreignField: '_id', as: 'x' } },
      { $project: { x: 1 } },
    ]);
    expect(missing).to.deep.equal([{ _id: 1, x: [] }]);
  });

  it('counts with $count and $sortByCount', async () => {
    expect(await run([{ $match: { item: 'pen' } }, { $count: 'pens' }])).to.deep.equal([{ pens: 2 }]);
    expect(await run([{ $match: { item: 'none' } }, { $count: 'n' }])).to.deep.equal([]);
    expect(
      await run([{ $sortByCount: '$item' }, { $match: { count: { $gt: 1 } } }, { $sort: { _id: 1 } }]),
    ).to.deep.equal([
      { _id: 'book', count: 2 },
      { _id: 'pen', count: 2 },
    ]);
  });

  it('runs several pipelines on the same input with $facet', async () => {
    const [result] = await run([
      { $match: { price: { $lt: 20 } } },
      {
        $facet: {
          count: [{ $count: 'n' }],
          items: [{ $group: { _id: '$item' } }, { $sort: { _id: 1 } }],
          top: [{ $sort: { qty: -1 } }, { $limit: 1 }, { $project: { _id: 1 } }],
        },
      },
    ]);
    expect(result).to.deep.equal({ count: [{ n: 4 }], items: [{ _id: 'book' }, { _id: 'pen' }], top: [{ _id: 4 }] });
  });

  it('matches with $expr and with operators after other stages', async () => {
    expect(
      (
        await run([
          { $match: { $expr: { $gt: [{ $multiply: ['$qty', '$price'] }, 20] } } },
          { $sort: { _id: 1 } },
          { $project: { _id: 1 } },
        ])
      ).map((d) => d._id),
    ).to.deep.equal([3, 5]);
    const late = await run([
      { $group: { _id: '$customer', n: { $sum: 1 } } },
      { $match: { n: { $gte: 2 }, _id: { $in: ['ann', 'cid'] } } },
    ]);
    expect(late).to.deep.equal([{ _id: 'ann', n: 2 }]);
  });

  it('returns nothing for a missing collection, and all of a large result through batches', async () => {
    expect(
      await db
        .collection('nothing')
        .aggregate([{ $match: {} }])
        .toArray(),
    ).to.deep.equal([]);
    const many = db.collection<TestDoc>('many');
    await many.insertMany(Array.from({ length: 600 }, (_, i) => ({ i })));
    const all = await many.aggregate([{ $sort: { i: -1 } }], { batchSize: 50 }).toArray();
    expect(all).to.have.length(600);
    expect(all[0]!.i).to.equal(599);
    expect(new Set(all.map((d) => d.i)).size).to.equal(600);
  });

  it('serves countDocuments with an aggregate command', async () => {
    const watcher = await MongoClient.connect(uri, { monitorCommands: true });
    try {
      const started: CommandStartedEvent[] = [];
      watcher.on('commandStarted', (e) => started.push(e));
      const n = await watcher.db(db.databaseName).collection('orders').countDocuments({ item: 'book' });
      expect(n).to.equal(2);
      expect(started.map((e) => e.commandName)).to.include('aggregate');
      expect(started.find((e) => e.commandName === 'aggregate')!.command.pipeline[0]).to.deep.equal({
        $match: { item: 'book' },
      });
    } finally {
      await watcher.close();
    }
  });

  it('refuses an unknown stage (40324)', async () => {
    await expectServerError(run([{ $frobnicate: {} }]), 40324);
  });

  it('refuses a $group without _id (15955) or with an unknown accumulator (15952)', async () => {
    await expectServerError(run([{ $group: { n: { $sum: 1 } } }]), 15955);
    await expectServerError(run([{ $group: { _id: null, n: { $frobnicate: 1 } } }]), 15952);
  });

  it('refuses a non-positive $limit (15958) and a negative $skip (15956)', async () => {
    await expectServerError(run([{ $limit: 0 }]), 15958);
    await expectServerError(run([{ $skip: -1 }]), 15956);
  });

  it('refuses a malformed $unwind (15981, 28818) or $sort (15975)', async () => {
    await expectServerError(run([{ $unwind: 5 }]), 15981);
    await expectServerError(run([{ $unwind: 'tags' }]), 28818);
    await expectServerError(run([{ $sort: { qty: 5 } }]), 15975);
  });

  it('refuses a stage document with more than one field (40323)', async () => {
    await expectServerError(run([{ $match: {}, $limit: 1 }]), 40323);
  });
});
