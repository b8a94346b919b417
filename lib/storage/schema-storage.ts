/**
 * The schema part of the storage contract: `_SCHEMA` (classes, field types, class-level
 * permissions, indexes) and `_GlobalConfig`.
 *
 * An implementation MUST record schemas in Parse Server's `_SCHEMA` layout, and MUST NOT change a
 * field's recorded type once set (an update of `_SCHEMA` is conditional on it), so that several
 * processes adding fields at once cannot record two types.
 */
import type { ClassSchema, SchemaChange } from '../schema/class-schema.js';

/** The stored form of `_GlobalConfig`. */
export interface GlobalConfig {
  params: Record<string, unknown>;
  masterKeyOnly: Record<string, boolean>;
}

export interface SchemaStorage {
  loadSchemas(): Promise<ClassSchema[]>;
  /** Adds fields to a class's `_SCHEMA` entry (creating it), never changing an existing type. */
  applySchemaChange(change: SchemaChange): Promise<void>;

  /** Replaces a class's class-level permissions in `_SCHEMA`; null removes them (the class is open again). */
  setClassLevelPermissions(className: string, clp: Record<string, unknown> | null): Promise<void>;
  /** Removes fields from a class: from `_SCHEMA`, from every object, and relation join collections. */
  deleteFields(schema: ClassSchema, fields: readonly string[]): Promise<void>;
  /**
   * Creates and drops a class's indexes by name; `add` keys are Parse field names. Recorded in
   * `_SCHEMA` `_metadata.indexes`, as parse-server records them.
   */
  changeIndexes(
    schema: ClassSchema,
    add: Readonly<Record<string, Record<string, unknown>>>,
    drop: readonly string[],
  ): Promise<void>;
  /** Drops a class: its collection, its join collections and its `_SCHEMA` entry. */
  dropClass(schema: ClassSchema): Promise<void>;

  loadGlobalConfig(): Promise<GlobalConfig>;
  saveGlobalConfig(update: {
    set: Record<string, unknown>;
    unset: string[];
    masterKeyOnly: Record<string, boolean>;
  }): Promise<void>;
}
