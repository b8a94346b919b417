import { expect } from 'chai';
import type { CollectionInfo, Db, MongoClient } from 'mongodb';
import { connectFreshDatabase, expectServerError, uniqueDatabaseName, type TestDoc } from '../support/mongo.js';

describe('in-memory MongoDB: administration', () => {
  let db: Db;
  let client: MongoClient;
  let close: () => Promise<void>;

  before(async () => {
    ({ db, client, close } = await connectFreshDatabase());
  });
  after(() => close());

  async function collectionNames(target: Db = db): Promise<string[]> {
    return (await target.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  }

  describe('collections', () => {
    it('lists collections, created explicitly or by a first insert, with filters and nameOnly', async () => {
      await db.createCollection('alpha');
      await db.collection<TestDoc>('beta').insertOne({ x: 1 });
      await db.createCollection('gamma', { validationLevel: 'off' });
      const names = await collectionNames();
      expect(names).to.include.members(['alpha', 'beta', 'gamma']);
      const filtered = await db.listCollections({ name: 'beta' }).toArray();
      expect(filtered).to.have.length(1);
      expect(filtered[0]).to.deep.include({ name: 'beta', type: 'collection' });
      const byRegex = await db.listCollections({ name: { $regex: '^(alpha|gamma)$' } }, { nameOnly: true }).toArray();
      expect(byRegex.map((c) => c.name).sort()).to.deep.equal(['alpha', 'gamma']);
      expect(Object.keys(byRegex[0]!).sort()).to.deep.equal(['name', 'type']);
      const full = await db.listCollections({ name: 'gamma' }).toArray();
      expect((full[0] as CollectionInfo).options).to.deep.include({ validationLevel: 'off' });
    });

    it('refuses a listCollections filter with an unknown operator (BadValue 2)', async () => {
      await expectServerError(db.listCollections({ name: { $frobnicate: 1 } }).toArray(), 2);
    });

    it('refuses to create a collection twice (48) or with an invalid name (73)', async () => {
      await db.createCollection('once');
      await expectServerError(db.createCollection('once'), 48);
      await expectServerError(db.command({ create: 'bad$name' }), 73);
      await expectServerError(db.command({ create: 'system.mine' }), 73);
    });

    it('drops a collection with its documents and indexes', async () => {
      const coll = db.collection<TestDoc>('to_drop');
      await coll.insertMany([{ a: 1 }, { a: 2 }]);
      await coll.createIndex({ a: 1 }, { unique: true });
      expect(await coll.drop()).to.equal(true);
      expect(await collectionNames()).to.not.include('to_drop');
      expect(await coll.countDocuments()).to.equal(0);
      await coll.insertMany([{ a: 1 }, { a: 1 }]);
      expect(await coll.countDocuments()).to.equal(2);
    });

    it('renames a collection, keeping documents and indexes', async () => {
      const source = db.collection<TestDoc>('rename_src');
      await source.insertMany([
        { _id: 1, a: 1 },
        { _id: 2, a: 2 },
      ]);
      await source.createIndex({ a: 1 }, { unique: true });
      const target = await source.rename('rename_dst');
      expect(target.collectionName).to.equal('rename_dst');
      expect(await collectionNames())
        .to.include('rename_dst')
        .and.not.include('rename_src');
      expect(await target.find().sort({ _id: 1 }).toArray()).to.deep.equal([
        { _id: 1, a: 1 },
        { _id: 2, a: 2 },
      ]);
      expect((await target.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_', 'a_1']);
      await expectServerError(target.insertOne({ a: 1 }), 11000);
    });

    it('refuses to rename onto an existing collection (48) unless dropTarget is set', async () => {
      const source = db.collection<TestDoc>('rn_a');
      const existing = db.collection<TestDoc>('rn_b');
      await source.insertOne({ _id: 'from-a' });
      await existing.insertOne({ _id: 'from-b' });
      await expectServerError(source.rename('rn_b'), 48);
      expect(await existing.find().toArray()).to.deep.equal([{ _id: 'from-b' }]);
      await source.rename('rn_b', { dropTarget: true });
      expect(await existing.find().toArray()).to.deep.equal([{ _id: 'from-a' }]);
      expect(await collectionNames()).to.not.include('rn_a');
    });

    it('refuses to rename a missing collection (26)', async () => {
      await expectServerError(db.collection('never_was').rename('still_not'), 26);
    });

    it('renames across databases', async () => {
      const other = client.db(uniqueDatabaseName());
      try {
        await db.collection<TestDoc>('traveller').insertOne({ _id: 1 });
        await client
          .db('admin')
          .command({ renameCollection: `${db.databaseName}.traveller`, to: `${other.databaseName}.arrived` });
        expect(await other.collection('arrived').countDocuments()).to.equal(1);
        expect(await collectionNames()).to.not.include('traveller');
      } finally {
        await other.dropDatabase();
      }
    });
  });

  describe('databases', () => {
    it('lists databases, by name only or filtered', async () => {
      await db.collection('listed').insertOne({ x: 1 });
      const admin = client.db('admin').admin();
      const all = await admin.listDatabases();
      const mine = all.databases.find((d) => d.name === db.databaseName);
      expect(mine).to.not.equal(undefined);
      expect(mine!.sizeOnDisk).to.be.a('number');
      expect(all.totalSize).to.be.a('number');
      const names = await admin.listDatabases({ nameOnly: true });
      expect(names.databases.map((d) => d.name)).to.include(db.databaseName);
      const filtered = await admin.listDatabases({ filter: { name: db.databaseName } });
      expect(filtered.databases.map((d) => d.name)).to.deep.equal([db.databaseName]);
    });

    it('drops a database with all its collections', async () => {
      const doomed = client.db(uniqueDatabaseName());
      await doomed.collection('a').insertOne({ x: 1 });
      await doomed.collection('b').insertOne({ x: 1 });
      expect(await doomed.dropDatabase()).to.equal(true);
      expect(await collectionNames(doomed)).to.deep.equal([]);
      const names = (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
      expect(names).to.not.include(doomed.databaseName);
    });
  });

  describe('server commands', () => {
    it('answers ping', async () => {
      expect(await client.db('admin').command({ ping: 1 })).to.deep.include({ ok: 1 });
    });

    it('answers buildInfo with a version', async () => {
      const info = await client.db('admin').command({ buildInfo: 1 });
      expect(info.version).to.match(/^\d+\.\d+\.\d+/);
      expect(info.versionArray).to.be.an('array');
      expect(info.versionArray.slice(0, 3)).to.deep.equal(
        info.version
          .split('.')
          .slice(0, 3)
          .map((n: string) => parseInt(n, 10)),
      );
    });

    it('answers hello as a writable primary', async () => {
      const hello = await client.db('admin').command({ hello: 1 });
      expect(hello.isWritablePrimary).to.equal(true);
      expect(hello.maxBsonObjectSize).to.equal(16 * 1024 * 1024);
      expect(hello.maxWireVersion).to.be.at.least(21);
    });

    it('answers serverStatus', async () => {
      const status = await client.db('admin').command({ serverStatus: 1 });
      expect(status.version).to.be.a('string');
      expect(status.uptime).to.be.a('number');
    });
  });
});
