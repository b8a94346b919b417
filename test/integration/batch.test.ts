import { expect } from 'chai';
import { appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('REST /batch', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
    await t.http.post('/parse/classes/Item').set(appHeaders).send({ n: 0 }).expect(201);
  });
  after(() => t.close());

  it('runs each request and answers a result per request', async () => {
    const res = await t.http
      .post('/parse/batch')
      .set(appHeaders)
      .send({
        requests: [
          { method: 'POST', path: '/parse/classes/Item', body: { n: 1 } },
          { method: 'POST', path: '/classes/Item', body: { n: 'wrong type' } },
          { method: 'GET', path: '/parse/classes/Item', body: { where: { n: 0 } } },
        ],
      });
    expect(res.status).to.equal(200);
    expect(res.body).to.have.length(3);
    expect(res.body[0].success.objectId).to.match(/^[A-Za-z0-9]{10}$/);
    expect(res.body[1].error.code).to.equal(111);
    expect(res.body[2].success.results).to.have.length(1);
  });

  it('updates and deletes through batch paths', async () => {
    const { body: created } = await t.http.post('/parse/classes/Item').set(appHeaders).send({ n: 5 });
    const res = await t.http
      .post('/parse/batch')
      .set(appHeaders)
      .send({
        requests: [
          {
            method: 'PUT',
            path: `/parse/classes/Item/${created.objectId}`,
            body: { n: { __op: 'Increment', amount: 1 } },
          },
        ],
      });
    expect(res.body[0].success.n).to.equal(6);
    const del = await t.http
      .post('/parse/batch')
      .set(appHeaders)
      .send({
        requests: [{ method: 'DELETE', path: `/parse/classes/Item/${created.objectId}` }],
      });
    expect(del.body).to.deep.equal([{ success: {} }]);
  });

  it('with transaction: true, writes all or nothing', async () => {
    const before =
      (await t.http.get('/parse/classes/Tx').query({ count: 1, limit: 0 }).set(appHeaders)).body.count ?? 0;
    await t.http.post('/parse/classes/Tx').set(appHeaders).send({ n: 0 }).expect(201);
    const failed = await t.http
      .post('/parse/batch')
      .set(appHeaders)
      .send({
        transaction: true,
        requests: [
          { method: 'POST', path: '/parse/classes/Tx', body: { n: 1 } },
          { method: 'POST', path: '/parse/classes/Tx', body: { n: 'not a number' } },
        ],
      });
    expect(failed.status).to.equal(400);
    expect(failed.body.code).to.equal(111);
    const after = await t.http.get('/parse/classes/Tx').query({ count: 1, limit: 0 }).set(appHeaders);
    expect(after.body.count).to.equal(before + 1);
    const ok = await t.http
      .post('/parse/batch')
      .set(appHeaders)
      .send({
        transaction: true,
        requests: [
          { method: 'POST', path: '/parse/classes/Tx', body: { n: 2 } },
          { method: 'POST', path: '/parse/classes/Tx', body: { n: 3 } },
        ],
      });
    expect(ok.status).to.equal(200);
    expect(ok.body.every((r: { success?: unknown }) => r.success)).to.equal(true);
    expect((await t.http.get('/parse/classes/Tx').query({ count: 1, limit: 0 }).set(appHeaders)).body.count).to.equal(
      before + 3,
    );
  });

  it('refuses malformed batches', async () => {
    const cases: unknown[] = [
      {},
      { requests: 'x' },
      { requests: [{ method: 'FETCH', path: '/parse/classes/Item' }] },
      { requests: [{ method: 'POST', path: 'classes/Item' }] },
      { requests: [{ method: 'POST', path: '/parse/batch', body: { requests: [] } }] },
      { requests: Array.from({ length: 1001 }, () => ({ method: 'GET', path: '/parse/classes/Item' })) },
    ];
    for (const body of cases) {
      const res = await t.http
        .post('/parse/batch')
        .set(appHeaders)
        .send(body as object);
      expect(res.status, JSON.stringify(body).slice(0, 80)).to.equal(400);
      expect(res.body.code).to.equal(107);
    }
  });
});

describe('REST /batch: creates go to the database together', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend({ allowCustomObjectId: true });
  });
  after(() => t.close());

  it('stores fifty creates, each with its own answer', async () => {
    const requests = Array.from({ length: 50 }, (_, n) => ({
      method: 'POST',
      path: '/parse/classes/Many',
      body: { n },
    }));
    const res = await t.http.post('/parse/batch').set(appHeaders).send({ requests });
    expect(res.body.map((r: { success?: { objectId?: string } }) => typeof r.success?.objectId)).to.deep.equal(
      Array(50).fill('string'),
    );
    const stored = await (await t.db()).collection('Many').find().sort({ n: 1 }).toArray();
    expect(stored.map((d) => d.n)).to.deep.equal(Array.from({ length: 50 }, (_, n) => n));
  });

  it('fails only the object whose id is taken, and stores the others', async () => {
    const res = await t.http
      .post('/parse/batch')
      .set(appHeaders)
      .send({
        requests: [
          { method: 'POST', path: '/parse/classes/Twin', body: { objectId: 'same1', n: 1 } },
          { method: 'POST', path: '/parse/classes/Twin', body: { objectId: 'same1', n: 2 } },
          { method: 'POST', path: '/parse/classes/Twin', body: { objectId: 'other', n: 3 } },
        ],
      });
    const outcomes = res.body.map((r: { success?: unknown; error?: { code: number } }) =>
      r.success ? 'ok' : r.error?.code,
    );
    expect(outcomes.filter((o: unknown) => o === 'ok')).to.have.length(2);
    expect(outcomes.filter((o: unknown) => o === 137)).to.have.length(1);
    expect(await (await t.db()).collection('Twin').countDocuments()).to.equal(2);
  });
});
