/**
 * The schemas of all classes, cached, and the one place where a write's values are checked against
 * them. The cache holds for a short, bounded time and is reloaded after a conflicting change, so
 * several processes sharing a database converge: a field type recorded by one process is seen by
 * the others within the bound, and `_SCHEMA` updates never overwrite an existing type.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { Storage } from '../storage/storage.js';
import { emptyClassSchema, type ClassSchema } from './class-schema.js';
import { describeType, sameType, typeOfRestValue, type FieldType } from './field-types.js';
import { assertClassName, assertFieldName } from './names.js';
import { assertSchemaBounds, type SchemaBounds } from './schema-bounds.js';

/** How long a loaded schema is trusted before it is read again (bounds cross-process staleness). */
const SCHEMA_TTL_MS = 5000;

export interface SchemaRegistryOptions {
  storage: Storage;
  /** Bounds on fields added implicitly by writes. */
  bounds?: SchemaBounds;
  now?: () => number;
}

/** Who is writing: clients may not create classes unless allowed. */
export interface WriteIntent {
  master: boolean;
  allowClientClassCreation: boolean;
  /** Throws when the caller may not add fields to this existing class (its addField permission). */
  assertMayAddField?: (schema: ClassSchema) => void;
}

export class SchemaRegistry {
  private readonly storage: Storage;
  private readonly now: () => number;
  private cache: Map<string, ClassSchema> | null = null;
  private loadedAt = 0;
  private loading: Promise<Map<string, ClassSchema>> | null = null;

  private readonly bounds: SchemaBounds;

  constructor(options: SchemaRegistryOptions) {
    this.storage = options.storage;
    this.bounds = options.bounds ?? { maxFieldsPerClass: Infinity, maxFieldNameLength: Infinity };
    this.now = options.now ?? Date.now;
  }

  /** Every class's schema (reloaded when the cache is stale). */
  async all(forceReload = false): Promise<Map<string, ClassSchema>> {
    if (!forceReload && this.cache && this.now() - this.loadedAt < SCHEMA_TTL_MS) return this.cache;
    this.loading ??= this.storage
      .loadSchemas()
      .then((schemas) => {
        this.cache = new Map(schemas.map((s) => [s.className, s]));
        this.loadedAt = this.now();
        return this.cache;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  /** Drops the cache, e.g. after a schema change through another route. */
  invalidate(): void {
    this.cache = null;
  }

  /**
   * The class's schema, or undefined when the class does not exist. A class missing from the cache
   * is looked up again (another process may have just created it), as parse-server does.
   */
  async get(className: string): Promise<ClassSchema | undefined> {
    return (await this.all()).get(className) ?? (await this.all(true)).get(className);
  }

  /**
   * Checks the fields of a write against the class's schema (111 for a wrong type), records new
   * fields, and creates the class when needed (if allowed). Returns the schema to write with.
   */
  async prepareWrite(className: string, values: Record<string, unknown>, intent: WriteIntent): Promise<ClassSchema> {
    assertClassName(className);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.get(className);
      const schema = existing ?? emptyClassSchema(className);
      const addFields = newFields(schema, values);
      if (existing && Object.keys(addFields).length === 0) return schema;
      if (existing) intent.assertMayAddField?.(existing);
      if (!existing && !intent.master && !intent.allowClientClassCreation && !className.startsWith('_')) {
        throw new BackendError(
          ErrorCode.OPERATION_FORBIDDEN,
          `This user is not allowed to access non-existent class: ${className}`,
        );
      }
      assertSchemaBounds(className, Object.keys(schema.fields).length, Object.keys(addFields), this.bounds);
      await this.storage.applySchemaChange({ className, addFields, create: !existing });
      const updated = (await this.all(true)).get(className);
      // Another process may have added the same field with another type meanwhile: check again.
      if (updated && Object.keys(newFields(updated, values)).length === 0) return updated;
      if (attempt >= 2)
        throw new BackendError(ErrorCode.INCORRECT_TYPE, `schema of ${className} changed during the write`);
    }
  }
}

/** Fields of `values` the schema does not have yet; throws 111 when a known field has another type. */
function newFields(schema: ClassSchema, values: Record<string, unknown>): Record<string, FieldType> {
  const added: Record<string, FieldType> = {};
  for (const [key, value] of Object.entries(values)) {
    const field = key.split('.')[0]!;
    assertFieldName(field);
    const known = schema.fields[field];
    // A path goes into an Object field, or into an Array field by index (`items.0.count`), as MongoDB reads it.
    const intoArray = known?.type === 'Array' && /^\d+$/.test(key.split('.')[1] ?? '');
    if (key.includes('.') && known && known.type !== 'Object' && !intoArray) {
      throw new BackendError(
        ErrorCode.INCORRECT_TYPE,
        `cannot set ${key}: ${schema.className}.${field} is a ${describeType(known)}, not an Object`,
      );
    }
    const type = key.includes('.') ? (known ? null : { type: 'Object' as const }) : typeOfRestValue(value);
    if (!type) continue;
    if (known) {
      if (!sameType(known, type)) {
        throw new BackendError(
          ErrorCode.INCORRECT_TYPE,
          `schema mismatch for ${schema.className}.${field}; expected ${describeType(known)} but got ${describeType(type)}`,
        );
      }
    } else {
      if (
        type.type === 'GeoPoint' &&
        [...Object.values(schema.fields), ...Object.values(added)].some((f) => f.type === 'GeoPoint')
      ) {
        throw new BackendError(ErrorCode.INCORRECT_TYPE, 'MongoDB only supports one GeoPoint field in a class.');
      }
      added[field] = type;
    }
  }
  return added;
}
