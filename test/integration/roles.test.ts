import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('roles', () => {
  let t: TestBackend;
  const users: Record<string, { objectId: string; sessionToken: string }> = {};
  const as = (name: string) => ({ ...appHeaders, 'X-Parse-Session-Token': users[name]!.sessionToken });
  const pointer = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
  const createRole = async (name: string, extra: Record<string, unknown> = {}) =>
    (
      await t.http
        .post('/parse/roles')
        .set(masterHeaders)
        .send({ name, ACL: { '*': { read: true } }, ...extra })
    ).body as { objectId: string };

  before(async () => {
    t = await startTestBackend();
    for (const name of ['ann', 'bob', 'cid']) {
      users[name] = (
        await t.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: name, password: `pw-${name}` })
      ).body;
    }
  });
  after(() => t.close());

  it('grants an ACL to the users of a role, directly and through a child role, with cycles', async () => {
    const admins = await createRole('Admins', {
      users: { __op: 'AddRelation', objects: [pointer('_User', users.ann!.objectId)] },
    });
    const mods = await createRole('Moderators', {
      users: { __op: 'AddRelation', objects: [pointer('_User', users.bob!.objectId)] },
    });
    // Moderators' users get Admins' permissions; and a cycle back does no harm.
    await t.http
      .put(`/parse/roles/${admins.objectId}`)
      .set(masterHeaders)
      .send({ roles: { __op: 'AddRelation', objects: [pointer('_Role', mods.objectId)] } })
      .expect(200);
    await t.http
      .put(`/parse/roles/${mods.objectId}`)
      .set(masterHeaders)
      .send({ roles: { __op: 'AddRelation', objects: [pointer('_Role', admins.objectId)] } })
      .expect(200);
    const { body: secret } = await t.http
      .post('/parse/classes/Report')
      .set(masterHeaders)
      .send({ title: 'q3', ACL: { 'role:Admins': { read: true, write: true } } });
    const read = (name: string) => t.http.get(`/parse/classes/Report/${secret.objectId}`).set(as(name));
    expect((await read('ann')).status).to.equal(200);
    expect((await read('bob')).status).to.equal(200);
    expect((await read('cid')).status).to.equal(404);
    expect((await t.http.get(`/parse/classes/Report/${secret.objectId}`).set(appHeaders)).status).to.equal(404);
    expect(
      (await t.http.put(`/parse/classes/Report/${secret.objectId}`).set(as('bob')).send({ title: 'q4' })).status,
    ).to.equal(200);
    expect(
      (await t.http.put(`/parse/classes/Report/${secret.objectId}`).set(as('cid')).send({ title: 'q5' })).status,
    ).to.equal(404);
  });

  it('stops granting after a user leaves a role', async () => {
    const { objectId } = await createRole('Editors', {
      users: { __op: 'AddRelation', objects: [pointer('_User', users.cid!.objectId)] },
    });
    const { body: draft } = await t.http
      .post('/parse/classes/Draft')
      .set(masterHeaders)
      .send({ ACL: { 'role:Editors': { read: true } } });
    expect((await t.http.get(`/parse/classes/Draft/${draft.objectId}`).set(as('cid'))).status).to.equal(200);
    await t.http
      .put(`/parse/roles/${objectId}`)
      .set(masterHeaders)
      .send({ users: { __op: 'RemoveRelation', objects: [pointer('_User', users.cid!.objectId)] } })
      .expect(200);
    expect((await t.http.get(`/parse/classes/Draft/${draft.objectId}`).set(as('cid'))).status).to.equal(404);
  });

  it('validates role names and ACLs', async () => {
    expect(
      (await t.http.post('/parse/roles').set(masterHeaders).send({ name: 'Bad/Name', ACL: {} })).body.code,
    ).to.equal(139);
    expect((await t.http.post('/parse/roles').set(masterHeaders).send({ name: 'NoAcl' })).body.code).to.equal(123);
    const { objectId } = await createRole('Fixed');
    expect(
      (await t.http.put(`/parse/roles/${objectId}`).set(masterHeaders).send({ name: 'Renamed' })).body.code,
    ).to.equal(139);
    expect((await t.http.post('/parse/roles').set(masterHeaders).send({ name: 'Fixed', ACL: {} })).body.code).to.equal(
      137,
    );
    const listed = await t.http.get('/parse/roles').set(as('ann'));
    expect(listed.body.results.map((r: { name: string }) => r.name)).to.include('Fixed');
  });

  it("lets clients write roles under _Role's CLP and each role's ACL, as parse-server does", async () => {
    const mine = await t.http
      .post('/parse/roles')
      .set(as('ann'))
      .send({ name: 'AnnsCrew', ACL: { [users.ann!.objectId]: { read: true, write: true }, '*': { read: true } } })
      .expect(201);
    const join = (userId: string) => ({ users: { __op: 'AddRelation', objects: [pointer('_User', userId)] } });
    await t.http.put(`/parse/roles/${mine.body.objectId}`).set(as('ann')).send(join(users.bob!.objectId)).expect(200);
    // The role's ACL keeps everyone else out: 101, as for any object one may not write.
    const refused = await t.http
      .put(`/parse/roles/${mine.body.objectId}`)
      .set(as('cid'))
      .send(join(users.cid!.objectId));
    expect(refused.body.code).to.equal(101);
    const { body: note } = await t.http
      .post('/parse/classes/CrewNote')
      .set(masterHeaders)
      .send({ ACL: { 'role:AnnsCrew': { read: true } } });
    expect((await t.http.get(`/parse/classes/CrewNote/${note.objectId}`).set(as('bob'))).status).to.equal(200);
    expect((await t.http.get(`/parse/classes/CrewNote/${note.objectId}`).set(as('cid'))).status).to.equal(404);
    // _Role's CLP closes role creation to clients, as an app that hands roles out should set it.
    await t.http
      .put('/parse/schemas/_Role')
      .set(masterHeaders)
      .send({ classLevelPermissions: { find: { '*': true }, get: { '*': true }, count: { '*': true } } })
      .expect(200);
    try {
      const closed = await t.http.post('/parse/classes/_Role').set(as('cid')).send({ name: 'CidsCrew', ACL: {} });
      expect(closed.body.code).to.equal(119);
    } finally {
      await t.http.put('/parse/schemas/_Role').set(masterHeaders).send({ classLevelPermissions: null }).expect(200);
    }
  });

  it('keeps role writes to the master key with allowClientRoleWrites: false, whatever the CLP and ACL', async () => {
    const strict = await startTestBackend({ allowClientRoleWrites: false });
    try {
      const { body: eve } = await strict.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: 'eve', password: 'pw-eve' })
        .expect(201);
      const asEve = { ...appHeaders, 'X-Parse-Session-Token': eve.sessionToken };
      const open = await strict.http
        .post('/parse/roles')
        .set(masterHeaders)
        .send({ name: 'Open', ACL: { '*': { read: true, write: true } } })
        .expect(201);
      for (const path of ['/parse/roles', '/parse/classes/_Role']) {
        const created = await strict.http.post(path).set(asEve).send({ name: 'Sneaky', ACL: {} });
        expect(created.body.code, path).to.equal(119);
      }
      const joined = await strict.http
        .put(`/parse/roles/${open.body.objectId}`)
        .set(asEve)
        .send({ users: { __op: 'AddRelation', objects: [pointer('_User', eve.objectId)] } });
      expect(joined.body.code).to.equal(119);
      expect((await strict.http.delete(`/parse/roles/${open.body.objectId}`).set(asEve)).body.code).to.equal(119);
    } finally {
      await strict.close();
    }
  });
});
