/**
 * `idempotencyOptions`: a request carrying `X-Parse-Request-Id` runs once, on any process of the
 * database; a repeat answers 159. Over HTTP, and through the JS SDK with its idempotency switch on.
 */
import { expect } from 'chai';
import { BackendConfigError, createBackend } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';

describe('idempotency (X-Parse-Request-Id)', () => {
  let t: TestBackend;
  const calls: string[] = [];
  before(async () => {
    t = await startTestBackend({
      idempotencyOptions: { paths: ['functions/.*', 'jobs/.*', 'classes/.*', 'users', 'installations'], ttl: 300 },
    });
    t.backend.cloud.define('count', (request) => void calls.push(String(request.params.n)));
    t.backend.cloud.job('countJob', () => void calls.push('job'));
  });
  beforeEach(() => {
    calls.length = 0;
  });
  after(() => t.close());

  const withId = (id: string, headers: Record<string, string> = appHeaders) => ({
    ...headers,
    'X-Parse-Request-Id': id,
  });
  const duplicate = { code: 159, error: 'Duplicate request' };

  it('runs a function once per request id; a repeat answers 159 and runs nothing', async () => {
    await t.http.post('/parse/functions/count').set(withId('f-1')).send({ n: 1 }).expect(200);
    const repeat = await t.http.post('/parse/functions/count').set(withId('f-1')).send({ n: 2 });
    expect(repeat.status).to.equal(400);
    expect(repeat.body).to.deep.equal(duplicate);
    await t.http.post('/parse/functions/count').set(withId('f-2')).send({ n: 3 }).expect(200);
    await t.http.post('/parse/functions/count').set(appHeaders).send({ n: 4 }).expect(200);
    await t.http.post('/parse/functions/count').set(appHeaders).send({ n: 5 }).expect(200);
    expect(calls).to.deep.equal(['1', '3', '4', '5']);
  });

  it('guards creates, updates, sign-ups and job starts', async () => {
    const created = await t.http.post('/parse/classes/Once').set(withId('c-1')).send({ n: 1 });
    expect(created.status).to.equal(201);
    expect((await t.http.post('/parse/classes/Once').set(withId('c-1')).send({ n: 1 })).body).to.deep.equal(duplicate);
    const path = `/parse/classes/Once/${created.body.objectId as string}`;
    await t.http.put(path).set(withId('u-1')).send({ n: 2 }).expect(200);
    expect((await t.http.put(path).set(withId('u-1')).send({ n: 3 })).body).to.deep.equal(duplicate);
    expect((await t.http.get(path).set(appHeaders)).body.n).to.equal(2);
    expect((await t.http.get('/parse/classes/Once').set(masterHeaders)).body.results).to.have.length(1);
    await t.http.post('/parse/users').set(withId('s-1')).send({ username: 'once', password: 'pw-12345' }).expect(201);
    expect(
      (await t.http.post('/parse/users').set(withId('s-1')).send({ username: 'twice', password: 'pw-12345' })).body,
    ).to.deep.equal(duplicate);
    await t.http.post('/parse/jobs/countJob').set(withId('j-1', masterHeaders)).send({}).expect(200);
    expect((await t.http.post('/parse/jobs/countJob').set(withId('j-1', masterHeaders)).send({})).body).to.deep.equal(
      duplicate,
    );
    // reads carry the header without effect
    await t.http.get(path).set(withId('c-1')).expect(200);
    await t.http.get(path).set(withId('c-1')).expect(200);
  });

  it('stores request ids as parse-server does, and takes an expired one again', async () => {
    await t.http.post('/parse/functions/count').set(withId('e-1')).send({ n: 1 }).expect(200);
    const db = await t.db();
    const entry = await db.collection('_Idempotency').findOne({ reqId: 'e-1' });
    expect(entry!.expire).to.be.instanceOf(Date);
    expect((entry!.expire as Date).getTime()).to.be.greaterThan(Date.now() + 200_000);
    // the TTL monitor removes it in its own time; until then an expired entry counts as gone
    await db.collection('_Idempotency').updateOne({ reqId: 'e-1' }, { $set: { expire: new Date(Date.now() - 1000) } });
    await t.http.post('/parse/functions/count').set(withId('e-1')).send({ n: 2 }).expect(200);
    expect((await t.http.post('/parse/functions/count').set(withId('e-1')).send({ n: 3 })).body).to.deep.equal(
      duplicate,
    );
    expect(calls).to.deep.equal(['1', '2']);
  });

  it('is shared by every process on the database', async () => {
    const other = await startTestBackend({
      databaseURI: t.databaseURI,
      idempotencyOptions: { paths: ['functions/.*'] },
    });
    try {
      other.backend.cloud.define('count', (request) => void calls.push(`other ${String(request.params.n)}`));
      await t.http.post('/parse/functions/count').set(withId('p-1')).send({ n: 1 }).expect(200);
      expect((await other.http.post('/parse/functions/count').set(withId('p-1')).send({ n: 2 })).body).to.deep.equal(
        duplicate,
      );
      expect(calls).to.deep.equal(['1']);
    } finally {
      await other.close();
    }
  });

  it('leaves paths it does not cover alone, and refuses an overlong id', async () => {
    const narrow = await startTestBackend({ idempotencyOptions: { paths: ['functions/count'] } });
    try {
      await narrow.http.post('/parse/classes/Free').set(withId('x-1')).send({}).expect(201);
      await narrow.http.post('/parse/classes/Free').set(withId('x-1')).send({}).expect(201);
      narrow.backend.cloud.define('count', () => 'ok');
      const long = await narrow.http
        .post('/parse/functions/count')
        .set(withId('x'.repeat(600)))
        .send({});
      expect(long.body.code).to.equal(162);
    } finally {
      await narrow.close();
    }
  });

  it('refuses bad options at startup, in parse-server terms', () => {
    const base = { appId: 'a', masterKey: 'm', databaseURI: 'mongodb://127.0.0.1:1/x' };
    expect(() => createBackend({ ...base, idempotencyOptions: { paths: ['('] } })).to.throw(
      BackendConfigError,
      /idempotencyOptions.paths/,
    );
    expect(() => createBackend({ ...base, idempotencyOptions: { paths: ['x'], ttl: 0 } })).to.throw(BackendConfigError);
  });

  it('works with the JS SDK sending a request id with each write', async () => {
    const Parse = useBackend(t);
    Parse.CoreManager.set('IDEMPOTENCY', true);
    try {
      const object = await new Parse.Object('SdkOnce', { n: 1 }).save();
      object.set('n', 2);
      await object.save();
      expect(await Parse.Cloud.run('count', { n: 9 })).to.equal(undefined);
      const ids = await (await t.db()).collection('_Idempotency').countDocuments();
      expect(ids).to.be.greaterThan(2);
      expect(calls).to.deep.equal(['9']);
    } finally {
      Parse.CoreManager.set('IDEMPOTENCY', false);
    }
  });
});
