import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { BackendConfigError, BackendError, createBackend, ErrorCode, HookQuery } from 'plinth';
import { appHeaders, MASTER_KEY, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

type Json = Record<string, unknown>;

describe('cloud code through REST', () => {
  let t: TestBackend;
  let unregister: (() => void)[] = [];
  const register = (off: () => void): void => {
    unregister.push(off);
  };
  let ann: { objectId: string; sessionToken: string };
  const asAnn = () => ({ ...appHeaders, 'X-Parse-Session-Token': ann.sessionToken });

  before(async () => {
    t = await startTestBackend();
    ann = (await t.http.post('/parse/users').set(appHeaders).send({ username: 'ann', password: 'pw-ann' })).body;
  });
  afterEach(() => {
    for (const off of unregister) off();
    unregister = [];
  });
  after(() => t.close());

  describe('the seed example', () => {
    it('rejects a negative total with 141 and sets status from dirty(items)', async () => {
      register(
        t.backend.cloud.beforeSave('Order', async (request) => {
          const order = request.object;
          if (order.get('total') < 0) {
            throw new BackendError(141, 'total cannot be negative');
          }
          order.set('status', order.dirty('items') ? 'pending' : order.get('status'));
        }),
      );
      expect((await t.http.post('/parse/classes/Order').set(appHeaders).send({ total: -1 })).body).to.deep.equal({
        code: 141,
        error: 'total cannot be negative',
      });
      const created = await t.http
        .post('/parse/classes/Order')
        .set(appHeaders)
        .send({ total: 5, items: ['tea'] });
      expect(created.body.status).to.equal('pending');
      const updated = await t.http
        .put(`/parse/classes/Order/${created.body.objectId}`)
        .set(appHeaders)
        .send({ total: 6 });
      expect(updated.status).to.equal(200);
      expect((await t.http.get(`/parse/classes/Order/${created.body.objectId}`).set(appHeaders)).body).to.include({
        total: 6,
        status: 'pending',
      });
    });
  });

  describe('beforeDelete and afterDelete', () => {
    it('runs beforeDelete with the object (a throw refuses) and afterDelete only after a delete', async () => {
      const seen: string[] = [];
      register(
        t.backend.cloud.beforeDelete('Doc', (request) => {
          seen.push(`before:${String(request.object.get('title'))}:${request.triggerName}`);
          if (request.object.get('locked') === true) throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, 'locked');
        }),
      );
      register(
        t.backend.cloud.afterDelete('Doc', (request) => {
          seen.push(`after:${String(request.object.id)}`);
          throw new Error('afterDelete failed');
        }),
      );
      const locked = (await t.http.post('/parse/classes/Doc').set(appHeaders).send({ title: 'l', locked: true })).body
        .objectId as string;
      const open = (await t.http.post('/parse/classes/Doc').set(appHeaders).send({ title: 'o' })).body
        .objectId as string;
      expect((await t.http.delete(`/parse/classes/Doc/${locked}`).set(appHeaders)).body).to.deep.equal({
        code: 119,
        error: 'locked',
      });
      expect((await t.http.get(`/parse/classes/Doc/${locked}`).set(appHeaders)).status).to.equal(200);
      // afterDelete's failure reaches the client, as parse-server answers; the object is gone all the same
      expect((await t.http.delete(`/parse/classes/Doc/${open}`).set(appHeaders)).body).to.deep.equal({
        code: 141,
        error: 'afterDelete failed',
      });
      expect((await t.http.delete(`/parse/classes/Doc/${open}`).set(appHeaders)).status).to.equal(404);
      expect(seen).to.deep.equal(['before:l:beforeDelete', 'before:o:beforeDelete', `after:${open}`]);
    });

    it('does not run for an object the caller may not reach', async () => {
      let ran = false;
      register(
        t.backend.cloud.beforeDelete('Doc', () => {
          ran = true;
        }),
      );
      const hidden = (await t.http.post('/parse/classes/Doc').set(masterHeaders).send({ title: 'h', ACL: {} })).body
        .objectId as string;
      expect((await t.http.delete(`/parse/classes/Doc/${hidden}`).set(appHeaders)).status).to.equal(404);
      expect(ran).to.equal(false);
    });
  });

  describe('beforeFind and afterFind', () => {
    before(async () => {
      for (const [name, visible] of [
        ['a', true],
        ['b', false],
        ['c', true],
      ] as const) {
        await t.http
          .post('/parse/classes/Item')
          .set(appHeaders)
          .send({ name, visible, rank: name.charCodeAt(0) })
          .expect(201);
      }
    });
    const names = (res: { body: { results: Json[] } }) => res.body.results.map((r) => r.name);

    it('lets beforeFind narrow find, count and get, and tells it which one it is', async () => {
      const hidden = (
        await t.http
          .get('/parse/classes/Item')
          .query({ where: JSON.stringify({ name: 'b' }) })
          .set(masterHeaders)
      ).body.results[0].objectId as string;
      const calls: string[] = [];
      register(
        t.backend.cloud.beforeFind('Item', (request) => {
          calls.push(`${request.isGet ? 'get' : 'find'}${request.count ? '+count' : ''}`);
          request.query.equalTo('visible', true).ascending('name');
        }),
      );
      expect(names(await t.http.get('/parse/classes/Item').set(appHeaders))).to.deep.equal(['a', 'c']);
      expect(
        (await t.http.get('/parse/classes/Item').query({ count: 1, limit: 0 }).set(appHeaders)).body.count,
      ).to.equal(2);
      expect((await t.http.get(`/parse/classes/Item/${hidden}`).set(appHeaders)).status).to.equal(404);
      expect(calls).to.deep.equal(['find', 'find+count', 'get']);
    });

    it('lets beforeFind return another query or objects to answer with', async () => {
      register(
        t.backend.cloud.beforeFind('Item', (request) => {
          if (request.query.toJSON().where.name === 'answered') return [{ name: 'from the hook', objectId: 'x1' }];
          return new HookQuery('Item').equalTo('name', 'c');
        }),
      );
      expect(names(await t.http.get('/parse/classes/Item').set(appHeaders))).to.deep.equal(['c']);
      const answered = await t.http
        .get('/parse/classes/Item')
        .query({ where: JSON.stringify({ name: 'answered' }) })
        .set(appHeaders);
      expect(answered.body.results).to.deep.equal([{ name: 'from the hook', objectId: 'x1' }]);
    });

    it("builds queries with Parse.Query's methods: matches, startsWith, containedIn, select", async () => {
      register(
        t.backend.cloud.beforeFind('Item', (request) => {
          const mode = request.query.toJSON().where.mode;
          delete request.query.where.mode;
          if (mode === 'regex') request.query.matches('name', /^[AB]$/i);
          if (mode === 'prefix') request.query.startsWith('name', 'c');
          if (mode === 'in') request.query.containedIn('name', ['a', 'b']).notEqualTo('name', 'b').select('name');
        }),
      );
      const list = async (mode: string) =>
        (
          await t.http
            .get('/parse/classes/Item')
            .query({ where: JSON.stringify({ mode }), order: 'name' })
            .set(appHeaders)
        ).body.results as Json[];
      expect((await list('regex')).map((r) => r.name)).to.deep.equal(['a', 'b']);
      expect((await list('prefix')).map((r) => r.name)).to.deep.equal(['c']);
      const selected = await list('in');
      expect(selected.map((r) => r.name)).to.deep.equal(['a']);
      expect(selected[0]).to.not.have.property('rank');
    });

    it('lets afterFind change or replace the results, for find and get', async () => {
      register(
        t.backend.cloud.afterFind('Item', (request) => {
          for (const object of request.objects) object.set('label', `#${String(object.get('name'))}`);
          return request.isGet ? request.objects : request.objects.filter((o) => o.get('name') !== 'b');
        }),
      );
      const found = await t.http.get('/parse/classes/Item').query({ order: 'name' }).set(appHeaders);
      expect(found.body.results.map((r: Json) => r.label)).to.deep.equal(['#a', '#c']);
      const id = found.body.results[0].objectId as string;
      expect((await t.http.get(`/parse/classes/Item/${id}`).set(appHeaders)).body.label).to.equal('#a');
    });

    it('answers 101 when afterFind leaves a get empty', async () => {
      const id = (await t.http.get('/parse/classes/Item').set(masterHeaders)).body.results[0].objectId as string;
      register(t.backend.cloud.afterFind('Item', () => []));
      expect((await t.http.get(`/parse/classes/Item/${id}`).set(appHeaders)).body.code).to.equal(101);
    });

    it('shows afterFind only what the caller may see', async () => {
      let seen: unknown[] = [];
      register(
        t.backend.cloud.afterFind('_User', (request) => {
          seen = request.objects.map((o) => o.get('password') ?? o.get('sessionToken') ?? o.get('username'));
        }),
      );
      await t.http.get('/parse/users').set(asAnn()).expect(200);
      expect(seen).to.deep.equal(['ann']);
    });
  });

  describe('functions', () => {
    const run = (name: string, body: Json = {}, headers: Record<string, string> = appHeaders) =>
      t.http.post(`/parse/functions/${name}`).set(headers).send(body);

    it('answers POST /functions/:name with { result }, objects and Dates in Parse encoding', async () => {
      register(t.backend.cloud.define('hello', (request) => `hi ${String(request.params.name)}`));
      register(
        t.backend.cloud.define('shapes', async (request) => {
          const order = await request.data.create('Shape', { sides: 3 }, { useMasterKey: true });
          return {
            when: new Date('2024-05-06T07:08:09.000Z'),
            order,
            list: [order],
            day: request.params.day instanceof Date,
            dayAsJson: (request.params.day as unknown as { iso: string }).iso,
          };
        }),
      );
      expect((await run('hello', { name: 'ann' })).body).to.deep.equal({ result: 'hi ann' });
      const { result } = (await run('shapes', { day: { __type: 'Date', iso: '2024-01-01T00:00:00.000Z' } })).body;
      expect(result.when).to.deep.equal({ __type: 'Date', iso: '2024-05-06T07:08:09.000Z' });
      expect(result.order).to.include({ __type: 'Object', className: 'Shape', sides: 3 });
      expect(result.order.objectId).to.be.a('string');
      expect(result.list[0].objectId).to.equal(result.order.objectId);
      expect(result.day).to.equal(true);
      expect(result.dayAsJson).to.equal('2024-01-01T00:00:00.000Z');
      register(t.backend.cloud.define('nothing', () => undefined));
      expect((await run('nothing')).body).to.deep.equal({});
    });

    it('answers 141 Invalid function for unknown names, prototype names included', async () => {
      for (const name of ['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        const res = await run(name);
        expect(res.status, name).to.equal(400);
        expect(res.body, name).to.deep.equal({ code: 141, error: `Invalid function: "${name}"` });
      }
    });

    it('passes the caller: user, master, installation, headers, context', async () => {
      let seen: Json = {};
      register(
        t.backend.cloud.define('whoami', (request) => {
          seen = {
            user: request.user?.get('username'),
            userId: request.user?.id,
            master: request.master,
            installationId: request.installationId,
            context: request.context,
            header: request.headers['x-extra'],
            fn: request.functionName,
          };
          return null;
        }),
      );
      await run(
        'whoami',
        {},
        {
          ...asAnn(),
          'X-Parse-Installation-Id': 'inst-1',
          'X-Parse-Cloud-Context': '{"from":"test"}',
          'X-Extra': 'yes',
        },
      ).expect(200);
      expect(seen).to.deep.equal({
        user: 'ann',
        userId: ann.objectId,
        master: false,
        installationId: 'inst-1',
        context: { from: 'test' },
        header: 'yes',
        fn: 'whoami',
      });
      await run('whoami', {}, masterHeaders).expect(200);
      expect(seen).to.include({ master: true, user: undefined });
      expect((await run('whoami', {}, { ...appHeaders, 'X-Parse-Cloud-Context': '[1]' })).body.code).to.equal(
        ErrorCode.INVALID_JSON,
      );
    });

    it('maps what a function throws: a code keeps it, anything else is 141', async () => {
      register(
        t.backend.cloud.define('coded', () => {
          throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'no such thing');
        }),
      );
      register(
        t.backend.cloud.define('plain', async () => {
          throw new Error('boom');
        }),
      );
      register(
        t.backend.cloud.define('shaped', () => {
          throw { code: 209, message: 'shaped' };
        }),
      );
      expect((await run('coded')).body).to.deep.equal({ code: 101, error: 'no such thing' });
      expect((await run('plain')).body).to.deep.equal({ code: 141, error: 'boom' });
      expect((await run('shaped')).body).to.deep.equal({ code: 209, error: 'shaped' });
    });

    it('runs validators before the function', async () => {
      let ran = 0;
      register(
        t.backend.cloud.define('guarded', () => ++ran, {
          requireUser: true,
          fields: { n: { type: Number, required: true, options: (n: unknown) => (n as number) > 0 } },
        }),
      );
      expect((await run('guarded', { n: 1 })).body).to.deep.equal({
        code: 142,
        error: 'Validation failed. Please login to continue.',
      });
      expect((await run('guarded', {}, asAnn())).body).to.deep.equal({
        code: 142,
        error: 'Validation failed. Please specify data for n.',
      });
      expect((await run('guarded', { n: 'x' }, asAnn())).body.code).to.equal(142);
      expect((await run('guarded', { n: -1 }, asAnn())).body.code).to.equal(142);
      expect((await run('guarded', { n: 2 }, asAnn())).body).to.deep.equal({ result: 1 });
      register(t.backend.cloud.define('admin', () => 'ok', { requireMaster: true }));
      expect((await run('admin')).body.code).to.equal(142);
      expect((await run('admin', {}, masterHeaders)).body.result).to.equal('ok');
    });

    it("checks roles and the user's own fields before the function", async () => {
      register(t.backend.cloud.define('staffOnly', () => 'ok', { requireAnyUserRoles: ['Staff'] }));
      register(t.backend.cloud.define('needsNickname', () => 'ok', { requireUserKeys: ['nickname'] }));
      expect((await run('staffOnly', {}, asAnn())).body).to.deep.equal({
        code: 142,
        error: 'Validation failed. User does not match the required roles.',
      });
      expect((await run('needsNickname', {}, asAnn())).body).to.deep.equal({
        code: 142,
        error: 'Validation failed. Please set data for nickname on your account.',
      });
      const staff = await t.http
        .post('/parse/roles')
        .set(masterHeaders)
        .send({
          name: 'Staff',
          ACL: { '*': { read: true } },
          users: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: ann.objectId }] },
        });
      await t.http.put(`/parse/users/${ann.objectId}`).set(asAnn()).send({ nickname: 'annie' }).expect(200);
      expect((await run('staffOnly', {}, asAnn())).body).to.deep.equal({ result: 'ok' });
      expect((await run('needsNickname', {}, asAnn())).body).to.deep.equal({ result: 'ok' });
      await t.http
        .delete(`/parse/roles/${staff.body.objectId as string}`)
        .set(masterHeaders)
        .expect(200);
    });

    it('rate-limits a function per client, with 429', async () => {
      register(
        t.backend.cloud.define('limited', () => 'ok', { rateLimit: { requestTimeWindow: 60_000, requestCount: 2 } }),
      );
      expect((await run('limited')).status).to.equal(200);
      expect((await run('limited')).status).to.equal(200);
      const refused = await run('limited');
      expect(refused.status).to.equal(429);
      expect(refused.body).to.deep.equal({ code: ErrorCode.CONNECTION_FAILED, error: 'Too many requests.' });
    });
  });

  describe('validators on hooks', () => {
    it('applies default, constant and required fields on create and update, skipped for the master key', async () => {
      register(
        t.backend.cloud.beforeSave(
          'Ticket',
          (request) => {
            request.object.set('hooked', true);
          },
          {
            skipWithMasterKey: true,
            fields: {
              status: { default: 'new' },
              kind: { constant: true, default: 'bug' },
              title: { required: true, type: String },
            },
          },
        ),
      );
      expect((await t.http.post('/parse/classes/Ticket').set(appHeaders).send({ kind: 'x' })).body).to.deep.equal({
        code: 142,
        error: 'Validation failed. Please specify data for title.',
      });
      const created = await t.http.post('/parse/classes/Ticket').set(appHeaders).send({ title: 't', kind: 'feature' });
      expect(created.body).to.include({ status: 'new', kind: 'bug', hooked: true });
      await t.http
        .put(`/parse/classes/Ticket/${created.body.objectId}`)
        .set(appHeaders)
        .send({ kind: 'feature', status: 'open' })
        .expect(200);
      expect((await t.http.get(`/parse/classes/Ticket/${created.body.objectId}`).set(appHeaders)).body).to.include({
        kind: 'bug',
        status: 'open',
      });
      const byMaster = await t.http.post('/parse/classes/Ticket').set(masterHeaders).send({ kind: 'feature' });
      expect(byMaster.status).to.equal(201);
      expect(byMaster.body).to.not.have.property('hooked');
    });
  });

  describe('jobs', () => {
    const status = async (id: string) =>
      (await t.http.get(`/parse/classes/_JobStatus/${id}`).set(masterHeaders)).body as Json;
    async function finished(id: string): Promise<Json> {
      for (let i = 0; i < 100; i++) {
        const current = await status(id);
        if (current.status !== 'running') return current;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('the job did not finish');
    }

    it('starts a job with the master key, answers at once and records its outcome', async () => {
      register(
        t.backend.cloud.job('cleanup', async (request) => {
          await request.message(`starting with ${String(request.params.limit)}`);
          const count = await request.data.count('Doc', {}, { useMasterKey: true });
          return `looked at ${count}`;
        }),
      );
      register(
        t.backend.cloud.job('broken', () => {
          throw new Error('job broke');
        }),
      );
      const started = await t.http.post('/parse/jobs/cleanup').set(masterHeaders).send({ limit: 5 });
      expect(started.status).to.equal(200);
      expect(started.body).to.deep.equal({});
      const id = started.headers['x-parse-job-status-id'] as string;
      const done = await finished(id);
      expect(done).to.include({ jobName: 'cleanup', source: 'api', status: 'succeeded' });
      expect(done.message).to.match(/^looked at \d+$/);
      expect(done.params).to.deep.equal({ limit: 5 });
      expect(done.finishedAt).to.have.property('__type', 'Date');
      const failed = await finished(
        (await t.http.post('/parse/jobs').set(masterHeaders).send({ jobName: 'broken' })).headers[
          'x-parse-job-status-id'
        ] as string,
      );
      expect(failed).to.include({ status: 'failed', message: 'job broke' });
    });

    it('refuses jobs without the master key, and unknown jobs', async () => {
      register(t.backend.cloud.job('secret', () => undefined));
      expect((await t.http.post('/parse/jobs/secret').set(asAnn()).send({})).status).to.equal(403);
      expect((await t.http.post('/parse/jobs/nope').set(masterHeaders).send({})).body).to.deep.equal({
        code: 141,
        error: 'Invalid job.',
      });
      expect((await t.http.get('/parse/classes/_JobStatus').set(asAnn())).body.code).to.equal(119);
    });
  });

  describe('the data API', () => {
    it('reads and writes as master, as a user or session, and anonymously, with the same permissions', async () => {
      const { data } = t.backend;
      const mine = await data.create(
        'Note',
        { text: 'mine', ACL: { [ann.objectId]: { read: true, write: true } } },
        { user: ann.objectId },
      );
      await data.create('Note', { text: 'public', at: new Date('2024-01-01T00:00:00.000Z') });
      expect(mine.id).to.be.a('string');
      expect(mine.get('text')).to.equal('mine');
      const texts = async (options?: Parameters<typeof data.find>[2]) =>
        (await data.find('Note', { order: 'text' }, options)).map((n) => n.get('text'));
      expect(await texts()).to.deep.equal(['public']);
      expect(await texts({ sessionToken: ann.sessionToken })).to.deep.equal(['mine', 'public']);
      expect(await texts({ useMasterKey: true })).to.deep.equal(['mine', 'public']);
      expect(await data.count('Note', { where: { text: { $in: ['mine', 'public'] } } })).to.equal(1);
      expect(
        (await data.first('Note', { where: { at: { $lt: new Date('2025-01-01T00:00:00.000Z') } } }))?.get('text'),
      ).to.equal('public');
      const missing = await data.get('Note', mine.id!).catch((e: BackendError) => e);
      expect(missing).to.be.instanceOf(BackendError).with.property('code', 101);
      const denied = await data.update('Note', mine.id!, { text: 'hacked' }).catch((e: BackendError) => e);
      expect(denied).to.have.property('code', 101);
      const updated = await data.update(
        'Note',
        mine.id!,
        { text: 'edited', at: new Date('2024-02-02T00:00:00.000Z') },
        { user: ann.objectId },
      );
      expect(updated.get('text')).to.equal('edited');
      expect(updated.get('at')).to.be.instanceOf(Date);
      await data.delete('Note', mine.id!, { sessionToken: ann.sessionToken });
      expect(await texts({ useMasterKey: true })).to.deep.equal(['public']);
      expect(
        await data.find('Note', {}, { sessionToken: 'r:not-a-session' }).catch((e: BackendError) => e.code),
      ).to.equal(209);
      expect(await data.find('Note', { where: { _rperm: '*' } }).catch((e: BackendError) => e.code)).to.equal(105);
    });

    it('runs the hooks, and keeps system classes to their own rules', async () => {
      register(
        t.backend.cloud.beforeSave('Order', (request) => {
          request.object.set('checked', true);
        }),
      );
      const order = await t.backend.data.create('Order', { total: 1 });
      expect(order.get('checked')).to.equal(true);
      expect(
        // A session is opened for a user: the master key must name one.
        await t.backend.data.create('_Session', { a: 1 }, { useMasterKey: true }).catch((e: BackendError) => e.code),
      ).to.equal(209);
      // A role keeps its naming rule on this path too.
      expect(
        await t.backend.data.create('_Role', { name: 'no/slash', ACL: {} }).catch((e: BackendError) => e.code),
      ).to.equal(139);
      const user = await t.backend.data.create(
        '_User',
        { username: 'made-by-host', password: 'secret-pw' },
        { useMasterKey: true },
      );
      expect(user.get('password')).to.equal(undefined);
      expect(
        (await t.http.get('/parse/login').query({ username: 'made-by-host', password: 'secret-pw' }).set(appHeaders))
          .status,
      ).to.equal(200);
    });

    it('takes a HookQuery built like a Parse.Query, and reads pointers as object views', async () => {
      const { data } = t.backend;
      const owner = await data.create('Owner', { name: 'olga' }, { useMasterKey: true });
      for (const n of [1, 2, 3]) await data.create('Pet', { n, owner }, { useMasterKey: true });
      const query = new HookQuery('Pet').greaterThan('n', 1).equalTo('owner', owner).descending('n').include('owner');
      const pets = await data.find(query, { useMasterKey: true });
      expect(pets.map((p) => p.get('n'))).to.deep.equal([3, 2]);
      expect(pets[0]!.get('owner').id).to.equal(owner.id);
      expect(pets[0]!.get('owner').get('name')).to.equal('olga');
      expect(await data.count(new HookQuery('Pet').lessThan('n', 3), { useMasterKey: true })).to.equal(2);
      expect((await data.first(new HookQuery('Pet').ascending('n')))?.get('n')).to.equal(1);
      const plain = await data.get('Pet', pets[0]!.id!);
      expect(plain.get('owner').id).to.equal(owner.id);
      expect(plain.get('owner').get('name')).to.equal(undefined);
    });

    it('is reachable from hooks as request.data', async () => {
      register(
        t.backend.cloud.afterSave('Order', async (request) => {
          await request.data.create(
            'Audit',
            { order: request.object, by: request.user?.id ?? 'anonymous' },
            { useMasterKey: true },
          );
        }),
      );
      const created = await t.http.post('/parse/classes/Order').set(asAnn()).send({ total: 2 });
      const audits = await t.backend.data.find(
        'Audit',
        { where: { order: { __type: 'Pointer', className: 'Order', objectId: created.body.objectId } } },
        { useMasterKey: true },
      );
      expect(audits.map((a) => a.get('by'))).to.deep.equal([ann.objectId]);
    });
  });

  describe('holding the permissions (review regressions)', () => {
    const defineClass = (className: string, fields: Record<string, unknown>, clp: Record<string, unknown>) =>
      t.http
        .post(`/parse/schemas/${className}`)
        .set(masterHeaders)
        .send({ fields, classLevelPermissions: clp })
        .expect(200);
    const OPEN = {
      find: { '*': true },
      get: { '*': true },
      count: { '*': true },
      create: { '*': true },
      update: { '*': true },
      delete: { '*': true },
      addField: {},
    };

    it('checks the class-level permission of the query a beforeFind turned a count into', async () => {
      await defineClass('Counted', { n: { type: 'Number' } }, { ...OPEN, find: {} });
      await t.http.post('/parse/classes/Counted').set(masterHeaders).send({ n: 1 }).expect(201);
      register(
        t.backend.cloud.beforeFind('Counted', (request) => {
          request.query.limit(50);
        }),
      );
      expect(
        (await t.http.get('/parse/classes/Counted').query({ count: 1, limit: 0 }).set(appHeaders)).body.code,
      ).to.equal(119);
    });

    it('keeps protected fields out of write responses and data API results', async () => {
      await defineClass(
        'Vault',
        { secret: { type: 'Number' }, note: { type: 'String' } },
        { ...OPEN, protectedFields: { '*': ['secret'] } },
      );
      const id = (await t.http.post('/parse/classes/Vault').set(masterHeaders).send({ secret: 42, note: 'n' })).body
        .objectId as string;
      const bumped = await t.http
        .put(`/parse/classes/Vault/${id}`)
        .set(appHeaders)
        .send({ secret: { __op: 'Increment', amount: 0 } });
      expect(bumped.status).to.equal(200);
      expect(bumped.body).to.not.have.property('secret');
      const viaData = await t.backend.data.update('Vault', id, { note: 'm' }, { user: ann.objectId });
      expect(viaData.get('note')).to.equal('m');
      expect(viaData.get('secret')).to.equal(undefined);
      expect((await t.backend.data.update('Vault', id, { note: 'o' }, { useMasterKey: true })).get('secret')).to.equal(
        42,
      );
      const writeOnly = (
        await t.http
          .post('/parse/classes/Vault')
          .set(masterHeaders)
          .send({ note: 'hidden', ACL: { '*': { write: true } } })
      ).body.objectId as string;
      const written = await t.backend.data.update('Vault', writeOnly, { secret: 1 });
      expect(written.get('note')).to.equal(undefined);
    });

    it('lets hooks see the object a caller may write but not read', async () => {
      let seen: unknown;
      register(
        t.backend.cloud.beforeSave('Dropbox', (request) => {
          seen = request.original?.get('note');
        }),
      );
      register(t.backend.cloud.beforeDelete('Dropbox', () => undefined));
      const id = (
        await t.http
          .post('/parse/classes/Dropbox')
          .set(masterHeaders)
          .send({ note: 'in', ACL: { '*': { write: true } } })
      ).body.objectId as string;
      expect((await t.http.put(`/parse/classes/Dropbox/${id}`).set(appHeaders).send({ note: 'more' })).status).to.equal(
        200,
      );
      expect(seen).to.equal('in');
      expect((await t.http.delete(`/parse/classes/Dropbox/${id}`).set(appHeaders)).status).to.equal(200);
    });

    it('refuses data API callers that are not objectIds or sessions', async () => {
      expect(await t.backend.data.find('Doc', {}, { user: 'role:Admin' }).catch((e: BackendError) => e.code)).to.equal(
        ErrorCode.INVALID_VALUE,
      );
      expect(await t.backend.data.find('Doc', {}, { user: '*' }).catch((e: BackendError) => e.code)).to.equal(
        ErrorCode.INVALID_VALUE,
      );
      expect(
        await t.backend.data.find('Doc', {}, { sessionToken: null as never }).catch((e: BackendError) => e.code),
      ).to.equal(ErrorCode.INVALID_SESSION_TOKEN);
    });

    it('counts rate limits for clients only, not for host code', async () => {
      register(
        t.backend.cloud.beforeSave('Comment', () => undefined, {
          rateLimit: { requestTimeWindow: 60_000, requestCount: 1 },
        }),
      );
      await t.http.post('/parse/classes/Comment').set(appHeaders).send({}).expect(201);
      expect((await t.http.post('/parse/classes/Comment').set(appHeaders).send({})).status).to.equal(429);
      expect((await t.backend.data.create('Comment', {})).id).to.be.a('string');
    });

    it('answers bad function input and results with Parse errors, never 500', async () => {
      register(t.backend.cloud.define('echo', (request) => request.params));
      register(t.backend.cloud.define('big', () => 10n));
      register(
        t.backend.cloud.define('coded', () => {
          throw Object.assign(new Error('E11000 duplicate key secret'), { code: 11000 });
        }),
      );
      expect(
        (
          await t.http
            .post('/parse/functions/echo')
            .set(appHeaders)
            .send({ d: { __type: 'Date', iso: 'garbage' } })
        ).body.code,
      ).to.equal(ErrorCode.INCORRECT_TYPE);
      expect((await t.http.post('/parse/functions/big').set(appHeaders).send({})).body.code).to.equal(141);
      expect((await t.http.post('/parse/functions/coded').set(appHeaders).send({})).body.code).to.equal(141);
      register(
        t.backend.cloud.beforeSave('Bigint', (request) => {
          request.object.set('n', 10n);
        }),
      );
      expect((await t.http.post('/parse/classes/Bigint').set(appHeaders).send({})).body.code).to.equal(141);
    });

    it('refuses jobs in a batch, and records a job that throws anything as failed', async () => {
      register(
        t.backend.cloud.job('odd', () => {
          throw Object.create(null);
        }),
      );
      const batch = await t.http
        .post('/parse/batch')
        .set(masterHeaders)
        .send({ requests: [{ method: 'POST', path: '/parse/jobs/odd', body: {} }] });
      expect(batch.body.code).to.equal(ErrorCode.INVALID_JSON);
      const id = (await t.http.post('/parse/jobs/odd').set(masterHeaders).send({})).headers[
        'x-parse-job-status-id'
      ] as string;
      let status: Json = {};
      for (let i = 0; i < 100 && status.status !== 'failed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        status = (await t.http.get(`/parse/classes/_JobStatus/${id}`).set(masterHeaders)).body;
      }
      expect(status).to.include({ status: 'failed', message: 'Script failed.' });
    });

    it('forgets cached roles when the data API deletes a role', async () => {
      const role = await t.backend.data.create(
        '_Role',
        {
          name: 'Temps',
          ACL: { '*': { read: true } },
          users: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: ann.objectId }] },
        },
        { useMasterKey: true },
      );
      const id = (
        await t.http
          .post('/parse/classes/Doc')
          .set(masterHeaders)
          .send({ title: 'temps', ACL: { 'role:Temps': { read: true } } })
      ).body.objectId as string;
      expect((await t.http.get(`/parse/classes/Doc/${id}`).set(asAnn())).status).to.equal(200);
      await t.backend.data.delete('_Role', role.id!, { useMasterKey: true });
      expect((await t.http.get(`/parse/classes/Doc/${id}`).set(asAnn())).status).to.equal(404);
    });
  });

  describe('registration', () => {
    it('refuses mistakes at once, as developer errors', () => {
      const { cloud } = t.backend;
      expect(() => cloud.define('bad name!', () => 1)).to.throw(BackendConfigError);
      expect(() => cloud.define('ok', 'not a function' as never)).to.throw(BackendConfigError);
      expect(() => cloud.job('', () => 1)).to.throw(BackendConfigError);
      expect(() => cloud.beforeSave('_Session', () => undefined)).to.throw(BackendConfigError, /_Session/);
      expect(() => cloud.beforeFind('Item', () => undefined, { requireUser: 'yes' } as never)).to.throw(
        BackendConfigError,
      );
      expect(() => cloud.define('x', () => 1, { unknownOption: true } as never)).to.throw(BackendConfigError);
    });

    it('unregisters a function', async () => {
      const off = t.backend.cloud.define('temporary', () => 1);
      expect((await t.http.post('/parse/functions/temporary').set(appHeaders).send({})).body).to.deep.equal({
        result: 1,
      });
      off();
      expect((await t.http.post('/parse/functions/temporary').set(appHeaders).send({})).body.code).to.equal(141);
    });
  });
});

describe('cloud code and the read-only master key', () => {
  it('tells hooks the caller reads as master but may not write', async () => {
    const t = await startTestBackend({ readOnlyMasterKey: 'read-only-key' });
    try {
      const seen: { master: boolean; isReadOnly: boolean }[] = [];
      t.backend.cloud.beforeFind('Doc', (request) => {
        seen.push({ master: request.master, isReadOnly: request.isReadOnly });
      });
      await t.http
        .get('/parse/classes/Doc')
        .set({ ...appHeaders, 'X-Parse-Master-Key': 'read-only-key' })
        .expect(200);
      await t.http.get('/parse/classes/Doc').set(masterHeaders).expect(200);
      expect(seen).to.deep.equal([
        { master: true, isReadOnly: true },
        { master: true, isReadOnly: false },
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('a closed backend', () => {
  it('does not reconnect for work that outlives it', async () => {
    const t = await startTestBackend();
    await t.backend.data.create('Note', { a: 1 }, { useMasterKey: true });
    await t.close();
    const code = await t.backend.data.find('Note', {}, { useMasterKey: true }).catch((e: BackendError) => e.code);
    expect(code).to.equal(ErrorCode.CONNECTION_FAILED);
  });
});

describe('cloud code registries are per backend', () => {
  it('keeps two backends in one process apart', async () => {
    const base = await startTestBackend();
    try {
      // Two databases on the test server: the test backend's, and a second one beside it.
      const one = createBackend({
        appId: 'one',
        masterKey: MASTER_KEY,
        databaseURI: base.databaseURI,
        allowClientClassCreation: true,
      });
      const second = new URL(base.databaseURI);
      second.pathname += '-two';
      const two = createBackend({
        appId: 'two',
        masterKey: MASTER_KEY,
        databaseURI: second.toString(),
        allowClientClassCreation: true,
      });
      one.cloud.define('name', () => 'one');
      two.cloud.define('name', () => 'two');
      one.cloud.beforeSave('Thing', (request) => {
        request.object.set('by', 'one');
      });
      const app = express();
      app.use('/one', one);
      app.use('/two', two);
      const http = request(app);
      expect(
        (await http.post('/one/functions/name').set({ 'X-Parse-Application-Id': 'one' }).send({})).body.result,
      ).to.equal('one');
      expect(
        (await http.post('/two/functions/name').set({ 'X-Parse-Application-Id': 'two' }).send({})).body.result,
      ).to.equal('two');
      expect(
        (await http.post('/one/classes/Thing').set({ 'X-Parse-Application-Id': 'one' }).send({})).body.by,
      ).to.equal('one');
      expect(
        (await http.post('/two/classes/Thing').set({ 'X-Parse-Application-Id': 'two' }).send({})).body,
      ).to.not.have.property('by');
      expect(await two.data.count('Thing', {}, { useMasterKey: true })).to.equal(1);
      await Promise.all([one.close(), two.close()]);
    } finally {
      await base.close();
    }
  });
});
