/** A class's schema as the core sees it, and the default class-level permissions. */
import type { FieldType } from './field-types.js';

/** Class-level permissions, as stored in `_SCHEMA._metadata.class_permissions`. */
export type ClassLevelPermissions = Record<string, unknown>;

export interface ClassSchema {
  readonly className: string;
  readonly fields: Readonly<Record<string, FieldType>>;
  readonly classLevelPermissions: ClassLevelPermissions;
  readonly indexes: Readonly<Record<string, unknown>>;
}

/** Fields to add to a class, creating the class when `create` is set. */
export interface SchemaChange {
  className: string;
  addFields: Record<string, FieldType>;
  create: boolean;
}

/** Parse Server's default CLP: everything open to everyone. */
export function defaultClassLevelPermissions(): ClassLevelPermissions {
  return {
    find: { '*': true },
    count: { '*': true },
    get: { '*': true },
    create: { '*': true },
    update: { '*': true },
    delete: { '*': true },
    addField: { '*': true },
    protectedFields: { '*': [] },
  };
}

const BASE_FIELDS: Record<string, FieldType> = {
  objectId: { type: 'String' },
  createdAt: { type: 'Date' },
  updatedAt: { type: 'Date' },
  ACL: { type: 'ACL' },
};

/** A class with only the default fields, for one that does not exist yet. */
export function emptyClassSchema(className: string): ClassSchema {
  return { className, fields: { ...BASE_FIELDS }, classLevelPermissions: defaultClassLevelPermissions(), indexes: {} };
}

/**
 * A stored CLP's operations that it does not name: closed to all but the master key. parse-server
 * reads a stored CLP this way (only a class with no CLP stored at all is open to everyone), and so
 * must Plinth, or it would open a parse-server database's classes wider than parse-server does.
 */
function unnamedOperationsClosed(): ClassLevelPermissions {
  return {
    find: {},
    count: {},
    get: {},
    create: {},
    update: {},
    delete: {},
    addField: {},
    protectedFields: {},
  };
}

/** Builds a schema from stored fields, adding the default fields every class has. */
export function classSchema(
  className: string,
  fields: Record<string, FieldType>,
  clp: ClassLevelPermissions | undefined,
  indexes: Record<string, unknown> = {},
): ClassSchema {
  return {
    className,
    fields: { ...BASE_FIELDS, ...fields },
    classLevelPermissions: clp ? { ...unnamedOperationsClosed(), ...clp } : defaultClassLevelPermissions(),
    indexes,
  };
}
