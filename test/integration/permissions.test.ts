import { expect } from 'chai';
import type { Db } from 'mongodb';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('permissions that hold on every read path', () => {
  let t: TestBackend;
  let db: Db;
  let annToken: string;
  let annId: string;
  const pointer = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
  const find = (className: string, params: Record<string, unknown>, headers: Record<string, string> = appHeaders) => {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) query[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return t.http.get(`/parse/classes/${className}`).query(query).set(headers);
  };

  before(async () => {
    t = await startTestBackend({ enforcePrivateUsers: false });
    db = await t.db();
    const ann = await t.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ username: 'ann', password: 'pw', email: 'ann@example.com' });
    annToken = ann.body.sessionToken;
    annId = ann.body.objectId;
    await t.http
      .post('/parse/classes/Post')
      .set(appHeaders)
      .send({ title: 'hi', author: pointer('_User', annId) })
      .expect(201);
  });
  after(async () => {
    await t.close();
  });

  it("hides a user's email from others, through find, get and include", async () => {
    const users = await find('_User', {});
    expect(users.body.results[0]).to.include({ username: 'ann' });
    expect(users.body.results[0]).to.not.have.property('email');
    expect((await t.http.get(`/parse/users/${annId}`).set(appHeaders)).body).to.not.have.property('email');
    const posts = await find('Post', { include: 'author' });
    expect(posts.body.results[0].author).to.include({ username: 'ann' });
    expect(posts.body.results[0].author).to.not.have.property('email');
    expect(
      (await t.http.get(`/parse/users/${annId}`).set({ ...appHeaders, 'X-Parse-Session-Token': annToken })).body.email,
    ).to.equal('ann@example.com');
    expect((await t.http.get(`/parse/users/${annId}`).set(masterHeaders)).body.email).to.equal('ann@example.com');
  });

  it('refuses queries that would reveal a protected field, directly or through a sub-query', async () => {
    expect((await find('_User', { where: { email: { $regex: '^a' } } })).body.code).to.equal(119);
    expect((await find('_User', { order: 'email' })).body.code).to.equal(119);
    // Selecting a protected field is not an error (as parse-server): it is simply not returned.
    const selected = await find('_User', { keys: 'email,username' });
    expect(selected.status).to.equal(200);
    expect(selected.body.results[0]).to.not.have.property('email');
    expect((await find('_User', { where: { $or: [{ username: 'x' }, { 'email.domain': 'x' }] } })).body.code).to.equal(
      119,
    );
    const select = await find('Post', {
      where: { title: { $select: { query: { className: '_User', where: {} }, key: 'email' } } },
    });
    expect(select.body.code).to.equal(119);
    const inQuery = await find('Post', {
      where: { author: { $inQuery: { className: '_User', where: { email: 'ann@example.com' } } } },
    });
    expect(inQuery.body.code).to.equal(119);
  });

  it('keeps master-only classes out of sub-queries, includes and redirects', async () => {
    const viaSelect = await find('Post', {
      where: { author: { $select: { query: { className: '_Session', where: {} }, key: 'user' } } },
    });
    expect(viaSelect.body.code).to.equal(119);
    const viaInQuery = await find('Post', { where: { author: { $inQuery: { className: '_Session', where: {} } } } });
    expect(viaInQuery.body.code).to.equal(119);
    const session = (await db.collection('_Session').findOne({}))!;
    await t.http
      .post('/parse/classes/Note')
      .set(appHeaders)
      .send({ s: pointer('_Session', String(session._id)) })
      .expect(201);
    const included = await find('Note', { include: 's' });
    expect(included.body.results[0].s).to.deep.equal(pointer('_Session', String(session._id)));
  });

  it('never returns a session token stored on a user (legacy parse-server layout)', async () => {
    await db.collection('_User').updateOne({ _id: annId } as never, { $set: { _session_token: 'r:legacy' } });
    const res = await t.http.get(`/parse/users/${annId}`).set(masterHeaders);
    expect(res.body).to.not.have.property('sessionToken');
    expect(JSON.stringify(res.body)).to.not.include('r:legacy');
    const probe = await find('_User', { where: { sessionToken: 'r:legacy' } }, masterHeaders);
    expect(probe.body.results).to.deep.equal([]);
  });

  it('does not accept a stored token hash as a session token', async () => {
    const stored = (await db.collection('_Session').findOne({ _p_user: `_User$${annId}` }))!;
    expect(String(stored._session_token)).to.match(/^h:/);
    const res = await t.http
      .get('/parse/users/me')
      .set({ ...appHeaders, 'X-Parse-Session-Token': String(stored._session_token) });
    expect(res.body.code).to.equal(209);
  });

  it('lets clients get an installation by id, never list or delete them', async () => {
    await db
      .collection('_Installation')
      .insertOne({ _id: 'inst000001', deviceToken: 'SECRET-APNS', installationId: 'i1' } as never);
    await db.collection('_SCHEMA').insertOne({
      _id: '_Installation',
      objectId: 'string',
      deviceToken: 'string',
      installationId: 'string',
    } as never);
    expect((await find('_Installation', {})).body.code).to.equal(119);
    expect((await t.http.get('/parse/classes/_Installation/inst000001').set(appHeaders)).status).to.equal(200);
    expect((await find('_Installation', {}, masterHeaders)).body.results).to.have.length(1);
  });

  it('fails closed on class-level permissions it does not enforce yet', async () => {
    await db.collection('_SCHEMA').insertOne({
      _id: 'Locked',
      objectId: 'string',
      createdAt: 'string',
      updatedAt: 'string',
      secret: 'string',
      _metadata: {
        class_permissions: { find: {}, count: {}, get: {}, create: {}, update: {}, delete: {}, addField: {} },
      },
    } as never);
    await db
      .collection('Locked')
      .insertOne({ _id: 'locked0001', secret: 's', _created_at: new Date(), _updated_at: new Date() } as never);
    expect((await find('Locked', {})).body.code).to.equal(119);
    expect((await t.http.get('/parse/classes/Locked/locked0001').set(appHeaders)).body.code).to.equal(119);
    expect((await t.http.post('/parse/classes/Locked').set(appHeaders).send({ secret: 'x' })).body.code).to.equal(119);
    expect(
      (await t.http.put('/parse/classes/Locked/locked0001').set(appHeaders).send({ secret: 'x' })).body.code,
    ).to.equal(119);
    expect((await t.http.delete('/parse/classes/Locked/locked0001').set(appHeaders)).body.code).to.equal(119);
    const viaSubquery = await find('Post', {
      where: { title: { $select: { query: { className: 'Locked', where: {} }, key: 'secret' } } },
    });
    expect(viaSubquery.body.code).to.equal(119);
    expect((await find('Locked', {}, masterHeaders)).body.results).to.have.length(1);
  });
});
