/**
 * The operations the bench times, written against the official driver. Every read checks its
 * answer, so a server that returned nothing (or the wrong thing) could not look fast.
 */
import type { Collection } from 'mongodb';
import { idOf, nameOf, type BenchDoc } from './documents.js';
import { seededRandom, type Operation } from './load.js';

/** How many documents the unindexed range scan matches. */
export const SCAN_MATCHES = 5;

function pick(random: () => number, docCount: number): number {
  return Math.floor(random() * docCount);
}

/**
 * `findOne({ _id })` on a random stored document. Against the stub every answer is the same
 * canned document, so only its presence is checked there.
 */
export function findById(collection: Collection<BenchDoc>, docCount: number, exact: boolean): Operation {
  const random = seededRandom(1);
  return async () => {
    const id = idOf(pick(random, docCount));
    const doc = await collection.findOne({ _id: id });
    if (!doc || (exact && doc._id !== id))
      throw new Error(`findOne by _id ${id} returned ${doc ? doc._id : 'nothing'}`);
    return 1;
  };
}

/** `findOne({ name })`: equality on the secondary index, one match. */
export function findByIndexedField(collection: Collection<BenchDoc>, docCount: number): Operation {
  const random = seededRandom(2);
  return async () => {
    const name = nameOf(pick(random, docCount));
    const doc = await collection.findOne({ name });
    if (!doc || doc.name !== name) throw new Error(`findOne by name ${name} returned ${doc ? doc.name : 'nothing'}`);
    return 1;
  };
}

/** A range on the unindexed `n` field: every document is examined, {@link SCAN_MATCHES} match. */
export function unindexedScan(collection: Collection<BenchDoc>, docCount: number): Operation {
  const random = seededRandom(3);
  return async () => {
    const from = pick(random, docCount - SCAN_MATCHES);
    const docs = await collection.find({ n: { $gte: from, $lt: from + SCAN_MATCHES } }).toArray();
    if (docs.length !== SCAN_MATCHES) throw new Error(`scan from n=${from} returned ${docs.length} documents`);
    return 1;
  };
}

/** Inserts one batch; the unit is the document. */
export function insertBatch(collection: Collection<BenchDoc>): (batch: BenchDoc[]) => Promise<number> {
  return async (batch) => {
    const result = await collection.insertMany(batch);
    if (result.insertedCount !== batch.length)
      throw new Error(`insertMany stored ${result.insertedCount} of ${batch.length}`);
    return batch.length;
  };
}
