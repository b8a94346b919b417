/** Seeds one target's fresh database with the workload, directly in Parse's layout. */
import { MongoClient } from 'mongodb';
import { ITEM_COUNT, itemId, OWNER_COUNT, ownerId, SCHEMAS } from './workload.js';

export async function seedDatabase(uri: string): Promise<void> {
  const client = await MongoClient.connect(uri);
  try {
    const db = client.db();
    await db.collection('_SCHEMA').insertMany(SCHEMAS as never[]);
    const now = new Date();
    const owners = Array.from({ length: OWNER_COUNT }, (_, i) => ({
      _id: ownerId(i),
      name: `owner ${i}`,
      _created_at: now,
      _updated_at: now,
    }));
    await db.collection('BenchOwner').insertMany(owners as never[]);
    const items = Array.from({ length: ITEM_COUNT }, (_, i) => ({
      _id: itemId(i),
      n: i,
      name: `item ${i}`,
      score: 0,
      _p_owner: `BenchOwner$${ownerId(i)}`,
      _created_at: now,
      _updated_at: now,
    }));
    for (let i = 0; i < items.length; i += 1000)
      await db.collection('BenchItem').insertMany(items.slice(i, i + 1000) as never[]);
    // The query scenario filters and sorts on n: indexed for every target alike, as a deployment would.
    await db.collection('BenchItem').createIndex({ n: 1 });
  } finally {
    await client.close();
  }
}
