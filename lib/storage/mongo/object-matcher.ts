/**
 * Objects tested against a `where` in memory, as the database would run the query: the same
 * translation to a MongoDB filter (where-filter.ts, with the readers' `_rperm` condition) and the
 * same stored layout (update-document.ts), evaluated by mingo. LiveQuery matches each change
 * against its subscriptions this way.
 */
import type { Document } from 'mongodb';
import { Query } from 'mingo';
import type { ClassSchema } from '../../schema/class-schema.js';
import type { RestObject, RestWhere } from '../object-storage.js';
import { objectToDocument } from './update-document.js';
import { whereToFilter } from './where-filter.js';

/** One change is tested against many subscriptions: its stored form is made once per schema. */
const stored = new WeakMap<RestObject, { schema: ClassSchema; doc: Document }>();

function storedForm(schema: ClassSchema, object: RestObject): Document {
  const known = stored.get(object);
  if (known?.schema === schema) return known.doc;
  const doc = objectToDocument(schema, object);
  stored.set(object, { schema, doc });
  return doc;
}

export function objectMatcher(
  schema: ClassSchema,
  where: RestWhere,
  readers: readonly string[] | null,
): (object: RestObject) => boolean {
  const query = new Query(whereToFilter(schema, where, readers));
  return (object) => query.test(storedForm(schema, object));
}
