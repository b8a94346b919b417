/**
 * Field operations (`__op`) applied to a known value: how a create resolves them, and how a hook's
 * view of an object shows the result of a pending update. Updates of stored objects never use
 * this: they become atomic MongoDB operators in storage.
 */
import type { Json } from './json.js';

export function isOperation(value: unknown): value is Json & { __op: string } {
  return (
    value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as Json).__op === 'string'
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The value a field has after `op`, given its current value (undefined when unset). */
export function applyOperation(current: unknown, op: Json): unknown {
  const list = Array.isArray(current) ? current : [];
  const objects = Array.isArray(op.objects) ? op.objects : [];
  switch (op.__op) {
    case 'Increment':
      return (typeof current === 'number' ? current : 0) + (op.amount as number);
    case 'Add':
      return [...list, ...objects];
    case 'AddUnique': {
      const out = [...list];
      for (const o of objects) if (!out.some((x) => sameValue(x, o))) out.push(o);
      return out;
    }
    case 'Remove':
      return list.filter((x) => !objects.some((o) => sameValue(x, o)));
    case 'Delete':
      return undefined;
    case 'SetOnInsert':
      return current === undefined ? op.amount : current;
    default:
      return current;
  }
}

/** Resolves every operation of a create body to the value it stores. */
export function resolveForCreate(values: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(values)) {
    const resolved = isOperation(value) ? applyOperation(undefined, value) : value;
    if (resolved !== undefined) out[key] = resolved;
  }
  return out;
}
