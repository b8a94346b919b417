import { expect } from 'chai';
import { MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import { connectFreshDatabase, expectServerError, idsOf, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: text search', () => {
  let db: Db;
  let close: () => Promise<void>;
  let places: Collection<TestDoc>;

  before(async () => {
    ({ db, close } = await connectFreshDatabase());
    places = db.collection<TestDoc>('places');
    await places.insertMany([
      { _id: 1, title: 'Coffee shop', body: 'The best coffee in town. Coffee coffee coffee!' },
      { _id: 2, title: 'Tea house', body: 'We serve tea and a little coffee' },
      { _id: 3, title: 'Bakery', body: 'Fresh bread and cakes' },
      { _id: 4, title: 'Café Crème', body: 'French COFFEE and croissants' },
      { _id: 5, title: 'Tea time', body: 'Green tea, black tea' },
      { _id: 6, title: 'Coffeehouse', body: 'A small coffee shop near the station' },
    ]);
    await places.createIndex({ title: 'text', body: 'text' });
  });
  after(() => close());

  async function search(filter: Filter<TestDoc>): Promise<unknown[]> {
    return idsOf(await places.find(filter).sort({ _id: 1 }).toArray());
  }

  it('lists the text index as MongoDB does, under _fts with its fields as weights', async () => {
    const index = (await places.listIndexes().toArray()).find((i) => i.name === 'title_text_body_text');
    expect(index).to.not.equal(undefined);
    expect(index!.key).to.deep.equal({ _fts: 'text', _ftsx: 1 });
    expect(index!.weights).to.deep.equal({ title: 1, body: 1 });
    expect(index!.textIndexVersion).to.equal(3);
  });

  it('matches any of the words, ignoring case and diacritics, with stemming', async () => {
    expect(await search({ $text: { $search: 'coffee' } })).to.deep.equal([1, 2, 4, 6]);
    expect(await search({ $text: { $search: 'bread tea' } })).to.deep.equal([2, 3, 5]);
    expect(await search({ $text: { $search: 'CREME' } })).to.deep.equal([4]);
    expect(await search({ $text: { $search: 'cafe' } })).to.deep.equal([4]);
    expect(await search({ $text: { $search: 'cake croissant' } })).to.deep.equal([3, 4]);
    expect(await search({ $text: { $search: 'espresso' } })).to.deep.equal([]);
  });

  it('stems words both ways and ignores stop words', async () => {
    expect(await search({ $text: { $search: 'shops' } })).to.deep.equal([1, 6]);
    expect(await search({ $text: { $search: 'serving' } })).to.deep.equal([2]);
    expect(await search({ $text: { $search: 'the' } })).to.deep.equal([]);
    expect(await search({ $text: { $search: 'and a' } })).to.deep.equal([]);
  });

  it('requires quoted phrases', async () => {
    expect(await search({ $text: { $search: '"coffee shop"' } })).to.deep.equal([1, 6]);
    expect(await search({ $text: { $search: '"little coffee"' } })).to.deep.equal([2]);
    expect(await search({ $text: { $search: '"coffee tea"' } })).to.deep.equal([]);
  });

  it('excludes documents with a negated word', async () => {
    expect(await search({ $text: { $search: 'coffee -tea' } })).to.deep.equal([1, 4, 6]);
    expect(await search({ $text: { $search: 'coffee -shop -croissants' } })).to.deep.equal([2]);
  });

  it('matches case-sensitively on request', async () => {
    expect(await search({ $text: { $search: 'COFFEE', $caseSensitive: true } })).to.deep.equal([4]);
    expect(await search({ $text: { $search: 'Coffee', $caseSensitive: true } })).to.deep.equal([1]);
  });

  it('combines with other conditions and with countDocuments', async () => {
    expect(await search({ $text: { $search: 'coffee' }, title: /^Coffee/ })).to.deep.equal([1, 6]);
    expect(await places.countDocuments({ $text: { $search: 'tea' } })).to.equal(2);
  });

  it('projects and sorts by textScore, a document that says the word more often first', async () => {
    const docs = await places
      .find({ $text: { $search: 'coffee' } }, { projection: { score: { $meta: 'textScore' } } })
      .sort({ score: { $meta: 'textScore' } })
      .toArray();
    expect(idsOf(docs)[0]).to.equal(1);
    expect(docs).to.have.length(4);
    const scores = docs.map((d) => d.score as number);
    expect(scores.every((s) => typeof s === 'number' && s > 0)).to.equal(true);
    expect(scores).to.deep.equal([...scores].sort((a, b) => b - a));
    expect(scores[0]).to.be.greaterThan(scores[1]!);
    expect(docs[0]).to.include({ title: 'Coffee shop' });
  });

  it('weighs fields by the index weights', async () => {
    const notes = db.collection<TestDoc>('notes');
    await notes.insertMany([
      { _id: 'title-match', title: 'Lemon', body: 'sweet' },
      { _id: 'body-match', title: 'Sweet', body: 'lemon lemon' },
    ]);
    await notes.createIndex({ title: 'text', body: 'text' }, { weights: { title: 10 }, name: 'weighted' });
    const docs = await notes
      .find({ $text: { $search: 'lemon' } }, { projection: { s: { $meta: 'textScore' } } })
      .sort({ s: { $meta: 'textScore' } })
      .toArray();
    expect(idsOf(docs)).to.deep.equal(['title-match', 'body-match']);
    const index = (await notes.listIndexes().toArray()).find((i) => i.name === 'weighted');
    expect(index!.weights).to.deep.equal({ title: 10, body: 1 });
  });

  it('searches every string field with a wildcard text index', async () => {
    const misc = db.collection<TestDoc>('misc');
    await misc.insertMany([
      { _id: 1, a: 'apple pie', nested: { b: 'cherry' } },
      { _id: 2, c: ['banana', 'cherry tart'] },
      { _id: 3, d: 42 },
    ]);
    await misc.createIndex({ '$**': 'text' });
    expect(
      idsOf(
        await misc
          .find({ $text: { $search: 'cherry' } })
          .sort({ _id: 1 })
          .toArray(),
      ),
    ).to.deep.equal([1, 2]);
  });

  it('allows one text index per collection (85)', async () => {
    await expectServerError(places.createIndex({ title: 'text' }), 85);
  });

  it('refuses $text without a text index (27)', async () => {
    const plain = db.collection<TestDoc>('plain');
    await plain.insertOne({ title: 'coffee' });
    await expectServerError(plain.find({ $text: { $search: 'coffee' } }).toArray(), 27);
  });

  it('refuses $text without a $search string', async () => {
    // MongoDB's code for this case is not pinned down here; what matters is the refusal.
    const outcome = await places
      .find({ $text: { $caseSensitive: true } } as Filter<TestDoc>)
      .toArray()
      .catch((err: unknown) => err);
    expect(outcome).to.be.instanceOf(MongoServerError);
  });
});
