/**
 * LiveQuery through the official Parse JS SDK (`query.subscribe()`, `Parse.LiveQueryClient`) and
 * raw WebSocket frames: every event kind, the permissions of a read, hooks, and bad input.
 */
import { expect } from 'chai';
import { ErrorCode } from 'plinth';
import { APP_ID, MASTER_KEY, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { RawClient } from '../support/live-client.js';
import { Parse, useBackend } from '../support/parse-sdk.js';

/** A subscription as the SDK makes it: an event emitter (its typings leave out once/off). */
interface Sub {
  on(name: string, listener: (...args: never[]) => void): void;
  unsubscribe(): Promise<void>;
}
type PObject = InstanceType<typeof Parse.Object>;

/** The next `name` event of a subscription: its object (and original, when sent). */
function next(subscription: Sub, name: string, ms = 3000): Promise<[PObject, PObject | undefined]> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`no ${name} event within ${ms} ms`));
    }, ms);
    // The SDK's emitter has `on` only: a settled wait ignores later events.
    subscription.on(name, (object: PObject, original?: PObject) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve([object, original]);
    });
  });
}

/** Resolves true if no event of any kind arrives within `ms`. */
function silent(subscription: Sub, ms = 400): Promise<boolean> {
  return new Promise((resolve) => {
    let quiet = true;
    let listening = true;
    for (const name of ['create', 'enter', 'update', 'leave', 'delete'])
      subscription.on(name, () => {
        if (listening) quiet = false;
      });
    setTimeout(() => {
      listening = false;
      resolve(quiet);
    }, ms);
  });
}

/** The part of the Parse SDK a ported cloud file uses here. */
interface PortedSdk {
  Query: abstract new (...args: never[]) => unknown;
  Object: abstract new (...args: never[]) => unknown;
  Cloud: {
    beforeConnect(handler: (request: { useMasterKey: boolean }) => void): void;
    beforeSubscribe(
      className: string,
      handler: (request: { query: { equalTo(k: string, v: unknown): void } }) => void,
    ): void;
    afterLiveQueryEvent(
      className: string,
      handler: (request: { object: { set(k: string, v: unknown): void } }) => void,
    ): void;
  };
}

describe('LiveQuery', () => {
  let t: TestBackend;
  let wsURL: string;
  const clients: InstanceType<typeof Parse.LiveQueryClient>[] = [];

  /** A LiveQuery client of its own: no master key unless given, the session token given. */
  async function client(options: { sessionToken?: string; masterKey?: string } = {}) {
    const live = new Parse.LiveQueryClient({ applicationId: APP_ID, serverURL: wsURL, ...options });
    live.open();
    clients.push(live);
    return live;
  }

  before(async () => {
    t = await startTestBackend({
      liveQuery: { classNames: ['Message', 'Secret', 'Locked', 'Owned', '_User'], maxSubscriptionsPerConnection: 5 },
      protectedFields: { Message: { '*': ['hidden'] } },
    });
    t.backend.liveQuery.attach(t.server);
    wsURL = t.serverURL.replace(/^http/, 'ws');
    useBackend(t);
    (Parse as unknown as { liveQueryServerURL: string }).liveQueryServerURL = wsURL;
  });
  after(async () => {
    // The backend ends every connection; the SDK's clients are told to stop reconnecting.
    await t.close();
    for (const live of clients) void live.close().catch(() => undefined);
    void (Parse.LiveQuery as unknown as { close(): Promise<void> }).close().catch(() => undefined);
  });

  describe('events through the SDK', () => {
    it('sends create, update with original, enter, leave and delete', async () => {
      const query = new Parse.Query('Message').greaterThan('score', 10);
      const subscription = (await query.subscribe()) as unknown as Sub;
      const created = next(subscription, 'create');
      const message = await new Parse.Object('Message', { score: 20, text: 'hi' }).save();
      const [object] = await created;
      expect(object.id).to.equal(message.id);
      expect(object.get('text')).to.equal('hi');

      const updated = next(subscription, 'update');
      await message.save({ score: 30 });
      const [now, before] = await updated;
      expect(now.get('score')).to.equal(30);
      expect(before!.get('score')).to.equal(20);

      const left = next(subscription, 'leave');
      await message.save({ score: 5 });
      expect((await left)[0].get('score')).to.equal(5);

      const entered = next(subscription, 'enter');
      await message.save({ score: 11 });
      const [inAgain, wasOut] = await entered;
      expect(inAgain.get('score')).to.equal(11);
      expect(wasOut!.get('score')).to.equal(5);

      const deleted = next(subscription, 'delete');
      await message.destroy();
      expect((await deleted)[0].id).to.equal(message.id);
      await subscription.unsubscribe();
    });

    it('sends only the selected keys, and with watch only changes of the watched fields', async () => {
      const subscription = (await new Parse.Query('Message').select('text').subscribe()) as unknown as Sub;
      const created = next(subscription, 'create');
      await new Parse.Object('Message', { text: 'a', score: 1 }).save();
      const [object] = await created;
      expect(object.get('text')).to.equal('a');
      expect(object.get('score')).to.equal(undefined);
      await subscription.unsubscribe();

      const watching = (await new Parse.Query('Message').watch('text').subscribe()) as unknown as Sub;
      const createSeen = silent(watching);
      const message = await new Parse.Object('Message', { text: 'b', score: 1 }).save();
      expect(await createSeen).to.equal(false); // the create sets text
      const quiet = silent(watching);
      await message.save({ score: 2 });
      expect(await quiet).to.equal(true);
      const updated = next(watching, 'update');
      await message.save({ text: 'c' });
      expect((await updated)[0].get('text')).to.equal('c');
      await watching.unsubscribe();
    });

    it('sees writes from REST, the data API and a transactional batch (after commit only)', async () => {
      const subscription = (await new Parse.Query('Message')
        .equalTo('source', 'elsewhere')
        .subscribe()) as unknown as Sub;
      const viaData = next(subscription, 'create');
      await t.backend.data.create('Message', { source: 'elsewhere', n: 1 }, { useMasterKey: true });
      expect((await viaData)[0].get('n')).to.equal(1);

      const both: number[] = [];
      subscription.on('create', (object: PObject) => both.push(object.get('n') as number));
      const batch = await t.http
        .post('/parse/batch')
        .set(masterHeaders)
        .send({
          transaction: true,
          requests: [
            { method: 'POST', path: '/parse/classes/Message', body: { source: 'elsewhere', n: 2 } },
            { method: 'POST', path: '/parse/classes/Message', body: { source: 'elsewhere', n: 3 } },
          ],
        });
      expect(batch.status).to.equal(200);
      const failed = await t.http
        .post('/parse/batch')
        .set(masterHeaders)
        .send({
          transaction: true,
          requests: [
            { method: 'POST', path: '/parse/classes/Message', body: { source: 'elsewhere', n: 4 } },
            { method: 'PUT', path: '/parse/classes/Message/nope', body: { n: 5 } },
          ],
        });
      expect(failed.status).to.not.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(both.sort()).to.deep.equal([2, 3]);
      await subscription.unsubscribe();
    });
  });

  describe('the permissions of a read', () => {
    let alice: InstanceType<typeof Parse.User>;
    let aliceToken: string;
    before(async () => {
      alice = await Parse.User.signUp(`alice-${Date.now()}`, 'pw-alice-1', {});
      aliceToken = alice.getSessionToken()!;
      await Parse.User.logOut();
    });

    it('sends an object only to those its ACL lets read it', async () => {
      const anonymous = await client();
      const own = await client({ sessionToken: aliceToken });
      const anonymousSub = anonymous.subscribe(new Parse.Query('Secret'));
      const aliceSub = own.subscribe(new Parse.Query('Secret'));
      await Promise.all([next(anonymousSub as unknown as Sub, 'open'), next(aliceSub as unknown as Sub, 'open')]);
      const quiet = silent(anonymousSub as unknown as Sub, 600);
      const seen = next(aliceSub as unknown as Sub, 'create');
      const secret = new Parse.Object('Secret', { text: 'for alice' });
      const acl = new Parse.ACL();
      acl.setReadAccess(alice.id!, true);
      secret.setACL(acl);
      await secret.save(null, { useMasterKey: true });
      expect((await seen)[0].get('text')).to.equal('for alice');
      expect(await quiet).to.equal(true);
    });

    it('removes protected fields and refuses to query them (119)', async () => {
      const anonymous = await client();
      const subscription = anonymous.subscribe(new Parse.Query('Message').equalTo('kind', 'p'));
      await next(subscription as unknown as Sub, 'open');
      const created = next(subscription as unknown as Sub, 'create');
      await new Parse.Object('Message', { kind: 'p', hidden: 'not for you' }).save();
      const [object] = await created;
      expect(object.get('kind')).to.equal('p');
      expect(object.has('hidden')).to.equal(false);

      const refused = anonymous.subscribe(new Parse.Query('Message').equalTo('hidden', 'x'));
      const error = await new Promise<{ code?: number }>((resolve) => (refused as unknown as Sub).on('error', resolve));
      expect(String(error)).to.match(/not allowed to query hidden/);
    });

    it('applies class-level permissions at subscribe and at each event', async () => {
      await t.http
        .post('/parse/schemas/Locked')
        .set(masterHeaders)
        .send({
          className: 'Locked',
          classLevelPermissions: {
            find: { requiresAuthentication: true },
            get: { requiresAuthentication: true },
            create: { '*': true },
          },
        });
      const raw = await RawClient.open(wsURL);
      raw.send({ op: 'connect', applicationId: APP_ID });
      expect((await raw.reply()).op).to.equal('connected');
      raw.send({ op: 'subscribe', requestId: 1, query: { className: 'Locked', where: {} } });
      const refused = await raw.reply();
      expect(refused).to.include({ op: 'error', code: ErrorCode.OPERATION_FORBIDDEN, requestId: 1 });
      raw.send({ op: 'subscribe', requestId: 2, query: { className: 'Locked', where: {} }, sessionToken: aliceToken });
      expect(await raw.reply()).to.include({ op: 'subscribed', requestId: 2 });
      raw.close();
    });

    it('follows roles, pointer permissions and a class-level permission changed after subscribing', async () => {
      const bob = await Parse.User.signUp(`bob-${Date.now()}`, 'pw-bob-1', {});
      const bobToken = bob.getSessionToken()!;
      await Parse.User.logOut();
      const roleACL = new Parse.ACL();
      roleACL.setPublicReadAccess(true);
      const admins = new Parse.Role(`Admins${Date.now()}`, roleACL);
      admins.getUsers().add(alice);
      await admins.save(null, { useMasterKey: true });

      await t.http
        .post('/parse/schemas/Owned')
        .set(masterHeaders)
        .send({
          className: 'Owned',
          fields: { owner: { type: 'Pointer', targetClass: '_User' } },
          classLevelPermissions: {
            find: { pointerFields: ['owner'] },
            get: { pointerFields: ['owner'] },
            create: { '*': true },
            update: { '*': true },
          },
        });
      const aliceClient = await client({ sessionToken: aliceToken });
      const bobClient = await client({ sessionToken: bobToken });
      const aliceRole = aliceClient.subscribe(new Parse.Query('Secret').equalTo('for', 'admins')) as unknown as Sub;
      const bobRole = bobClient.subscribe(new Parse.Query('Secret').equalTo('for', 'admins')) as unknown as Sub;
      const aliceOwned = aliceClient.subscribe(new Parse.Query('Owned')) as unknown as Sub;
      const bobOwned = bobClient.subscribe(new Parse.Query('Owned')) as unknown as Sub;
      await Promise.all([aliceRole, bobRole, aliceOwned, bobOwned].map((sub) => next(sub, 'open')));

      const bobQuiet = silent(bobRole, 600);
      const aliceSees = next(aliceRole, 'create');
      const forAdmins = new Parse.Object('Secret', { for: 'admins' });
      const acl = new Parse.ACL();
      acl.setRoleReadAccess(admins.getName()!, true);
      forAdmins.setACL(acl);
      await forAdmins.save(null, { useMasterKey: true });
      expect((await aliceSees)[0].id).to.equal(forAdmins.id);
      expect(await bobQuiet).to.equal(true);

      const bobNotOwner = silent(bobOwned, 600);
      const aliceOwner = next(aliceOwned, 'create');
      const owned = await new Parse.Object<Record<string, unknown>>('Owned', { owner: alice }).save(null, {
        useMasterKey: true,
      });
      expect((await aliceOwner)[0].id).to.equal(owned.id);
      expect(await bobNotOwner).to.equal(true);

      // Nobody may find Owned objects any more: the next change reaches no one.
      await t.http
        .put('/parse/schemas/Owned')
        .set(masterHeaders)
        .send({ classLevelPermissions: { find: {}, get: {}, create: { '*': true }, update: { '*': true } } });
      const aliceCut = silent(aliceOwned, 600);
      owned.set('n', 1);
      await owned.save(null, { useMasterKey: true });
      expect(await aliceCut).to.equal(true);
    });

    it("never sends a user's secrets, nor another user's email", async () => {
      const master = await client({ masterKey: MASTER_KEY });
      const aliceClient = await client({ sessionToken: aliceToken });
      const all = master.subscribe(new Parse.Query('_User')) as unknown as Sub;
      const visible = aliceClient.subscribe(new Parse.Query('_User')) as unknown as Sub;
      await Promise.all([next(all, 'open'), next(visible, 'open')]);
      const created = next(all, 'create');
      const carol = new Parse.User();
      carol.set({ username: `carol-${Date.now()}`, password: 'pw-carol-1', email: `carol${Date.now()}@example.com` });
      await carol.signUp();
      await Parse.User.logOut();
      const [seen] = await created;
      const sent = seen.toJSON() as Record<string, unknown>;
      expect(sent.username).to.equal(carol.get('username'));
      for (const secret of ['password', '_hashed_password', 'sessionToken', '_session_token'])
        expect(sent).not.to.have.property(secret);
      // Users are private by default (enforcePrivateUsers): alice sees carol once carol is public.
      const entered = next(visible, 'enter');
      const acl = new Parse.ACL();
      acl.setPublicReadAccess(true);
      carol.setACL(acl);
      await carol.save(null, { useMasterKey: true });
      const [shown] = await entered;
      expect(shown.get('username')).to.equal(carol.get('username'));
      expect(shown.toJSON()).not.to.have.property('email');
    });

    it('treats an invalid session token as no session, as parse-server does', async () => {
      const raw = await RawClient.open(wsURL);
      raw.send({ op: 'connect', applicationId: APP_ID, sessionToken: 'r:not-a-token' });
      expect((await raw.reply()).op).to.equal('connected');
      raw.send({ op: 'subscribe', requestId: 1, query: { className: 'Secret', where: {} } });
      expect((await raw.reply()).op).to.equal('subscribed');
      const acl = new Parse.ACL();
      acl.setReadAccess(alice.id!, true);
      const hiddenSecret = new Parse.Object('Secret', { text: 'x' });
      hiddenSecret.setACL(acl);
      await hiddenSecret.save(null, { useMasterKey: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(raw.frames).to.deep.equal([]);
      raw.close();
    });

    it('keeps a client to its own sessions', async () => {
      const raw = await RawClient.open(wsURL);
      raw.send({ op: 'connect', applicationId: APP_ID });
      await raw.reply();
      raw.send({ op: 'subscribe', requestId: 1, query: { className: '_Session', where: {} } });
      expect(await raw.reply()).to.include({ op: 'error', code: ErrorCode.INVALID_SESSION_TOKEN });
      raw.close();
    });
  });

  describe('hooks', () => {
    it('runs beforeConnect, beforeSubscribe and afterLiveQueryEvent', async () => {
      const offConnect = t.backend.cloud.beforeConnect((request) => {
        if (request.installationId === 'banned') throw new Error('not you');
      });
      const offSubscribe = t.backend.cloud.beforeSubscribe('Message', (request) => {
        request.query.equalTo('room', 'lobby');
      });
      const offEvent = t.backend.cloud.afterLiveQueryEvent('Message', (request) => {
        if (request.object.get('quiet')) request.sendEvent = false;
        request.object.set('stamped', true);
      });
      try {
        const banned = await RawClient.open(wsURL);
        banned.send({ op: 'connect', applicationId: APP_ID, installationId: 'banned' });
        expect(await banned.reply()).to.include({ op: 'error', code: ErrorCode.SCRIPT_FAILED, error: 'not you' });
        banned.close();

        const subscription = (await new Parse.Query('Message').subscribe()) as unknown as Sub;
        const created = next(subscription, 'create');
        await new Parse.Object('Message', { room: 'kitchen' }).save();
        await new Parse.Object('Message', { room: 'lobby', quiet: true }).save();
        const lobby = await new Parse.Object('Message', { room: 'lobby' }).save();
        const [object] = await created;
        expect(object.id).to.equal(lobby.id);
        expect(object.get('stamped')).to.equal(true);
        await subscription.unsubscribe();
      } finally {
        offConnect();
        offSubscribe();
        offEvent();
      }
    });
  });

  describe('a parse-server cloud file', () => {
    it("registers LiveQuery's hooks through Parse.Cloud, with Parse.Objects and a Parse.Query", async () => {
      const seen: string[] = [];
      const ported = await startTestBackend({
        liveQuery: { classNames: ['Message'] },
        parse: Parse,
        cloud: (sdk: unknown) => {
          // As a cloud/main.js would write it, with parse-server's request shapes.
          const parse = sdk as PortedSdk;
          parse.Cloud.beforeConnect((request) => {
            seen.push(`connect ${String(request.useMasterKey)}`);
          });
          parse.Cloud.beforeSubscribe('Message', (request) => {
            seen.push(`query ${String(request.query instanceof parse.Query)}`);
            request.query.equalTo('room', 'ported');
          });
          parse.Cloud.afterLiveQueryEvent('Message', (request) => {
            seen.push(`event ${String(request.object instanceof parse.Object)}`);
            request.object.set('seen', true);
          });
        },
      });
      try {
        await ported.backend.ready();
        ported.backend.liveQuery.attach(ported.server);
        const raw = await RawClient.open(ported.serverURL.replace(/^http/, 'ws'));
        raw.send({ op: 'connect', applicationId: APP_ID });
        await raw.reply();
        raw.send({ op: 'subscribe', requestId: 1, query: { className: 'Message', where: {} } });
        expect((await raw.reply()).op).to.equal('subscribed');
        await ported.backend.data.create('Message', { room: 'elsewhere' }, { useMasterKey: true });
        await ported.backend.data.create('Message', { room: 'ported' }, { useMasterKey: true });
        const event = await raw.reply();
        expect(event).to.include({ op: 'create', requestId: 1 });
        expect(event.object).to.include({ room: 'ported', seen: true });
        expect(seen).to.deep.equal(['connect false', 'query true', 'event true']);
        raw.close();
      } finally {
        await ported.close();
        useBackend(t);
      }
    });
  });

  describe('bad input', () => {
    it('answers bad frames with protocol errors and keeps serving', async () => {
      const raw = await RawClient.open(wsURL);
      raw.send('not json');
      expect(await raw.reply()).to.include({ op: 'error', code: 1 });
      raw.send({ op: 'dance' });
      expect(await raw.reply()).to.include({ op: 'error', code: 3 });
      raw.send({ op: 'subscribe', requestId: 1, query: { className: 'Message', where: {} } });
      expect(await raw.reply()).to.include({ op: 'error', code: 2 });
      raw.send({ op: 'connect', applicationId: 'another-app' });
      expect(await raw.reply()).to.include({ op: 'error', code: 4 });
      raw.send({ op: 'connect', applicationId: APP_ID, masterKey: 'wrong' });
      expect(await raw.reply()).to.include({ op: 'error', code: 4 });
      raw.send({ op: 'connect', applicationId: APP_ID });
      expect((await raw.reply()).op).to.equal('connected');
      raw.send({ op: 'subscribe', requestId: 'one', query: { className: 'Message', where: {} } });
      expect(await raw.reply()).to.include({ op: 'error', code: 1 });
      raw.send({ op: 'subscribe', requestId: 2, query: { className: 'Bad Name!', where: {} } });
      expect(await raw.reply()).to.include({ op: 'error', code: ErrorCode.INVALID_CLASS_NAME, requestId: 2 });
      raw.send({ op: 'subscribe', requestId: 3, query: { className: 'Message', where: { a: { $bogus: 1 } } } });
      expect(await raw.reply()).to.include({ op: 'error', code: ErrorCode.INVALID_JSON, requestId: 3 });
      raw.send({
        op: 'subscribe',
        requestId: 4,
        query: { className: 'Message', where: { a: { $inQuery: { className: 'X', where: {} } } } },
      });
      expect(await raw.reply()).to.include({ op: 'error', code: ErrorCode.INVALID_QUERY, requestId: 4 });
      raw.send({ op: 'unsubscribe', requestId: 99 });
      expect(await raw.reply()).to.include({ op: 'error', code: 2, requestId: 99 });
      for (let i = 10; i < 15; i++)
        raw.send({ op: 'subscribe', requestId: i, query: { className: 'Message', where: {} } });
      for (let i = 10; i < 15; i++) expect((await raw.reply()).op).to.equal('subscribed');
      raw.send({ op: 'subscribe', requestId: 20, query: { className: 'Message', where: {} } });
      expect(await raw.reply()).to.include({ op: 'error', code: ErrorCode.REQUEST_LIMIT_EXCEEDED, requestId: 20 });
      raw.close();
      const health = await t.http.get('/parse/health');
      expect(health.status).to.equal(200);
    });

    it('closes a connection that sends too much at once, and limits the message rate', async () => {
      const big = await RawClient.open(wsURL);
      big.send({ op: 'connect', applicationId: APP_ID, sessionToken: 'x'.repeat(70 * 1024) });
      expect(await big.closed).to.equal(1009);
      const chatty = await RawClient.open(wsURL);
      for (let i = 0; i < 80; i++) chatty.send({ op: 'unsubscribe', requestId: i });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const limited = chatty.frames.filter((frame) => frame.code === ErrorCode.REQUEST_LIMIT_EXCEEDED);
      expect(limited).to.have.length(1);
      expect(chatty.frames.length).to.be.lessThan(80);
      chatty.close();
    });

    it('disconnects a client too slow to read its events, and goes on serving the others', async () => {
      const warnings: string[] = [];
      const busy = await startTestBackend({
        liveQuery: { classNames: ['Message'], maxQueuedBytes: 1024 },
        logger: { warn: (message) => warnings.push(message) },
      });
      try {
        busy.backend.liveQuery.attach(busy.server);
        const url = busy.serverURL.replace(/^http/, 'ws');
        const subscribe = async (): Promise<RawClient> => {
          const raw = await RawClient.open(url);
          raw.send({ op: 'connect', applicationId: APP_ID });
          await raw.until((f) => f.op === 'connected');
          raw.send({ op: 'subscribe', requestId: 1, query: { className: 'Message', where: {} } });
          await raw.until((f) => f.op === 'subscribed');
          return raw;
        };
        const slow = await subscribe();
        const quick = await subscribe();
        // The slow one stops reading: the kernel's buffers fill, then the server's queue passes its bound.
        slow.socket.pause();
        // A paused socket does not read the server's close either: the server's count tells.
        const slowClosed = (): boolean => busy.backend.liveQuery.counts().clients === 1;
        const body = 'x'.repeat(256 * 1024);
        let written = 0;
        while (!slowClosed() && written < 120) {
          await busy.http.post('/parse/classes/Message').set(masterHeaders).send({ body, n: written });
          written += 1;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        expect(slowClosed(), `still connected after ${written} large events`).to.equal(true);
        expect(warnings.some((w) => w.includes('too slow'))).to.equal(true);
        for (let n = 0; n < written; n++)
          await quick.until((f) => f.op === 'create' && (f.object as { n?: number }).n === n);
        quick.close();
        slow.socket.terminate();
      } finally {
        await busy.close();
      }
    });

    it('disconnects a client that stops answering pings, and keeps one that answers', async () => {
      const pinged = await startTestBackend({ liveQuery: { classNames: ['Message'], websocketTimeout: 150 } });
      try {
        pinged.backend.liveQuery.attach(pinged.server);
        const url = pinged.serverURL.replace(/^http/, 'ws');
        const answering = await RawClient.open(url);
        // Gone without a word (its machine asleep, its network lost): it answers no ping.
        const gone = await RawClient.open(url, { autoPong: false });
        expect(pinged.backend.liveQuery.counts().clients).to.equal(2);
        expect(await gone.closed).to.equal(1006);
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(pinged.backend.liveQuery.counts().clients).to.equal(1);
        answering.send({ op: 'connect', applicationId: APP_ID });
        expect((await answering.reply()).op).to.equal('connected');
        answering.close();
      } finally {
        await pinged.close();
      }
    });

    it('refuses an invalid session token with 209 when told to', async () => {
      const strict = await startTestBackend({ liveQuery: { classNames: ['Message'], invalidSessionToken: 'refuse' } });
      try {
        strict.backend.liveQuery.attach(strict.server);
        const raw = await RawClient.open(strict.serverURL.replace(/^http/, 'ws'));
        raw.send({ op: 'connect', applicationId: APP_ID, sessionToken: 'r:not-a-token' });
        expect(await raw.reply()).to.include({ op: 'error', code: ErrorCode.INVALID_SESSION_TOKEN });
        raw.close();
        const master = await RawClient.open(strict.serverURL.replace(/^http/, 'ws'));
        master.send({ op: 'connect', applicationId: APP_ID, masterKey: MASTER_KEY });
        expect((await master.reply()).op).to.equal('connected');
        master.close();
      } finally {
        await strict.close();
      }
    });
  });
});
