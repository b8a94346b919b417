/**
 * Values of an aggregate `$match` written as the SDK's `query.aggregate()` sends them: a Date is
 * JSON, so an ISO string, and a pointer is often just its objectId. parse-server reads such a
 * string as a Date or a pointer when the class's field has that type; so does Plinth, before the
 * `$match` is read as a `where`.
 */
import type { ClassSchema } from '../schema/class-schema.js';
import type { FieldType } from '../schema/field-types.js';
import type { Json } from '../values/json.js';

const COMPARISONS = new Set(['$eq', '$ne', '$lt', '$lte', '$gt', '$gte']);
const LISTS = new Set(['$in', '$nin']);
const COMBINERS = new Set(['$or', '$and', '$nor']);

function coerce(value: unknown, type: FieldType): unknown {
  if (typeof value !== 'string') return value;
  if (type.type === 'Date' && !Number.isNaN(Date.parse(value))) return { __type: 'Date', iso: value };
  if (type.type === 'Pointer' && type.targetClass)
    return { __type: 'Pointer', className: type.targetClass, objectId: value };
  return value;
}

function coerceCondition(condition: unknown, type: FieldType): unknown {
  if (typeof condition === 'string') return coerce(condition, type);
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return condition;
  const obj = condition as Json;
  if (typeof obj.__type === 'string') return condition;
  const out: Json = {};
  for (const [op, operand] of Object.entries(obj)) {
    if (COMPARISONS.has(op)) out[op] = coerce(operand, type);
    else if (LISTS.has(op) && Array.isArray(operand)) out[op] = operand.map((item) => coerce(item, type));
    else out[op] = operand;
  }
  return out;
}

/** `$match` with the strings that stand for Dates and pointers of the class's fields made typed. */
export function coerceMatch(match: Json, schema: ClassSchema): Json {
  const out: Json = {};
  for (const [key, condition] of Object.entries(match)) {
    if (COMBINERS.has(key) && Array.isArray(condition)) {
      out[key] = condition.map((part) =>
        part !== null && typeof part === 'object' && !Array.isArray(part) ? coerceMatch(part as Json, schema) : part,
      );
      continue;
    }
    const type = key === 'createdAt' || key === 'updatedAt' ? ({ type: 'Date' } as const) : schema.fields[key];
    out[key] = type && (type.type === 'Date' || type.type === 'Pointer') ? coerceCondition(condition, type) : condition;
  }
  return out;
}
