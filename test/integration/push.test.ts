/**
 * Sending pushes through HTTP (`POST /push`, `/push_audiences`) and the JS SDK (`Parse.Push.send`),
 * with a recording adapter: the installations reached, batches, badges, locales, `_PushStatus`,
 * scheduled pushes across processes, and the bad input a client or host may send.
 */
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { ErrorCode, type BackendConfig } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { Parse, useBackend } from '../support/parse-sdk.js';

type Installation = Record<string, unknown>;
interface Call {
  body: Record<string, unknown>;
  installations: Installation[];
  statusId: string;
}

/** An adapter that records what it is handed; devices whose token starts with `bad` fail. */
class RecordingAdapter {
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  getValidPushTypes(): string[] {
    return ['ios', 'android'];
  }
  async send(body: Record<string, unknown>, installations: Installation[], statusId: string): Promise<unknown[]> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.calls.push({ body: structuredClone(body), installations: structuredClone(installations), statusId });
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight -= 1;
    return installations.map((device) => {
      const failed = String(device.deviceToken).startsWith('bad');
      return {
        device: { deviceType: device.deviceType, deviceToken: device.deviceToken },
        transmitted: !failed,
        ...(failed && { response: { error: 'BadDeviceToken' } }),
      };
    });
  }
  tokens(): string[] {
    return this.calls.flatMap((call) => call.installations.map((i) => String(i.deviceToken))).sort();
  }
}

async function register(t: TestBackend, values: Record<string, unknown>): Promise<string> {
  const res = await t.http.post('/parse/installations').set(masterHeaders).send(values);
  expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
  return res.body.objectId as string;
}

async function statusOf(t: TestBackend, id: string, until: (status: Record<string, unknown>) => boolean) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await t.http.get(`/parse/classes/_PushStatus/${id}`).set(masterHeaders);
    if (until(res.body as Record<string, unknown>)) return res.body as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`push status: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const done = (status: Record<string, unknown>) => status.status === 'succeeded' || status.status === 'failed';

describe('push', () => {
  let t: TestBackend;
  let adapter: RecordingAdapter;
  before(async () => {
    adapter = new RecordingAdapter();
    t = await startTestBackend({ push: { adapter } });
    await register(t, { installationId: 'p-ios-1', deviceType: 'ios', deviceToken: 'ios-1', channels: ['news'] });
    await register(t, { installationId: 'p-ios-2', deviceType: 'ios', deviceToken: 'bad-ios-2', channels: ['news'] });
    await register(t, {
      installationId: 'p-and-1',
      deviceType: 'android',
      deviceToken: 'and-1',
      channels: ['news', 'sport'],
      localeIdentifier: 'fr-FR',
    });
    await register(t, { installationId: 'p-none', deviceType: 'android', channels: ['news'] }); // no token
  });
  after(() => t.close());
  beforeEach(() => {
    adapter.calls.length = 0;
  });

  it('sends to a channel and records the outcome in _PushStatus', async () => {
    const res = await t.http
      .post('/parse/push')
      .set(masterHeaders)
      .send({ channels: ['news'], data: { alert: 'Hello', sound: 'ping.caf', 'content-available': 1, custom: 'x' } });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ result: true });
    const id = res.headers['x-parse-push-status-id'] as string;
    expect(id).to.be.a('string');
    const status = await statusOf(t, id, done);
    expect(status).to.include({ status: 'succeeded', numSent: 2, numFailed: 1, source: 'rest' });
    expect(status.sentPerType).to.deep.equal({ ios: 1, android: 1 });
    expect(status.failedPerType).to.deep.equal({ ios: 1 });
    expect(JSON.parse(status.query as string)).to.deep.equal({ channels: { $in: ['news'] } });
    expect(JSON.parse(status.payload as string)).to.include({ alert: 'Hello', custom: 'x' });
    // An installation without a device token cannot be reached: it is never handed over.
    expect(adapter.tokens()).to.deep.equal(['and-1', 'bad-ios-2', 'ios-1']);
    expect(adapter.calls[0]!.statusId).to.equal(id);
    expect(adapter.calls[0]!.body.data).to.include({ alert: 'Hello', sound: 'ping.caf', custom: 'x' });
    // The status is the master key's alone.
    const client = await t.http.get(`/parse/classes/_PushStatus/${id}`).set(appHeaders);
    expect(client.body.code).to.equal(ErrorCode.OPERATION_FORBIDDEN);
  });

  it('sends to a query, with badge increments applied per installation', async () => {
    const db = await t.db();
    await db.collection('_Installation').updateOne({ installationId: 'p-ios-1' }, { $set: { badge: 5 } });
    const res = await t.http
      .post('/parse/push')
      .set(masterHeaders)
      .send({ where: { deviceType: 'ios' }, data: { alert: 'Count', badge: 'Increment' } });
    await statusOf(t, res.headers['x-parse-push-status-id'] as string, done);
    const badges = Object.fromEntries(
      adapter.calls.flatMap((call) => call.installations.map((i) => [i.deviceToken, [i.badge, call.body.data]])),
    );
    expect(badges['ios-1']).to.deep.equal([6, { alert: 'Count', badge: 6 }]);
    expect(badges['bad-ios-2']).to.deep.equal([1, { alert: 'Count', badge: 1 }]);
    const stored = await db.collection('_Installation').find({ deviceType: 'ios' }).toArray();
    expect(stored.map((i) => i.badge).sort()).to.deep.equal([1, 6]);
  });

  it('speaks each installation its language, and dates an expiration interval', async () => {
    const res = await t.http
      .post('/parse/push')
      .set(masterHeaders)
      .send({
        channels: ['sport', 'news'],
        where: undefined,
        data: { alert: 'Goal', 'alert-fr': 'But', title: 'Match', 'title-fr': 'Le match' },
        expiration_interval: 60,
      });
    await statusOf(t, res.headers['x-parse-push-status-id'] as string, done);
    const french = adapter.calls.find((call) => call.installations.some((i) => i.deviceToken === 'and-1'))!;
    expect(french.body.data).to.deep.equal({ alert: 'But', title: 'Le match' });
    const other = adapter.calls.find((call) => call.installations.some((i) => i.deviceToken === 'ios-1'))!;
    expect(other.body.data).to.deep.equal({ alert: 'Goal', title: 'Match' });
    expect(other.body.expiration_time).to.be.within(Date.now() + 50_000, Date.now() + 61_000);
  });

  it('sends through Parse.Push.send, and reads the status through the SDK', async () => {
    useBackend(t);
    const id = await Parse.Push.send({ channels: ['sport'], data: { alert: 'From the SDK' } }, { useMasterKey: true });
    expect(id).to.be.a('string');
    await statusOf(t, id as unknown as string, done);
    const status = await Parse.Push.getPushStatus(id as unknown as string, { useMasterKey: true });
    expect(status.get('numSent')).to.equal(1);
    expect(adapter.tokens()).to.deep.equal(['and-1']);
  });

  it('refuses bad input with 115, a client with 403, and the read-only master key with 119', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ data: { alert: 'x' } }, /requires either "channels" or a "where"/],
      [{ channels: ['a'], where: {}, data: {} }, /can not be set at the same time/],
      [{ channels: 'news', data: {} }, /channels must be an array/],
      [{ channels: ['a'], data: {}, expiration_time: 'soon' }, /is not valid time/],
      [{ channels: ['a'], data: {}, push_time: true }, /is not valid time/],
      [{ channels: ['a'], data: {}, expiration_interval: -5 }, /greater than 0/],
      [{ channels: ['a'], data: {}, expiration_time: 2e9, expiration_interval: 5 }, /cannot be set/],
      [{ where: { deviceType: 'winrt' }, data: {} }, /winrt is not supported push type/],
      [{ where: { deviceType: { $in: ['ios', 'blackberry'] } }, data: {} }, /blackberry is not supported/],
      [{ channels: ['a'], data: { badge: 'lots' } }, /Invalid value for badge/],
      [{ channels: ['a'], data: 'hello' }, /data must be an object/],
    ];
    for (const [body, message] of bad) {
      const res = await t.http.post('/parse/push').set(masterHeaders).send(body);
      expect(res.body.code, JSON.stringify(body)).to.equal(ErrorCode.PUSH_MISCONFIGURED);
      expect(res.body.error).to.match(message);
    }
    const malformed = await t.http
      .post('/parse/push')
      .set(masterHeaders)
      .send({ where: { channels: { $bogus: 1 } }, data: {} });
    expect(malformed.status).to.equal(400);
    expect(malformed.body.code).to.equal(ErrorCode.INVALID_JSON);
    const client = await t.http
      .post('/parse/push')
      .set(appHeaders)
      .send({ channels: ['news'], data: {} });
    expect(client.status).to.equal(403);
    expect(client.body).to.deep.equal({ error: 'unauthorized: master key is required' });
    const statuses = await t.http.get('/parse/classes/_PushStatus').set(masterHeaders);
    expect(statuses.body.results.every((s: { status: string }) => s.status === 'succeeded')).to.equal(true);
    expect(adapter.calls).to.deep.equal([]);
    const readOnly = await startTestBackend({ databaseURI: t.databaseURI, readOnlyMasterKey: 'ro', push: { adapter } });
    try {
      const res = await readOnly.http
        .post('/parse/push')
        .set({ ...appHeaders, 'X-Parse-Master-Key': 'ro' })
        .send({ channels: ['news'], data: {} });
      expect(res.body.code).to.equal(ErrorCode.OPERATION_FORBIDDEN);
    } finally {
      await readOnly.close();
    }
  });

  it('keeps audiences (/push_audiences, master key only) and counts their use', async () => {
    const created = await t.http
      .post('/parse/push_audiences')
      .set(masterHeaders)
      .send({ name: 'French speakers', query: JSON.stringify({ localeIdentifier: 'fr-FR' }) });
    expect(created.status).to.equal(201);
    const id = created.body.objectId as string;
    const listed = await t.http.get('/parse/push_audiences').set(masterHeaders);
    expect(listed.body.results).to.have.length(1);
    expect(listed.body.results[0].query).to.deep.equal({ localeIdentifier: 'fr-FR' });
    const res = await t.http
      .post('/parse/push')
      .set(masterHeaders)
      .send({ where: { localeIdentifier: 'fr-FR' }, audience_id: id, data: { alert: 'Salut' } });
    await statusOf(t, res.headers['x-parse-push-status-id'] as string, done);
    expect(adapter.tokens()).to.deep.equal(['and-1']);
    const deadline = Date.now() + 3000;
    let audience: Record<string, unknown> = {};
    while (Date.now() < deadline && audience.timesUsed !== 1) {
      audience = (await t.http.get(`/parse/push_audiences/${id}`).set(masterHeaders)).body;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(audience).to.include({ timesUsed: 1, name: 'French speakers' });
    expect(audience.query).to.deep.equal({ localeIdentifier: 'fr-FR' });
    expect(audience.lastUsed).to.have.property('iso');
    await t.http.put(`/parse/push_audiences/${id}`).set(masterHeaders).send({ name: 'Francophones' }).expect(200);
    const client = await t.http.get('/parse/push_audiences').set(appHeaders);
    expect(client.status).to.equal(403);
    await t.http.delete(`/parse/push_audiences/${id}`).set(masterHeaders).expect(200);
    expect((await t.http.get('/parse/push_audiences').set(masterHeaders)).body.results).to.deep.equal([]);
  });

  it('announces push in serverInfo', async () => {
    const res = await t.http.get('/parse/serverInfo').set(masterHeaders);
    expect(res.body.features.push).to.deep.equal({
      immediatePush: true,
      scheduledPush: false,
      storedPushData: true,
      pushAudiences: true,
      localization: true,
    });
  });
});

describe('push to many installations', function () {
  this.timeout(60_000);
  it('reads them in batches of the configured size, one batch at a time', async () => {
    const adapter = new RecordingAdapter();
    const t = await startTestBackend({ push: { adapter, queueOptions: { batchSize: 500 } } });
    const client = await MongoClient.connect(t.databaseURI);
    try {
      await register(t, { installationId: 'seed', deviceType: 'ios', deviceToken: 'seed' });
      const now = new Date();
      const many = Array.from({ length: 10_000 }, (_, n) => ({
        _id: `inst${String(n).padStart(5, '0')}` as never,
        installationId: `device-${n}`,
        deviceType: n % 2 === 0 ? 'ios' : 'android',
        deviceToken: `token-${n}`,
        channels: ['all'],
        _created_at: now,
        _updated_at: now,
      }));
      await client.db().collection('_Installation').insertMany(many);
      const res = await t.http
        .post('/parse/push')
        .set(masterHeaders)
        .send({ channels: ['all'], data: { alert: 'Everyone' } });
      const status = await statusOf(t, res.headers['x-parse-push-status-id'] as string, done);
      expect(status).to.include({ status: 'succeeded', numSent: 10_000 });
      expect(status.sentPerType).to.deep.equal({ ios: 5000, android: 5000 });
      expect(adapter.calls).to.have.length(20);
      expect(Math.max(...adapter.calls.map((call) => call.installations.length))).to.equal(500);
      expect(new Set(adapter.tokens()).size).to.equal(10_000);
      expect(adapter.maxInFlight).to.equal(1);
    } finally {
      await client.close();
      await t.close();
    }
  });
});

describe('scheduled pushes', function () {
  this.timeout(30_000);
  it('are stored as scheduled with scheduledPush, as parse-server does, and not sent', async () => {
    const adapter = new RecordingAdapter();
    const t = await startTestBackend({ push: { adapter }, scheduledPush: true });
    try {
      await register(t, { installationId: 's-1', deviceType: 'ios', deviceToken: 's-1', channels: ['later'] });
      const res = await t.http
        .post('/parse/push')
        .set(masterHeaders)
        .send({ channels: ['later'], data: { alert: 'Later' }, push_time: '2030-01-01T10:00:00' });
      const id = res.headers['x-parse-push-status-id'] as string;
      const status = (await t.http.get(`/parse/classes/_PushStatus/${id}`).set(masterHeaders)).body;
      expect(status).to.include({ status: 'scheduled', pushTime: '2030-01-01T10:00:00.000' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(adapter.calls).to.deep.equal([]);
    } finally {
      await t.close();
    }
  });

  it('are sent once when due by one of several processes, and outlive a restart (sendScheduledPushes)', async () => {
    const adapters = [new RecordingAdapter(), new RecordingAdapter(), new RecordingAdapter()];
    const base: Partial<BackendConfig> = { scheduledPush: true };
    // Recorded while no process sends scheduled pushes, then the process goes away.
    const writer = await startTestBackend({ ...base, push: { adapter: adapters[0] } });
    await register(writer, { installationId: 'due-1', deviceType: 'android', deviceToken: 'due-1', channels: ['due'] });
    const soon = new Date(Date.now() + 1500).toISOString();
    const res = await writer.http
      .post('/parse/push')
      .set(masterHeaders)
      .send({ channels: ['due'], data: { alert: 'Now' }, push_time: soon });
    const id = res.headers['x-parse-push-status-id'] as string;
    await writer.close();
    const senders = await Promise.all(
      adapters.slice(1).map((adapter) =>
        startTestBackend({
          ...base,
          databaseURI: writer.databaseURI,
          push: { adapter },
          sendScheduledPushes: { interval: 100 },
        }),
      ),
    );
    try {
      await Promise.all(senders.map((s) => s.backend.ready()));
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(adapters.every((a) => a.calls.length === 0)).to.equal(true); // not due yet
      const status = await statusOf(senders[0]!, id, done);
      expect(status).to.include({ status: 'succeeded', numSent: 1 });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(adapters.map((a) => a.calls.length).reduce((x, y) => x + y)).to.equal(1);
    } finally {
      await Promise.all(senders.map((s) => s.close()));
    }
  });
});

describe('push settings that cannot work', () => {
  it('start with a warning when @parse/push-adapter is not installed, and push answers 115', async () => {
    const warnings: string[] = [];
    const t = await startTestBackend({
      push: { ios: { token: { key: 'k', keyId: 'K', teamId: 'T' }, topic: 'com.example' } },
      logger: { warn: (message) => warnings.push(message) },
    });
    try {
      expect(warnings.some((w) => w.includes('@parse/push-adapter'))).to.equal(true);
      const res = await t.http
        .post('/parse/push')
        .set(masterHeaders)
        .send({ channels: ['a'], data: {} });
      expect(res.body.code).to.equal(ErrorCode.PUSH_MISCONFIGURED);
      expect(res.body.error).to.match(/@parse\/push-adapter/);
      expect((await t.http.get('/parse/health')).status).to.equal(200);
    } finally {
      await t.close();
    }
  });

  it('answers 115 without a push configuration, and refuses an adapter without the contract at startup', async () => {
    const t = await startTestBackend();
    try {
      const res = await t.http
        .post('/parse/push')
        .set(masterHeaders)
        .send({ channels: ['a'], data: {} });
      expect(res.body).to.deep.equal({ code: ErrorCode.PUSH_MISCONFIGURED, error: 'Missing push configuration' });
    } finally {
      await t.close();
    }
    let thrown: unknown;
    try {
      await startTestBackend({ push: { adapter: { send: () => Promise.resolve([]) } } });
    } catch (err) {
      thrown = err;
    }
    expect(String(thrown)).to.match(/getValidPushTypes/);
  });
});
