/** Sorting in MongoDB's order: by BSON type rank, arrays by their smallest (ascending) or largest element. */
import { badValue, commandError } from './command-error.js';
import { compareValues, EMPTY_ARRAY_SORT_KEY, valuesAtPath, type Collation, type Doc } from './values.js';

/** One sort key: a path, a direction, or a `{ $meta: 'textScore' }` key. */
export interface SortKey {
  path: string;
  direction: 1 | -1;
  textScore: boolean;
}

/** Parses a sort specification as the driver sends it. */
export function parseSort(spec: unknown): SortKey[] {
  if (spec === undefined || spec === null) return [];
  if (typeof spec !== 'object' || Array.isArray(spec)) throw badValue('sort must be a document');
  const keys: SortKey[] = [];
  for (const [path, dir] of Object.entries(spec as Doc)) {
    if (dir !== null && typeof dir === 'object' && (dir as Doc).$meta === 'textScore') {
      keys.push({ path, direction: -1, textScore: true });
    } else if (dir === 1 || dir === -1) {
      keys.push({ path, direction: dir, textScore: false });
    } else if (typeof dir === 'number') {
      throw commandError(15975, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    } else {
      throw commandError(15974, `Illegal key in $sort specification: ${path}: ${JSON.stringify(dir)}`);
    }
  }
  return keys;
}

function sortValue(doc: Doc, key: SortKey, collation: Collation | null): unknown {
  const values = valuesAtPath(doc, key.path).filter((v) => !Array.isArray(v));
  // Only empty arrays were reached (a missing field yields `undefined`, which is kept).
  if (values.length === 0) return EMPTY_ARRAY_SORT_KEY;
  let best = values[0];
  for (const v of values) {
    const c = compareValues(v, best, collation);
    if (key.direction === 1 ? c < 0 : c > 0) best = v;
  }
  return best;
}

/** Sorts documents in place (stable); `scores` supplies text scores for `$meta` keys. */
export function sortDocuments(
  docs: Doc[],
  keys: SortKey[],
  collation: Collation | null,
  scores?: Map<Doc, number>,
): Doc[] {
  if (keys.length === 0) return docs;
  const decorated = docs.map((doc) => ({
    doc,
    values: keys.map((k) => (k.textScore ? (scores?.get(doc) ?? 0) : sortValue(doc, k, collation))),
  }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareValues(a.values[i], b.values[i], collation);
      if (c !== 0) return c * keys[i]!.direction;
    }
    return 0;
  });
  for (let i = 0; i < decorated.length; i++) docs[i] = decorated[i]!.doc;
  return docs;
}
