/**
 * Reading an `aggregate` whose pipeline opens a change stream: the `$changeStream` stage's options,
 * what the stream watches, and the stages after it, with mongod's errors for what it refuses.
 */
import { Timestamp } from 'bson';
import { badValue, commandError, ErrorCode } from '../engine/command-error.js';
import { preparePipeline } from '../engine/pipeline.js';
import { isPlainObject, type Doc } from '../engine/values.js';
import { decodeToken, type ResumeToken } from './resume-token.js';

/** What a stream watches: one collection, one database, or every database (the client's `watch()`). */
export type StreamScope =
  { kind: 'collection'; db: string; coll: string } | { kind: 'database'; db: string } | { kind: 'cluster' };

export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';
export type BeforeChangeMode = 'off' | 'whenAvailable' | 'required';

/** Where the stream starts: now, after a token, or at a cluster time. */
export type StreamStart =
  | { kind: 'now' }
  | { kind: 'resumeAfter'; token: ResumeToken }
  | { kind: 'startAfter'; token: ResumeToken }
  | { kind: 'startAtOperationTime'; ts: bigint };

/** A parsed change stream request. */
export interface ChangeStreamSpec {
  scope: StreamScope;
  fullDocument: FullDocumentMode;
  fullDocumentBeforeChange: BeforeChangeMode;
  start: StreamStart;
  /** The stages after `$changeStream`, prepared for mingo. */
  stages: Doc[];
}

const FULL_DOCUMENT_MODES = ['default', 'updateLookup', 'whenAvailable', 'required'] as const;
const BEFORE_CHANGE_MODES = ['off', 'whenAvailable', 'required'] as const;
const KNOWN_OPTIONS = new Set([
  'fullDocument',
  'fullDocumentBeforeChange',
  'resumeAfter',
  'startAfter',
  'startAtOperationTime',
  'allChangesForCluster',
  'showExpandedEvents',
]);
/** The stages mongod allows after `$changeStream` (less `$changeStreamSplitLargeEvent`, not supported here). */
const STAGES_AFTER = new Set([
  '$match',
  '$project',
  '$addFields',
  '$set',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
  '$redact',
]);
const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

/** True when a pipeline asks for a change stream (`$changeStream` anywhere at its top level). */
export function isChangeStreamPipeline(pipeline: unknown): pipeline is Doc[] {
  return Array.isArray(pipeline) && pipeline.some((stage) => isPlainObject(stage) && '$changeStream' in stage);
}

function enumOption<T extends string>(spec: Doc, field: string, values: readonly T[], fallback: T): T {
  const value = spec[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string')
    throw commandError(
      ErrorCode.TypeMismatch,
      `BSON field '$changeStream.${field}' is the wrong type '${typeof value}', expected type 'string'`,
    );
  if (!(values as readonly string[]).includes(value))
    throw badValue(`Enumeration value '${value}' for field '$changeStream.${field}' is not a valid value.`);
  return value as T;
}

function readStart(spec: Doc): StreamStart {
  const given = ['resumeAfter', 'startAfter', 'startAtOperationTime'].filter((f) => spec[f] !== undefined);
  if (given.length > 1)
    throw commandError(40674, 'Only one type of resume option is allowed, but multiple were found.');
  if (spec.resumeAfter !== undefined)
    return { kind: 'resumeAfter', token: decodeToken(spec.resumeAfter, 'resumeAfter') };
  if (spec.startAfter !== undefined) return { kind: 'startAfter', token: decodeToken(spec.startAfter, 'startAfter') };
  const at = spec.startAtOperationTime;
  if (at === undefined) return { kind: 'now' };
  if (!(at instanceof Timestamp))
    throw commandError(
      ErrorCode.TypeMismatch,
      "BSON field '$changeStream.startAtOperationTime' is the wrong type, expected type 'timestamp'",
    );
  return { kind: 'startAtOperationTime', ts: at.toBigInt() };
}

function readScope(db: string, target: unknown, allChangesForCluster: boolean): StreamScope {
  const collection = typeof target === 'string' ? target : null;
  if (allChangesForCluster) {
    if (db !== 'admin' || collection !== null)
      throw commandError(
        ErrorCode.InvalidNamespace,
        "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name",
      );
    return { kind: 'cluster' };
  }
  if (INTERNAL_DATABASES.has(db))
    throw commandError(ErrorCode.InvalidNamespace, `$changeStream may not be opened on the internal ${db} database`);
  if (collection === null) return { kind: 'database', db };
  if (collection.startsWith('system.'))
    throw commandError(
      ErrorCode.InvalidNamespace,
      `$changeStream may not be opened on the internal ${db}.${collection} collection`,
    );
  return { kind: 'collection', db, coll: collection };
}

function prepareStagesAfter(stages: Doc[]): Doc[] {
  for (const stage of stages) {
    const name = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
    if (name === '$changeStream')
      throw commandError(40602, '$changeStream is only valid as the first stage in a pipeline.');
    if (name !== undefined && name.startsWith('$') && !STAGES_AFTER.has(name))
      throw commandError(ErrorCode.IllegalOperation, `${name} is not permitted in a $changeStream pipeline`);
  }
  return preparePipeline(stages);
}

/**
 * Reads a change stream `aggregate`: `target` is the collection name, or 1 for a database (or, on
 * `admin` with `allChangesForCluster`, every database).
 */
export function parseChangeStream(db: string, target: unknown, pipeline: Doc[]): ChangeStreamSpec {
  const [first, ...rest] = pipeline;
  if (!isPlainObject(first) || !('$changeStream' in first))
    throw commandError(40602, '$changeStream is only valid as the first stage in a pipeline.');
  const spec = first.$changeStream;
  if (!isPlainObject(spec))
    throw commandError(
      ErrorCode.TypeMismatch,
      'the $changeStream stage specification must be an object, but found a different type',
    );
  for (const field of Object.keys(spec))
    if (!KNOWN_OPTIONS.has(field))
      throw commandError(40415, `BSON field '$changeStream.${field}' is an unknown field.`);
  if (spec.showExpandedEvents === true)
    throw badValue('$changeStream showExpandedEvents is not supported by the in-memory MongoDB');
  return {
    scope: readScope(db, target, spec.allChangesForCluster === true),
    fullDocument: enumOption(spec, 'fullDocument', FULL_DOCUMENT_MODES, 'default'),
    fullDocumentBeforeChange: enumOption(spec, 'fullDocumentBeforeChange', BEFORE_CHANGE_MODES, 'off'),
    start: readStart(spec),
    stages: prepareStagesAfter(rest),
  };
}
