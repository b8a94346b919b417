import { expect } from 'chai';
import type { Db } from 'mongodb';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('class-level permissions (as parse-server stores them in _SCHEMA)', () => {
  let t: TestBackend;
  let db: Db;
  const users: Record<string, { objectId: string; sessionToken: string }> = {};
  const as = (name: string) => ({ ...appHeaders, 'X-Parse-Session-Token': users[name]!.sessionToken });
  const pointer = (objectId: string) => ({ __type: 'Pointer', className: '_User', objectId });

  async function defineClass(
    className: string,
    fields: Record<string, string>,
    clp: Record<string, unknown>,
  ): Promise<void> {
    await db.collection('_SCHEMA').insertOne({
      _id: className,
      objectId: 'string',
      createdAt: 'string',
      updatedAt: 'string',
      ...fields,
      _metadata: { class_permissions: clp },
    } as never);
  }

  before(async () => {
    t = await startTestBackend();
    db = await t.db();
    for (const name of ['ann', 'bob'])
      users[name] = (
        await t.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: name, password: `pw-${name}` })
      ).body;
    const { objectId: editors } = (
      await t.http
        .post('/parse/roles')
        .set(masterHeaders)
        .send({ name: 'Editors', ACL: { '*': { read: true } } })
    ).body;
    await t.http
      .put(`/parse/roles/${editors}`)
      .set(masterHeaders)
      .send({ users: { __op: 'AddRelation', objects: [pointer(users.ann!.objectId)] } })
      .expect(200);
  });
  after(async () => {
    await t.close();
  });

  it('requiresAuthentication lets logged-in users in and keeps the public out', async () => {
    await defineClass(
      'Members',
      { note: 'string' },
      {
        find: { requiresAuthentication: true },
        get: { requiresAuthentication: true },
        count: { requiresAuthentication: true },
        create: { '*': true },
        update: { '*': true },
        delete: { '*': true },
        addField: { '*': true },
      },
    );
    await t.http.post('/parse/classes/Members').set(appHeaders).send({ note: 'hi' }).expect(201);
    expect((await t.http.get('/parse/classes/Members').set(appHeaders)).body.code).to.equal(119);
    expect((await t.http.get('/parse/classes/Members').set(as('bob'))).body.results).to.have.length(1);
  });

  it('grants operations to roles and users named in the rule', async () => {
    await defineClass(
      'Articles',
      { title: 'string' },
      {
        find: { '*': true },
        get: { '*': true },
        count: { '*': true },
        create: { 'role:Editors': true },
        update: { [users.bob!.objectId]: true },
        delete: {},
        addField: { '*': true },
      },
    );
    const created = await t.http.post('/parse/classes/Articles').set(as('ann')).send({ title: 'by an editor' });
    expect(created.status).to.equal(201);
    expect((await t.http.post('/parse/classes/Articles').set(as('bob')).send({ title: 'x' })).body.code).to.equal(119);
    expect(
      (await t.http.put(`/parse/classes/Articles/${created.body.objectId}`).set(as('ann')).send({ title: 'y' })).body
        .code,
    ).to.equal(119);
    expect(
      (await t.http.put(`/parse/classes/Articles/${created.body.objectId}`).set(as('bob')).send({ title: 'z' })).status,
    ).to.equal(200);
    expect((await t.http.delete(`/parse/classes/Articles/${created.body.objectId}`).set(as('bob'))).body.code).to.equal(
      119,
    );
    expect(
      (await t.http.delete(`/parse/classes/Articles/${created.body.objectId}`).set(masterHeaders)).status,
    ).to.equal(200);
  });

  it('pointer permissions limit users to the objects that point to them', async () => {
    await defineClass(
      'Notes',
      { text: 'string', owner: '*_User' },
      {
        find: {},
        get: {},
        count: {},
        create: { '*': true },
        update: {},
        delete: {},
        addField: {},
        readUserFields: ['owner'],
        writeUserFields: ['owner'],
      },
    );
    const annNote = (
      await t.http
        .post('/parse/classes/Notes')
        .set(appHeaders)
        .send({ text: 'ann', owner: pointer(users.ann!.objectId) })
    ).body.objectId as string;
    await t.http
      .post('/parse/classes/Notes')
      .set(appHeaders)
      .send({ text: 'bob', owner: pointer(users.bob!.objectId) })
      .expect(201);
    const mine = await t.http.get('/parse/classes/Notes').set(as('ann'));
    expect(mine.body.results.map((n: { text: string }) => n.text)).to.deep.equal(['ann']);
    expect((await t.http.get(`/parse/classes/Notes/${annNote}`).set(as('bob'))).status).to.equal(404);
    expect(
      (await t.http.put(`/parse/classes/Notes/${annNote}`).set(as('bob')).send({ text: 'hacked' })).status,
    ).to.equal(404);
    expect(
      (await t.http.put(`/parse/classes/Notes/${annNote}`).set(as('ann')).send({ text: 'edited' })).status,
    ).to.equal(200);
    expect((await t.http.delete(`/parse/classes/Notes/${annNote}`).set(as('bob'))).status).to.equal(404);
    expect((await t.http.get('/parse/classes/Notes').set(appHeaders)).body.code).to.equal(119);
    // Pointer permissions also hold inside sub-queries and includes.
    const viaSubquery = await t.http
      .get('/parse/classes/_User')
      .query({
        where: JSON.stringify({ objectId: { $select: { query: { className: 'Notes', where: {} }, key: 'owner' } } }),
      })
      .set(as('ann'));
    expect(viaSubquery.status).to.equal(200);
  });

  it('refuses new fields without addField', async () => {
    expect(
      (
        await t.http
          .post('/parse/classes/Notes')
          .set(appHeaders)
          .send({ text: 't', owner: pointer(users.ann!.objectId), brandNew: 1 })
      ).body.code,
    ).to.equal(119);
    expect(
      (await t.http.post('/parse/classes/Notes').set(masterHeaders).send({ text: 't', brandNew: 1 })).status,
    ).to.equal(201);
  });

  it('fails closed on a CLP rule it does not know', async () => {
    await defineClass(
      'Profiles',
      { secret: 'string' },
      {
        find: { '*': true },
        get: { '*': true },
        count: { '*': true },
        create: { '*': true },
        update: { '*': true },
        delete: { '*': true },
        addField: { '*': true },
        someFutureRule: { '*': true },
      },
    );
    expect((await t.http.get('/parse/classes/Profiles').set(as('ann'))).body.code).to.equal(119);
    expect((await t.http.get('/parse/classes/Profiles').set(masterHeaders)).status).to.equal(200);
  });
});
