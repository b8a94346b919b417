/** REST create and update bodies -> MongoDB documents and update operators (atomic, never read-modify-write). */
import type { Document } from 'mongodb';
import type { ClassSchema } from '../../schema/class-schema.js';
import type { RestObject } from '../storage.js';
import { aclToMongo, fieldToMongo, interiorToMongo, storedKey } from './codec.js';
import type { Json } from '../../values/json.js';

function isOperation(value: unknown): value is Json & { __op: string } {
  return value !== null && typeof value === 'object' && typeof (value as Json).__op === 'string';
}

function isRelationOp(op: string): boolean {
  return op === 'AddRelation' || op === 'RemoveRelation' || op === 'Batch';
}

/** The stored document for a new object (values already resolved from operations by the core). */
export function objectToDocument(schema: ClassSchema, object: RestObject): Document {
  const doc: Document = {};
  for (const [field, value] of Object.entries(object)) {
    if (value === undefined) continue;
    if (field === 'objectId') doc._id = value;
    else if (field === 'createdAt') doc._created_at = new Date(value as string);
    else if (field === 'updatedAt') doc._updated_at = new Date(value as string);
    else if (field === 'sessionToken' && schema.className === '_Session') doc._session_token = value;
    else if (field === 'ACL') Object.assign(doc, aclToMongo(value as Json));
    else if (schema.fields[field]?.type === 'Relation' || (value as Json | null)?.__type === 'Relation') continue;
    else {
      const { key, value: stored } = fieldToMongo(field, value);
      doc[key] = stored;
    }
  }
  return doc;
}

/** The MongoDB update for a REST update body (`updatedAt` included by the core). */
export function updateToMongo(schema: ClassSchema, update: RestObject): Document {
  const out: Record<string, Json> = {};
  const put = (op: string, key: string, value: unknown): void => {
    (out[op] ??= {})[key] = value;
  };
  for (const [field, value] of Object.entries(update)) {
    if (field === 'ACL') {
      for (const [k, v] of Object.entries(aclToMongo(value as Json))) put('$set', k, v);
      continue;
    }
    if (field === 'updatedAt') {
      put('$set', '_updated_at', new Date(value as string));
      continue;
    }
    if (isOperation(value)) {
      if (isRelationOp(value.__op)) continue;
      const key = storedKey(schema, field);
      switch (value.__op) {
        case 'Increment':
          put('$inc', key, value.amount);
          break;
        case 'Add':
          put('$push', key, { $each: (value.objects as unknown[]).map(interiorToMongo) });
          break;
        case 'AddUnique':
          put('$addToSet', key, { $each: (value.objects as unknown[]).map(interiorToMongo) });
          break;
        case 'Remove':
          put('$pullAll', key, (value.objects as unknown[]).map(interiorToMongo));
          break;
        case 'Delete':
          put('$unset', key, '');
          break;
        case 'SetOnInsert':
          put('$setOnInsert', key, fieldToMongo(field, value.amount).value);
          break;
        default:
          break;
      }
      continue;
    }
    if (field.includes('.')) {
      put('$set', field, interiorToMongo(value));
      continue;
    }
    const { key, value: stored } = fieldToMongo(field, value);
    if (value === null && schema.fields[field]?.type === 'Pointer') put('$set', `_p_${field}`, null);
    else put('$set', key, stored);
  }
  return out;
}
