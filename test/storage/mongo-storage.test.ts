/**
 * The storage conformance suite on the MongoDB storage: on the built-in in-memory MongoDB, or on
 * the real MongoDB that MONGODB_URI names.
 */
import { MongoStorage } from '../../lib/storage/mongo/mongo-storage.js';
import { testMongo, uniqueDatabaseName } from '../support/mongo.js';
import { describeStorageConformance, describeUnreachable } from './conformance.js';

const fileUrl = (name: string) => `http://files.test/${name}`;

describeStorageConformance('MongoStorage', async () => {
  const mongo = await testMongo();
  const storage = new MongoStorage({ uri: mongo.uriFor(uniqueDatabaseName('storage')), timeoutMS: 5000, fileUrl });
  return { storage, close: () => storage.close() };
});

describeUnreachable(
  'MongoStorage',
  () => new MongoStorage({ uri: 'mongodb://127.0.0.1:9/unreachable', timeoutMS: 300, fileUrl }),
);
