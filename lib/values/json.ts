/** JSON values as the backend passes them between layers, and the checks that narrow them. */

/** A JSON object (or any record) whose values are not yet checked. */
export type Json = Record<string, unknown>;

/** A non-null object that is not an array: a JSON object, or any other object value. */
export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An object made by `{}` or `Object.create(null)`: not a Date, a Buffer, an array or a class instance. */
export function isPlainObject(value: unknown): value is Json {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A non-empty object whose keys all start with `$`: a query's operators, never a stored value. */
export function hasOnlyOperatorKeys(value: unknown): value is Json {
  return isObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => k.startsWith('$'));
}
