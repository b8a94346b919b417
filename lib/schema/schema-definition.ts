/** Checks the field and permission definitions sent to /schemas. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { describeType, sameType, typeOfRestValue, type FieldType, type FieldTypeName } from './field-types.js';
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

/** Reads a field's `required` and `defaultValue` options, with parse-server's codes and messages. */
function fieldOptions(className: string, name: string, type: FieldType, definition: Json): FieldType {
  const { required, defaultValue } = definition;
  if (required !== undefined && typeof required !== 'boolean')
    throw new BackendError(ErrorCode.INVALID_JSON, `field ${name}: required must be a boolean`);
  if (defaultValue !== undefined && defaultValue !== null) {
    if (type.type === 'Relation')
      throw new BackendError(
        ErrorCode.INCORRECT_TYPE,
        `The 'default value' option is not applicable for ${describeType(type)}`,
      );
    const given = typeOfRestValue(defaultValue);
    if (!given || !sameType(given, type))
      throw new BackendError(
        ErrorCode.INCORRECT_TYPE,
        `schema mismatch for ${className}.${name} default value; expected ${describeType(type)} but got ${given ? describeType(given) : String(defaultValue)}`,
      );
  } else if (required && type.type === 'Relation') {
    throw new BackendError(
      ErrorCode.INCORRECT_TYPE,
      `The 'required' option is not applicable for ${describeType(type)}`,
    );
  }
  const withOptions: FieldType = { ...type };
  if (required !== undefined) withOptions.required = required;
  if (defaultValue !== undefined && defaultValue !== null) withOptions.defaultValue = defaultValue;
  return withOptions;
}

/** Reads `fields` of a /schemas request (with `required` and `defaultValue` options). */
export function parseFieldChanges(value: unknown, allowDelete: boolean, className = ''): Record<string, FieldChange> {
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
      const base = { type: type as FieldTypeName, targetClass: definition.targetClass };
      changes[name] = { kind: 'add', type: fieldOptions(className, name, base, definition) };
    } else {
      changes[name] = { kind: 'add', type: fieldOptions(className, name, { type: type as FieldTypeName }, definition) };
    }
  }
  return changes;
}

/** The principals a CLP rule may name besides user ids: everyone, logged-in users, a role. */
const NAMED_PRINCIPAL = /^(\*|requiresAuthentication|role:.*)$/;
const NAMED_PROTECTION_PRINCIPAL = /^(\*|authenticated|role:.*|userField:.*)$/;
/** User ids as objectIds are made; with `allowCustomObjectId`, any non-empty string (as parse-server). */
const GENERATED_USER_ID = /^[a-zA-Z0-9]+$/;
const CUSTOM_USER_ID = /^.+$/u;

/** What reading CLPs depends on beyond the class's fields. */
export interface ClpRules {
  /** Whether user ids may be custom (`allowCustomObjectId`), so any string may name a user. */
  readonly customIds: boolean;
}

function invalid(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_JSON, message);
}

/** A pointer permission names a pointer to `_User` or an array field of the class. */
function checkPointerPermission(field: unknown, fields: Readonly<Record<string, FieldType>>, operation: string): void {
  const type = typeof field === 'string' ? fields[field] : undefined;
  if (!(type?.type === 'Array' || (type?.type === 'Pointer' && type.targetClass === '_User')))
    throw invalid(`'${String(field)}' is not a valid column for class level pointer permissions ${operation}`);
}

/** Checks CLP `protectedFields`: principals to lists of the class's own (non-default) fields. */
function checkProtectedFields(rule: Json, fields: Readonly<Record<string, FieldType>>, userId: RegExp): void {
  for (const [principal, names] of Object.entries(rule)) {
    if (!NAMED_PROTECTION_PRINCIPAL.test(principal) && !userId.test(principal))
      throw invalid(`'${principal}' is not a valid key for class level permissions`);
    // A rule on a field that cannot point to users would never apply: refused rather than ignored.
    if (principal.startsWith('userField:')) checkPointerPermission(principal.slice(10), fields, 'protectedFields');
    if (!Array.isArray(names))
      throw invalid(`'${String(names)}' is not a valid value for protectedFields[${principal}] - expected an array.`);
    for (const name of names) {
      if (typeof name === 'string' && DEFAULT_FIELDS.has(name))
        throw invalid(`Default field '${name}' can not be protected`);
      if (typeof name !== 'string' || !(name in fields))
        throw invalid(`Field '${String(name)}' in protectedFields:${principal} does not exist`);
    }
  }
}

/**
 * Reads `classLevelPermissions` of a /schemas request (the same shapes the access checks enforce),
 * against the class's fields after the request's field changes, with parse-server's codes and
 * messages for each mistake.
 */
export function parseClassLevelPermissions(
  value: unknown,
  fields: Readonly<Record<string, FieldType>>,
  rules: ClpRules = { customIds: false },
): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalid('classLevelPermissions must be an object');
  const userId = rules.customIds ? CUSTOM_USER_ID : GENERATED_USER_ID;
  for (const [key, rule] of Object.entries(value)) {
    // parse-server 9's default ACL for new objects, which the save pipeline does not apply yet.
    if (key === 'ACL') throw invalid('ACL in class level permissions (a default ACL) is not supported');
    if (!OPERATIONS.has(key) && !['readUserFields', 'writeUserFields', 'protectedFields'].includes(key))
      throw invalid(`${key} is not a valid operation for class level permissions`);
    if (key === 'readUserFields' || key === 'writeUserFields') {
      if (!Array.isArray(rule))
        throw invalid(`'${String(rule)}' is not a valid value for class level permissions ${key} - must be an array`);
      for (const field of rule) checkPointerPermission(field, fields, key);
      continue;
    }
    if (!isObject(rule))
      throw invalid(`'${String(rule)}' is not a valid value for class level permissions ${key} - must be an object`);
    if (key === 'protectedFields') {
      checkProtectedFields(rule, fields, userId);
      continue;
    }
    for (const [principal, granted] of Object.entries(rule)) {
      if (principal === 'pointerFields') {
        if (!Array.isArray(granted))
          throw invalid(`'${String(granted)}' is not a valid value for ${key}[${principal}] - expected an array.`);
        for (const field of granted) checkPointerPermission(field, fields, key);
        continue;
      }
      if (!NAMED_PRINCIPAL.test(principal) && !userId.test(principal))
        throw invalid(`'${principal}' is not a valid key for class level permissions`);
      if (granted !== true) {
        throw invalid(`'${String(granted)}' is not a valid value for class level permissions acl ${key}:${principal}`);
      }
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
