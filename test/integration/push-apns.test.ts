/**
 * `push: { ios }` settings, handed to `@parse/push-adapter` as parse-server hands them, end to end:
 * its APNs client (node-apn) sends to a stand-in APNs server on 127.0.0.1, reached through node-apn's
 * `address`, `port` and `createConnection` options (HTTP/2 without TLS, so no certificate is needed).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Http2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { ensureTools, TOOLS_DIR, TOOLS_INSTALL_TIMEOUT_MS } from '../support/tools.js';

const GOOD = 'a1'.repeat(32);
const BAD = 'b2'.repeat(32);
const TOPIC = 'com.example.plinth';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

describe('push through @parse/push-adapter to APNs (a local stand-in)', function () {
  this.timeout(TOOLS_INSTALL_TIMEOUT_MS);
  const seen: Seen[] = [];
  const sessions = new Set<Http2Session>();
  const apns = createServer();
  let t: TestBackend;
  let cwd: string;

  before(async () => {
    ensureTools();
    apns.on('session', (session) => sessions.add(session));
    apns.on('stream', (stream, headers) => {
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => {
        const path = String(headers[':path']);
        seen.push({ path, headers, body: JSON.parse(body) as Record<string, unknown> });
        if (path.endsWith(BAD)) {
          stream.respond({ ':status': 400, 'content-type': 'application/json' });
          stream.end(JSON.stringify({ reason: 'BadDeviceToken' }));
        } else {
          stream.respond({ ':status': 200, 'apns-id': `id-${seen.length}` });
          stream.end();
        }
      });
    });
    await new Promise<void>((resolve) => apns.listen(0, '127.0.0.1', resolve));
    const { port } = apns.address() as AddressInfo;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    // The app's package is found from its working directory, as parse-server finds it: here the tools'.
    cwd = process.cwd();
    process.chdir(TOOLS_DIR);
    t = await startTestBackend({
      push: {
        ios: {
          token: {
            key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
            keyId: 'KEY1234567',
            teamId: 'TEAM123456',
          },
          topic: TOPIC,
          production: false,
          address: '127.0.0.1',
          port,
          createConnection: () => connect(port, '127.0.0.1'),
          connectionRetryLimit: 0,
        },
      },
    });
  });
  after(async () => {
    process.chdir(cwd);
    await t?.close();
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => apns.close(resolve));
  });

  it('sends each device its notification, with the topic, a signed token and the expiration', async () => {
    for (const [id, deviceToken] of [
      ['apns-good', GOOD],
      ['apns-bad', BAD],
    ])
      await t.http
        .post('/parse/installations')
        .set(masterHeaders)
        .send({ installationId: id, deviceType: 'ios', deviceToken, appIdentifier: TOPIC, channels: ['apns'] })
        .expect(201);
    const expiration = Math.floor(Date.now() / 1000) + 3600;
    const res = await t.http
      .post('/parse/push')
      .set(masterHeaders)
      .send({
        channels: ['apns'],
        data: { alert: 'Hello from Plinth', badge: 'Increment', sound: 'ping.caf', custom: 'value' },
        expiration_time: expiration,
      });
    expect(res.status).to.equal(200);
    const id = res.headers['x-parse-push-status-id'] as string;
    let status: Record<string, unknown> = {};
    const deadline = Date.now() + 10_000;
    while (status.status !== 'succeeded' && status.status !== 'failed' && Date.now() < deadline) {
      status = (await t.http.get(`/parse/classes/_PushStatus/${id}`).set(masterHeaders)).body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(status).to.include({ status: 'succeeded', numSent: 1, numFailed: 1 });
    expect(status.sentPerType).to.deep.equal({ ios: 1 });
    expect(status.failedPerType).to.deep.equal({ ios: 1 });
    expect(seen.map((s) => s.path).sort()).to.deep.equal([`/3/device/${GOOD}`, `/3/device/${BAD}`]);
    const good = seen.find((s) => s.path.endsWith(GOOD))!;
    expect(good.headers['apns-topic']).to.equal(TOPIC);
    expect(good.headers['apns-expiration']).to.equal(String(expiration));
    expect(String(good.headers.authorization)).to.match(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(good.body).to.deep.equal({
      aps: { alert: 'Hello from Plinth', badge: 1, sound: 'ping.caf' },
      custom: 'value',
    });
  });
});
