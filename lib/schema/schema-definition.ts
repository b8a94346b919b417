/** Checks the field and permission definitions sent to /schemas. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { FieldType, FieldTypeName } from './field-types.js';
import { assertClassName, assertFieldName } from './names.js';
import { isObject, type Json } from '../values/json.js';

const FIELD_TYPES = new Set<FieldTypeName>([
  'String',
  'Number',
  'Boolean',
  'Date',
  'Object',
  'Array',
  'GeoPoint',
  'File',
  'Bytes',
  'Polygon',
  'Pointer',
  'Relation',
]);
const DEFAULT_FIELDS = new Set(['objectId', 'createdAt', 'updatedAt', 'ACL']);
const OPERATIONS = new Set(['find', 'count', 'get', 'create', 'update', 'delete', 'addField']);

/** A field change requested through PUT /schemas: add with a type, or delete. */
export type FieldChange = { kind: 'add'; type: FieldType } | { kind: 'delete' };

/** Reads `fields` of a /schemas request. */
export function parseFieldChanges(value: unknown, allowDelete: boolean): Record<string, FieldChange> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new BackendError(ErrorCode.INVALID_JSON, 'fields must be an object');
  const changes: Record<string, FieldChange> = {};
  for (const [name, definition] of Object.entries(value)) {
    if (DEFAULT_FIELDS.has(name))
      throw new BackendError(ErrorCode.CHANGED_IMMUTABLE_FIELD, `field ${name} cannot be changed`);
    assertFieldName(name);
    if (!isObject(definition))
      throw new BackendError(ErrorCode.INVALID_JSON, `field ${name} must be described by an object`);
    if (definition.__op === 'Delete') {
      if (!allowDelete) throw new BackendError(ErrorCode.INVALID_JSON, `field ${name} cannot be deleted here`);
      changes[name] = { kind: 'delete' };
      continue;
    }
    const type = definition.type;
    if (typeof type !== 'string' || !FIELD_TYPES.has(type as FieldTypeName))
      throw new BackendError(ErrorCode.INCORRECT_TYPE, `invalid field type: ${String(type)}`);
    if (type === 'Pointer' || type === 'Relation') {
      if (typeof definition.targetClass !== 'string')
        throw new BackendError(ErrorCode.MISSING_OBJECT_ID, `type ${type} needs a class name`);
      assertClassName(definition.targetClass);
      changes[name] = { kind: 'add', type: { type: type as FieldTypeName, targetClass: definition.targetClass } };
    } else {
      changes[name] = { kind: 'add', type: { type: type as FieldTypeName } };
    }
  }
  return changes;
}

const PRINCIPAL = /^(\*|requiresAuthentication|[A-Za-z0-9_]{1,64}|role:[A-Za-z0-9_ -]{1,128})$/;
const PROTECTION_PRINCIPAL =
  /^(\*|authenticated|[A-Za-z0-9_]{1,64}|role:[A-Za-z0-9_ -]{1,128}|userField:[A-Za-z][A-Za-z0-9_]{0,127})$/;

/** Checks CLP `protectedFields`: principals to lists of the class's own (non-default) fields. */
function checkProtectedFields(rule: unknown, fields: Readonly<Record<string, FieldType>>): void {
  if (!isObject(rule))
    throw new BackendError(
      ErrorCode.INVALID_JSON,
      'classLevelPermissions.protectedFields must map principals to field lists',
    );
  for (const [principal, names] of Object.entries(rule)) {
    if (!PROTECTION_PRINCIPAL.test(principal))
      throw new BackendError(ErrorCode.INVALID_JSON, `'${principal}' is not a valid key for protectedFields`);
    if (principal.startsWith('userField:')) {
      const pointer = fields[principal.slice('userField:'.length)];
      const pointsToUsers =
        pointer?.type === 'Array' || (pointer?.type === 'Pointer' && pointer.targetClass === '_User');
      if (!pointsToUsers)
        throw new BackendError(
          ErrorCode.INVALID_JSON,
          `protectedFields: ${principal} must name a pointer to _User or an array field`,
        );
    }
    if (!Array.isArray(names))
      throw new BackendError(ErrorCode.INVALID_JSON, `protectedFields[${principal}] must be an array of field names`);
    for (const name of names) {
      if (typeof name !== 'string')
        throw new BackendError(ErrorCode.INVALID_JSON, `protectedFields[${principal}] must be an array of field names`);
      if (DEFAULT_FIELDS.has(name))
        throw new BackendError(ErrorCode.INVALID_JSON, `Default field '${name}' can not be protected`);
      if (!(name in fields))
        throw new BackendError(
          ErrorCode.INVALID_JSON,
          `Field '${name}' in protectedFields:${principal} does not exist`,
        );
    }
  }
}

/**
 * Reads `classLevelPermissions` of a /schemas request (the same shapes the access checks enforce),
 * against the class's fields after the request's field changes.
 */
export function parseClassLevelPermissions(
  value: unknown,
  fields: Readonly<Record<string, FieldType>>,
): Json | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new BackendError(ErrorCode.INVALID_JSON, 'classLevelPermissions must be an object');
  for (const [key, rule] of Object.entries(value)) {
    if (OPERATIONS.has(key)) {
      if (!isObject(rule))
        throw new BackendError(ErrorCode.INVALID_JSON, `classLevelPermissions.${key} must be an object`);
      for (const [principal, granted] of Object.entries(rule)) {
        if (principal === 'pointerFields') {
          if (!Array.isArray(granted) || !granted.every((f) => typeof f === 'string'))
            throw new BackendError(
              ErrorCode.INVALID_JSON,
              `classLevelPermissions.${key}.pointerFields must list field names`,
            );
          continue;
        }
        if (!PRINCIPAL.test(principal) || granted !== true)
          throw new BackendError(
            ErrorCode.INVALID_JSON,
            `classLevelPermissions.${key}: '${principal}' must be a principal set to true`,
          );
      }
    } else if (key === 'readUserFields' || key === 'writeUserFields') {
      if (!Array.isArray(rule) || !rule.every((f) => typeof f === 'string'))
        throw new BackendError(ErrorCode.INVALID_JSON, `classLevelPermissions.${key} must list field names`);
    } else if (key === 'protectedFields') {
      checkProtectedFields(rule, fields);
    } else {
      throw new BackendError(ErrorCode.INVALID_JSON, `classLevelPermissions: unknown key ${key}`);
    }
  }
  return value;
}

/** An index change requested through /schemas: a key spec in Parse field names, or a drop. */
export type IndexChange = { kind: 'add'; key: Record<string, 1 | -1 | 'text' | '2dsphere'> } | { kind: 'delete' };

const INDEX_NAME = /^[A-Za-z0-9_-]{1,120}$/;

/**
 * Reads `indexes` of a /schemas request against the class's fields (after this request's field
 * changes), and its existing index names.
 */
export function parseIndexChanges(
  value: unknown,
  fields: Readonly<Record<string, unknown>>,
  existing: Readonly<Record<string, unknown>>,
  allowDelete: boolean,
): Record<string, IndexChange> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new BackendError(ErrorCode.INVALID_JSON, 'indexes must be an object');
  const changes: Record<string, IndexChange> = {};
  for (const [name, definition] of Object.entries(value)) {
    if (name === '_id_' || !INDEX_NAME.test(name))
      throw new BackendError(ErrorCode.INVALID_QUERY, `index name ${name} cannot be changed`);
    if (!isObject(definition))
      throw new BackendError(ErrorCode.INVALID_JSON, `index ${name} must be described by an object`);
    if (definition.__op === 'Delete') {
      if (!allowDelete) throw new BackendError(ErrorCode.INVALID_JSON, `index ${name} cannot be deleted here`);
      if (!(name in existing))
        throw new BackendError(ErrorCode.INVALID_QUERY, `Index ${name} does not exist, cannot delete.`);
      changes[name] = { kind: 'delete' };
      continue;
    }
    if (name in existing) throw new BackendError(ErrorCode.INVALID_QUERY, `Index ${name} exists, cannot update.`);
    const entries = Object.entries(definition);
    if (entries.length === 0) throw new BackendError(ErrorCode.INVALID_JSON, `index ${name} needs at least one field`);
    for (const [field, direction] of entries) {
      if (!(field in fields))
        throw new BackendError(ErrorCode.INVALID_QUERY, `Field ${field} does not exist, cannot add index.`);
      if (direction !== 1 && direction !== -1 && direction !== 'text' && direction !== '2dsphere') {
        throw new BackendError(ErrorCode.INVALID_JSON, `index ${name}: ${field} must be 1, -1, "text" or "2dsphere"`);
      }
    }
    changes[name] = { kind: 'add', key: definition as Record<string, 1 | -1 | 'text' | '2dsphere'> };
  }
  return changes;
}
