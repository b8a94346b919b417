/**
 * Parse's field types, how a REST value maps to one, and how they are written in `_SCHEMA`
 * (parse-server's MongoSchemaCollection layout: `string`, `*Class` for pointers, `relation<Class>`).
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

/** A Parse field type name. */
export type FieldTypeName =
  | 'String'
  | 'Number'
  | 'Boolean'
  | 'Date'
  | 'Object'
  | 'Array'
  | 'GeoPoint'
  | 'File'
  | 'Bytes'
  | 'Polygon'
  | 'Pointer'
  | 'Relation'
  | 'ACL';

/**
 * A field's type, with the target class for pointers and relations, and the options parse-server
 * keeps beside it (`_metadata.fields_options`): `required`, and a `defaultValue` in REST form.
 */
export interface FieldType {
  type: FieldTypeName;
  targetClass?: string;
  required?: boolean;
  defaultValue?: unknown;
}

const STORAGE_NAMES: Record<Exclude<FieldTypeName, 'Pointer' | 'Relation' | 'ACL'>, string> = {
  String: 'string',
  Number: 'number',
  Boolean: 'boolean',
  Date: 'date',
  Object: 'object',
  Array: 'array',
  GeoPoint: 'geopoint',
  File: 'file',
  Bytes: 'bytes',
  Polygon: 'polygon',
};

/** `_SCHEMA`'s spelling of a field type. */
export function toStorageType(field: FieldType): string {
  if (field.type === 'Pointer') return `*${field.targetClass}`;
  if (field.type === 'Relation') return `relation<${field.targetClass}>`;
  if (field.type === 'ACL') return 'acl';
  return STORAGE_NAMES[field.type];
}

/** Reads `_SCHEMA`'s spelling back; null for an unknown one. */
export function fromStorageType(value: unknown): FieldType | null {
  if (typeof value !== 'string') return null;
  if (value.startsWith('*')) return { type: 'Pointer', targetClass: value.slice(1) };
  if (value.startsWith('relation<') && value.endsWith('>'))
    return { type: 'Relation', targetClass: value.slice(9, -1) };
  if (value === 'map') return { type: 'Object' };
  for (const [type, name] of Object.entries(STORAGE_NAMES)) if (name === value) return { type: type as FieldTypeName };
  return null;
}

export function sameType(a: FieldType, b: FieldType): boolean {
  return a.type === b.type && (a.targetClass ?? '') === (b.targetClass ?? '');
}

export function describeType(field: FieldType): string {
  return field.targetClass ? `${field.type}<${field.targetClass}>` : field.type;
}

function incorrectType(message: string): BackendError {
  return new BackendError(ErrorCode.INCORRECT_TYPE, message);
}

/**
 * The type a REST value gives its field, or null for values that say nothing about it
 * (`null`, `Delete`). Operations imply types too: `Increment` a Number, `Add` an Array.
 */
export function typeOfRestValue(value: unknown): FieldType | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return { type: 'String' };
    case 'number':
      return { type: 'Number' };
    case 'boolean':
      return { type: 'Boolean' };
    case 'object':
      break;
    default:
      throw incorrectType(`invalid value type ${typeof value}`);
  }
  if (Array.isArray(value)) return { type: 'Array' };
  const obj = value as Record<string, unknown>;
  if (typeof obj.__op === 'string') return typeOfOperation(obj);
  switch (obj.__type) {
    case undefined:
      return { type: 'Object' };
    case 'Date':
      return { type: 'Date' };
    case 'Pointer':
      return { type: 'Pointer', targetClass: String(obj.className) };
    case 'Relation':
      return { type: 'Relation', targetClass: String(obj.className) };
    case 'GeoPoint':
      return { type: 'GeoPoint' };
    case 'File':
      return { type: 'File' };
    case 'Bytes':
      return { type: 'Bytes' };
    case 'Polygon':
      return { type: 'Polygon' };
    default:
      throw incorrectType(`This is not a valid __type: ${String(obj.__type)}`);
  }
}

function typeOfOperation(op: Record<string, unknown>): FieldType | null {
  switch (op.__op) {
    case 'Increment':
      return { type: 'Number' };
    case 'Add':
    case 'AddUnique':
    case 'Remove':
      return { type: 'Array' };
    case 'Delete':
      return null;
    case 'SetOnInsert':
      return typeOfRestValue(op.amount);
    case 'AddRelation':
    case 'RemoveRelation': {
      const first = Array.isArray(op.objects) ? (op.objects[0] as Record<string, unknown> | undefined) : undefined;
      return first ? { type: 'Relation', targetClass: String(first.className) } : null;
    }
    case 'Batch': {
      const ops = Array.isArray(op.ops) ? op.ops : [];
      for (const inner of ops) {
        const t = typeOfOperation(inner as Record<string, unknown>);
        if (t) return t;
      }
      return null;
    }
    default:
      return null;
  }
}
