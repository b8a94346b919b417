/**
 * What cloud code gets beyond hooks: `backend.cloud.sendEmail` (the email adapter's sendMail),
 * `backend.cloud.httpRequest` (bounded, against a receiver on 127.0.0.1), Express-style functions
 * with their own status and headers, and `enableExpressErrorHandler`.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { BackendError, createBackend, ErrorCode, type HttpResponse } from 'plinth';
import { APP_ID, MASTER_KEY, appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { testMongo, uniqueDatabaseName } from '../support/mongo.js';
import { useBackend } from '../support/parse-sdk.js';

describe('cloud tools: sendEmail, httpRequest, Express-style functions', () => {
  let t: TestBackend;
  let receiver: Server;
  let base: string;
  const mails: unknown[] = [];
  const errors: string[] = [];

  before(async () => {
    const app = express();
    app.use(express.json());
    app.use(express.urlencoded({ extended: false }));
    app.get(
      '/echo',
      (req, res) => void res.cookie('session', 'abc').json({ query: req.query, agent: req.get('x-agent') }),
    );
    app.post('/echo', (req, res) => void res.json({ body: req.body as unknown, type: req.get('content-type') }));
    app.get('/missing', (_req, res) => void res.status(404).json({ error: 'nope' }));
    app.get('/moved', (_req, res) => void res.redirect(302, '/echo?moved=1'));
    app.get('/slow', () => undefined);
    app.get('/huge', (_req, res) => void res.send('x'.repeat(5000)));
    receiver = await new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    t = await startTestBackend({
      appName: 'tools',
      emailAdapter: { sendMail: (mail: unknown) => void mails.push(mail) },
      outgoingRequests: { timeout: 200, maxResponseSize: 4096 },
      logger: { error: (message: string) => void errors.push(message) },
    });
  });
  after(async () => {
    await t.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('sendEmail goes through the email adapter; without one it logs and resolves', async () => {
    await t.backend.cloud.sendEmail({ to: 'ann@example.com', subject: 'hi', text: 'hello' });
    expect(mails).to.deep.equal([{ to: 'ann@example.com', subject: 'hi', text: 'hello' }]);
    const quiet: string[] = [];
    const bare = createBackend({
      appId: 'a',
      masterKey: 'm',
      databaseURI: 'mongodb://127.0.0.1:1/x',
      logger: { error: (message: string) => void quiet.push(message) },
    });
    expect(await bare.cloud.sendEmail({ to: 'x' })).to.equal(undefined);
    expect(quiet).to.deep.equal(['Failed to send email because no mail adapter is configured for Parse Server.']);
    await bare.close();
  });

  it('httpRequest sends params, headers and bodies, and reads JSON, text and cookies', async () => {
    const got = await t.backend.cloud.httpRequest({
      url: `${base}/echo`,
      params: { a: '1', b: 'two' },
      headers: { 'X-Agent': 'cloud' },
    });
    expect(got.status).to.equal(200);
    expect(got.data).to.deep.equal({ query: { a: '1', b: 'two' }, agent: 'cloud' });
    expect(got.cookies).to.deep.equal({ session: 'abc' });
    const json = await t.backend.cloud.httpRequest({ url: `${base}/echo`, method: 'POST', body: { n: 1 } });
    expect(json.data).to.deep.equal({ body: { n: 1 }, type: 'application/json' });
    const form = await t.backend.cloud.httpRequest({
      url: `${base}/echo`,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: { n: 1 },
    });
    expect((form.data as { body: unknown }).body).to.deep.equal({ n: '1' });
    expect(JSON.parse(form.text)).to.deep.equal(form.data);
  });

  it('httpRequest rejects with the response past 399, follows redirects only when asked, and calls back', async () => {
    const failed = (await t.backend.cloud
      .httpRequest({ url: `${base}/missing` })
      .catch((e: unknown) => e)) as HttpResponse;
    expect([failed.status, failed.data]).to.deep.equal([404, { error: 'nope' }]);
    expect((await t.backend.cloud.httpRequest({ url: `${base}/moved` })).status).to.equal(302);
    const followed = await t.backend.cloud.httpRequest({ url: `${base}/moved`, followRedirects: true });
    expect((followed.data as { query: unknown }).query).to.deep.equal({ moved: '1' });
    const calls: string[] = [];
    await t.backend.cloud.httpRequest({ url: `${base}/echo`, success: (r) => void calls.push(`success ${r.status}`) });
    await t.backend.cloud
      .httpRequest({ url: `${base}/missing`, error: (r) => void calls.push(`error ${(r as HttpResponse).status}`) })
      .catch(() => undefined);
    expect(calls).to.deep.equal(['success 200', 'error 404']);
  });

  it('httpRequest is bounded in time and size, and refuses what is not an http(s) URL', async () => {
    const slow = (await t.backend.cloud.httpRequest({ url: `${base}/slow` }).catch((e: unknown) => e)) as Error;
    expect(slow.message).to.equal('httpRequest: no answer within 200 ms');
    const huge = (await t.backend.cloud.httpRequest({ url: `${base}/huge` }).catch((e: unknown) => e)) as Error;
    expect(huge.message).to.equal('httpRequest: the answer is larger than 4096 bytes');
    for (const url of ['file:///etc/passwd', 'not a url', ''])
      expect(await t.backend.cloud.httpRequest({ url }).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
  });

  describe('Express-style functions (request, response)', () => {
    const offs: (() => void)[] = [];
    afterEach(() => offs.splice(0).forEach((off) => off()));

    it('answer with their own status and headers, or an error with its status', async () => {
      offs.push(
        t.backend.cloud.define('created', (_request, response) => {
          response.status(201).header('X-Resource-Id', 'r1').success({ ok: true });
        }),
        t.backend.cloud.define('teapot', (_request, response) => {
          response.status(418).error('short and stout');
        }),
        t.backend.cloud.define('returned', async (_request, _response) => 'returned value'),
        t.backend.cloud.define('later', (_request, response) => {
          setTimeout(() => response.success('answered later'), 10);
        }),
        t.backend.cloud.define('badHeader', (_request, response) => {
          response.header('X-Bad\r\nInjected', 'x').success(1);
        }),
      );
      const created = await t.http.post('/parse/functions/created').set(appHeaders).send({});
      expect([created.status, created.headers['x-resource-id'], created.body]).to.deep.equal([
        201,
        'r1',
        { result: { ok: true } },
      ]);
      const teapot = await t.http.post('/parse/functions/teapot').set(appHeaders).send({});
      expect([teapot.status, teapot.body]).to.deep.equal([418, { code: 141, error: 'short and stout' }]);
      expect((await t.http.post('/parse/functions/returned').set(appHeaders).send({})).body).to.deep.equal({
        result: 'returned value',
      });
      expect((await t.http.post('/parse/functions/later').set(appHeaders).send({})).body).to.deep.equal({
        result: 'answered later',
      });
      const bad = await t.http.post('/parse/functions/badHeader').set(appHeaders).send({});
      expect(bad.body.code).to.equal(141);
      const Parse = useBackend(t);
      expect(await Parse.Cloud.run('created')).to.deep.equal({ ok: true });
    });
  });
});

describe('HTTP Basic authentication (appId:masterKey)', () => {
  it('names the app and the master key as parse-server reads it, when no header names the app', async () => {
    const t = await startTestBackend({ javascriptKey: 'js-key' });
    try {
      const basic = (credentials: string) => ({
        Authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      });
      t.backend.cloud.job('basicJob', () => 'ran');
      const started = await t.http
        .post('/parse/jobs/basicJob')
        .set(basic(`${APP_ID}:${MASTER_KEY}`))
        .send({});
      expect(started.status).to.equal(200);
      expect(started.headers['x-parse-job-status-id']).to.be.a('string');
      expect(
        (
          await t.http
            .post('/parse/jobs/basicJob')
            .set(basic(`${APP_ID}:wrong`))
            .send({})
        ).status,
      ).to.equal(403);
      const client = await t.http.get('/parse/classes/Anything').set(basic(`${APP_ID}:javascript-key=js-key`));
      expect(client.status).to.equal(200);
      expect((await t.http.get('/parse/classes/Anything').set(basic('other-app:x'))).status).to.equal(403);
    } finally {
      await t.close();
    }
  });
});

describe('enableExpressErrorHandler', () => {
  it("hands Parse errors to the host app's Express error handlers", async () => {
    const mongo = await testMongo();
    const seen: unknown[] = [];
    const backend = createBackend({
      appId: APP_ID,
      masterKey: MASTER_KEY,
      databaseURI: mongo.uriFor(uniqueDatabaseName('express-errors')),
      enableExpressErrorHandler: true,
    });
    const app = express();
    app.use('/parse', backend);
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(err instanceof BackendError ? [err.code, err.message] : err);
      res.status(500).json({ handledBy: 'host' });
    });
    try {
      const res = await request(app)
        .put('/parse/classes/AnyClass/nonExistingId')
        .set({ 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY })
        .send({ someField: 'x' });
      expect([res.status, res.body]).to.deep.equal([500, { handledBy: 'host' }]);
      expect(seen).to.deep.equal([[ErrorCode.OBJECT_NOT_FOUND, 'Object not found.']]);
    } finally {
      await backend.close();
    }
  });
});
