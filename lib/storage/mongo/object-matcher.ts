/**
 * Objects tested against a `where` in memory, as the database would run the query: the same
 * translation to a MongoDB filter (where-filter.ts, with the readers' `_rperm` condition) and the
 * same stored layout (update-document.ts), evaluated by mingo. LiveQuery matches each change
 * against its subscriptions this way.
 */
import { Query } from 'mingo';
import type { ClassSchema } from '../../schema/class-schema.js';
import type { RestObject, RestWhere } from '../object-storage.js';
import { objectToDocument } from './update-document.js';
import { whereToFilter } from './where-filter.js';

export function objectMatcher(
  schema: ClassSchema,
  where: RestWhere,
  readers: readonly string[] | null,
): (object: RestObject) => boolean {
  const query = new Query(whereToFilter(schema, where, readers));
  return (object) => query.test(objectToDocument(schema, object));
}
