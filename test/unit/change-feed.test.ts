/**
 * The change feed's recovery, on a scripted database: after a failure it opens again where the
 * stream had got to (nothing lost, nothing repeated), and from now only when that point is gone.
 */
import { expect } from 'chai';
import { Timestamp, type Db } from 'mongodb';
import { openChangeFeed } from '../../lib/storage/mongo/change-feed.js';
import type { StoredChange, WatchOptions } from '../../lib/storage/storage.js';
import { classSchema } from '../../lib/schema/class-schema.js';

const NOTE = classSchema('Note', { n: { type: 'Number' } }, undefined);

type Step = { change: Record<string, unknown> } | { fail: { code?: number; message: string } };

/** A database whose change streams play `scripts`, one per opening, then wait. */
function scriptedDb(scripts: Step[][]) {
  const opened: Record<string, unknown>[] = [];
  const db = {
    admin: () => ({ command: async () => ({ setName: 'rs0', operationTime: new Timestamp({ t: 1, i: 1 }) }) }),
    watch: (_pipeline: unknown, options: Record<string, unknown>) => {
      opened.push(options);
      const steps = [...(scripts.shift() ?? [])];
      let token: unknown = null;
      let closed = false;
      return {
        get resumeToken() {
          return token;
        },
        async next() {
          const step = steps.shift();
          if (!step || closed) return new Promise(() => undefined);
          if ('fail' in step) throw Object.assign(new Error(step.fail.message), { code: step.fail.code });
          token = step.change._id;
          return step.change;
        },
        async close() {
          closed = true;
        },
      };
    },
  };
  return { db: db as unknown as Db, opened };
}

function insert(id: string): Record<string, unknown> {
  return {
    _id: { _data: `token-${id}` },
    operationType: 'insert',
    ns: { db: 'x', coll: 'Note' },
    documentKey: { _id: id },
    fullDocument: { _id: id, n: 1 },
  };
}

async function follow(db: Db, changes: StoredChange[], problems: string[]) {
  const options: WatchOptions = {
    classNames: ['Note'],
    preImagesOf: [],
    schemaOf: async () => NOTE,
    onChange: (change) => {
      changes.push(change);
    },
    onProblem: (message) => problems.push(message),
  };
  return openChangeFeed(
    db,
    options,
    async (_schema, doc) => ({ objectId: doc._id, n: doc.n }),
    () => false,
  );
}

async function until(check: () => boolean, ms = 4000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the change feed after a failure', () => {
  it('opens again after the last change it saw: nothing lost, nothing repeated', async () => {
    const { db, opened } = scriptedDb([
      [{ change: insert('a') }, { fail: { code: 6, message: 'host unreachable' } }],
      [{ change: insert('b') }],
    ]);
    const changes: StoredChange[] = [];
    const problems: string[] = [];
    const feed = await follow(db, changes, problems);
    try {
      await until(() => changes.length === 2);
      expect(changes.map((c) => c.objectId)).to.deep.equal(['a', 'b']);
      expect(opened).to.have.length(2);
      expect(opened[0]).to.have.property('startAtOperationTime');
      expect(opened[1]).to.deep.include({ startAfter: { _data: 'token-a' } });
      expect(problems).to.deep.equal(['LiveQuery: the change feed failed; it opens again']);
    } finally {
      await feed?.close();
    }
  });

  it('goes on from now, and says so, when the database no longer has that point', async () => {
    const { db, opened } = scriptedDb([
      [{ change: insert('a') }, { fail: { code: 286, message: 'history lost' } }],
      [{ change: insert('c') }],
    ]);
    const changes: StoredChange[] = [];
    const problems: string[] = [];
    const feed = await follow(db, changes, problems);
    try {
      await until(() => changes.length === 2);
      expect(opened[1]).not.to.have.property('startAfter');
      expect(problems).to.deep.equal(['LiveQuery: changes were lost while the feed was down; it goes on from now']);
    } finally {
      await feed?.close();
    }
  });

  it('answers null on a server without change streams', async () => {
    const db = { admin: () => ({ command: async () => ({ isWritablePrimary: true }) }) } as unknown as Db;
    expect(await follow(db, [], [])).to.equal(null);
  });
});
