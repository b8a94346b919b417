/**
 * The change feed on MongoDB: one database-level change stream per backend, limited to the
 * collections asked for, each change decoded from Parse's layout. The driver resumes it after a
 * transient failure; past a failure it cannot resume from, the feed opens again after the last
 * change it saw, or from now when the database no longer has that point (and says so).
 */
import {
  Timestamp,
  type ChangeStream,
  type ChangeStreamDocument,
  type Db,
  type Document,
  type ResumeToken,
} from 'mongodb';
import type { ClassSchema } from '../../schema/class-schema.js';
import type { ChangeFeed, StoredChange, WatchOptions } from '../change-storage.js';
import type { RestObject } from '../object-storage.js';
import { fieldOfStoredKey } from './codec.js';

type Decode = (schema: ClassSchema, doc: Document) => Promise<RestObject>;

const HISTORY_LOST = 286;
const INVALID_RESUME_TOKEN = 260;
const FATAL = 280;
const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;
const REOPEN_DELAY_MS = 1000;
const IDLE_AWAIT_MS = 10_000;

async function keepPreImages(db: Db, className: string): Promise<void> {
  const option = { changeStreamPreAndPostImages: { enabled: true } };
  try {
    await db.command({ collMod: className, ...option });
  } catch (err) {
    if ((err as { code?: number }).code !== NAMESPACE_NOT_FOUND) throw err;
    await db.createCollection(className, option).catch(async (created: unknown) => {
      if ((created as { code?: number }).code !== NAMESPACE_EXISTS) throw created;
      await db.command({ collMod: className, ...option });
    });
  }
}

export async function openChangeFeed(
  db: Db,
  options: WatchOptions,
  decode: Decode,
  storageClosed: () => boolean,
): Promise<ChangeFeed | null> {
  for (const className of options.preImagesOf) {
    await keepPreImages(db, className).catch((err: unknown) =>
      options.onProblem('LiveQuery: the database does not keep pre-images of this class', {
        className,
        error: String(err),
      }),
    );
  }
  const ignored = options.insertsIgnoredOf ?? [];
  const pipeline = [
    {
      $match: {
        'ns.coll': { $in: [...options.classNames] },
        operationType: { $in: ['insert', 'update', 'replace', 'delete'] },
        // Filtered by the database: such a change costs this process no read at all.
        ...(ignored.length > 0 && { $nor: [{ 'ns.coll': { $in: [...ignored] }, operationType: 'insert' }] }),
      },
    },
  ];
  // `startAfter` rather than `resumeAfter`: it also goes on past an invalidate (a dropped database).
  const open = (startAfter: ResumeToken | undefined, startAtOperationTime?: Timestamp): ChangeStream =>
    db.watch(pipeline, {
      fullDocument: 'updateLookup',
      // An awaiting read answers as soon as a change comes; while none does, it asks again every
      // 10 s rather than every second (MongoDB's default), so an idle feed costs almost nothing.
      maxAwaitTimeMS: IDLE_AWAIT_MS,
      ...(options.preImagesOf.length > 0 && { fullDocumentBeforeChange: 'whenAvailable' }),
      ...(startAfter !== undefined && { startAfter }),
      ...(startAtOperationTime !== undefined && { startAtOperationTime }),
    });

  // Change streams need a replica set (or mongos): a standalone server says so in `hello`.
  const hello = await db.admin().command({ hello: 1 });
  if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') return null;
  // From the time of that answer: the stream opens on the server with its first read, and no
  // change made meanwhile is missed.
  let stream = open(undefined, hello.operationTime instanceof Timestamp ? hello.operationTime : undefined);
  let closed = false;
  let lastToken: ResumeToken | undefined;

  const handle = async (change: ChangeStreamDocument): Promise<void> => {
    lastToken = change._id;
    if (!('ns' in change) || !('documentKey' in change)) return;
    const className = change.ns.coll ?? '';
    const schema = await options.schemaOf(className);
    const after = 'fullDocument' in change ? change.fullDocument : undefined;
    const before = 'fullDocumentBeforeChange' in change ? change.fullDocumentBeforeChange : undefined;
    const stored: StoredChange = {
      className,
      objectId: String((change.documentKey as { _id: unknown })._id),
      kind: change.operationType as StoredChange['kind'],
      object: schema && after ? await decode(schema, after) : null,
      original: schema && before ? await decode(schema, before) : null,
    };
    if (change.operationType === 'update') {
      const { updatedFields = {}, removedFields = [] } = change.updateDescription;
      stored.changedFields = [...new Set([...Object.keys(updatedFields), ...removedFields].map(fieldOfStoredKey))];
    }
    await options.onChange(stored);
  };

  const run = async (): Promise<void> => {
    while (!closed && !storageClosed()) {
      try {
        const change = await stream.next();
        await handle(change);
      } catch (err) {
        if (closed || storageClosed()) return;
        const code = (err as { code?: number }).code;
        // Where the stream had got to, filtered-out changes included.
        let from = (stream.resumeToken as ResumeToken | null) ?? lastToken;
        await stream.close().catch(() => undefined);
        let delay = REOPEN_DELAY_MS;
        if (code === HISTORY_LOST || code === INVALID_RESUME_TOKEN || code === FATAL) {
          if (code === HISTORY_LOST)
            options.onProblem('LiveQuery: changes were lost while the feed was down; it goes on from now', {});
          from = undefined;
        } else if (code === undefined && /is closed/i.test(String(err))) {
          // The server ended the stream (its database was dropped): go on after that, at once.
          delay = 0;
        } else {
          options.onProblem('LiveQuery: the change feed failed; it opens again', { error: String(err) });
        }
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        if (closed || storageClosed()) return;
        stream = open(from);
      }
    }
  };
  void run();

  return {
    async close() {
      closed = true;
      await stream.close().catch(() => undefined);
    },
  };
}
