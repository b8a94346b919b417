/**
 * The field options of a class's schema, applied to a write after beforeSave, as parse-server
 * applies them: a new object gets each `defaultValue` it lacks, and a `required` field must have a
 * value — on create, and in an update that clears it (null, '', or Delete): 142 otherwise.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { Json } from '../values/json.js';

function isDelete(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as Json).__op === 'Delete';
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || isDelete(value);
}

/**
 * Fills defaults into `values` (a new object only) and checks required fields; returns the fields
 * it filled, which the client must be told about.
 */
export function applyFieldOptions(schema: ClassSchema | undefined, values: Json, creating: boolean): string[] {
  if (!schema) return [];
  const filled: string[] = [];
  const names = creating ? Object.keys(schema.fields) : Object.keys(values).filter((name) => name in schema.fields);
  for (const name of names) {
    const field = schema.fields[name]!;
    if (field.defaultValue === undefined && !field.required) continue;
    const value = values[name];
    if (!isEmpty(value)) continue;
    if (creating && field.defaultValue !== undefined && (value === undefined || isDelete(value))) {
      values[name] = structuredClone(field.defaultValue) as Json[string];
      filled.push(name);
    } else if (field.required) {
      throw new BackendError(ErrorCode.VALIDATION_ERROR, `${name} is required`);
    }
  }
  return filled;
}
