/**
 * Parse REST values <-> MongoDB values, in parse-server's layout: top-level pointers as
 * `_p_<field>: "Class$id"`, GeoPoints as `[lng, lat]`, Polygons as GeoJSON, Files as their name,
 * Bytes and Dates as BSON values; nested values keep their `__type` form except Dates and Bytes.
 */
import { Binary } from 'mongodb';
import { BackendError } from '../../errors/backend-error.js';
import { ErrorCode } from '../../errors/error-codes.js';
import type { ClassSchema } from '../../schema/class-schema.js';
import type { RestObject } from '../storage.js';
import type { Json } from '../../values/json.js';

function isObject(value: unknown): value is Json {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Binary)
  );
}

function bytesFromBase64(base64: unknown): Binary {
  if (typeof base64 !== 'string') throw new BackendError(ErrorCode.INVALID_JSON, 'Bytes need a base64 string');
  return new Binary(Buffer.from(base64, 'base64'));
}

function dateFromIso(iso: unknown): Date {
  const date = typeof iso === 'string' ? new Date(iso) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new BackendError(ErrorCode.INVALID_JSON, `invalid date: ${JSON.stringify(iso)}`);
  return date;
}

/** A value nested inside an Object or Array field. */
export function interiorToMongo(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(interiorToMongo);
  if (!isObject(value)) return value;
  if (value.__type === 'Date') return dateFromIso(value.iso);
  if (value.__type === 'Bytes') return bytesFromBase64(value.base64);
  if (value.__type === 'Pointer') return { __type: 'Pointer', className: value.className, objectId: value.objectId };
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = interiorToMongo(v);
  return out;
}

/** A value nested inside an Object or Array field, back to REST form. */
export function interiorFromMongo(value: unknown): unknown {
  if (value instanceof Date) return { __type: 'Date', iso: value.toISOString() };
  if (value instanceof Binary) return { __type: 'Bytes', base64: Buffer.from(value.buffer).toString('base64') };
  if (Array.isArray(value)) return value.map(interiorFromMongo);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = interiorFromMongo(v);
  return out;
}

/** Parse polygons are `[lat, lng]` lists; MongoDB's are closed GeoJSON rings of `[lng, lat]`. */
function polygonToMongo(coordinates: unknown): Json {
  if (!Array.isArray(coordinates) || coordinates.length < 3) {
    throw new BackendError(ErrorCode.INVALID_JSON, 'Polygon must have at least 3 coordinates');
  }
  const ring = coordinates.map((point: unknown) => {
    if (!Array.isArray(point) || point.length !== 2 || typeof point[0] !== 'number' || typeof point[1] !== 'number') {
      throw new BackendError(ErrorCode.INVALID_JSON, 'Polygon coordinates must be [latitude, longitude] pairs');
    }
    return [point[1], point[0]] as [number, number];
  });
  const first = ring[0]!;
  const last = ring[ring.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) ring.push([first[0], first[1]]);
  return { type: 'Polygon', coordinates: [ring] };
}

/** Checks a GeoPoint's ranges and returns MongoDB's `[lng, lat]`. */
export function geoPointToMongo(value: Json): [number, number] {
  const { latitude, longitude } = value;
  if (
    typeof latitude !== 'number' ||
    typeof longitude !== 'number' ||
    latitude < -90 ||
    latitude > 90 ||
    longitude < -180 ||
    longitude > 180
  ) {
    throw new BackendError(ErrorCode.INVALID_JSON, 'GeoPoint needs latitude in [-90, 90] and longitude in [-180, 180]');
  }
  return [longitude, latitude];
}

/** A top-level field value to its stored key and value (`key` changes for pointers). */
export function fieldToMongo(field: string, value: unknown): { key: string; value: unknown } {
  if (isObject(value)) {
    switch (value.__type) {
      case 'Pointer':
        return { key: `_p_${field}`, value: `${String(value.className)}$${String(value.objectId)}` };
      case 'Date':
        return { key: field, value: dateFromIso(value.iso) };
      case 'Bytes':
        return { key: field, value: bytesFromBase64(value.base64) };
      case 'GeoPoint':
        return { key: field, value: geoPointToMongo(value) };
      case 'Polygon':
        return { key: field, value: polygonToMongo(value.coordinates) };
      case 'File':
        return { key: field, value: value.name };
      default:
        break;
    }
  }
  return { key: field, value: interiorToMongo(value) };
}

/**
 * The field a stored key belongs to ({@link storedKey}'s inverse, for the keys of a change):
 * `_p_owner` is `owner`, `_rperm` is `ACL`, `a.b` is `a`.
 */
export function fieldOfStoredKey(key: string): string {
  const top = key.split('.')[0]!;
  if (top === '_rperm' || top === '_wperm' || top === '_acl') return 'ACL';
  if (top === '_created_at') return 'createdAt';
  if (top === '_updated_at') return 'updatedAt';
  if (top === '_session_token') return 'sessionToken';
  if (top.startsWith('_p_')) return top.slice(3);
  if (top.startsWith('_auth_data_')) return 'authData';
  return top;
}

/** The stored key of a field: pointers live under `_p_<field>`. */
export function storedKey(schema: ClassSchema, field: string): string {
  switch (field) {
    case 'objectId':
      return '_id';
    case 'createdAt':
      return '_created_at';
    case 'updatedAt':
      return '_updated_at';
    // Only `_Session` keeps its token in `_session_token`; elsewhere `sessionToken` is a plain field.
    case 'sessionToken':
      return schema.className === '_Session' ? '_session_token' : field;
    default:
      return schema.fields[field]?.type === 'Pointer' ? `_p_${field}` : field;
  }
}

/** A stored `Class$objectId` pointer as a REST Pointer. */
export function pointerFromStored(value: string): Json {
  const dollar = value.indexOf('$');
  return { __type: 'Pointer', className: value.slice(0, dollar), objectId: value.slice(dollar + 1) };
}

/** Builds a file's URL from its name. */
export type FileUrl = (name: string) => string;

function fieldFromMongo(schema: ClassSchema, field: string, value: unknown, fileUrl: FileUrl): unknown {
  const type = schema.fields[field]?.type;
  if (type === 'File' && typeof value === 'string') return { __type: 'File', name: value, url: fileUrl(value) };
  if (type === 'GeoPoint' && Array.isArray(value) && value.length === 2)
    return { __type: 'GeoPoint', latitude: value[1], longitude: value[0] };
  if (type === 'Polygon' && isObject(value) && Array.isArray(value.coordinates)) {
    const ring = (value.coordinates[0] ?? []) as [number, number][];
    return { __type: 'Polygon', coordinates: ring.map((p) => [p[1], p[0]]) };
  }
  if (type === 'Bytes' && typeof value === 'string') return { __type: 'Bytes', base64: value };
  return interiorFromMongo(value);
}

/** Rebuilds Parse's ACL from the stored `_rperm`/`_wperm`. */
function aclFromMongo(rperm: unknown, wperm: unknown): Json {
  const acl: Record<string, { read?: boolean; write?: boolean }> = {};
  for (const p of Array.isArray(rperm) ? rperm : []) (acl[String(p)] ??= {}).read = true;
  for (const p of Array.isArray(wperm) ? wperm : []) (acl[String(p)] ??= {}).write = true;
  return acl;
}

/** Each schema's relation fields, found once per loaded schema rather than once per document. */
const relationFields = new WeakMap<ClassSchema, [string, Json][]>();

function relationsOf(schema: ClassSchema): [string, Json][] {
  let relations = relationFields.get(schema);
  if (!relations) {
    relations = Object.entries(schema.fields).flatMap(([field, type]) =>
      type.type === 'Relation' ? [[field, { __type: 'Relation', className: type.targetClass }] as [string, Json]] : [],
    );
    relationFields.set(schema, relations);
  }
  return relations;
}

/** A stored document to a REST object. Internal `_` fields are dropped. */
export function documentToObject(schema: ClassSchema, doc: Json, fileUrl: FileUrl): RestObject {
  const out: RestObject = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === '_id') out.objectId = String(value);
    else if (key === '_created_at') out.createdAt = value instanceof Date ? value.toISOString() : value;
    else if (key === '_updated_at') out.updatedAt = value instanceof Date ? value.toISOString() : value;
    else if (key.startsWith('_p_')) {
      if (typeof value === 'string') out[key.slice(3)] = pointerFromStored(value);
    } else if (key.startsWith('_auth_data_') && schema.className === '_User') {
      // Linked identities come back as `authData` (shown to the user itself and the master key only).
      if (value !== null && value !== undefined)
        ((out.authData ??= {}) as Json)[key.slice('_auth_data_'.length)] = interiorFromMongo(value);
    } else if (key === 'authData' && schema.className === '_User') {
      // Only `_auth_data_<provider>` holds identities; a plain field of that name is not one.
      continue;
    } else if (!key.startsWith('_')) out[key] = fieldFromMongo(schema, key, value, fileUrl);
  }
  if ('_rperm' in doc || '_wperm' in doc) out.ACL = aclFromMongo(doc._rperm, doc._wperm);
  for (const [field, relation] of relationsOf(schema)) out[field] = { ...relation };
  return out;
}

/** `_rperm`, `_wperm` and the legacy `_acl` for a Parse ACL. */
export function aclToMongo(acl: Json): { _rperm: string[]; _wperm: string[]; _acl: Json } {
  const rperm: string[] = [];
  const wperm: string[] = [];
  const legacy: Json = {};
  for (const [principal, perms] of Object.entries(acl)) {
    const p = perms as { read?: boolean; write?: boolean };
    const entry: Json = {};
    if (p.read) {
      rperm.push(principal);
      entry.r = true;
    }
    if (p.write) {
      wperm.push(principal);
      entry.w = true;
    }
    if (p.read || p.write) legacy[principal] = entry;
  }
  return { _rperm: rperm, _wperm: wperm, _acl: legacy };
}
