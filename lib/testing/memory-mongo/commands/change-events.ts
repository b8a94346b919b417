/**
 * Change events: the documents a change stream returns for the entries of the change history, in
 * mongod's shapes (see MongoDB's "Change Events" reference), and which entries a stream sees.
 */
import { createHash } from 'node:crypto';
import { Binary, Long, Timestamp } from 'bson';
import type { LogEntry } from '../engine/change-log.js';
import { commandError, ErrorCode } from '../engine/command-error.js';
import type { Store } from '../engine/store.js';
import { cloneValue, isPlainObject, toWire, type Doc } from '../engine/values.js';
import type { BeforeChangeMode, FullDocumentMode, StreamScope } from './change-stream-spec.js';
import { encodeToken } from './resume-token.js';

/** What shapes a stream's events. */
export interface EventOptions {
  fullDocument: FullDocumentMode;
  fullDocumentBeforeChange: BeforeChangeMode;
}

const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

/**
 * A session's `uid` as mongod sets it on `lsid` without authentication: the SHA-256 of the empty
 * user name.
 */
const ANONYMOUS_UID = new Binary(createHash('sha256').update('').digest());

/** Whether a stream of `scope` sees the change. */
export function inScope(entry: LogEntry, scope: StreamScope): boolean {
  const { change } = entry;
  switch (scope.kind) {
    case 'collection':
      return change.op !== 'dropDatabase' && change.db === scope.db && change.coll === scope.coll;
    case 'database':
      return change.db === scope.db && (change.op === 'dropDatabase' || !change.coll.startsWith('system.'));
    case 'cluster':
      return !INTERNAL_DATABASES.has(change.db);
  }
}

/** Whether the change ends a stream of `scope`: its collection dropped or renamed, its database dropped. */
export function invalidates(entry: LogEntry, scope: StreamScope): boolean {
  const { op } = entry.change;
  if (scope.kind === 'collection') return (op === 'drop' || op === 'rename') && inScope(entry, scope);
  if (scope.kind === 'database') return op === 'dropDatabase' && entry.change.db === scope.db;
  return false;
}

function clusterTime(entry: LogEntry): Timestamp {
  return new Timestamp({ t: Number(entry.ts >> 32n), i: Number(entry.ts & 0xffffffffn) });
}

/**
 * A stored document as an event carries it: a copy the pipeline may change, still normalized (so
 * that `$match` compares numbers as numbers) and keeping its type hints for {@link eventToWire}.
 */
function shown(doc: Doc): Doc {
  return cloneValue(doc);
}

const DOCUMENT_FIELDS = ['fullDocument', 'fullDocumentBeforeChange', 'documentKey'] as const;

/** An event (after the stream's pipeline) as it goes on the wire, documents with their exact BSON types. */
export function eventToWire(event: Doc): Doc {
  let out = event;
  for (const field of DOCUMENT_FIELDS) {
    const value = event[field];
    if (!isPlainObject(value)) continue;
    const wire = toWire(value);
    if (wire !== value) out = { ...out, [field]: wire };
  }
  return out;
}

function image(doc: Doc | undefined, mode: 'whenAvailable' | 'required', what: string, entry: LogEntry): Doc | null {
  if (doc) return shown(doc);
  if (mode === 'required') {
    const { db, coll } = entry.change as { db: string; coll: string };
    throw commandError(
      ErrorCode.NoMatchingDocument,
      `Change stream was configured to require a ${what} for all update, delete and replace events, but the ${what} was not found for event: ${db}.${coll} at ${clusterTime(entry).toString()}`,
    );
  }
  return null;
}

/** The event for an `invalidate` after the change that ended the stream. */
export function invalidateEvent(entry: LogEntry): Doc {
  return {
    _id: encodeToken(entry, true),
    operationType: 'invalidate',
    clusterTime: clusterTime(entry),
    wallTime: entry.wallTime,
  };
}

/** The event for one change of the history. `store` is read for `fullDocument: 'updateLookup'`. */
export function changeEvent(entry: LogEntry, options: EventOptions, store: Store): Doc {
  const { change } = entry;
  const event: Doc = {
    _id: encodeToken(entry),
    operationType: change.op,
    clusterTime: clusterTime(entry),
    wallTime: entry.wallTime,
  };
  switch (change.op) {
    case 'insert':
    case 'replace':
      event.fullDocument = shown(change.after);
      break;
    case 'update':
      if (options.fullDocument === 'updateLookup') {
        const current = store.collection(change.db, change.coll)?.getById(change.id);
        event.fullDocument = current ? shown(current) : null;
      } else if (options.fullDocument !== 'default') {
        event.fullDocument = image(change.after, options.fullDocument, 'post-image', entry);
      }
      break;
    default:
      break;
  }
  event.ns = change.op === 'dropDatabase' ? { db: change.db } : { db: change.db, coll: change.coll };
  if (change.op === 'rename') event.to = { db: change.to.db, coll: change.to.coll };
  if (change.op === 'insert' || change.op === 'update' || change.op === 'replace' || change.op === 'delete') {
    event.documentKey = shown({ _id: change.id });
  }
  if (change.op === 'update') {
    const { updatedFields, removedFields } = change.description;
    event.updateDescription = {
      updatedFields: cloneValue(updatedFields),
      removedFields: [...removedFields],
      truncatedArrays: [],
    };
  }
  if (
    (change.op === 'update' || change.op === 'replace' || change.op === 'delete') &&
    options.fullDocumentBeforeChange !== 'off'
  ) {
    event.fullDocumentBeforeChange = image(change.before, options.fullDocumentBeforeChange, 'pre-image', entry);
  }
  if (entry.txn) {
    event.lsid = { ...entry.txn.lsid, uid: ANONYMOUS_UID };
    event.txnNumber = Long.fromNumber(entry.txn.txnNumber);
  }
  return event;
}
