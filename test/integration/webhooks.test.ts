/**
 * Webhooks (`/hooks/functions`, `/hooks/triggers`): registered with the master key over REST and
 * through the SDK's Parse.Hooks, stored in `_Hooks` as parse-server stores them, and called with
 * `X-Parse-Webhook-Key` when the function or trigger runs — against a receiver on 127.0.0.1, with
 * its timeouts, redirects and oversized or malformed answers.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';
import { expectParseError } from '../sdk/helpers.js';

interface Received {
  path: string;
  key: string | undefined;
  body: Record<string, unknown>;
}

describe('webhooks (/hooks)', () => {
  let t: TestBackend;
  let receiver: Server;
  let base: string;
  const received: Received[] = [];

  before(async () => {
    const app = express();
    app.use(express.json());
    app.use((req, _res, next) => {
      received.push({ path: req.path, key: req.get('X-Parse-Webhook-Key'), body: req.body as Record<string, unknown> });
      next();
    });
    app.post('/ok', (_req, res) => void res.json({ success: 'OK!' }));
    app.post('/echo-params', (req, res) => void res.json({ success: (req.body as { params: unknown }).params }));
    app.post('/fails', (_req, res) => void res.json({ error: 'hacking that one!' }));
    app.post('/fails-with-code', (_req, res) => void res.json({ error: { code: 1337, error: 'coded' } }));
    app.post('/slow', () => undefined); // never answers
    app.post('/redirect', (_req, res) => void res.redirect(307, '/ok'));
    app.post('/malformed', (_req, res) => void res.type('text/plain').send('not json'));
    app.post('/huge', (_req, res) => void res.json({ success: 'x'.repeat(4096) }));
    app.post('/before-save', (req, res) => {
      const object = (req.body as { object: Record<string, unknown> }).object;
      if (object.refuse === true) return void res.json({ error: 'refused by the webhook' });
      res.json({ success: { ...object, hello: 'world' } });
    });
    app.post('/after-save', (_req, res) => void res.json({ success: {} }));
    receiver = await new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    t = await startTestBackend({
      webhookKey: 'hook-secret',
      outgoingRequests: { timeout: 300, maxResponseSize: 1024 },
    });
  });
  beforeEach(() => {
    received.length = 0;
  });
  after(async () => {
    await t.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = masterHeaders) =>
    t.http
      .post(`/parse${path}`)
      .set(headers)
      .send(body as object);
  const put = (path: string, body: unknown) =>
    t.http
      .put(`/parse${path}`)
      .set(masterHeaders)
      .send(body as object);
  const run = (name: string, params: unknown = {}) => post(`/functions/${name}`, params, appHeaders);

  describe('registering', () => {
    it('creates, reads, updates and deletes function and trigger webhooks, stored as parse-server stores them', async () => {
      expect((await post('/hooks/functions', { functionName: 'crud', url: `${base}/ok` })).body).to.deep.equal({
        functionName: 'crud',
        url: `${base}/ok`,
      });
      const trigger = { className: 'Crud', triggerName: 'beforeSave', url: `${base}/before-save` };
      expect((await post('/hooks/triggers', trigger)).body).to.deep.equal(trigger);
      expect((await t.http.get('/parse/hooks/functions').set(masterHeaders)).body).to.deep.include({
        functionName: 'crud',
        url: `${base}/ok`,
      });
      expect((await t.http.get('/parse/hooks/triggers/Crud/beforeSave').set(masterHeaders)).body).to.deep.equal(
        trigger,
      );
      expect((await put('/hooks/functions/crud', { url: `${base}/echo-params` })).body.url).to.equal(
        `${base}/echo-params`,
      );
      const stored = await (
        await t.db()
      )
        .collection('_Hooks')
        .find({}, { projection: { _id: 0 } })
        .toArray();
      expect(stored).to.deep.include.members([{ functionName: 'crud', url: `${base}/echo-params` }, trigger]);
      await put('/hooks/functions/crud', { __op: 'Delete' }).expect(200, {});
      await put('/hooks/triggers/Crud/beforeSave', { __op: 'Delete' }).expect(200, {});
      expect((await t.http.get('/parse/hooks/functions/crud').set(masterHeaders)).body).to.deep.equal({
        code: 143,
        error: 'no function named: crud is defined',
      });
      expect(await (await t.db()).collection('_Hooks').countDocuments()).to.equal(0);
    });

    it('answers 143 for a taken name, a missing one and a malformed declaration', async () => {
      await post('/hooks/functions', { functionName: 'taken', url: `${base}/ok` }).expect(200);
      expect((await post('/hooks/functions', { functionName: 'taken', url: `${base}/ok` })).body).to.deep.equal({
        code: 143,
        error: 'function name: taken already exists',
      });
      await post('/hooks/triggers', { className: 'Taken', triggerName: 'afterSave', url: `${base}/ok` }).expect(200);
      expect(
        (await post('/hooks/triggers', { className: 'Taken', triggerName: 'afterSave', url: `${base}/ok` })).body,
      ).to.deep.equal({ code: 143, error: 'class Taken already has trigger afterSave' });
      expect((await put('/hooks/functions/missing', { url: `${base}/ok` })).body).to.deep.equal({
        code: 143,
        error: 'no function named: missing is defined',
      });
      expect((await put('/hooks/triggers/Missing/beforeSave', { url: `${base}/ok` })).body).to.deep.equal({
        code: 143,
        error: 'class Missing does not exist',
      });
      const malformed = [
        {},
        { functionName: 'noUrl' },
        { functionName: 'ftp', url: 'ftp://127.0.0.1/x' },
        { functionName: 'bad name!', url: `${base}/ok` },
        { className: 'X', triggerName: 'beforeEverything', url: `${base}/ok` },
        { className: 'bad class', triggerName: 'beforeSave', url: `${base}/ok` },
        { className: 'X', triggerName: 'beforeSave', url: 42 },
        [],
      ];
      for (const body of malformed) {
        expect((await post('/hooks/functions', body)).body, JSON.stringify(body)).to.deep.equal({
          code: 143,
          error: 'invalid hook declaration',
        });
      }
      expect((await put('/hooks/functions/taken', { url: 'nope' })).body.code).to.equal(143);
      await put('/hooks/functions/taken', { __op: 'Delete' });
      await put('/hooks/triggers/Taken/afterSave', { __op: 'Delete' });
    });

    it('needs the master key, and the read-only master key may only read', async () => {
      const refused = await post('/hooks/functions', { functionName: 'nope', url: `${base}/ok` }, appHeaders);
      expect(refused.status).to.equal(403);
      expect((await t.http.get('/parse/hooks/triggers').set(appHeaders)).status).to.equal(403);
      const readOnly = await startTestBackend({ readOnlyMasterKey: 'read-only' });
      try {
        const headers = { ...appHeaders, 'X-Parse-Master-Key': 'read-only' };
        expect((await readOnly.http.get('/parse/hooks/functions').set(headers)).body).to.deep.equal([]);
        const write = await readOnly.http
          .post('/parse/hooks/functions')
          .set(headers)
          .send({ functionName: 'x', url: `${base}/ok` });
        expect(write.body.code).to.equal(119);
      } finally {
        await readOnly.close();
      }
    });
  });

  describe('calling', () => {
    const registered: string[] = [];
    const register = async (functionName: string, path: string) => {
      await post('/hooks/functions', { functionName, url: `${base}${path}` }).expect(200);
      registered.push(functionName);
    };
    afterEach(async () => {
      for (const name of registered.splice(0)) await put(`/hooks/functions/${name}`, { __op: 'Delete' });
    });

    it('runs a function webhook with the request and the webhook key; its success is the result', async () => {
      await register('echo', '/echo-params');
      const res = await run('echo', { n: 1, when: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' } });
      // params travel as JSON, a Date as its ISO string, as parse-server sends them
      expect(res.body).to.deep.equal({ result: { n: 1, when: '2020-01-01T00:00:00.000Z' } });
      expect(received).to.have.length(1);
      expect(received[0]!.key).to.equal('hook-secret');
      expect(received[0]!.body).to.include({ functionName: 'echo', master: false });
      expect(received[0]!.body).not.to.have.property('data');
    });

    it('sends what the webhook answers as an error, with 141 or the code it gives', async () => {
      await register('fails', '/fails');
      await register('failsWithCode', '/fails-with-code');
      expect((await run('fails')).body).to.deep.equal({ code: 141, error: 'hacking that one!' });
      expect((await run('failsWithCode')).body).to.deep.equal({ code: 1337, error: 'coded' });
    });

    it('bounds the call: no answer in time, a redirect, a malformed or oversized answer are 141', async () => {
      await register('slow', '/slow');
      await register('redirect', '/redirect');
      await register('malformed', '/malformed');
      await register('huge', '/huge');
      expect((await run('slow')).body).to.deep.equal({ code: 141, error: 'The webhook did not answer in time.' });
      expect((await run('redirect')).body).to.deep.equal({
        code: 141,
        error: 'The webhook answered with a redirect, which is not followed.',
      });
      expect((await run('malformed')).body).to.deep.equal({ code: 141, error: 'Malformed response from the webhook.' });
      expect((await run('huge')).body).to.deep.equal({ code: 141, error: 'The webhook answered too much.' });
      // the redirect was not followed: /ok was never called
      expect(received.map((r) => r.path)).to.deep.equal(['/slow', '/redirect', '/malformed', '/huge']);
    });

    it('a function defined in code wins over a webhook of the same name', async () => {
      const off = t.backend.cloud.define('both', () => 'from code');
      try {
        await register('both', '/ok');
        expect((await run('both')).body).to.deep.equal({ result: 'from code' });
        expect(received).to.have.length(0);
      } finally {
        off();
      }
      expect((await run('both')).body).to.deep.equal({ result: 'OK!' });
    });

    it('runs trigger webhooks: beforeSave changes or refuses the object, afterSave is told', async () => {
      await post('/hooks/triggers', { className: 'Hooked', triggerName: 'beforeSave', url: `${base}/before-save` });
      await post('/hooks/triggers', { className: 'Hooked', triggerName: 'afterSave', url: `${base}/after-save` });
      try {
        const created = await post('/classes/Hooked', { n: 1 }, appHeaders);
        expect(created.status).to.equal(201);
        expect(created.body.hello).to.equal('world');
        const stored = await t.http.get(`/parse/classes/Hooked/${created.body.objectId as string}`).set(appHeaders);
        expect(stored.body).to.include({ n: 1, hello: 'world' });
        expect((await post('/classes/Hooked', { refuse: true }, appHeaders)).body).to.deep.equal({
          code: 141,
          error: 'refused by the webhook',
        });
        const paths = received.map((r) => [
          r.path,
          r.body.triggerName,
          (r.body.object as { className: string }).className,
        ]);
        expect(paths).to.deep.equal([
          ['/before-save', 'beforeSave', 'Hooked'],
          ['/after-save', 'afterSave', 'Hooked'],
          ['/before-save', 'beforeSave', 'Hooked'],
        ]);
      } finally {
        await put('/hooks/triggers/Hooked/beforeSave', { __op: 'Delete' });
        await put('/hooks/triggers/Hooked/afterSave', { __op: 'Delete' });
      }
    });

    it('another backend on the same database runs the webhooks it finds in _Hooks', async () => {
      await register('shared', '/ok');
      const other = await startTestBackend({ databaseURI: t.databaseURI });
      try {
        const res = await other.http.post('/parse/functions/shared').set(appHeaders).send({});
        expect(res.body).to.deep.equal({ result: 'OK!' });
        // no webhookKey there: the call goes without one
        expect(received.at(-1)!.key).to.equal(undefined);
      } finally {
        await other.close();
      }
    });
  });

  describe('through the Parse JS SDK (Parse.Hooks)', () => {
    it('registers, lists, updates and removes webhooks, and Parse.Cloud.run reaches them', async () => {
      const Parse = useBackend(t);
      await Parse.Hooks.createFunction('sdkHook', `${base}/ok`);
      await Parse.Hooks.createTrigger('SdkHooked', 'beforeSave', `${base}/before-save`);
      expect(await Parse.Cloud.run('sdkHook')).to.equal('OK!');
      const saved: InstanceType<typeof Parse.Object> = await new Parse.Object('SdkHooked', { n: 1 }).save();
      expect(saved.get('hello')).to.equal('world');
      const functions = (await Parse.Hooks.getFunctions()) as { functionName: string }[];
      expect(functions.map((f) => f.functionName)).to.include('sdkHook');
      await Parse.Hooks.updateFunction('sdkHook', `${base}/fails`);
      const failed = await expectParseError(Parse.Cloud.run('sdkHook'), 141);
      expect(failed.message).to.equal('hacking that one!');
      await expectParseError(Parse.Hooks.createFunction('sdkHook', `${base}/ok`), 143);
      await Parse.Hooks.removeFunction('sdkHook');
      await Parse.Hooks.removeTrigger('SdkHooked', 'beforeSave');
      await expectParseError(Parse.Hooks.getFunction('sdkHook'), 143);
      expect(await Parse.Hooks.getTriggers()).to.deep.equal([]);
    });
  });
});
