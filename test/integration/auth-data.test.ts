import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';

describe('authData over REST', () => {
  let t: TestBackend;
  const checked: unknown[] = [];
  before(async () => {
    t = await startTestBackend({
      auth: {
        test: {
          validateAuthData(authData) {
            checked.push(authData);
            if (authData.token !== 'good' && authData.token !== 'fresh') throw new Error('bad token');
          },
        },
        // a provider that keeps the identity alone
        idOnly: {
          validateAuthData(authData) {
            if (authData.token !== 'good') throw new Error('bad token');
            return { id: authData.id };
          },
        },
      },
    });
  });
  after(() => t.close());

  const signUp = (authData: unknown) => t.http.post('/parse/users').set(appHeaders).send({ authData });

  it('signs up anonymously with a generated username, and logs the same identity in again', async () => {
    const first = await signUp({ anonymous: { id: 'anon-1' } });
    expect(first.status).to.equal(201);
    expect(first.body.username).to.match(/^[A-Za-z0-9]{25}$/);
    const again = await signUp({ anonymous: { id: 'anon-1' } });
    expect(again.status).to.equal(200);
    expect(again.body.objectId).to.equal(first.body.objectId);
    // The login names the user, as the sign-up did, on both routes (parse-server sets it on both).
    expect(again.headers.location).to.equal(`${t.serverURL}/users/${first.body.objectId}`);
    const viaClasses = await t.http
      .post('/parse/classes/_User')
      .set(appHeaders)
      .send({ authData: { anonymous: { id: 'anon-1' } } });
    expect(viaClasses.status).to.equal(200);
    expect(viaClasses.headers.location).to.equal(`${t.serverURL}/users/${first.body.objectId}`);
  });

  it('shows authData to the user itself and the master key, never to others', async () => {
    const { body: user } = await signUp({ test: { id: 't-1', token: 'good' } });
    const self = await t.http.get('/parse/users/me').set({ ...appHeaders, 'X-Parse-Session-Token': user.sessionToken });
    // Stored as sent, as parse-server does: the SDKs read their tokens back from it.
    expect(self.body.authData).to.deep.equal({ test: { id: 't-1', token: 'good' } });
    expect((await t.http.get(`/parse/users/${user.objectId}`).set(masterHeaders)).body.authData).to.deep.equal({
      test: { id: 't-1', token: 'good' },
    });
    const { body: stranger } = await signUp({ anonymous: { id: 'anon-2' } });
    const seen = await t.http
      .get(`/parse/users/${user.objectId}`)
      .set({ ...appHeaders, 'X-Parse-Session-Token': stranger.sessionToken });
    expect(seen.status).to.equal(404);
  });

  it('refuses unknown providers before touching the database, and non-string ids', async () => {
    checked.length = 0;
    expect((await signUp({ facebook: { id: 'x' } })).body.code).to.equal(252);
    expect((await signUp({ test: { id: { $ne: null }, token: 'good' } })).body.code).to.equal(250);
    // An empty authData is no identity: the sign-up then needs a username (200), as in parse-server.
    expect((await signUp({})).body.code).to.equal(200);
    expect(checked).to.deep.equal([]);
  });

  it('answers a session for the user when the master key links an identity, as parse-server does', async () => {
    const { body: user } = await t.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ username: 'linked-by-master', password: 'pw' })
      .expect(201);
    const linked = await t.http
      .put(`/parse/users/${user.objectId}`)
      .set(masterHeaders)
      .send({ authData: { test: { id: 'by-master', token: 'good' } } })
      .expect(200);
    expect(linked.body.sessionToken).to.match(/^r:/);
    const me = await t.http
      .get('/parse/users/me')
      .set({ ...appHeaders, 'X-Parse-Session-Token': linked.body.sessionToken });
    expect(me.body.objectId).to.equal(user.objectId);
    // Through the SDK: linkWith with the master key leaves the user object holding that session.
    const Parse = useBackend(t);
    const fetched = await new Parse.Query(Parse.User).get(user.objectId, { useMasterKey: true });
    const model = await fetched.linkWith(
      'test',
      { authData: { id: 'by-master-2', token: 'good' } },
      {
        useMasterKey: true,
      },
    );
    expect(model.getSessionToken()).to.match(/^r:/);
    // A user linking its own identity keeps the session it used: no new one in the answer.
    const own = await t.http
      .put(`/parse/users/${user.objectId}`)
      .set({ ...appHeaders, 'X-Parse-Session-Token': user.sessionToken })
      .send({ authData: { test: { id: 'by-self', token: 'good' } } })
      .expect(200);
    expect(own.body.sessionToken).to.equal(undefined);
  });

  it('takes an update that re-sends an identity the user already has without asking the provider again', async () => {
    const { body: user } = await signUp({ test: { id: 'kept-id', token: 'good' } });
    const asUser = { ...appHeaders, 'X-Parse-Session-Token': user.sessionToken };
    checked.length = 0;
    // The SDK re-sends its stored token, which the provider may no longer accept.
    const stale = await t.http
      .put(`/parse/users/${user.objectId}`)
      .set(asUser)
      .send({ key: 'value', authData: { test: { id: 'kept-id', token: 'expired' } } })
      .expect(200);
    expect(stale.body.updatedAt).to.be.a('string');
    expect(checked).to.deep.equal([]);
    // Another id for the provider is a change: it is checked.
    const changed = await t.http
      .put(`/parse/users/${user.objectId}`)
      .set(asUser)
      .send({ authData: { test: { id: 'new-id', token: 'expired' } } });
    expect(changed.body.code).to.equal(101);
    const stored = await t.http.get(`/parse/users/${user.objectId}`).set(masterHeaders);
    expect(stored.body.authData).to.deep.equal({ test: { id: 'kept-id', token: 'good' } });
    expect(stored.body.key).to.equal('value');
  });

  it('a login with a refreshed token stores it, as parse-server; a provider returning { id } keeps the identity alone', async () => {
    const { body: user } = await signUp({ test: { id: 'refreshed', token: 'good' } });
    const again = await signUp({ test: { id: 'refreshed', token: 'fresh' } }).expect(200);
    expect(again.body.objectId).to.equal(user.objectId);
    expect(again.body.authData).to.deep.equal({ test: { id: 'refreshed', token: 'fresh' } });
    const db = await t.db();
    const stored = await db.collection('_User').findOne({ _id: user.objectId } as never);
    expect(stored?._auth_data_test).to.deep.equal({ id: 'refreshed', token: 'fresh' });

    const { body: private_ } = await signUp({ idOnly: { id: 'quiet', token: 'good' } });
    const kept = await db.collection('_User').findOne({ _id: private_.objectId } as never);
    expect(kept?._auth_data_idOnly).to.deep.equal({ id: 'quiet' });
    const relogin = await signUp({ idOnly: { id: 'quiet', token: 'good' } }).expect(200);
    expect(relogin.body.authData).to.deep.equal({ idOnly: { id: 'quiet' } });
  });

  it('returns authData when keys select it, to the user itself and the master key only', async () => {
    const { body: user } = await signUp({ anonymous: { id: 'selected-1' } });
    const { body: other } = await signUp({ anonymous: { id: 'selected-2' } });
    const one = await t.http.get(`/parse/users/${user.objectId}`).query({ keys: 'authData' }).set(masterHeaders);
    expect(one.body.authData).to.deep.equal({ anonymous: { id: 'selected-1' } });
    expect(one.body.username).to.equal(undefined);
    const Parse = useBackend(t);
    const [found] = await new Parse.Query(Parse.User)
      .equalTo('objectId', user.objectId)
      .select('authData')
      .find({ useMasterKey: true });
    expect(found!.get('authData')).to.deep.equal({ anonymous: { id: 'selected-1' } });
    const own = await t.http
      .get(`/parse/users/${user.objectId}`)
      .query({ keys: 'authData' })
      .set({ ...appHeaders, 'X-Parse-Session-Token': user.sessionToken });
    expect(own.body.authData).to.deep.equal({ anonymous: { id: 'selected-1' } });
    const others = await t.http
      .get(`/parse/users/${user.objectId}`)
      .query({ keys: 'authData' })
      .set({ ...appHeaders, 'X-Parse-Session-Token': other.sessionToken });
    expect(others.body.authData).to.equal(undefined);
  });

  it('links, refuses a second owner of an identity, and unlinks', async () => {
    const { body: a } = await signUp({ anonymous: { id: 'anon-3' } });
    const { body: b } = await signUp({ anonymous: { id: 'anon-4' } });
    const asA = { ...appHeaders, 'X-Parse-Session-Token': a.sessionToken };
    const asB = { ...appHeaders, 'X-Parse-Session-Token': b.sessionToken };
    await t.http
      .put(`/parse/users/${a.objectId}`)
      .set(asA)
      .send({ authData: { test: { id: 'shared', token: 'good' } } })
      .expect(200);
    expect(
      (
        await t.http
          .put(`/parse/users/${b.objectId}`)
          .set(asB)
          .send({ authData: { test: { id: 'shared', token: 'good' } } })
      ).body.code,
    ).to.equal(208);
    expect(
      (
        await t.http
          .put(`/parse/users/${a.objectId}`)
          .set(asA)
          .send({ authData: { test: { id: 'other', token: 'bad' } } })
      ).body.code,
    ).to.equal(101);
    await t.http
      .put(`/parse/users/${a.objectId}`)
      .set(asA)
      .send({ authData: { test: null } })
      .expect(200);
    expect((await t.http.get('/parse/users/me').set(asA)).body.authData).to.deep.equal({ anonymous: { id: 'anon-3' } });
    const relinked = await signUp({ test: { id: 'shared', token: 'good' } });
    expect(relinked.status).to.equal(201);
    expect(relinked.body.objectId).to.not.equal(a.objectId);
  });
  it('reads an empty authData as none: a username and password sign-up and login work (the Android SDK sends one)', async () => {
    const body = { username: 'pulse1989', password: 'password1234', authData: {} };
    const signUp = await t.http.post('/parse/users').set(appHeaders).send(body);
    expect(signUp.status, JSON.stringify(signUp.body)).to.equal(201);
    const login = await t.http.post('/parse/login').set(appHeaders).send(body);
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    expect(login.body.sessionToken).to.be.a('string');
    const Parse = useBackend(t);
    const user = await Parse.User.signUp('artof', 'thedeal', { authData: {} });
    expect(user.getSessionToken()).to.be.a('string');
    await Parse.User.logOut();
  });
});
