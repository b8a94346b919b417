/**
 * Parse-level aggregation -> MongoDB: field references use Parse's names (`$objectId`,
 * `$createdAt`, a pointer `$owner`) and become stored names (`$_id`, `$_created_at`,
 * `$_p_owner`); `$match` stages are translated like a `where`. Results come back with Parse's
 * names, and internal fields are dropped.
 */
import type { Document } from 'mongodb';
import type { ClassSchema } from '../../schema/class-schema.js';
import { interiorFromMongo, pointerFromStored, storedKey } from './codec.js';
import { whereToFilter } from './where-filter.js';
import type { Json } from '../../values/json.js';

function storedPath(schema: ClassSchema, path: string): string {
  const [head, ...rest] = path.split('.');
  return [storedKey(schema, head!), ...rest].join('.');
}

/** Rewrites `$field` references inside an expression. */
function translateExpression(schema: ClassSchema, value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith('$') && !value.startsWith('$$'))
    return `$${storedPath(schema, value.slice(1))}`;
  if (Array.isArray(value)) return value.map((v) => translateExpression(schema, v));
  if (value !== null && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = translateExpression(schema, v);
    return out;
  }
  return value;
}

/** Rewrites the field names a stage uses as keys (`$sort`, `$project`, `$unset`...). */
function translateKeys(schema: ClassSchema, body: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(body))
    out[k.startsWith('$') ? k : storedPath(schema, k)] = translateExpression(schema, v);
  return out;
}

/** Grouping by a pointer field groups by the pointed-to objectId, as parse-server answers it. */
function groupStage(schema: ClassSchema, body: Json): Json {
  const group = translateExpression(schema, body) as Json;
  const id = body._id;
  if (typeof id === 'string' && id.startsWith('$') && schema.fields[id.slice(1)]?.type === 'Pointer') {
    group._id = { $arrayElemAt: [{ $split: [`$_p_${id.slice(1)}`, { $literal: '$' }] }, 1] };
  }
  return group;
}

export function toMongoPipeline(schema: ClassSchema, pipeline: Json[], readers: readonly string[] | null): Document[] {
  const stages: Document[] = pipeline.map((stage) => {
    const [name, body] = Object.entries(stage)[0]!;
    switch (name) {
      case '$match':
        return { $match: whereToFilter(schema, body as Json) };
      case '$group':
        return { $group: groupStage(schema, body as Json) };
      case '$sort':
      case '$project':
      case '$addFields':
      case '$set':
        return { [name]: translateKeys(schema, body as Json) };
      case '$unset':
        return {
          $unset: Array.isArray(body)
            ? body.map((f) => storedPath(schema, String(f)))
            : storedPath(schema, String(body)),
        };
      case '$unwind':
        return {
          $unwind: translateExpression(schema, typeof body === 'string' && !body.startsWith('$') ? `$${body}` : body),
        };
      default:
        return { [name]: translateExpression(schema, body) };
    }
  });
  return readers ? [{ $match: whereToFilter(schema, {}, readers) }, ...stages] : stages;
}

/** A result document with Parse's names: `_id` as objectId, pointers as Pointers, no internal fields. */
/** A `$group` by `{}`, `''` or `[]` groups everything together: parse-server reports its key as null. */
function isEmptyGroupKey(value: unknown): boolean {
  if (value === '' || (Array.isArray(value) && value.length === 0)) return true;
  return value !== null && typeof value === 'object' && value.constructor === Object && Object.keys(value).length === 0;
}

export function fromMongoResult(doc: Document): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === '_id') out.objectId = isEmptyGroupKey(value) ? null : interiorFromMongo(value);
    else if (key === '_created_at') out.createdAt = value instanceof Date ? value.toISOString() : value;
    else if (key === '_updated_at') out.updatedAt = value instanceof Date ? value.toISOString() : value;
    else if (key.startsWith('_p_') && typeof value === 'string') out[key.slice(3)] = pointerFromStored(value);
    else if (!key.startsWith('_')) out[key] = interiorFromMongo(value);
  }
  return out;
}
