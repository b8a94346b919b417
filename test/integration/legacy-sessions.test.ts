import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('sessions: legacy tokens from parse-server databases', () => {
  let t: TestBackend;
  let client: MongoClient;
  before(async () => {
    t = await startTestBackend();
    client = await MongoClient.connect(t.databaseURI);
    await client
      .db()
      .collection('_User')
      .insertOne({
        _id: 'legacy0001',
        username: 'old',
        _session_token: 'abcdefLegacyToken',
        _created_at: new Date(),
        _updated_at: new Date(),
      } as never);
  });
  after(async () => {
    await client.close();
    await t.close();
  });

  const me = (token: string) => t.http.get('/parse/users/me').set({ ...appHeaders, 'X-Parse-Session-Token': token });

  it('accepts a legacy token stored on the user, then upgrades it to a revocable session', async () => {
    const before = await me('abcdefLegacyToken');
    expect(before.status).to.equal(200);
    expect(before.body.objectId).to.equal('legacy0001');
    const upgraded = await t.http
      .post('/parse/upgradeToRevocableSession')
      .set({ ...appHeaders, 'X-Parse-Session-Token': 'abcdefLegacyToken' })
      .send({});
    expect(upgraded.status).to.equal(200);
    expect(upgraded.body.sessionToken).to.match(/^r:[0-9a-f]{32}$/);
    expect(upgraded.body.createdWith).to.deep.equal({ action: 'upgrade' });
    expect((await me(upgraded.body.sessionToken)).body.objectId).to.equal('legacy0001');
    expect((await me('abcdefLegacyToken')).body.code).to.equal(209);
    const user = await client
      .db()
      .collection('_User')
      .findOne({ _id: 'legacy0001' } as never);
    expect(user).to.not.have.property('_session_token');
  });

  it('makes sessions that never expire with expireInactiveSessions: false', async () => {
    const forever = await startTestBackend({ expireInactiveSessions: false });
    const foreverClient = await MongoClient.connect(forever.databaseURI);
    try {
      const created = await forever.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: 'eternal', password: 'pw' });
      const session = await foreverClient
        .db()
        .collection('_Session')
        .findOne({ _p_user: `_User$${created.body.objectId}` });
      expect(session).to.not.equal(null);
      expect(session).to.not.have.property('expiresAt');
      expect(
        (
          await forever.http
            .get('/parse/users/me')
            .set({ ...appHeaders, 'X-Parse-Session-Token': created.body.sessionToken })
        ).status,
      ).to.equal(200);
    } finally {
      await foreverClient.close();
      await forever.close();
    }
  });

  it('refuses an upgrade without a session', async () => {
    expect((await t.http.post('/parse/upgradeToRevocableSession').set(appHeaders).send({})).body.code).to.equal(209);
  });
});
