/** A validated REST `where` -> a MongoDB filter, in parse-server's stored layout. */
import { BSONRegExp, type Document } from 'mongodb';
import { BackendError } from '../../errors/backend-error.js';
import { ErrorCode } from '../../errors/error-codes.js';
import type { ClassSchema } from '../../schema/class-schema.js';
import type { RestWhere } from '../storage.js';
import { fieldToMongo, geoPointToMongo, interiorToMongo, storedKey } from './codec.js';
import { hasOnlyOperatorKeys, isObject, type Json } from '../../values/json.js';

/** Earth's radius in the units Parse's distance options use, for converting to radians. */
const EARTH_RADIUS = { miles: 3958.8, kilometers: 6371 } as const;

/** A key into a value nested in a field (`data.ptr`, `items.0.count`). */
function isNestedKey(schema: ClassSchema, key: string): boolean {
  return key.includes('.') && schema.fields[key] === undefined;
}

/** One operand: the stored form of a REST atom for `field`. */
function atom(schema: ClassSchema, field: string, value: unknown): unknown {
  // Inside arrays and objects (a dotted key), pointers and other typed values keep their nested
  // (interior) form, as they are stored there.
  if (schema.fields[field]?.type === 'Array' || isNestedKey(schema, field)) return interiorToMongo(value);
  if (isObject(value) && value.__type === 'Pointer') return `${String(value.className)}$${String(value.objectId)}`;
  // An objectId alone stands for a pointer to the field's class, as parse-server reads it.
  const target = schema.fields[field];
  if (typeof value === 'string' && target?.type === 'Pointer' && target.targetClass)
    return `${target.targetClass}$${value}`;
  if (typeof value === 'string' && (field === 'createdAt' || field === 'updatedAt')) return new Date(value);
  if (isObject(value) && value.__type) return fieldToMongo(field, value).value;
  return interiorToMongo(value);
}

/** A GeoPoint, or a `[lng, lat]` pair as the SDKs send for some shapes, as MongoDB's `[lng, lat]`. */
function lngLat(point: unknown): unknown {
  return Array.isArray(point) ? point : geoPointToMongo(point as Json);
}

function constraint(schema: ClassSchema, field: string, ops: Json): Json {
  const out: Json = {};
  for (const [op, value] of Object.entries(ops)) {
    switch (op) {
      case '$lt':
      case '$lte':
      case '$gt':
      case '$gte':
      case '$ne':
      case '$eq':
        out[op] = atom(schema, field, value);
        break;
      case '$in':
      case '$nin':
        // A list item that is itself a list contributes its items (the values of an Array key that
        // `$select` picked), as parse-server flattens them.
        out[op] = (value as unknown[]).flatMap((v) =>
          Array.isArray(v) ? v.map((item) => atom(schema, field, item)) : [atom(schema, field, v)],
        );
        break;
      case '$all':
        // An item with `$` keys is a literal no stored value equals: nothing matches (see query/where.ts).
        if ((value as unknown[]).some((v) => hasOnlyOperatorKeys(v) && !('$regex' in v))) {
          out.$in = [];
          break;
        }
        // `containsAllStartingWith` sends `{$regex}` atoms; MongoDB takes regular expressions there.
        out[op] = (value as unknown[]).map((v) =>
          isObject(v) && typeof v.$regex === 'string'
            ? new BSONRegExp(v.$regex, typeof v.$options === 'string' ? v.$options : '')
            : interiorToMongo(v),
        );
        break;
      case '$containedBy':
        out.$not = { $elemMatch: { $nin: (value as unknown[]).map(interiorToMongo) } };
        break;
      case '$exists':
        out[op] = value;
        break;
      case '$regex':
        out[op] = value;
        if (typeof ops.$options === 'string') out.$options = ops.$options;
        break;
      case '$options':
        break;
      case '$nearSphere':
        out.$nearSphere = geoPointToMongo(value as Json);
        break;
      case '$maxDistance':
      case '$maxDistanceInRadians':
        out.$maxDistance = value;
        break;
      case '$maxDistanceInMiles':
        out.$maxDistance = (value as number) / EARTH_RADIUS.miles;
        break;
      case '$maxDistanceInKilometers':
        out.$maxDistance = (value as number) / EARTH_RADIUS.kilometers;
        break;
      case '$within': {
        const box = (value as Json).$box as Json[];
        out.$geoWithin = { $box: box.map((p) => geoPointToMongo(p)) };
        break;
      }
      case '$geoWithin': {
        const shape = value as Json;
        if (Array.isArray(shape.$polygon)) out.$geoWithin = { $polygon: (shape.$polygon as unknown[]).map(lngLat) };
        else if (isObject(shape.$polygon)) {
          // A Parse Polygon lists [latitude, longitude] pairs.
          out.$geoWithin = {
            $polygon: (shape.$polygon.coordinates as [number, number][]).map(([lat, lng]) => [lng, lat]),
          };
        } else if (Array.isArray(shape.$centerSphere)) {
          const [center, radius] = shape.$centerSphere as [unknown, number];
          out.$geoWithin = { $centerSphere: [lngLat(center), radius] };
        }
        break;
      }
      case '$geoIntersects': {
        const point = geoPointToMongo((value as Json).$point as Json);
        out.$geoIntersects = { $geometry: { type: 'Point', coordinates: point } };
        break;
      }
      default:
        throw new BackendError(ErrorCode.INVALID_JSON, `bad constraint: ${op}`);
    }
  }
  return out;
}

function textSearch(operand: Json): Json {
  const search = operand.$search as Json;
  const out: Json = { $search: search.$term };
  if (search.$language !== undefined) out.$language = search.$language;
  if (search.$caseSensitive !== undefined) out.$caseSensitive = search.$caseSensitive;
  if (search.$diacriticSensitive !== undefined) out.$diacriticSensitive = search.$diacriticSensitive;
  return out;
}

/** The field a `where` runs a `$text` search on, if any (it needs a text index). */
export function textSearchField(where: RestWhere): string | undefined {
  return Object.entries(where).find(([, v]) => isObject(v) && '$text' in v)?.[0];
}

/**
 * Translates a `where` (already checked by query/) to a filter. `readers` limits it to objects
 * those principals may read (`_rperm`), or is null for the master key.
 */
export function whereToFilter(
  schema: ClassSchema,
  where: RestWhere,
  readers: readonly string[] | null = null,
): Document {
  const filter: Document = {};
  for (const [key, value] of Object.entries(where)) {
    if (key === '$or' || key === '$and' || key === '$nor') {
      filter[key] = (value as RestWhere[]).map((sub) => whereToFilter(schema, sub));
      continue;
    }
    // parse-server's layout keeps each linked identity in `_auth_data_<provider>`.
    const authDataId = /^authData\.([A-Za-z][A-Za-z0-9_]*)\.id$/.exec(key);
    if (authDataId) {
      filter[`_auth_data_${authDataId[1]}.id`] = value;
      continue;
    }
    const fieldType = schema.fields[key]?.type;
    const isPointer =
      fieldType === 'Pointer' ||
      (fieldType === undefined && !isNestedKey(schema, key) && isObject(value) && value.__type === 'Pointer');
    const stored = isPointer ? `_p_${key}` : storedKey(schema, key);
    const isConstraint = hasOnlyOperatorKeys(value);
    if (isConstraint && '$text' in value) {
      // MongoDB takes $text at the top level; it searches the collection's text index.
      filter.$text = textSearch(value.$text as Json);
      continue;
    }
    filter[stored] = isConstraint ? constraint(schema, key, value) : atom(schema, key, value);
  }
  if (readers) filter._rperm = { $in: [null, ...readers] };
  return filter;
}

/** Adds the write-permission condition (`_wperm`) to a filter. */
export function writableBy(filter: Document, writers: readonly string[] | null): Document {
  return writers ? { ...filter, _wperm: { $in: [null, ...writers] } } : filter;
}
