import { expect } from 'chai';
import { createBackend } from '../../lib/index.js';
import { BackendConfigError } from '../../lib/errors/backend-error.js';
import {
  appHeaders,
  masterHeaders,
  startTestBackend,
  APP_ID,
  MASTER_KEY,
  type TestBackend,
} from '../support/backend.js';

/**
 * Protected fields from both sources: the server option (for Profile) and the class's CLP (set
 * through /schemas), united per principal; a caller's hidden fields are the intersection of the
 * rules that apply to it.
 */
describe('protected fields (server option and CLP protectedFields)', () => {
  let t: TestBackend;
  const users: Record<string, { objectId: string; sessionToken: string }> = {};
  const as = (name: string) => ({ ...appHeaders, 'X-Parse-Session-Token': users[name]!.sessionToken });
  const pointer = (objectId: string) => ({ __type: 'Pointer', className: '_User', objectId });
  const profiles: Record<string, string> = {};

  const find = (headers: Record<string, string>, query: Record<string, unknown> = {}) =>
    t.http
      .get('/parse/classes/Profile')
      .set(headers)
      .query(
        Object.fromEntries(Object.entries(query).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
      );
  const byName = (results: Record<string, unknown>[]) => Object.fromEntries(results.map((r) => [String(r.name), r]));

  before(async () => {
    // Users readable by everyone, so that only protected fields keep their data from others.
    t = await startTestBackend({
      enforcePrivateUsers: false,
      protectedFields: { Profile: { '*': ['secret', 'salary', 'phone'] }, _User: { '*': ['nickname'] } },
    });
    for (const name of ['ann', 'bob', 'hr', 'boss']) {
      users[name] = (
        await t.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: name, password: `pw-${name}`, email: `${name}@example.com`, nickname: `${name}-nick` })
      ).body;
    }
    const role = (
      await t.http
        .post('/parse/roles')
        .set(masterHeaders)
        .send({
          name: 'HR',
          ACL: { '*': { read: true } },
          users: { __op: 'AddRelation', objects: [pointer(users.hr!.objectId)] },
        })
    ).body;
    expect(role.objectId).to.be.a('string');
    const created = await t.http
      .post('/parse/schemas/Profile')
      .set(masterHeaders)
      .send({
        fields: {
          name: { type: 'String' },
          secret: { type: 'String' },
          salary: { type: 'Number' },
          phone: { type: 'String' },
          owner: { type: 'Pointer', targetClass: '_User' },
        },
        classLevelPermissions: {
          find: { '*': true },
          get: { '*': true },
          count: { '*': true },
          create: { '*': true },
          update: { '*': true },
          delete: { '*': true },
          addField: {},
          protectedFields: {
            authenticated: ['secret', 'salary'],
            'role:HR': ['secret'],
            [users.boss!.objectId]: [],
            'userField:owner': ['salary'],
          },
        },
      });
    expect(created.status, JSON.stringify(created.body)).to.equal(200);
    for (const name of ['ann', 'bob']) {
      const body = {
        name,
        secret: `${name}-secret`,
        salary: name === 'ann' ? 10 : 20,
        phone: `${name}-phone`,
        owner: pointer(users[name]!.objectId),
      };
      profiles[name] = (
        await t.http.post('/parse/classes/Profile').set(appHeaders).send(body).expect(201)
      ).body.objectId;
    }
    await t.http
      .post('/parse/classes/Card')
      .set(appHeaders)
      .send({ profile: { __type: 'Pointer', className: 'Profile', objectId: profiles.ann } })
      .expect(201);
  });
  after(async () => {
    await t.close();
  });

  it("hides the server option's fields from the public, and nothing from the master key", async () => {
    const open = byName((await find(appHeaders)).body.results);
    expect(open.ann).to.include({ name: 'ann' }).and.not.have.any.keys('secret', 'salary', 'phone');
    const master = byName((await find(masterHeaders)).body.results);
    expect(master.ann).to.include({ secret: 'ann-secret', salary: 10, phone: 'ann-phone' });
  });

  it('shows a caller what every rule that applies to it hides no more', async () => {
    // Logged in: '*' ∩ authenticated = secret, salary — phone is revealed.
    expect(byName((await find(as('bob'))).body.results).ann)
      .to.include({ phone: 'ann-phone' })
      .and.not.have.any.keys('secret', 'salary');
    // In role HR: '*' ∩ authenticated ∩ role:HR = secret.
    expect(byName((await find(as('hr'))).body.results).ann)
      .to.include({ salary: 10, phone: 'ann-phone' })
      .and.not.have.property('secret');
    // A rule for the user's own id that hides nothing reveals everything.
    expect(byName((await find(as('boss'))).body.results).ann).to.include({ secret: 'ann-secret', salary: 10 });
  });

  it('applies userField rules on the objects that point to the caller only', async () => {
    const seen = byName((await find(as('ann'))).body.results);
    expect(seen.ann).to.include({ secret: 'ann-secret', phone: 'ann-phone' }).and.not.have.property('salary');
    expect(seen.bob).to.not.have.any.keys('secret', 'salary');
    // With a selection that leaves out the pointer the rule reads, the rule still applies and the pointer is not returned.
    const selected = (
      await t.http.get(`/parse/classes/Profile/${profiles.ann}`).set(as('ann')).query({ keys: 'secret,name' })
    ).body;
    expect(selected).to.include({ secret: 'ann-secret', name: 'ann' }).and.not.have.property('owner');
    // Excluding the pointer a rule reads leaves it out of the answer, not out of the rule.
    const excluded = (
      await t.http.get(`/parse/classes/Profile/${profiles.ann}`).set(as('ann')).query({ excludeKeys: 'owner' })
    ).body;
    expect(excluded).to.include({ secret: 'ann-secret' }).and.not.have.property('owner');
  });

  it('applies the rules to get, to includes and to selections', async () => {
    expect((await t.http.get(`/parse/classes/Profile/${profiles.ann}`).set(as('bob'))).body).to.not.have.any.keys(
      'secret',
      'salary',
    );
    const card = (await t.http.get('/parse/classes/Card').set(as('bob')).query({ include: 'profile' })).body.results[0];
    expect(card.profile).to.include({ name: 'ann', phone: 'ann-phone' }).and.not.have.any.keys('secret', 'salary');
    const selected = await find(appHeaders, { keys: 'secret,name' });
    expect(selected.status).to.equal(200);
    expect(selected.body.results[0]).to.have.property('name').and.not.have.property('secret');
  });

  it('refuses to query or sort on a field hidden from the caller, and allows it once revealed', async () => {
    expect((await find(appHeaders, { where: { phone: 'ann-phone' } })).body.code).to.equal(119);
    expect((await find(appHeaders, { where: { $or: [{ name: 'x' }, { 'secret.x': 1 }] } })).body.code).to.equal(119);
    expect((await find(appHeaders, { order: '-salary' })).body.code).to.equal(119);
    expect((await find(appHeaders, { where: { phone: { $exists: true } }, count: 1, limit: 0 })).body.code).to.equal(
      119,
    );
    expect((await find(as('bob'), { where: { salary: { $gt: 15 } } })).body.code).to.equal(119);
    const revealed = await find(as('hr'), { where: { salary: { $gt: 15 } }, order: 'salary' });
    expect(revealed.body.results.map((r: { name: string }) => r.name)).to.deep.equal(['bob']);
    const viaSubquery = await t.http
      .get('/parse/classes/Card')
      .set(appHeaders)
      .query({
        where: JSON.stringify({ profile: { $inQuery: { className: 'Profile', where: { secret: 'ann-secret' } } } }),
      });
    expect(viaSubquery.body.code).to.equal(119);
  });

  it('keeps _User.email protected when the option names other _User fields', async () => {
    const other = (await t.http.get(`/parse/users/${users.ann!.objectId}`).set(as('bob'))).body;
    expect(other).to.include({ username: 'ann' }).and.not.have.any.keys('email', 'nickname', 'authData');
    expect(
      (
        await t.http
          .get('/parse/users')
          .set(as('bob'))
          .query({ where: JSON.stringify({ email: 'ann@example.com' }) })
      ).body.code,
    ).to.equal(119);
    const own = (await t.http.get(`/parse/users/${users.ann!.objectId}`).set(as('ann'))).body;
    expect(own).to.include({ email: 'ann@example.com', nickname: 'ann-nick' });
  });

  it('refuses a malformed server option at createBackend()', () => {
    const attempt = (protectedFields: unknown) => () =>
      createBackend({ appId: APP_ID, masterKey: MASTER_KEY, databaseURI: t.databaseURI, protectedFields } as never);
    expect(attempt({ Profile: { 'not a principal': ['secret'] } })).to.throw(BackendConfigError, /protectedFields/);
    expect(attempt({ Profile: { '*': 'secret' } })).to.throw(BackendConfigError, /protectedFields/);
    expect(attempt(['secret'])).to.throw(BackendConfigError, /protectedFields/);
  });
});

describe("parse-server's userSensitiveFields", () => {
  let t: TestBackend;
  before(async () => {
    // Users readable by others, so that what is hidden is the fields, not the whole user.
    t = await startTestBackend({ userSensitiveFields: ['ssn'], enforcePrivateUsers: false });
  });
  after(() => t.close());

  it("hides the listed _User fields (and email) from others, as protectedFields._User['*'] does", async () => {
    const signUp = (username: string) =>
      t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username, password: 'pw', email: `${username}@example.com`, ssn: `ssn-${username}`, city: 'Oslo' })
        .expect(201);
    const ann = (await signUp('ann')).body;
    const bob = (await signUp('bob')).body;
    const seenByBob = await t.http
      .get(`/parse/users/${ann.objectId}`)
      .set({ ...appHeaders, 'X-Parse-Session-Token': bob.sessionToken })
      .expect(200);
    expect(seenByBob.body).to.include({ username: 'ann', city: 'Oslo' });
    expect(seenByBob.body).to.not.have.any.keys('ssn', 'email');
    const seenByAnn = await t.http
      .get(`/parse/users/${ann.objectId}`)
      .set({ ...appHeaders, 'X-Parse-Session-Token': ann.sessionToken })
      .expect(200);
    expect(seenByAnn.body).to.include({ ssn: 'ssn-ann', email: 'ann@example.com' });
    const seenByMaster = await t.http.get(`/parse/users/${ann.objectId}`).set(masterHeaders).expect(200);
    expect(seenByMaster.body.ssn).to.equal('ssn-ann');
  });
});
