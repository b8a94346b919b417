/**
 * The body of a create or update, checked: field names, `__type` values, `__op` operations and the
 * ACL. What passes is split into plain values (with atomic operations) and relation changes.
 */
import { validateAcl, type Acl } from '../access/acl.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertClassName, assertFieldName, assertFieldPath } from '../schema/names.js';
import { isObject, type Json } from '../values/json.js';

/** A change to a relation field. */
export interface RelationChange {
  field: string;
  op: 'AddRelation' | 'RemoveRelation';
  targetClass: string;
  objectIds: string[];
}

export interface WriteBody {
  /** Field values and non-relation `__op`s, in REST form. */
  values: Json;
  relations: RelationChange[];
  /** The ACL when the body set one. */
  acl: Acl | undefined;
}

/** Fields the server sets itself; values sent for them are ignored, as parse-server does. */
const SERVER_FIELDS = new Set(['objectId', 'createdAt', 'updatedAt']);

function invalidJson(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_JSON, message);
}

function checkPointer(value: Json): void {
  if (typeof value.className !== 'string' || typeof value.objectId !== 'string' || value.objectId === '') {
    throw new BackendError(ErrorCode.INVALID_POINTER, 'A pointer needs a className and an objectId');
  }
  assertClassName(value.className);
}

/** A typed value missing what its type is made of: parse-server's 111. */
function notValid(type: string): BackendError {
  return new BackendError(ErrorCode.INCORRECT_TYPE, `This is not a valid ${type}`);
}

/**
 * Checks a `__type` value (anywhere in the body): one missing its parts is not a valid value of
 * its type (111, as parse-server answers); one with parts out of range is bad JSON (107).
 */
function checkTypedValue(value: Json): void {
  switch (value.__type) {
    case 'Date':
      if (typeof value.iso !== 'string') throw notValid('Date');
      if (Number.isNaN(new Date(value.iso).getTime())) throw invalidJson(`invalid Date: ${JSON.stringify(value.iso)}`);
      return;
    case 'Pointer':
      if (typeof value.className !== 'string') throw notValid('Pointer');
      checkPointer(value);
      return;
    case 'GeoPoint': {
      const { latitude: lat, longitude: lng } = value;
      if (typeof lat !== 'number' || typeof lng !== 'number') throw notValid('GeoPoint');
      if (lat < -90 || lat > 90 || lng < -180 || lng > 180) {
        throw invalidJson('GeoPoint needs latitude in [-90, 90] and longitude in [-180, 180]');
      }
      return;
    }
    case 'Polygon':
      if (!Array.isArray(value.coordinates)) throw notValid('Polygon');
      if (value.coordinates.length < 3) throw invalidJson('Polygon must have at least 3 coordinates');
      checkPolygonVertices(value.coordinates);
      return;
    case 'File':
      if (typeof value.name !== 'string' || value.name === '') throw notValid('File');
      return;
    case 'Bytes':
      if (typeof value.base64 !== 'string') throw notValid('Bytes');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value.base64)) throw invalidJson('Bytes need a base64 string');
      return;
    case 'Relation':
      if (typeof value.className !== 'string') throw notValid('Relation');
      return;
    case 'Object':
      return;
    default:
      throw new BackendError(ErrorCode.INCORRECT_TYPE, `This is not a valid __type: ${String(value.__type)}`);
  }
}

/**
 * A Polygon's `[latitude, longitude]` pairs: numbers in range, at least three of them different
 * (MongoDB's 2dsphere index refuses a loop with fewer, and parse-server refuses it before storing).
 */
function checkPolygonVertices(coordinates: unknown[]): void {
  const distinct = new Set<string>();
  for (const point of coordinates) {
    if (!Array.isArray(point) || point.length !== 2 || !point.every((n) => typeof n === 'number' && Number.isFinite(n)))
      throw invalidJson('Polygon coordinates must be [latitude, longitude] pairs of numbers');
    const [lat, lng] = point as [number, number];
    if (lat < -90 || lat > 90 || lng < -180 || lng > 180)
      throw invalidJson('Polygon needs latitudes in [-90, 90] and longitudes in [-180, 180]');
    distinct.add(`${lat},${lng}`);
  }
  if (distinct.size < 3) throw invalidJson('GeoJSON: Loop must have at least 3 different vertices');
}

/** Checks a value nested in an Object or Array field. */
function checkNested(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(checkNested);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.__type === 'string') checkTypedValue(value);
  else if ('__op' in value) throw invalidJson('operations are only allowed on top-level fields');
  // Typed values are stored key by key too, so their keys obey the same rule.
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('$') || key.includes('.')) {
      throw new BackendError(ErrorCode.INVALID_NESTED_KEY, "Nested keys should not contain the '$' or '.' characters");
    }
    if (key !== '__type') checkNested(inner);
  }
}

function pointersOf(objects: unknown, field: string): { targetClass: string; objectIds: string[] } {
  if (!Array.isArray(objects) || objects.length === 0)
    throw invalidJson(`relation operation on ${field} needs objects`);
  let targetClass: string | undefined;
  const objectIds: string[] = [];
  for (const pointer of objects) {
    if (!isObject(pointer) || (pointer.__type !== 'Pointer' && pointer.__type !== 'Object'))
      throw new BackendError(ErrorCode.INVALID_POINTER, 'relation objects must be pointers');
    checkPointer(pointer);
    targetClass ??= pointer.className as string;
    if (pointer.className !== targetClass)
      throw new BackendError(ErrorCode.INCORRECT_TYPE, `Related objects must all be of class ${targetClass}`);
    objectIds.push(pointer.objectId as string);
  }
  return { targetClass: targetClass!, objectIds };
}

/** Checks one operation; relation operations are collected separately. */
function checkOperation(field: string, op: Json, relations: RelationChange[]): boolean {
  switch (op.__op) {
    case 'Increment':
      if (typeof op.amount !== 'number' || !Number.isFinite(op.amount))
        throw invalidJson('incrementing must provide a number');
      return true;
    case 'Add':
    case 'AddUnique':
    case 'Remove':
      if (!Array.isArray(op.objects))
        throw invalidJson(`objects to ${op.__op === 'Remove' ? 'remove' : 'add'} must be an array`);
      checkNested(op.objects);
      return true;
    case 'Delete':
      return true;
    case 'SetOnInsert':
      checkNested(op.amount);
      return true;
    case 'AddRelation':
    case 'RemoveRelation':
      relations.push({ field, op: op.__op, ...pointersOf(op.objects, field) });
      return false;
    case 'Batch':
      if (!Array.isArray(op.ops)) throw invalidJson('Batch needs ops');
      for (const inner of op.ops) {
        if (!isObject(inner) || (inner.__op !== 'AddRelation' && inner.__op !== 'RemoveRelation')) {
          throw new BackendError(ErrorCode.COMMAND_UNAVAILABLE, 'Batch supports only AddRelation and RemoveRelation');
        }
        checkOperation(field, inner, relations);
      }
      return false;
    default:
      throw new BackendError(ErrorCode.COMMAND_UNAVAILABLE, `The ${String(op.__op)} operator is not supported yet.`);
  }
}

/** Checks a write body; `update` allows dotted paths into Object fields. */
export function parseWriteBody(body: unknown, options: { update: boolean }): WriteBody {
  if (!isObject(body)) throw invalidJson('the request body must be a JSON object');
  const values: Json = {};
  const relations: RelationChange[] = [];
  let acl: Acl | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (SERVER_FIELDS.has(key)) continue;
    if (key === 'ACL') {
      acl = validateAcl(value);
      continue;
    }
    if (options.update && key.includes('.')) assertFieldPath(key);
    else assertFieldName(key);
    if (isObject(value) && typeof value.__op === 'string') {
      if (checkOperation(key, value, relations)) values[key] = value;
      continue;
    }
    // A relation value as a fetched object carries it: nothing to write, but it must be well formed.
    if (isObject(value) && value.__type === 'Relation') {
      checkTypedValue(value);
      continue;
    }
    checkNested(value);
    values[key] = value;
  }
  return { values, relations, acl };
}
