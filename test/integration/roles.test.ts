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

  it('validates role names and ACLs, and keeps role writes to the master key', async () => {
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
    expect((await t.http.post('/parse/roles').set(as('ann')).send({ name: 'Sneaky', ACL: {} })).body.code).to.equal(
      119,
    );
    expect(
      (await t.http.post('/parse/classes/_Role').set(as('ann')).send({ name: 'Sneaky', ACL: {} })).body.code,
    ).to.equal(119);
    const listed = await t.http.get('/parse/roles').set(as('ann'));
    expect(listed.body.results.map((r: { name: string }) => r.name)).to.include('Fixed');
  });
});
