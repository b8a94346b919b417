import { expect } from 'chai';
import { BackendConfigError, createBackend } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('hardening: bad input answers with Parse codes, never a 500', () => {
  let t: TestBackend;
  let id: string;
  before(async () => {
    t = await startTestBackend();
    id = (
      await t.http
        .post('/parse/classes/Thing')
        .set(appHeaders)
        .send({ name: 'a', tags: ['x'], owner: { __type: 'Pointer', className: 'Thing', objectId: 'abc' }, n: null })
    ).body.objectId;
  });
  after(() => t.close());

  const get = (path: string, query: Record<string, string> = {}) =>
    t.http.get(`/parse${path}`).query(query).set(appHeaders);

  it('scans JSON decoded from the query string for forbidden keys', async () => {
    const res = await get('/classes/Thing', { where: JSON.stringify({ name: { _bsontype: 'Code', code: 'x' } }) });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal(105);
    expect((await get('/classes/Thing', { hint: JSON.stringify({ _bsontype: 'Code' }) })).body.code).to.equal(105);
  });

  it('answers 111 for a typed value missing its parts, as parse-server does', async () => {
    for (const type of ['Pointer', 'File', 'Date', 'GeoPoint', 'Bytes', 'Polygon', 'Relation']) {
      const res = await t.http
        .post('/parse/classes/Thing')
        .set(appHeaders)
        .send({ foo: { __type: type } });
      expect(res.body, type).to.deep.equal({ code: 111, error: `This is not a valid ${type}` });
    }
    const unknown = await t.http
      .post('/parse/classes/Thing')
      .set(appHeaders)
      .send({ foo: { __type: 'IvalidName' } });
    expect(unknown.body.code).to.equal(111);
  });

  it('checks the keys of typed values nested in data', async () => {
    const nested = await t.http
      .post('/parse/classes/Thing')
      .set(appHeaders)
      .send({ data: { inner: { __type: 'Object', $where: 'x', 'a.b': 1 } } });
    expect(nested.body.code).to.equal(121);
    const geo = await t.http
      .post('/parse/classes/Thing')
      .set(appHeaders)
      .send({ list: [{ __type: 'GeoPoint', latitude: 1, longitude: 2, $x: 1 }] });
    expect(geo.body.code).to.equal(121);
  });

  it('refuses dotted updates into fields that are not Objects', async () => {
    for (const key of ['owner.x', 'name.x', 'tags.x']) {
      const res = await t.http
        .put(`/parse/classes/Thing/${id}`)
        .set(appHeaders)
        .send({ [key]: 1 });
      expect(res.status, key).to.equal(400);
      expect(res.body.code, key).to.equal(111);
    }
  });

  it('answers updates MongoDB refuses with Parse codes', async () => {
    const conflict = await t.http
      .put(`/parse/classes/Thing/${id}`)
      .set(appHeaders)
      .send({ tags: { __op: 'Add', objects: ['y'] }, 'tags.0': 'z' });
    expect(conflict.status).to.equal(400);
    expect([107, 111]).to.include(conflict.body.code);
    const incrementNull = await t.http
      .put(`/parse/classes/Thing/${id}`)
      .set(appHeaders)
      .send({ name: { __op: 'Increment', amount: 1 } });
    expect(incrementNull.status).to.equal(400);
    expect(incrementNull.body.code).to.equal(111);
  });

  it('answers malformed percent-encoding with JSON, not an HTML stack trace', async () => {
    for (const path of ['/parse/classes/%E0%A4%A', '/parse/files/test-app/%E0%A4%A', '/parse/classes/Thing/%E0%A4%A']) {
      const res = await t.http.get(path).set(appHeaders);
      expect(res.status, path).to.equal(400);
      expect(res.type, path).to.equal('application/json');
      expect(res.body.code, path).to.be.a('number');
    }
    const del = await t.http.delete('/parse/files/%E0%A4%A').set(masterHeaders);
    expect(del.type).to.equal('application/json');
  });

  it('refuses an out-of-range $relativeTime with 107', async () => {
    const res = await get('/classes/Thing', {
      where: JSON.stringify({ createdAt: { $lt: { $relativeTime: 'in 99999999999999999999 years' } } }),
    });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal(107);
  });

  it('takes $all regex atoms with the x option', async () => {
    const res = await get('/classes/Thing', {
      where: JSON.stringify({ tags: { $all: [{ $regex: '^ x', $options: 'x' }] } }),
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.results).to.have.length(1);
  });

  it('lets a config parameter be removed and marked in one request', async () => {
    await t.http
      .put('/parse/config')
      .set(masterHeaders)
      .send({ params: { k: 1 } })
      .expect(200);
    const res = await t.http
      .put('/parse/config')
      .set(masterHeaders)
      .send({ params: { k: { __op: 'Delete' } }, masterKeyOnly: { k: true } });
    expect(res.status).to.equal(200);
    expect(
      (
        await t.http
          .put('/parse/config')
          .set(masterHeaders)
          .send({ masterKeyOnly: { 'a.b': true } })
      ).body.code,
    ).to.equal(105);
  });

  it('refuses masterKeyIps rules it cannot read', () => {
    for (const rule of ['10.0.0.0/33', '1.2.3.4/abc', 'example.com', '::1/128', '10.0.0.0/8/1']) {
      expect(
        () => createBackend({ appId: 'a', masterKey: 'm', databaseURI: 'mongodb://127.0.0.1/x', masterKeyIps: [rule] }),
        rule,
      ).to.throw(BackendConfigError, /masterKeyIps/);
    }
    expect(() =>
      createBackend({
        appId: 'a',
        masterKey: 'm',
        databaseURI: 'mongodb://127.0.0.1/x',
        masterKeyIps: ['10.0.0.0/8', '::1', '127.0.0.1'],
      }),
    ).to.not.throw();
  });
});
