/**
 * The benchmark's documents: small, Parse-shaped records. Every field is a pure function of the
 * document's index, so a worker can pick a random index and know exactly which `_id`, `name` or
 * `n` exists without keeping the documents around.
 */
import { calculateObjectSize } from 'bson';

/** One stored document, as Parse Server writes them (a 10-character string objectId). */
export interface BenchDoc {
  _id: string;
  name: string;
  n: number;
  score: number;
  _created_at: Date;
  tags: string[];
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TAG_POOL = ['red', 'green', 'blue', 'admin', 'beta', 'mobile', 'web', 'vip'];
/** A fixed epoch so that runs produce byte-identical documents (and thus identical BSON sizes). */
const CREATED_BASE_MS = Date.UTC(2024, 0, 1);

/** A 32-bit integer hash (xorshift-multiply), so ids and scores look random but are reproducible. */
function hash32(value: number): number {
  let h = Math.imul(value ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[rest % 62]! + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/**
 * The `_id` of document `i`: 5 hashed characters then 5 encoding `i` itself, which keeps ids
 * unique (62^5 > 900M) while not sorted by insertion order, like Parse's random objectIds.
 */
export function idOf(i: number): string {
  return base62(hash32(i), 5) + base62(i, 5);
}

/** The indexed, unique field. */
export function nameOf(i: number): string {
  return `user${i}`;
}

export function makeDoc(i: number): BenchDoc {
  const h = hash32(i + 1);
  return {
    _id: idOf(i),
    name: nameOf(i),
    n: i,
    // Two decimals, so the driver sends a BSON double, as a real score field would be.
    score: (h % 100000) / 100,
    _created_at: new Date(CREATED_BASE_MS + i * 1000),
    tags: [TAG_POOL[h % TAG_POOL.length]!, TAG_POOL[(h >>> 8) % TAG_POOL.length]!],
  };
}

/** Documents `from` (inclusive) to `to` (exclusive), cut into insertMany batches. */
export function makeBatches(from: number, to: number, batchSize: number): BenchDoc[][] {
  const batches: BenchDoc[][] = [];
  for (let start = from; start < to; start += batchSize) {
    const batch: BenchDoc[] = [];
    for (let i = start; i < Math.min(to, start + batchSize); i++) batch.push(makeDoc(i));
    batches.push(batch);
  }
  return batches;
}

/** Mean BSON size of documents 0..count-1, the yardstick the server's memory is compared with. */
export function meanBsonSize(count: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += calculateObjectSize(makeDoc(i));
  return total / count;
}
