/**
 * Changes made to the database by anyone — this process, another one, a migration script — as the
 * database reports them (MongoDB's change streams). LiveQuery's events across processes and the
 * caches' invalidation stand on this.
 *
 * An implementation MUST report each committed change once, in commit order, and a transaction's
 * changes only when it commits; MUST resume after a transient failure without losing or repeating
 * changes within what the database keeps; MUST answer null from `watchChanges` (not fail) when the
 * database cannot report changes (a standalone MongoDB), so the backend falls back to what its own
 * process sees.
 */
import type { ClassSchema } from '../schema/class-schema.js';
import type { RestObject } from './object-storage.js';

/** One committed change to one stored object. */
export interface StoredChange {
  /** The class (or internal collection) changed. */
  className: string;
  objectId: string;
  kind: 'insert' | 'update' | 'replace' | 'delete';
  /** The object after the change, as reads return it; null for a delete or an unknown class. */
  object: RestObject | null;
  /** The object before the change, when the database keeps pre-images of the class; else null. */
  original: RestObject | null;
  /** For an update: the fields it set or removed (so a reader can tell what did not change). */
  changedFields?: string[];
}

export interface ChangeFeed {
  close(): Promise<void>;
}

export interface WatchOptions {
  /** The classes and internal collections to follow. */
  classNames: readonly string[];
  /** Classes whose objects are reported (decoded with their schema); others come with ids only. */
  schemaOf(className: string): Promise<ClassSchema | undefined>;
  /** Have the database keep pre-images of these classes, so changes carry `original`. */
  preImagesOf: readonly string[];
  /** Classes whose inserts nobody needs: the database filters them out (a login's new session). */
  insertsIgnoredOf?: readonly string[];
  onChange(change: StoredChange): void | Promise<void>;
  /** Told of a failure the feed recovered from, or of changes lost past the database's history. */
  onProblem(message: string, details: Record<string, unknown>): void;
}

export interface ChangeStorage {
  /** Follows changes; null when the database cannot report them. */
  watchChanges(options: WatchOptions): Promise<ChangeFeed | null>;
}
