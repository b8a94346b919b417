import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('sessions: legacy tokens from parse-server databases', () => {
  let t: TestBackend;
  let client: MongoClient;
  before(async () => {
    t = await startTestBackend();
    client = await MongoClient.connect(t.databaseURI);
    await client.db().collection('_User').insertOne({ _id: 'legacy0001', username: 'old', _session_token: 'abcdefLegacyToken', _created_at: new Date(), _updated_at: new Date() } as never);
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
    const upgraded = await t.http.post('/parse/upgradeToRevocableSession').set({ ...appHeaders, 'X-Parse-Session-Token': 'abcdefLegacyToken' }).send({});
    expect(upgraded.status).to.equal(200);
    expect(upgraded.body.sessionToken).to.match(/^r:[0-9a-f]{32}$/);
    expect(upgraded.body.createdWith).to.deep.equal({ action: 'upgrade' });
    expect((await me(upgraded.body.sessionToken)).body.objectId).to.equal('legacy0001');
    expect((await me('abcdefLegacyToken')).body.code).to.equal(209);
    const user = await client.db().collection('_User').findOne({ _id: 'legacy0001' } as never);
    expect(user).to.not.have.property('_session_token');
  });

  it('refuses an upgrade without a session', async () => {
    expect((await t.http.post('/parse/upgradeToRevocableSession').set(appHeaders).send({})).body.code).to.equal(209);
  });
});
