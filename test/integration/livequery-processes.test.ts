/**
 * Two backends on one database, each with its own connection — as two processes are — and a
 * tool writing straight to MongoDB: LiveQuery events and cache invalidation through the database's
 * change streams.
 */
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { MemoryMongoServer } from 'plinth/testing';
import { RawClient } from '../support/live-client.js';
import { APP_ID, appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

/** A LiveQuery client subscribed to `className` where `where`, collecting what it is sent. */
async function subscriber(t: TestBackend, className: string, where: Record<string, unknown>): Promise<RawClient> {
  const live = await RawClient.open(t.serverURL.replace(/^http/, 'ws'));
  live.send({ op: 'connect', applicationId: APP_ID });
  await live.until((f) => f.op === 'connected');
  live.send({ op: 'subscribe', requestId: 1, query: { className, where } });
  await live.until((f) => f.op === 'subscribed');
  return live;
}

async function eventually(check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

describe('several processes on one database (change streams)', () => {
  let a: TestBackend;
  let b: TestBackend;
  before(async () => {
    a = await startTestBackend({ liveQuery: { classNames: ['Note'] } });
    b = await startTestBackend({ databaseURI: a.databaseURI, liveQuery: { classNames: ['Note'] } });
    await Promise.all([a.backend.ready(), b.backend.ready()]);
    b.backend.liveQuery.attach(b.server);
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it("sends one process's writes to another process's subscribers", async () => {
    const live = await subscriber(b, 'Note', { topic: 'shared' });
    try {
      const created = await a.http.post('/parse/classes/Note').set(appHeaders).send({ topic: 'shared', n: 1 });
      const event = await live.until((f) => f.op === 'create');
      expect(event.object).to.include({ objectId: created.body.objectId, n: 1 });
      await a.http.put(`/parse/classes/Note/${created.body.objectId}`).set(appHeaders).send({ n: 2 });
      const update = await live.until((f) => f.op === 'update');
      expect(update.object).to.include({ n: 2 });
      // Made elsewhere, without pre-images: the subscriber gets the update, without `original`.
      expect(update).not.to.have.property('original');
    } finally {
      live.close();
    }
  });

  it("sends a write made straight into MongoDB in Parse's layout", async () => {
    const live = await subscriber(b, 'Note', { topic: 'imported' });
    const client = await MongoClient.connect(a.databaseURI);
    try {
      await client
        .db()
        .collection('Note')
        .insertOne({
          _id: 'importedNote1' as never,
          topic: 'imported',
          _rperm: ['*'],
          _wperm: [],
          _created_at: new Date(),
          _updated_at: new Date(),
        });
      const event = await live.until((f) => f.op === 'create');
      expect(event.object).to.include({ objectId: 'importedNote1', topic: 'imported' });
      expect(event.object).to.have.property('createdAt');
    } finally {
      await client.close();
      live.close();
    }
  });

  it('keeps enter, leave and original for the writing process, and for others with pre-images', async () => {
    const c = await startTestBackend({
      databaseURI: a.databaseURI,
      liveQuery: { classNames: ['Note'], preImages: true },
    });
    try {
      await c.backend.ready();
      c.backend.liveQuery.attach(c.server);
      const live = await subscriber(c, 'Note', { score: { $gt: 10 } });
      const created = await a.http.post('/parse/classes/Note').set(appHeaders).send({ score: 5 });
      const id = created.body.objectId as string;
      await a.http.put(`/parse/classes/Note/${id}`).set(appHeaders).send({ score: 20 });
      const entered = await live.until((f) => f.op === 'enter');
      expect(entered.original).to.include({ score: 5 });
      await a.http.put(`/parse/classes/Note/${id}`).set(appHeaders).send({ score: 1 });
      const left = await live.until((f) => f.op === 'leave');
      expect(left.object).to.include({ score: 1 });
      await a.http.put(`/parse/classes/Note/${id}`).set(appHeaders).send({ score: 30 });
      await live.until((f) => f.op === 'enter');
      await a.http.delete(`/parse/classes/Note/${id}`).set(appHeaders);
      const deleted = await live.until((f) => f.op === 'delete');
      expect(deleted.object).to.include({ objectId: id, score: 30 });
      live.close();
    } finally {
      await c.close();
    }
  });

  it('goes on after the database is dropped under it', async () => {
    const warnings: string[] = [];
    const d = await startTestBackend({
      liveQuery: { classNames: ['Note'] },
      logger: { warn: (message) => warnings.push(message) },
    });
    const client = await MongoClient.connect(d.databaseURI);
    try {
      await d.backend.ready();
      d.backend.liveQuery.attach(d.server);
      await d.http.post('/parse/classes/Note').set(appHeaders).send({ n: 0 });
      await client.db().dropDatabase();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const live = await subscriber(d, 'Note', {});
      await d.http.post('/parse/classes/Note').set(appHeaders).send({ n: 1 });
      expect((await live.until((f) => f.op === 'create')).object).to.include({ n: 1 });
      live.close();
      expect(warnings.filter((w) => w.includes('change feed'))).to.deep.equal([]);
    } finally {
      await client.close();
      await d.close();
    }
  });

  it('refuses in one process, within a second, a session ended in the other', async () => {
    await a.http.post('/parse/users').set(appHeaders).send({ username: 'traveller', password: 'pw-travel-1' });
    const login = await a.http
      .get('/parse/login')
      .set(appHeaders)
      .query({ username: 'traveller', password: 'pw-travel-1' });
    const token = login.body.sessionToken as string;
    const me = await b.http.get('/parse/users/me').set({ ...appHeaders, 'X-Parse-Session-Token': token });
    expect(me.status).to.equal(200); // now cached in b
    await a.http.post('/parse/logout').set({ ...appHeaders, 'X-Parse-Session-Token': token });
    const took = await eventually(async () => {
      const res = await b.http.get('/parse/users/me').set({ ...appHeaders, 'X-Parse-Session-Token': token });
      return res.status !== 200;
    }, 1000);
    expect(took).to.be.lessThan(1000);
  });

  it('applies in one process, within a second, a class-level permission changed in the other', async () => {
    await a.http.post('/parse/classes/Guarded').set(appHeaders).send({ x: 1 });
    expect((await b.http.get('/parse/classes/Guarded').set(appHeaders)).status).to.equal(200); // cached in b
    await a.http
      .put('/parse/schemas/Guarded')
      .set(masterHeaders)
      .send({ classLevelPermissions: { find: {}, get: {}, create: {}, update: {}, delete: {}, addField: {} } });
    const took = await eventually(async () => {
      const res = await b.http.get('/parse/classes/Guarded').set(appHeaders);
      return res.status !== 200;
    }, 1000);
    expect(took).to.be.lessThan(1000);
  });
});

describe('when the connection to the database drops', function () {
  this.timeout(30000);
  it('resumes the change feed: no change lost, none sent twice', async () => {
    // A server of its own, so that dropping its connections touches no other suite.
    const server = await MemoryMongoServer.start();
    const databaseURI = `${server.uri}blip`;
    const warnings: string[] = [];
    const t = await startTestBackend({
      databaseURI,
      liveQuery: { classNames: ['Note'] },
      logger: { warn: (message) => warnings.push(message) },
    });
    const writer = await MongoClient.connect(databaseURI);
    const insert = (n: number) =>
      writer
        .db()
        .collection('Note')
        .insertOne({
          _id: `blip${n}` as never,
          n,
          _rperm: ['*'],
          _wperm: [],
          _created_at: new Date(),
          _updated_at: new Date(),
        });
    try {
      await t.backend.ready();
      t.backend.liveQuery.attach(t.server);
      // The class exists (a write through Plinth made it); the tool then writes in its layout.
      await t.http.post('/parse/classes/Note').set(appHeaders).send({ n: 0 });
      const live = await subscriber(t, 'Note', {});
      await insert(1);
      await live.until((f) => f.op === 'create');
      expect(server.changeStreams).to.equal(1);
      // Every socket goes, the one whose getMore awaits the next change included.
      server.dropConnections();
      // Written while the backend's feed is cut off: its resumed stream must still deliver them.
      for (let n = 2; n <= 6; n++) await insert(n);
      for (let n = 2; n <= 6; n++)
        await live.until((f) => f.op === 'create' && (f.object as { n?: number }).n === n, 10000);
      await insert(7);
      await live.until((f) => f.op === 'create' && (f.object as { n?: number }).n === 7, 10000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(live.frames.filter((f) => f.op === 'create')).to.deep.equal([]);
      expect(server.changeStreams).to.equal(1);
      expect(warnings.filter((w) => w.includes('lost'))).to.deep.equal([]);
      live.close();
    } finally {
      await writer.close();
      await t.close();
      await server.stop();
    }
  });
});

describe('without change streams', () => {
  it('sends the writes of this process', async () => {
    const t = await startTestBackend({ liveQuery: { classNames: ['Note'] }, changeStreams: false });
    try {
      await t.backend.ready();
      t.backend.liveQuery.attach(t.server);
      const live = await subscriber(t, 'Note', {});
      await t.http.post('/parse/classes/Note').set(appHeaders).send({ n: 1 });
      expect((await live.until((f) => f.op === 'create')).object).to.include({ n: 1 });
      live.close();
    } finally {
      await t.close();
    }
  });
});
