import { expect } from 'chai';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Binary,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MongoClient,
  ObjectId,
  Timestamp,
  type CollectionInfo,
} from 'mongodb';
import { MemoryMongoServer, startMemoryMongo, type MemoryMongo } from 'plinth/testing';
import { expectServerError, usingExternalMongo, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: persistence', function () {
  let dir: string;
  let file: string;

  before(function () {
    // Only the built-in server keeps data in a file.
    if (usingExternalMongo()) this.skip();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plinth-persist-'));
    file = join(dir, 'data', 'store.bson');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts the built-in server on `file`, runs `work` with a client, then stops it (saving). */
  async function withServer(work: (client: MongoClient, mongo: MemoryMongo) => Promise<void>): Promise<void> {
    const mongo = await startMemoryMongo({ persist: file, env: {}, allowMongodBinary: false });
    expect(mongo.engine).to.equal('builtin');
    const client = await MongoClient.connect(mongo.uri);
    try {
      await work(client, mongo);
    } finally {
      await client.close();
      await mongo.stop();
    }
  }

  const oid = new ObjectId('64b7f0a1c2d3e4f506070809');
  const exact: TestDoc = {
    _id: oid,
    double: new Double(1),
    int: new Int32(7),
    long: Long.fromString('9007199254740993'),
    decimal: Decimal128.fromString('1.10'),
    binary: new Binary(Buffer.from([0, 1, 2, 255])),
    date: new Date('2024-01-02T03:04:05.678Z'),
    ts: new Timestamp({ t: 1700000000, i: 3 }),
    regex: new BSONRegExp('^a.b', 'imsx'),
    nested: { b: [1, { c: new Double(3) }] },
  };

  it('keeps documents, with their exact BSON types, and indexes across a restart', async () => {
    await withServer(async (client) => {
      const db = client.db('persisted');
      await db.collection<TestDoc>('values').insertOne(exact);
      const users = db.collection<TestDoc>('users');
      await users.insertMany([
        { _id: 1, email: 'a@x', name: 'Ann', bio: 'loves coffee', loc: { type: 'Point', coordinates: [2.35, 48.85] } },
        { _id: 2, email: 'b@x', name: 'bob', bio: 'drinks tea', loc: { type: 'Point', coordinates: [13.4, 52.52] } },
      ]);
      await users.createIndex({ email: 1 }, { unique: true });
      await users.createIndex({ name: 1 }, { unique: true, collation: { locale: 'en', strength: 2 } });
      await users.createIndex({ bio: 'text' });
      await users.createIndex({ loc: '2dsphere' });
      await users.createIndex({ email: 1, name: -1 }, { partialFilterExpression: { name: { $exists: true } } });
      await db.createCollection('empty', { validationLevel: 'off' });
      await client.db('second').collection<TestDoc>('other').insertOne({ _id: 'x' });
    });
    expect((await stat(file)).size).to.be.greaterThan(0);

    await withServer(async (client) => {
      const db = client.db('persisted');
      const back = await db
        .collection<TestDoc>('values')
        .findOne({ _id: oid }, { promoteValues: false, promoteLongs: false, bsonRegExp: true });
      expect(Object.keys(back!)).to.deep.equal(Object.keys(exact));
      expect(back!.double).to.be.instanceOf(Double);
      expect(back!.int).to.be.instanceOf(Int32);
      expect(back!.long.toString()).to.equal('9007199254740993');
      expect(back!.decimal.toString()).to.equal('1.10');
      expect(Buffer.from(back!.binary.buffer).equals(Buffer.from([0, 1, 2, 255]))).to.equal(true);
      expect(back!.date.toISOString()).to.equal('2024-01-02T03:04:05.678Z');
      expect(back!.ts).to.be.instanceOf(Timestamp);
      expect(back!.ts.t).to.equal(1700000000);
      expect(back!.regex).to.be.instanceOf(BSONRegExp);
      expect(back!.regex.pattern).to.equal('^a.b');
      expect(back!.regex.options).to.equal('imsx');
      expect(back!.nested.b[1].c).to.be.instanceOf(Double);

      const users = db.collection<TestDoc>('users');
      expect((await users.listIndexes().toArray()).map((i) => i.name)).to.deep.equal([
        '_id_',
        'email_1',
        'name_1',
        'bio_text',
        'loc_2dsphere',
        'email_1_name_-1',
      ]);
      await expectServerError(users.insertOne({ _id: 3, email: 'a@x', name: 'Cid' }), 11000);
      await expectServerError(users.insertOne({ _id: 3, email: 'c@x', name: 'BOB' }), 11000);
      expect((await users.find({ $text: { $search: 'coffee' } }).toArray()).map((d) => d._id)).to.deep.equal([1]);
      const near = await users
        .find({ loc: { $near: { $geometry: { type: 'Point', coordinates: [13, 52] } } } })
        .toArray();
      expect(near.map((d) => d._id)).to.deep.equal([2, 1]);

      const empty = await db.listCollections({ name: 'empty' }).toArray();
      expect(empty).to.have.length(1);
      expect((empty[0] as CollectionInfo).options).to.deep.include({ validationLevel: 'off' });
      expect(await client.db('second').collection('other').countDocuments()).to.equal(1);
    });
  });

  it('saves what was dropped or changed since the last start', async () => {
    await withServer(async (client) => {
      await client
        .db('p')
        .collection<TestDoc>('keep')
        .insertMany([
          { _id: 1, v: 1 },
          { _id: 2, v: 2 },
        ]);
      await client.db('p').collection<TestDoc>('gone').insertOne({ _id: 1 });
    });
    await withServer(async (client) => {
      await client.db('p').collection('gone').drop();
      await client
        .db('p')
        .collection<TestDoc>('keep')
        .updateOne({ _id: 1 }, { $set: { v: 10 } });
      await client.db('p').collection<TestDoc>('keep').deleteOne({ _id: 2 });
    });
    await withServer(async (client) => {
      expect((await client.db('p').listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name)).to.deep.equal(
        ['keep'],
      );
      expect(await client.db('p').collection('keep').find().toArray()).to.deep.equal([{ _id: 1, v: 10 }]);
    });
  });

  it('starts empty when the file does not exist yet', async () => {
    await withServer(async (client) => {
      const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
      expect(databases.filter((d) => !['admin', 'config', 'local'].includes(d.name))).to.deep.equal([]);
    });
  });

  it('refuses to start on a file that is not its own, leaving the file alone', async () => {
    await rm(dir, { recursive: true, force: true });
    dir = await mkdtemp(join(tmpdir(), 'plinth-persist-'));
    file = join(dir, 'foreign.bin');
    await writeFile(file, Buffer.from('this is not a data file at all'));
    const outcome = await MemoryMongoServer.start({ persist: file }).then(
      async (server) => {
        await server.stop();
        return 'started';
      },
      (err: unknown) => err,
    );
    expect(outcome).to.be.instanceOf(Error);
    expect((await stat(file)).size).to.equal(30);
  });
});
