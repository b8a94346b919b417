import { expect } from 'chai';
import { BackendConfigError, createBackend } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('readOnlyMasterKey', () => {
  let t: TestBackend;
  const readOnly = { ...appHeaders, 'X-Parse-Master-Key': 'read-only-key' };
  let privateId: string;
  let userId: string;

  before(async () => {
    t = await startTestBackend({ readOnlyMasterKey: 'read-only-key', fileUpload: { enableForPublic: true } });
    privateId = (await t.http.post('/parse/classes/Vault').set(masterHeaders).send({ gold: 1, ACL: {} })).body.objectId;
    userId = (await t.http.post('/parse/users').set(appHeaders).send({ username: 'u', password: 'pw' })).body.objectId;
  });
  after(() => t.close());

  it('reads like the master key', async () => {
    expect((await t.http.get(`/parse/classes/Vault/${privateId}`).set(readOnly)).body.gold).to.equal(1);
    expect((await t.http.get('/parse/serverInfo').set(readOnly)).status).to.equal(200);
    expect((await t.http.get('/parse/classes/_Session').set(readOnly)).status).to.equal(200);
  });

  it('is refused on every write route', async () => {
    const writes = [
      t.http.post('/parse/classes/Vault').set(readOnly).send({ gold: 2 }),
      t.http.put(`/parse/classes/Vault/${privateId}`).set(readOnly).send({ gold: 3 }),
      t.http.delete(`/parse/classes/Vault/${privateId}`).set(readOnly),
      t.http
        .put('/parse/config')
        .set(readOnly)
        .send({ params: { a: 1 } }),
      t.http.post('/parse/loginAs').set(readOnly).send({ userId }),
      t.http.post('/parse/files/x.txt').set(readOnly).set('Content-Type', 'text/plain').send('x'),
      t.http.delete('/parse/files/x.txt').set(readOnly),
      t.http.post('/parse/roles').set(readOnly).send({ name: 'R', ACL: {} }),
    ];
    for (const [index, res] of (await Promise.all(writes)).entries()) {
      expect(res.status, `write ${index}`).to.equal(400);
      expect(res.body.code, `write ${index}`).to.equal(119);
    }
    const batch = await t.http
      .post('/parse/batch')
      .set(readOnly)
      .send({ requests: [{ method: 'PUT', path: `/parse/classes/Vault/${privateId}`, body: { gold: 9 } }] });
    expect(batch.body[0].error.code).to.equal(119);
    expect((await t.http.get(`/parse/classes/Vault/${privateId}`).set(masterHeaders)).body.gold).to.equal(1);
  });

  it('runs aggregates, unless allowAggregationForReadOnlyMasterKey is false (119; the master key still may)', async () => {
    const pipeline = JSON.stringify([{ $group: { _id: null, n: { $sum: 1 } } }]);
    expect((await t.http.get('/parse/aggregate/Vault').query({ pipeline }).set(readOnly)).body.results).to.deep.equal([
      { objectId: null, n: 1 },
    ]);
    const closed = await startTestBackend({
      readOnlyMasterKey: 'read-only-key',
      allowAggregationForReadOnlyMasterKey: false,
    });
    try {
      await closed.http.post('/parse/classes/Vault').set(masterHeaders).send({ gold: 1 }).expect(201);
      for (const query of [{ pipeline }, { distinct: 'gold' }]) {
        const refused = await closed.http.get('/parse/aggregate/Vault').query(query).set(readOnly);
        expect(refused.status).to.equal(400);
        expect(refused.body.code).to.equal(119);
        expect(refused.body).to.not.have.property('results');
        expect((await closed.http.get('/parse/aggregate/Vault').query(query).set(masterHeaders)).status).to.equal(200);
      }
    } finally {
      await closed.close();
    }
    expect(() =>
      createBackend({
        appId: 'a',
        masterKey: 'k',
        allowAggregationForReadOnlyMasterKey: 'no' as never,
        databaseURI: 'mongodb://127.0.0.1/x',
      }),
    ).to.throw(BackendConfigError, /allowAggregationForReadOnlyMasterKey/);
  });

  it('must differ from the master key', () => {
    expect(() =>
      createBackend({ appId: 'a', masterKey: 'k', readOnlyMasterKey: 'k', databaseURI: 'mongodb://127.0.0.1/x' }),
    ).to.throw(BackendConfigError, /readOnlyMasterKey/);
  });
});
