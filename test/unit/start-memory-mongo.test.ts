import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { startMemoryMongo } from 'plinth/testing';

describe('startMemoryMongo()', () => {
  it('uses MONGODB_URI when set, keeping its options in uriFor()', async () => {
    const mongo = await startMemoryMongo({
      env: { MONGODB_URI: 'mongodb://db1.test:27017,db2.test:27018/app?replicaSet=rs0&w=majority' },
    });
    expect(mongo.engine).to.equal('external');
    expect(mongo.uriFor('orders')).to.equal('mongodb://db1.test:27017,db2.test:27018/orders?replicaSet=rs0&w=majority');
    await mongo.stop();
  });

  it('starts the built-in server when nothing else is available, and stops it', async () => {
    const mongo = await startMemoryMongo({ env: {}, allowMongodBinary: false });
    expect(mongo.engine).to.equal('builtin');
    expect(mongo.uri).to.match(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    const client = await MongoClient.connect(mongo.uriFor('probe'));
    try {
      expect(client.db().databaseName).to.equal('probe');
      await client.db().collection('c').insertOne({ a: 1 });
      expect(await client.db().collection('c').countDocuments()).to.equal(1);
    } finally {
      await client.close();
      await mongo.stop();
    }
    const refused = await MongoClient.connect(mongo.uriFor('probe'), { serverSelectionTimeoutMS: 300 }).then(
      (c) => c.close().then(() => 'connected'),
      () => 'refused',
    );
    expect(refused).to.equal('refused');
  });
});
