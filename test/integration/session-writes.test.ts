/**
 * Sessions a user opens and annotates itself, as parse-server allows: `POST /sessions` (and
 * `/classes/_Session`) opens another restricted session for the caller; `PUT /sessions/:id` sets
 * the app's own fields on one of the caller's sessions, never the server's.
 */
import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';

describe('sessions a user opens and changes', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
  });
  after(() => t.close());

  const signUp = async (username: string) =>
    (await t.http.post('/parse/users').set(appHeaders).send({ username, password: 'pw' }).expect(201)).body as {
      objectId: string;
      sessionToken: string;
    };
  const as = (token: string) => ({ ...appHeaders, 'X-Parse-Session-Token': token });

  it('opens another restricted session for the caller, with fields of its own', async () => {
    const ann = await signUp('ann');
    const res = await t.http.post('/parse/sessions').set(as(ann.sessionToken)).send({ device: 'phone', user: 'x' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ device: 'phone', restricted: true });
    expect(res.body.createdWith).to.deep.equal({ action: 'create' });
    expect(res.body.user).to.deep.equal({ __type: 'Pointer', className: '_User', objectId: ann.objectId });
    expect(res.body.sessionToken).to.be.a('string').and.not.equal(ann.sessionToken);
    const me = await t.http.get('/parse/users/me').set(as(res.body.sessionToken)).expect(200);
    expect(me.body.objectId).to.equal(ann.objectId);
    const listed = await t.http.get('/parse/sessions').set(as(ann.sessionToken)).expect(200);
    expect(listed.body.results.map((s: { device?: string }) => s.device)).to.include('phone');
    const viaClasses = await t.http.post('/parse/classes/_Session').set(as(ann.sessionToken)).send({});
    expect(viaClasses.status).to.equal(201);
  });

  it('refuses a session without a caller (209) or with an ACL (105)', async () => {
    const bob = await signUp('bob');
    expect((await t.http.post('/parse/sessions').set(appHeaders).send({})).body).to.deep.equal({
      code: 209,
      error: 'Session token required.',
    });
    expect((await t.http.post('/parse/sessions').set(as(bob.sessionToken)).send({ ACL: {} })).body).to.deep.equal({
      code: 105,
      error: 'Cannot set ACL on a Session.',
    });
  });

  it("sets the app's own fields on one of the caller's sessions, never the server's or another user's", async () => {
    const cid = await signUp('cid');
    const dan = await signUp('dan');
    const current = (await t.http.get('/parse/sessions/me').set(as(cid.sessionToken)).expect(200)).body;
    const put = (id: string, token: string, body: object) =>
      t.http.put(`/parse/sessions/${id}`).set(as(token)).send(body);
    const ok = await put(current.objectId, cid.sessionToken, { label: 'laptop' });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body.updatedAt).to.be.a('string');
    const read = await t.http.get(`/parse/sessions/${current.objectId}`).set(as(cid.sessionToken)).expect(200);
    expect(read.body.label).to.equal('laptop');
    for (const key of ['sessionToken', 'installationId', 'expiresAt', 'createdWith']) {
      expect((await put(current.objectId, cid.sessionToken, { [key]: 'x' })).body, key).to.deep.equal({
        code: 105,
        error: `Invalid key name: ${key}`,
      });
    }
    const other = { __type: 'Pointer', className: '_User', objectId: dan.objectId };
    expect((await put(current.objectId, cid.sessionToken, { user: other })).body.code).to.equal(105);
    expect((await put(current.objectId, dan.sessionToken, { label: 'mine' })).body.code).to.equal(101);
    const noToken = await t.http.put(`/parse/sessions/${current.objectId}`).set(appHeaders).send({ label: 'x' });
    expect(noToken.body).to.deep.equal({ code: 209, error: 'Session token required.' });
  });

  it('lets the master key open a session for a user it names, and only for one that exists (101)', async () => {
    const gus = await signUp('gus');
    const user = { __type: 'Pointer', className: '_User', objectId: gus.objectId };
    const opened = await t.http.post('/parse/sessions').set(masterHeaders).send({ user }).expect(201);
    const me = await t.http.get('/parse/users/me').set(as(opened.body.sessionToken)).expect(200);
    expect(me.body.objectId).to.equal(gus.objectId);
    const nobody = { __type: 'Pointer', className: '_User', objectId: 'nobody' };
    expect((await t.http.post('/parse/sessions').set(masterHeaders).send({ user: nobody })).body.code).to.equal(101);
  });

  it('lets the master key end a session by its expiry: the token stops working at once', async () => {
    const eve = await signUp('eve');
    const current = (await t.http.get('/parse/sessions/me').set(as(eve.sessionToken)).expect(200)).body;
    await t.http
      .put(`/parse/sessions/${current.objectId}`)
      .set(masterHeaders)
      .send({ expiresAt: { __type: 'Date', iso: '2015-01-01T00:00:00.000Z' } })
      .expect(200);
    const me = await t.http.get('/parse/users/me').set(as(eve.sessionToken));
    expect(me.body.code).to.equal(209);
  });

  it('works from the JS SDK: saving a Parse.Session opens one for the current user', async () => {
    const Parse = useBackend(t);
    const user = await Parse.User.signUp('fay', 'pw', {});
    const session = new Parse.Session();
    session.set('device', 'tablet');
    await session.save(null, { sessionToken: user.getSessionToken() ?? undefined });
    expect(session.getSessionToken()).to.be.a('string').and.not.equal(user.getSessionToken());
    expect(session.get('device')).to.equal('tablet');
    await Parse.User.logOut();
  });
});
