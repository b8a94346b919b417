/**
 * The storage conformance suite: what every implementation of the storage contract
 * (lib/storage/*-storage.ts) MUST do, checked through the contract alone. An implementation
 * passes it by calling {@link describeStorageConformance} with a factory for fresh instances.
 */
import { expect } from 'chai';
import { BackendError } from '../../lib/errors/backend-error.js';
import { classSchema } from '../../lib/schema/class-schema.js';
import type { Storage, StoredChange } from '../../lib/storage/storage.js';

/** A fresh storage on an empty database, and how to release it. */
export interface StorageUnderTest {
  storage: Storage;
  close(): Promise<void>;
}

const NOTE = classSchema('Note', { title: { type: 'String' }, n: { type: 'Number' } }, undefined);
const USER = classSchema('_User', { username: { type: 'String' }, email: { type: 'String' } }, undefined);
const secretHash = '$2b$10$abcdefghijklmnopqrstuu5eCqKvJ0n0x5m6N4r0ZgO9PZQp8hL2m';

function note(objectId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  return { objectId, createdAt: now, updatedAt: now, title: objectId, n: 1, ...extra };
}

async function expectCode(promise: Promise<unknown>, code: number): Promise<void> {
  const error = await promise.then(
    () => expect.fail(`expected a BackendError ${code}`),
    (err: unknown) => err,
  );
  expect(error).to.be.instanceOf(BackendError);
  expect((error as BackendError).code).to.equal(code);
}

export function describeStorageConformance(name: string, make: () => Promise<StorageUnderTest>): void {
  describe(`storage conformance: ${name}`, function () {
    this.timeout(20000);
    let under: StorageUnderTest;
    let storage: Storage;

    beforeEach(async () => {
      under = await make();
      storage = under.storage;
      await storage.connect();
      await storage.applySchemaChange({
        className: 'Note',
        addFields: { title: { type: 'String' }, n: { type: 'Number' } },
        create: true,
      });
    });
    afterEach(() => under.close());

    describe('changes', () => {
      it('reports committed changes once, in order, a transaction at its commit, with the fields an update touched', async () => {
        const changes: StoredChange[] = [];
        const feed = await storage.watchChanges({
          classNames: ['Note'],
          preImagesOf: [],
          schemaOf: async (className) => (className === 'Note' ? NOTE : undefined),
          onChange: (change) => {
            changes.push(change);
          },
          onProblem: () => undefined,
        });
        expect(feed, 'the storage under test has change streams').to.not.equal(null);
        const until = async (count: number): Promise<void> => {
          const deadline = Date.now() + 3000;
          while (changes.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        };
        try {
          await storage.createObject(NOTE, note('w1'));
          await storage.updateObject(NOTE, { objectId: 'w1' }, { n: 2 }, null);
          await until(2);
          await storage
            .transaction(async () => {
              await storage.createObject(NOTE, note('w2'));
              throw new Error('abort');
            })
            .catch(() => undefined);
          await storage.transaction(async () => {
            await storage.createObject(NOTE, note('w3'));
            await storage.deleteObject(NOTE, { objectId: 'w1' }, null);
          });
          await until(4);
          await new Promise((r) => setTimeout(r, 100));
          expect(changes.map((c) => `${c.kind} ${c.objectId}`)).to.deep.equal([
            'insert w1',
            'update w1',
            'insert w3',
            'delete w1',
          ]);
          expect(changes[1]!.object).to.include({ objectId: 'w1', n: 2 });
          expect(changes[1]!.changedFields).to.include('n');
        } finally {
          await feed?.close();
        }
      });

      it('leaves out the inserts of the classes asked, and nothing else of them', async () => {
        const OTHER = classSchema('Other', { n: { type: 'Number' } }, undefined);
        const changes: StoredChange[] = [];
        const feed = await storage.watchChanges({
          classNames: ['Note', 'Other'],
          preImagesOf: [],
          insertsIgnoredOf: ['Other'],
          schemaOf: async () => undefined,
          onChange: (change) => {
            changes.push(change);
          },
          onProblem: () => undefined,
        });
        try {
          await storage.createObject(OTHER, note('o1'));
          await storage.updateObject(OTHER, { objectId: 'o1' }, { n: 5 }, null);
          await storage.createObject(NOTE, note('n1'));
          const deadline = Date.now() + 3000;
          while (changes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          await new Promise((r) => setTimeout(r, 100));
          expect(changes.map((c) => `${c.kind} ${c.className} ${c.objectId}`)).to.deep.equal([
            'update Other o1',
            'insert Note n1',
          ]);
        } finally {
          await feed?.close();
        }
      });
    });

    describe('objects', () => {
      it('stores, finds, updates atomically and deletes an object', async () => {
        await storage.createObject(NOTE, note('a1'));
        const [found] = await storage.findObjects(NOTE, { objectId: 'a1' }, {}, null);
        expect(found).to.include({ objectId: 'a1', title: 'a1', n: 1 });
        const after = await storage.updateObject(
          NOTE,
          { objectId: 'a1' },
          { n: { __op: 'Increment', amount: 2 } },
          null,
        );
        expect(after).to.include({ objectId: 'a1', n: 3 });
        expect(await storage.deleteObject(NOTE, { objectId: 'a1' }, null)).to.equal(true);
        expect(await storage.deleteObject(NOTE, { objectId: 'a1' }, null)).to.equal(false);
      });

      it('limits reads to the readers and writes to the writers (ACLs)', async () => {
        const acl = { u1: { read: true, write: true }, '*': { read: true } };
        await storage.createObject(NOTE, note('b1', { ACL: acl }));
        await storage.createObject(NOTE, note('b2', { ACL: { u2: { read: true } } }));
        const seen = await storage.findObjects(NOTE, {}, { order: ['objectId'] }, ['*', 'u1']);
        expect(seen.map((o) => o.objectId)).to.deep.equal(['b1']);
        expect(await storage.countObjects(NOTE, {}, ['*', 'u2'])).to.equal(2);
        expect(await storage.updateObject(NOTE, { objectId: 'b1' }, { n: 5 }, ['*', 'u2'])).to.equal(null);
        expect(await storage.deleteObject(NOTE, { objectId: 'b1' }, ['*', 'u2'])).to.equal(false);
        expect(await storage.updateObject(NOTE, { objectId: 'b1' }, { n: 5 }, ['*', 'u1'])).to.include({ n: 5 });
      });

      it('matches objects in memory as a query would find them, ACL included', async () => {
        const where = { $or: [{ n: { $gte: 5 } }, { title: { $regex: '^pin', $options: 'i' } }] };
        const stored = [
          note('m1', { n: 7 }),
          note('m2', { n: 1, title: 'Pinned' }),
          note('m3', { n: 2 }),
          note('m4', { n: 9, ACL: { u9: { read: true } } }),
        ];
        for (const object of stored) await storage.createObject(NOTE, object);
        const found = await storage.findObjects(NOTE, where, { order: ['objectId'] }, ['*', 'u1']);
        const test = storage.objectMatcher(NOTE, where, ['*', 'u1']);
        const matched = (await storage.findObjects(NOTE, {}, { order: ['objectId'] }, null)).filter(test);
        expect(matched.map((o) => o.objectId)).to.deep.equal(found.map((o) => o.objectId));
        expect(matched.map((o) => o.objectId)).to.deep.equal(['m1', 'm2']);
        expect(storage.objectMatcher(NOTE, where, null)(stored[3]!)).to.equal(true);
      });

      it('sorts, skips, limits and selects keys', async () => {
        for (const [i, id] of ['c3', 'c1', 'c2'].entries()) await storage.createObject(NOTE, note(id, { n: i }));
        const page = await storage.findObjects(
          NOTE,
          {},
          { order: ['-objectId'], skip: 1, limit: 1, keys: ['n'] },
          null,
        );
        expect(page).to.have.length(1);
        expect(page[0]).to.include({ objectId: 'c2', n: 2 });
        expect(page[0]).to.not.have.property('title');
      });

      it('charges each document read to the budget, and lets its error stop the read', async () => {
        for (const id of ['d1', 'd2', 'd3']) await storage.createObject(NOTE, note(id));
        let charged = 0;
        await storage.findObjects(NOTE, {}, { budget: { charge: (bytes) => void (charged += bytes) } }, null);
        expect(charged).to.be.greaterThan(0);
        const stop = new BackendError(116, 'too much');
        const budget = {
          charge: (bytes: number) => {
            if (bytes > 0) throw stop;
          },
        };
        await expectCode(storage.findObjects(NOTE, {}, { budget }, null), 116);
      });

      it('finds a value ignoring case, deletes many, and keeps relations', async () => {
        await storage.createObject(NOTE, note('e1', { title: 'Hello' }));
        expect(await storage.existsIgnoringCase(NOTE, 'title', 'hELLO')).to.equal(true);
        expect(await storage.existsIgnoringCase(NOTE, 'title', 'hELLO', 'e1')).to.equal(false);
        const relation = { owningClass: 'Note', field: 'likes', owningId: 'e1' };
        await storage.addRelations(relation, ['u1', 'u2']);
        await storage.removeRelations(relation, ['u1']);
        expect(await storage.relatedIds(relation, 'e1')).to.deep.equal(['u2']);
        expect(await storage.owningIdsOf('Note', 'likes', ['u2'])).to.deep.equal(['e1']);
        expect(await storage.deleteObjects(NOTE, { title: 'Hello' })).to.equal(1);
      });

      it('updates every object matching, whatever its ACL', async () => {
        await storage.createObject(NOTE, note('m1', { title: 'many', ACL: {} }));
        await storage.createObject(NOTE, note('m2', { title: 'many', n: 5 }));
        await storage.createObject(NOTE, note('m3', { title: 'other' }));
        expect(await storage.updateObjects(NOTE, { title: 'many' }, { n: { __op: 'Increment', amount: 2 } })).to.equal(
          2,
        );
        const found = await storage.findObjects(NOTE, { title: 'many' }, { order: ['objectId'] }, null);
        expect(found.map((o) => o.n)).to.deep.equal([3, 7]);
        expect(await storage.updateObjects(NOTE, { title: 'none' }, { n: 0 })).to.equal(0);
      });

      it('keeps log lines and reads them back by time, level and order', async () => {
        const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
        await storage.appendLogLines([
          { level: 'info', message: 'one', timestamp: at(1), meta: { k: 1 } },
          { level: 'error', message: 'two', timestamp: at(2) },
          { level: 'info', message: 'three', timestamp: at(3) },
        ]);
        await storage.appendLogLines([]);
        const window = { from: at(0), until: at(10), errorsOnly: false, size: 10 };
        const newest = await storage.findLogLines({ ...window, order: 'desc' });
        expect(newest.map((l) => l.message)).to.deep.equal(['three', 'two', 'one']);
        expect(newest[2]).to.deep.include({ level: 'info', meta: { k: 1 } });
        expect(newest[2]!.timestamp.getTime()).to.equal(at(1).getTime());
        const oldest = await storage.findLogLines({ ...window, order: 'asc', size: 2 });
        expect(oldest.map((l) => l.message)).to.deep.equal(['one', 'two']);
        const errors = await storage.findLogLines({ ...window, errorsOnly: true, order: 'asc' });
        expect(errors.map((l) => l.message)).to.deep.equal(['two']);
        const later = await storage.findLogLines({ ...window, from: at(3), order: 'asc' });
        expect(later.map((l) => l.message)).to.deep.equal(['three']);
      });

      it('lands all the writes of a transaction or none', async () => {
        await storage
          .transaction(async () => {
            await storage.createObject(NOTE, note('f1'));
            throw new Error('abort');
          })
          .catch((err: unknown) => expect((err as Error).message).to.equal('abort'));
        expect(await storage.findObjects(NOTE, { objectId: 'f1' }, {}, null)).to.deep.equal([]);
        await storage.transaction(async () => storage.createObject(NOTE, note('f2')));
        expect(await storage.findObjects(NOTE, { objectId: 'f2' }, {}, null)).to.have.length(1);
      });
    });

    describe('users and sessions', () => {
      const password = { hash: secretHash, changedAt: new Date('2026-01-01T00:00:00Z') };
      const user = (objectId: string, username: string) => note(objectId, { username, email: `${username}@x.io` });
      const tokenExpiry = () => new Date(Date.now() + 60000);

      it('keeps secrets out of objects, and gives them back only as secrets', async () => {
        await storage.createObject(USER, user('u1', 'ann'), { password, authData: { anonymous: { id: 'anon-1' } } });
        const [plain] = await storage.findObjects(USER, { objectId: 'u1' }, {}, null);
        expect(JSON.stringify(plain)).to.not.include(secretHash);
        const secrets = await storage.findUserSecrets(USER, { username: 'ann' });
        expect(secrets?.hashedPassword).to.equal(secretHash);
        expect(secrets?.passwordChangedAt?.toISOString()).to.equal('2026-01-01T00:00:00.000Z');
        expect(await storage.authProvidersOf('u1')).to.deep.equal(['anonymous']);
        await storage.updateObject(USER, { objectId: 'u1' }, {}, null, { authData: { anonymous: null } });
        expect(await storage.authProvidersOf('u1')).to.deep.equal([]);
      });

      it('refuses a lookup that matches two users', async () => {
        await storage.createObject(USER, user('u2', 'bob'));
        await storage.createObject(USER, user('u3', 'bob2'));
        expect(await storage.findUserSecrets(USER, { username: { $in: ['bob', 'bob2'] } })).to.equal(null);
      });

      it('counts parallel login attempts atomically, locks and clears', async () => {
        await storage.createObject(USER, user('u4', 'cy'));
        const now = new Date();
        const attempts = await Promise.all(Array.from({ length: 8 }, () => storage.reserveLoginAttempt('u4', now)));
        expect([...attempts].sort((a, b) => a! - b!)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
        await storage.lockAccount('u4', new Date(now.getTime() + 60000));
        expect(await storage.reserveLoginAttempt('u4', now)).to.equal(null);
        await storage.clearFailedLogins('u4');
        expect(await storage.reserveLoginAttempt('u4', now)).to.equal(1);
      });

      it('uses a one-time token once, even when used twice at the same moment', async () => {
        await storage.createObject(USER, user('u5', 'dee'));
        await storage.updateObject(USER, { objectId: 'u5' }, {}, null, {
          resetToken: { token: 'tok-1', expiresAt: tokenExpiry() },
        });
        expect((await storage.userWithToken('resetPassword', 'tok-1', new Date()))?.user.objectId).to.equal('u5');
        const uses = await Promise.all([
          storage.consumeUserToken('resetPassword', 'tok-1', new Date(), {}, { password }),
          storage.consumeUserToken('resetPassword', 'tok-1', new Date(), {}, { password }),
        ]);
        expect(uses.filter((u) => u !== null)).to.have.length(1);
        expect(await storage.userWithToken('resetPassword', 'tok-1', new Date())).to.equal(null);
        expect((await storage.findUserSecrets(USER, { objectId: 'u5' }))?.hashedPassword).to.equal(secretHash);
      });

      it('does not accept an expired token', async () => {
        await storage.createObject(USER, user('u6', 'eve'));
        await storage.updateObject(USER, { objectId: 'u6' }, {}, null, {
          emailVerifyToken: { token: 'tok-2', expiresAt: new Date(Date.now() - 1000) },
        });
        expect(await storage.consumeUserToken('verifyEmail', 'tok-2', new Date(), { emailVerified: true })).to.equal(
          null,
        );
      });
    });

    describe('rate-limit counters', () => {
      it('counts each key and window on its own, atomically', async () => {
        const start = new Date(Date.UTC(2026, 0, 1));
        const expires = new Date(Date.now() + 60000);
        const counts = await Promise.all(Array.from({ length: 6 }, () => storage.countRequest('k1', start, expires)));
        expect([...counts].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6]);
        expect(await storage.countRequest('k2', start, expires)).to.equal(1);
        expect(await storage.countRequest('k1', new Date(start.getTime() + 1000), expires)).to.equal(1);
      });
    });

    describe('leases', () => {
      it('gives a free lease to one holder at a time, renews it for its holder, and hands it on when it expires', async () => {
        const now = new Date(Date.UTC(2026, 0, 1));
        const later = (ms: number) => new Date(now.getTime() + ms);
        const takers = await Promise.all(
          ['p1', 'p2', 'p3'].map((holder) => storage.acquireLease('work', holder, later(1000), now)),
        );
        expect(takers.filter(Boolean)).to.have.length(1);
        const holder = ['p1', 'p2', 'p3'][takers.indexOf(true)]!;
        const other = holder === 'p1' ? 'p2' : 'p1';
        expect(await storage.acquireLease('work', holder, later(2000), later(500))).to.equal(true);
        expect(await storage.acquireLease('work', other, later(3000), later(1500))).to.equal(false);
        expect([...(await storage.heldLeases(['work', 'none'], later(1500)))]).to.deep.equal(['work']);
        expect(await storage.acquireLease('work', other, later(5000), later(2500))).to.equal(true);
        await storage.releaseLease('work', holder); // no longer its holder: nothing happens
        expect((await storage.heldLeases(['work'], later(2600))).size).to.equal(1);
        await storage.releaseLease('work', other);
        expect((await storage.heldLeases(['work'], later(2600))).size).to.equal(0);
      });

      it("claims a schedule's due time once: a compare-and-set on lastRun", async () => {
        const schedules = classSchema(
          '_JobSchedule',
          { jobName: { type: 'String' }, lastRun: { type: 'Number' } },
          undefined,
        );
        const now = new Date().toISOString();
        await storage.createObject(schedules, { objectId: 's1', createdAt: now, updatedAt: now, jobName: 'j' });
        const claims = await Promise.all([1, 2, 3].map(() => storage.claimScheduledRun('s1', 1000)));
        expect(claims.filter(Boolean)).to.have.length(1);
        expect(await storage.claimScheduledRun('s1', 999)).to.equal(false);
        expect(await storage.claimScheduledRun('s1', 2000)).to.equal(true);
        expect(await storage.claimScheduledRun('missing', 3000)).to.equal(false);
      });
    });

    describe('webhooks', () => {
      it('creates each name once, atomically; updates and deletes by key, function apart from trigger', async () => {
        const created = await Promise.all(
          Array.from({ length: 4 }, (_, i) => storage.createWebhook({ functionName: 'once', url: `http://h/${i}` })),
        );
        expect(created.filter(Boolean)).to.have.length(1);
        const trigger = { className: 'Note', triggerName: 'beforeSave', url: 'http://h/t' };
        expect(await storage.createWebhook(trigger)).to.equal(true);
        expect(await storage.createWebhook({ ...trigger, url: 'http://h/other' })).to.equal(false);
        expect(await storage.updateWebhook({ functionName: 'once', url: 'http://h/new' })).to.equal(true);
        expect(await storage.updateWebhook({ functionName: 'missing', url: 'http://h/new' })).to.equal(false);
        expect(await storage.listWebhooks()).to.deep.include.members([
          { functionName: 'once', url: 'http://h/new' },
          trigger,
        ]);
        await storage.deleteWebhook({ functionName: 'once' });
        await storage.deleteWebhook({ className: 'Note', triggerName: 'beforeSave' });
        expect(await storage.listWebhooks()).to.deep.equal([]);
      });
    });

    describe('schemas', () => {
      it('adds fields without ever changing a recorded type', async () => {
        await storage.applySchemaChange({ className: 'Note', addFields: { extra: { type: 'Date' } }, create: false });
        const note = (await storage.loadSchemas()).find((s) => s.className === 'Note');
        expect(note?.fields.extra).to.deep.equal({ type: 'Date' });
        await storage
          .applySchemaChange({ className: 'Note', addFields: { extra: { type: 'String' } }, create: false })
          .catch(() => undefined);
        const again = (await storage.loadSchemas()).find((s) => s.className === 'Note');
        expect(again?.fields.extra).to.deep.equal({ type: 'Date' });
      });

      it('records class-level permissions, deletes fields and drops a class', async () => {
        const clp = { find: { '*': true }, get: { 'role:Admin': true } };
        await storage.setClassLevelPermissions('Note', clp);
        const loaded = (await storage.loadSchemas()).find((s) => s.className === 'Note');
        expect(loaded?.classLevelPermissions.get).to.deep.equal({ 'role:Admin': true });
        await storage.createObject(NOTE, note('g1'));
        await storage.deleteFields(NOTE, ['title']);
        const [after] = await storage.findObjects(NOTE, { objectId: 'g1' }, {}, null);
        expect(after).to.not.have.property('title');
        await storage.dropClass(NOTE);
        expect((await storage.loadSchemas()).some((s) => s.className === 'Note')).to.equal(false);
      });

      it('keeps the global config', async () => {
        await storage.saveGlobalConfig({
          set: { color: 'blue', secret: 1 },
          unset: [],
          masterKeyOnly: { secret: true },
        });
        await storage.saveGlobalConfig({ set: {}, unset: ['color'], masterKeyOnly: {} });
        const config = await storage.loadGlobalConfig();
        expect(config.params).to.deep.equal({ secret: 1 });
        expect(config.masterKeyOnly).to.deep.equal({ secret: true });
      });
    });
  });
}

/** An unreachable database answers 100, whatever the implementation. */
export function describeUnreachable(name: string, make: () => Storage): void {
  describe(`storage conformance: ${name}, unreachable`, () => {
    it('reports an unreachable database as 100', async () => {
      const storage = make();
      try {
        await expectCode(storage.findObjects(NOTE, {}, {}, null), 100);
      } finally {
        await storage.close();
      }
    });
  });
}

export { expectCode };
