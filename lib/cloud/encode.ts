/**
 * Between the values hooks and host code hold (Dates, object views) and Parse's REST encoding.
 * Object views are recognised by their `toPointer`/`toFullJSON` methods, as Parse.Object has them.
 */
import { isPlainObject, type Json } from '../values/json.js';

interface ObjectLike {
  toPointer(): Json;
  toFullJSON(): Json;
}

function isObjectLike(value: unknown): value is ObjectLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as ObjectLike).toPointer === 'function' &&
    typeof (value as ObjectLike).toFullJSON === 'function'
  );
}

/** SDK values that say how they encode (Parse.ACL, Parse.GeoPoint, Parse.File, ...). */
function hasOwnEncoding(value: unknown): value is { toJSON(): unknown } {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    !isPlainObject(value) &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

function encode(value: unknown, objects: (object: ObjectLike) => Json, depth: number): unknown {
  if (depth > 64) throw new TypeError('value is nested too deeply (or cyclic) to encode');
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol')
    throw new TypeError(`a ${typeof value} cannot be encoded as JSON`);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('an invalid Date cannot be encoded');
    return { __type: 'Date', iso: value.toISOString() };
  }
  if (isObjectLike(value)) return objects(value);
  if (hasOwnEncoding(value)) return encode(value.toJSON(), objects, depth + 1);
  if (Array.isArray(value)) return value.map((item) => encode(item, objects, depth + 1));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, objects, depth + 1)]));
  return value;
}

/** A value written from a hook or host code, in REST form: Dates encoded, objects as pointers. */
export function toRestValue(value: unknown): unknown {
  return encode(value, (object) => object.toPointer(), 0);
}

/** A cloud function's result as Parse encodes it: objects in full (`__type: 'Object'`). */
export function encodeResult(value: unknown): unknown {
  return encode(value, (object) => object.toFullJSON(), 0);
}

/** A REST value as hooks read it: Dates as Date objects (at the top level, as Parse.Object#get gives them). */
export function toHookValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && (value as Json).__type === 'Date')
    return new Date((value as Json).iso as string);
  return value;
}
