/**
 * `keys` and `excludeKeys` with dot paths (`owner.name`): the pointer on the way is included
 * automatically, and the included object keeps only (or loses) the named fields, as parse-server
 * does. Top-level keys are applied by storage (a projection), not here.
 */
import type { Json } from '../values/json.js';

const ALWAYS_KEPT = new Set(['objectId', 'createdAt', 'updatedAt', '__type', 'className', 'ACL']);

function parentPaths(paths: string[] | undefined): string[] {
  return (paths ?? []).filter((p) => p.includes('.')).map((p) => p.slice(0, p.lastIndexOf('.')));
}

/** Include paths that dotted `keys`/`excludeKeys` need. */
export function includesForSelection(keys: string[] | undefined, excludeKeys: string[] | undefined): string[] {
  return [...new Set([...parentPaths(keys), ...parentPaths(excludeKeys)])];
}

/** Included objects reached by a dotted parent path. */
function objectsAt(results: Json[], path: string): Json[] {
  let level: unknown[] = results;
  for (const segment of path.split('.')) {
    level = level.flatMap((holder) => {
      const value = (holder as Json)[segment];
      return Array.isArray(value) ? value : value === undefined ? [] : [value];
    });
  }
  return level.filter(
    (v): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v) && (v as Json).__type === 'Object',
  );
}

/** Trims included objects to the dotted `keys` and removes dotted `excludeKeys`. */
export function applyNestedSelection(
  results: Json[],
  keys: string[] | undefined,
  excludeKeys: string[] | undefined,
): void {
  const selected = new Map<string, Set<string>>();
  for (const key of keys ?? []) {
    if (!key.includes('.')) continue;
    const parent = key.slice(0, key.lastIndexOf('.'));
    const field = key.slice(key.lastIndexOf('.') + 1);
    if (!selected.has(parent)) selected.set(parent, new Set());
    selected.get(parent)!.add(field);
  }
  // A path that is itself selected further down (`a` for `a.b.c`) keeps its link to the deeper object.
  for (const parent of [...selected.keys()]) {
    const segments = parent.split('.');
    for (let i = 1; i < segments.length; i++) {
      const ancestor = segments.slice(0, i).join('.');
      if (selected.has(ancestor)) selected.get(ancestor)!.add(segments[i]!);
    }
  }
  for (const [parent, fields] of selected) {
    for (const object of objectsAt(results, parent)) {
      for (const field of Object.keys(object)) if (!fields.has(field) && !ALWAYS_KEPT.has(field)) delete object[field];
    }
  }
  for (const key of excludeKeys ?? []) {
    if (!key.includes('.')) continue;
    const parent = key.slice(0, key.lastIndexOf('.'));
    const field = key.slice(key.lastIndexOf('.') + 1);
    for (const object of objectsAt(results, parent)) delete object[field];
  }
}
