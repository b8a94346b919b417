import { expect } from 'chai';
import { BackendError, BackendConfigError } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('beforeSave / afterSave through REST', () => {
  let t: TestBackend;
  const afterSaves: { id: string | undefined; existed: boolean; total: unknown }[] = [];
  before(async () => {
    t = await startTestBackend();
    t.backend.cloud.beforeSave('Order', (request) => {
      const total = request.object.get('total') as number;
      if (total < 0) throw new BackendError(142, 'total cannot be negative');
      if (total > 1000) throw new Error('too big');
      request.object.set('status', request.object.dirty('items') ? 'pending' : (request.object.get('status') ?? 'new'));
      request.object.set('seenAt', new Date('2024-01-01T00:00:00.000Z'));
    });
    t.backend.cloud.afterSave('Order', (request) => {
      afterSaves.push({
        id: request.object.id,
        existed: request.original !== undefined,
        total: request.object.get('total'),
      });
      throw new Error('afterSave errors are logged, not sent');
    });
  });
  after(() => t.close());

  it('saves what beforeSave set and returns it to the client', async () => {
    const res = await t.http
      .post('/parse/classes/Order')
      .set(appHeaders)
      .send({ total: 5, items: ['a'] });
    expect(res.status).to.equal(201);
    expect(res.body.status).to.equal('pending');
    expect(res.body.seenAt).to.deep.equal({ __type: 'Date', iso: '2024-01-01T00:00:00.000Z' });
    const stored = await t.http.get(`/parse/classes/Order/${res.body.objectId}`).set(appHeaders);
    expect(stored.body).to.include({ total: 5, status: 'pending' });
    expect(afterSaves.at(-1)).to.deep.equal({ id: res.body.objectId, existed: false, total: 5 });
  });

  it('sees the original and the change on update', async () => {
    const { body: created } = await t.http.post('/parse/classes/Order').set(appHeaders).send({ total: 1 });
    const res = await t.http
      .put(`/parse/classes/Order/${created.objectId}`)
      .set(appHeaders)
      .send({ total: { __op: 'Increment', amount: 2 } });
    expect(res.status).to.equal(200);
    expect(res.body.total).to.equal(3);
    expect(afterSaves.at(-1)).to.deep.equal({ id: created.objectId, existed: true, total: 3 });
  });

  it('passes a thrown BackendError code to the client, anything else as 141', async () => {
    const negative = await t.http.post('/parse/classes/Order').set(appHeaders).send({ total: -1 });
    expect(negative.status).to.equal(400);
    expect(negative.body).to.deep.equal({ code: 142, error: 'total cannot be negative' });
    const big = await t.http.post('/parse/classes/Order').set(appHeaders).send({ total: 5000 });
    expect(big.body).to.deep.equal({ code: 141, error: 'too big' });
    const count = await t.http
      .get('/parse/classes/Order')
      .query({ where: JSON.stringify({ total: { $in: [-1, 5000] } }), count: 1, limit: 0 })
      .set(masterHeaders);
    expect(count.body.count).to.equal(0);
  });

  it('refuses bad registrations at once and unregisters', async () => {
    expect(() => t.backend.cloud.beforeSave('Order', 'nope' as never)).to.throw(BackendConfigError);
    expect(() => t.backend.cloud.beforeSave({} as never, () => undefined)).to.throw(BackendConfigError);
    const off = t.backend.cloud.beforeSave('Temp', () => {
      throw new BackendError(142, 'blocked');
    });
    expect((await t.http.post('/parse/classes/Temp').set(appHeaders).send({ a: 1 })).status).to.equal(400);
    off();
    expect((await t.http.post('/parse/classes/Temp').set(appHeaders).send({ a: 1 })).status).to.equal(201);
  });

  it('keeps an increment made in a hook atomic, and adds it to a value the hook set', async () => {
    t.backend.cloud.beforeSave('Tally', (request) => {
      request.object.increment('visits');
      if (request.object.get('reset') === true) {
        request.object.set('score', 10);
        request.object.increment('score', 5);
      }
    });
    const { body: created } = await t.http.post('/parse/classes/Tally').set(appHeaders).send({ score: 1 });
    expect(created.visits).to.equal(1);
    await Promise.all(
      Array.from({ length: 10 }, () => t.http.put(`/parse/classes/Tally/${created.objectId}`).set(appHeaders).send({})),
    );
    const after = await t.http.get(`/parse/classes/Tally/${created.objectId}`).set(appHeaders);
    expect(after.body.visits).to.equal(11);
    const reset = await t.http.put(`/parse/classes/Tally/${created.objectId}`).set(appHeaders).send({ reset: true });
    expect(reset.body.score).to.equal(15);
  });

  it('accepts a class given as a class with a className', async () => {
    class Invoice {
      static className = 'Invoice';
    }
    t.backend.cloud.beforeSave(Invoice, (request) => {
      request.object.set('numbered', true);
    });
    const res = await t.http.post('/parse/classes/Invoice').set(appHeaders).send({ a: 1 });
    expect(res.body.numbered).to.equal(true);
  });
});
