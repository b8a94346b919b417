/**
 * Sorted reads through an index, as MongoDB serves `find` with `sort` on an indexed field and a
 * `limit`: walk the documents in the field's order from the range the filter allows, and stop once
 * enough match — instead of matching every document and sorting all the matches. The documents in
 * a field's order are kept per collection and rebuilt after writes, and only used when no document
 * holds an array there (MongoDB's array sort rules are left to the general path).
 */
import { compareValues, isPlainObject, valuesAtPath, type Doc } from './values.js';

/** A collection's documents in one field's order, as of a collection version. */
export type OrderedView =
  | {
      readonly path: string;
      readonly version: number;
      readonly multikey: false;
      readonly docs: Doc[];
      readonly keys: unknown[];
    }
  | { readonly path: string; readonly version: number; readonly multikey: true };

export function buildOrderedView(docs: Iterable<Doc>, path: string, version: number): OrderedView {
  const entries: { doc: Doc; key: unknown }[] = [];
  for (const doc of docs) {
    const values = valuesAtPath(doc, path, false);
    if (values.length > 1 || Array.isArray(values[0])) return { path, version, multikey: true };
    // A missing field sorts as null, as in MongoDB.
    entries.push({ doc, key: values.length === 0 ? null : values[0] });
  }
  // Stable, so equal keys keep the collection's order, as the general sort keeps it.
  entries.sort((a, b) => compareValues(a.key, b.key));
  return { path, version, multikey: false, docs: entries.map((e) => e.doc), keys: entries.map((e) => e.key) };
}

interface Bound {
  value: unknown;
  inclusive: boolean;
}

/** The bounds the filter's top-level conditions (and top-level `$and`) put on `path`. */
export function rangeBounds(filter: Doc, path: string): { lower?: Bound; upper?: Bound } {
  const out: { lower?: Bound; upper?: Bound } = {};
  const tighter = (side: 'lower' | 'upper', bound: Bound): void => {
    const current = out[side];
    if (!current) {
      out[side] = bound;
      return;
    }
    const order = compareValues(bound.value, current.value);
    if ((side === 'lower' ? order > 0 : order < 0) || (order === 0 && !bound.inclusive)) out[side] = bound;
  };
  const visit = (f: Doc): void => {
    for (const [key, condition] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(condition)) {
        for (const part of condition) if (isPlainObject(part)) visit(part);
      } else if (key === path && isPlainObject(condition) && Object.keys(condition).every((op) => op.startsWith('$'))) {
        for (const [op, value] of Object.entries(condition)) {
          if (op === '$gt' || op === '$gte') tighter('lower', { value, inclusive: op === '$gte' });
          else if (op === '$lt' || op === '$lte') tighter('upper', { value, inclusive: op === '$lte' });
        }
      }
    }
  };
  visit(filter);
  return out;
}

/** The first position whose key is past the bound (`after`) or at/past it. */
function position(keys: unknown[], value: unknown, after: boolean): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const order = compareValues(keys[mid], value);
    if (order < 0 || (after && order === 0)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Up to `wanted` matching documents in the view's order (`direction` 1 or -1), looking only within
 * the filter's bounds. Every document is still checked against the whole filter, so the bounds
 * only narrow where to look (type bracketing included: other types sort outside them).
 */
export function scanOrdered(
  view: Extract<OrderedView, { multikey: false }>,
  filter: Doc,
  direction: 1 | -1,
  matches: (doc: Doc) => boolean,
  wanted: number,
): Doc[] {
  const { lower, upper } = rangeBounds(filter, view.path);
  const from = lower ? position(view.keys, lower.value, !lower.inclusive) : 0;
  const to = upper ? position(view.keys, upper.value, upper.inclusive) : view.keys.length;
  const out: Doc[] = [];
  const take = (i: number): boolean => {
    const doc = view.docs[i]!;
    if (matches(doc)) out.push(doc);
    return out.length >= wanted;
  };
  if (direction === 1) {
    for (let i = from; i < to; i++) if (take(i)) break;
    return out;
  }
  // Backwards by key, but equal keys in the collection's order, as the general (stable) sort has them.
  for (let end = to - 1; end >= from;) {
    let start = end;
    while (start > from && compareValues(view.keys[start - 1], view.keys[end]) === 0) start--;
    for (let i = start; i <= end; i++) if (take(i)) return out;
    end = start - 1;
  }
  return out;
}
