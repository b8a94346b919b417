/**
 * What an update changed, as a change event's `updateDescription` reports it: each path the update
 * wrote, with its new value (`updatedFields`), or in `removedFields` when it is gone. The paths are
 * those the update operators named (`$set: { 'a.b': 1 }` reports `a.b`, as mongod does); an operator
 * that rewrites an array (`$push`, `$pull`, array filters) reports the whole array, where mongod
 * reports the changed indexes and truncations. A pipeline update or a path whose value did not change
 * reports only the top-level fields that differ.
 */
import type { UpdateDescription } from './change-log.js';
import { isPlainObject, keyOf, type Doc } from './values.js';

/** The value at a dotted path, and whether it exists (null and missing differ). */
function lookup(doc: Doc, path: string): { found: boolean; value: unknown } {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(part) && Number(part) < current.length) current = current[Number(part)];
    else if (isPlainObject(current) && Object.hasOwn(current, part)) current = current[part];
    else return { found: false, value: undefined };
  }
  return { found: true, value: current };
}

/** The part of an operator path before any positional or array-filter segment. */
function concretePath(path: string): string {
  const parts = path.split('.');
  const positional = parts.findIndex((p) => p.startsWith('$'));
  return positional < 0 ? path : parts.slice(0, positional).join('.');
}

/** Describes the change from `before` to `after`, given the paths the update reported changing. */
export function describeUpdate(before: Doc, after: Doc, paths: readonly string[]): UpdateDescription {
  const updatedFields: Doc = {};
  const removedFields: string[] = [];
  const concrete = [...new Set(paths.map(concretePath).filter((p) => p !== ''))];
  // A path under another reported path is covered by it (`a` and `a.b`: the whole of `a` is reported).
  const covering = concrete.filter((p) => !concrete.some((q) => q !== p && p.startsWith(`${q}.`)));
  for (const path of covering) {
    const now = lookup(after, path);
    const was = lookup(before, path);
    if (now.found) {
      if (!was.found || keyOf(was.value) !== keyOf(now.value)) updatedFields[path] = now.value;
    } else if (was.found) {
      removedFields.push(path);
    }
  }
  return { updatedFields, removedFields };
}
