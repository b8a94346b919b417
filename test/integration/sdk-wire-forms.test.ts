/**
 * What the Parse JS SDK's other features send, answered as parse-server answers it: the health
 * poll of its offline queue, mixed key forms, a sign-up with its own ACL, a user changing its ACL,
 * and serverURL values parse-server accepts.
 */
import { expect } from 'chai';
import { createBackend } from 'plinth';
import { APP_ID, appHeaders, MASTER_KEY, startTestBackend, type TestBackend } from '../support/backend.js';

describe('what the JS SDK sends, answered as parse-server answers it', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
  });
  after(() => t.close());

  it("answers the offline queue's health poll: POST /health with _method GET in the body", async () => {
    const res = await t.http
      .post('/parse/health')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ _method: 'GET', _ApplicationId: APP_ID }));
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('ok');
  });

  it('takes a master key from a header when the app id comes in the body form', async () => {
    await t.http
      .post('/parse/classes/Mixed')
      .set({ ...appHeaders, 'X-Parse-Master-Key': MASTER_KEY })
      .send({ ACL: {} });
    const res = await t.http
      .post('/parse/classes/Mixed')
      .set({ 'Content-Type': 'text/plain', 'X-Parse-Master-Key': MASTER_KEY })
      .send(JSON.stringify({ _method: 'GET', _ApplicationId: APP_ID }));
    expect(res.status).to.equal(200);
    expect(res.body.results).to.have.length(1);
  });

  it('a sign-up with its own ACL can still read and write itself', async () => {
    const user = (
      await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: 'acl-own', password: 'pw', ACL: { '*': { read: true } } })
        .expect(201)
    ).body;
    const asUser = { ...appHeaders, 'X-Parse-Session-Token': user.sessionToken };
    await t.http.put(`/parse/users/${user.objectId}`).set(asUser).send({ nickname: 'me' }).expect(200);
    const stored = await (await t.db()).collection('_User').findOne({ _id: user.objectId } as never);
    expect(stored!._wperm).to.deep.equal([user.objectId]);
    expect([...stored!._rperm].sort()).to.deep.equal(['*', user.objectId].sort());
  });

  it('a user cannot lock itself out by changing its ACL', async () => {
    const user = (
      await t.http.post('/parse/users').set(appHeaders).send({ username: 'acl-lock', password: 'pw' }).expect(201)
    ).body;
    const asUser = { ...appHeaders, 'X-Parse-Session-Token': user.sessionToken };
    await t.http.put(`/parse/users/${user.objectId}`).set(asUser).send({ ACL: {} }).expect(200);
    await t.http.get(`/parse/users/${user.objectId}`).set(asUser).expect(200);
    await t.http.put(`/parse/users/${user.objectId}`).set(asUser).send({ nickname: 'still me' }).expect(200);
  });

  it('reads form bodies (application/x-www-form-urlencoded), as parse-server does', async () => {
    const created = await t.http
      .post('/parse/classes/Form')
      .set(appHeaders)
      .type('form')
      .send('title=hello&tags[]=a&tags[]=b');
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const stored = await t.http.get(`/parse/classes/Form/${created.body.objectId}`).set(appHeaders);
    expect(stored.body).to.include({ title: 'hello' });
    expect(stored.body.tags).to.deep.equal(['a', 'b']);
    await t.http.post('/parse/users').set(appHeaders).type('form').send('username=former&password=pw').expect(201);
    await t.http.post('/parse/login').set(appHeaders).type('form').send('username=former&password=pw').expect(200);
  });

  it('reads bracketed query strings (where[title][$regex]=...), as parse-server does', async () => {
    await t.http.post('/parse/classes/Bracket').set(appHeaders).send({ title: 'abc', n: 1 }).expect(201);
    await t.http.post('/parse/classes/Bracket').set(appHeaders).send({ title: 'xyz', n: 2 }).expect(201);
    const regex = await t.http.get('/parse/classes/Bracket?where[title][$regex]=^ab').set(appHeaders);
    expect(regex.status, JSON.stringify(regex.body)).to.equal(200);
    expect(regex.body.results.map((o: { title: string }) => o.title)).to.deep.equal(['abc']);
    const encoded = await t.http.get('/parse/classes/Bracket?where%5Btitle%5D=xyz').set(appHeaders);
    expect(encoded.body.results.map((o: { title: string }) => o.title)).to.deep.equal(['xyz']);
    const polluting = await t.http.get('/parse/classes/Bracket?where[constructor][prototype]=1').set(appHeaders);
    expect(polluting.status).to.be.below(500);
  });

  it('keeps one session per user and installation: a new login from a device ends its earlier session', async () => {
    await t.http.post('/parse/users').set(appHeaders).send({ username: 'device', password: 'pw' }).expect(201);
    const login = (installationId: string) =>
      t.http
        .post('/parse/login')
        .set({ ...appHeaders, 'X-Parse-Installation-Id': installationId })
        .send({ username: 'device', password: 'pw' })
        .expect(200);
    const first = (await login('phone')).body;
    const second = (await login('phone')).body;
    const other = (await login('tablet')).body;
    const sessions = await (await t.db()).collection('_Session').countDocuments({ _p_user: `_User$${first.objectId}` });
    // The sign-up's session (no installation), the phone's latest and the tablet's.
    expect(sessions).to.equal(3);
    const me = (token: string) => t.http.get('/parse/users/me').set({ ...appHeaders, 'X-Parse-Session-Token': token });
    expect((await me(first.sessionToken)).status).to.equal(400);
    expect((await me(second.sessionToken)).status).to.equal(200);
    expect((await me(other.sessionToken)).status).to.equal(200);
  });

  it('logs in as parse-server does: email as the username, both must match, non-strings are 101', async () => {
    await t.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ username: 'mailer', password: 'pw', email: 'mailer@x.io' })
      .expect(201);
    const login = (body: Record<string, unknown>) => t.http.post('/parse/login').set(appHeaders).send(body);
    expect((await login({ username: 'mailer@x.io', password: 'pw' })).status).to.equal(200);
    expect((await login({ username: 'mailer', email: 'mailer@x.io', password: 'pw' })).status).to.equal(200);
    const mismatch = await login({ username: 'mailer', email: 'other@x.io', password: 'pw' });
    expect([mismatch.status, mismatch.body.code]).to.deep.equal([404, 101]);
    for (const body of [
      { username: { $ne: null }, password: 'pw' },
      { username: 'mailer', password: 7 },
    ]) {
      const res = await login(body);
      expect([res.status, res.body], JSON.stringify(body)).to.deep.equal([
        404,
        { code: 101, error: 'Invalid username/password.' },
      ]);
    }
  });

  it('gives a user fetching itself its session token, as parse-server does', async () => {
    const user = (
      await t.http.post('/parse/users').set(appHeaders).send({ username: 'selfie', password: 'pw' }).expect(201)
    ).body;
    const asUser = { ...appHeaders, 'X-Parse-Session-Token': user.sessionToken };
    for (const path of [`/parse/users/${user.objectId}`, `/parse/classes/_User/${user.objectId}`]) {
      const fetched = await t.http.get(path).set(asUser).expect(200);
      expect(fetched.body.sessionToken, path).to.equal(user.sessionToken);
    }
    const byMaster = await t.http
      .get(`/parse/users/${user.objectId}`)
      .set({ ...appHeaders, 'X-Parse-Master-Key': MASTER_KEY });
    expect(byMaster.body).to.not.have.property('sessionToken');
  });

  it('accepts any serverURL string, as parse-server does', () => {
    for (const serverURL of ['localhost:1337/parse', '/parse', 'https://api.example.com/parse']) {
      expect(() =>
        createBackend({ appId: 'x', masterKey: 'mk', databaseURI: 'mongodb://127.0.0.1:1/x', serverURL }),
      ).to.not.throw();
    }
  });
});
