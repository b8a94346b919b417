import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('REST /health, /serverInfo, /config', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
  });
  after(() => t.close());

  it('reports health without an application id', async () => {
    const res = await t.http.get('/parse/health');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('serves /serverInfo to the master key only', async () => {
    expect((await t.http.get('/parse/serverInfo').set(appHeaders)).body).to.deep.equal({
      error: 'unauthorized: master key is required',
    });
    const res = await t.http.get('/parse/serverInfo').set(masterHeaders);
    expect(res.status).to.equal(200);
    expect(res.body.parseServerVersion).to.match(/^\d+\.\d+\.\d+$/);
    expect(res.body.features.globalConfig.read).to.equal(true);
    // What the Dashboard gates its pages on: every schema change /schemas and /purge serve.
    expect(res.body.features.schemas).to.deep.equal({
      addField: true,
      removeField: true,
      addClass: true,
      removeClass: true,
      clearAllDataFromClass: true,
      exportClass: false,
      editClassLevelPermissions: true,
      editPointerPermissions: true,
    });
    expect(res.body.features.push).to.include({ immediatePush: false, pushAudiences: true });
    expect(res.body.features.cloudCode).to.deep.equal({ jobs: true });
  });

  it('stores config parameters, hiding master-only ones from clients', async () => {
    expect((await t.http.get('/parse/config').set(appHeaders)).body).to.deep.equal({ params: {} });
    const put = await t.http
      .put('/parse/config')
      .set(masterHeaders)
      .send({
        params: { welcome: 'hi', limit: 3, launch: { __type: 'Date', iso: '2030-01-01T00:00:00.000Z' }, secret: 's3' },
        masterKeyOnly: { secret: true },
      });
    expect(put.body).to.deep.equal({ result: true });
    const client = await t.http.get('/parse/config').set(appHeaders);
    expect(client.body).to.deep.equal({
      params: { welcome: 'hi', limit: 3, launch: { __type: 'Date', iso: '2030-01-01T00:00:00.000Z' } },
    });
    const master = await t.http.get('/parse/config').set(masterHeaders);
    expect(master.body.params.secret).to.equal('s3');
    expect(master.body.masterKeyOnly).to.deep.equal({ secret: true });
    await t.http
      .put('/parse/config')
      .set(masterHeaders)
      .send({ params: { welcome: { __op: 'Delete' } } })
      .expect(200);
    expect((await t.http.get('/parse/config').set(appHeaders)).body.params).to.not.have.property('welcome');
  });

  it('refuses config writes without the master key and bad config bodies', async () => {
    expect(
      (
        await t.http
          .put('/parse/config')
          .set(appHeaders)
          .send({ params: { a: 1 } })
      ).status,
    ).to.equal(403);
    const bad = await t.http.put('/parse/config').set(masterHeaders).send({ params: 'nope' });
    expect(bad.status).to.equal(400);
    expect(bad.body.code).to.equal(107);
    const badName = await t.http
      .put('/parse/config')
      .set(masterHeaders)
      .send({ params: { 'a.b': 1 } });
    expect(badName.body.code).to.equal(105);
  });

  it('answers an unknown route with a Parse error, not a 404 page', async () => {
    const res = await t.http.get('/parse/nowhere').set(appHeaders);
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal(108);
  });
});
