/**
 * The triggers parse-server has beyond object hooks, over HTTP with hooks on `backend.cloud`: the
 * config's beforeSave/afterSave, file triggers with validators and a file stored elsewhere, login
 * and delete triggers whose failures reach the client, afterSave changes in the response, find
 * hooks on included objects, a context replaced in beforeSave, and validator edge cases.
 */
import { expect } from 'chai';
import { BackendError, CONFIG, ErrorCode, FILE, type HookObject } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('cloud triggers beyond object hooks (HTTP)', () => {
  let t: TestBackend;
  let unregister: (() => void)[] = [];
  const register = (...offs: (() => void)[]): void => {
    unregister.push(...offs);
  };
  before(async () => {
    t = await startTestBackend({ fileUpload: { enableForPublic: true } });
  });
  afterEach(() => {
    for (const off of unregister) off();
    unregister = [];
  });
  after(() => t.close());

  const putConfig = (params: Record<string, unknown>, headers: Record<string, string> = masterHeaders) =>
    t.http.put('/parse/config').set(headers).send({ params });
  const config = async () =>
    (await t.http.get('/parse/config').set(masterHeaders)).body.params as Record<string, unknown>;
  const upload = (name: string, data: string, headers: Record<string, string> = appHeaders) =>
    t.http.post(`/parse/files/${name}`).set(headers).set('Content-Type', 'text/plain').send(data);

  describe('the config (Parse.Config)', () => {
    it('beforeSave sees the new and stored parameters, may change them, and refuses with its error', async () => {
      await putConfig({ seed: 1 }).expect(200);
      const seen: unknown[] = [];
      register(
        t.backend.cloud.beforeSave(CONFIG, (request) => {
          seen.push([request.object.get('seed'), request.object.get('price'), request.original?.get('price')]);
          if (request.object.get('price') < 0) throw new BackendError(ErrorCode.VALIDATION_ERROR, 'price below zero');
          request.object.set('checkedAt', 'now');
          request.object.unset('seed');
        }),
      );
      await putConfig({ price: 5 }).expect(200);
      expect(await config()).to.deep.equal({ price: 5, checkedAt: 'now' });
      expect((await putConfig({ price: -1 })).body).to.deep.equal({ code: 142, error: 'price below zero' });
      expect((await config()).price).to.equal(5);
      expect(seen).to.deep.equal([
        [1, 5, undefined],
        [undefined, -1, 5],
      ]);
    });

    it('afterSave sees the saved parameters and the original; its failure reaches the client', async () => {
      await putConfig({ a: { __op: 'Delete' }, b: { __op: 'Delete' } }).expect(200);
      const seen: unknown[] = [];
      register(
        t.backend.cloud.afterSave(CONFIG, (request) => {
          seen.push([request.object.get('a'), request.object.get('b'), request.original?.get('a')]);
          if (request.object.get('b') === 'fail') throw new BackendError(400, 'after failed');
        }),
      );
      await putConfig({ a: 1 }).expect(200);
      expect((await putConfig({ b: 'fail' })).body).to.deep.equal({ code: 400, error: 'after failed' });
      // the save happened all the same, as in parse-server
      expect((await config()).b).to.equal('fail');
      expect(seen[0]).to.deep.equal([1, undefined, undefined]);
      expect(seen[1]).to.deep.equal([1, 'fail', 1]);
    });

    it('a thrown nothing answers 141 "Script failed. Unknown error."; validators apply', async () => {
      register(
        t.backend.cloud.beforeSave(
          CONFIG,
          () => {
            throw null;
          },
          { skipWithMasterKey: true },
        ),
      );
      // the master key skips the handler
      await putConfig({ skipped: true }).expect(200);
      unregister.pop()!();
      register(
        t.backend.cloud.beforeSave(CONFIG, () => {
          throw null;
        }),
      );
      expect((await putConfig({ x: 1 })).body).to.deep.equal({ code: 141, error: 'Script failed. Unknown error.' });
    });

    it('refuses other triggers on the config, and changes a hook makes are checked like the request', async () => {
      expect(() => t.backend.cloud.beforeDelete(CONFIG as string, () => undefined)).to.throw(
        /only the beforeSave and afterSave triggers/,
      );
      register(
        t.backend.cloud.beforeSave(CONFIG, (request) => {
          request.object.set('$bad', 1);
        }),
      );
      expect((await putConfig({ ok: 1 })).body.code).to.equal(ErrorCode.INVALID_KEY_NAME);
    });
  });

  describe('file triggers', () => {
    it('take validators: requireUser refuses a public upload with 142, skipWithMasterKey skips', async () => {
      const ran: string[] = [];
      register(
        t.backend.cloud.beforeSave(FILE, (request) => void ran.push(request.file.name), {
          requireUser: true,
          skipWithMasterKey: true,
        }),
      );
      expect((await upload('v.txt', 'x')).body).to.deep.equal({
        code: 142,
        error: 'Validation failed. Please login to continue.',
      });
      expect((await upload('m.txt', 'x', masterHeaders)).status).to.equal(201);
      expect(ran).to.deep.equal([]);
    });

    it('a beforeSave that sets a url answers with a file stored elsewhere: nothing is stored', async () => {
      const sizes: unknown[] = [];
      register(
        t.backend.cloud.beforeSave(FILE, (request) => {
          request.file.name = 'elsewhere.txt';
          request.file.url = 'https://cdn.example.com/elsewhere.txt';
        }),
        t.backend.cloud.afterSave(FILE, (request) => void sizes.push([request.file.url, request.fileSize])),
      );
      const res = await upload('local.txt', 'abc');
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.equal({ name: 'elsewhere.txt', url: 'https://cdn.example.com/elsewhere.txt' });
      expect(sizes).to.deep.equal([['https://cdn.example.com/elsewhere.txt', null]]);
      expect((await t.http.get('/parse/files/test-app/elsewhere.txt')).status).to.equal(404);
    });

    it('beforeSave may change content type, metadata and tags; afterSave sees them and the new size', async () => {
      const seen: unknown[] = [];
      register(
        t.backend.cloud.beforeSave(FILE, (request) => {
          request.file.name = 'report';
          request.file.contentType = 'application/json';
          request.file.data = Buffer.from('{"a":1}');
          request.file.metadata = { owner: 'ann' };
          request.file.tags = { kind: 'report' };
        }),
        t.backend.cloud.afterSave(FILE, (request) => {
          seen.push([request.file.metadata, request.file.tags, request.fileSize, request.triggerName]);
        }),
      );
      const res = await upload('r.txt', 'abc');
      expect(res.body.name).to.match(/_report\.json$/);
      const meta = await t.http.get(`/parse/files/test-app/metadata/${res.body.name as string}`);
      expect(meta.body).to.deep.equal({ metadata: { owner: 'ann' } });
      expect(seen).to.deep.equal([[{ owner: 'ann' }, { kind: 'report' }, 7, 'afterSave']]);
    });

    it('a beforeSave that throws nothing answers 130; afterSave and afterDelete failures reach the client', async () => {
      register(
        t.backend.cloud.beforeSave(FILE, (request) => {
          if (request.file.name === 'null.txt') throw null;
        }),
        t.backend.cloud.afterSave(FILE, (request) => {
          if (request.file.name.endsWith('after.txt')) throw new Error('afterSave failed');
        }),
        t.backend.cloud.afterDelete(FILE, () => {
          throw new BackendError(ErrorCode.SCRIPT_FAILED, 'afterDelete failed');
        }),
      );
      expect((await upload('null.txt', 'x')).body).to.deep.equal({
        code: 130,
        error: 'Could not store file: null.txt.',
      });
      const after = await upload('after.txt', 'x');
      expect(after.body).to.deep.equal({ code: 130, error: 'afterSave failed' });
      const stored = await upload('kept.txt', 'x');
      const removed = await t.http.delete(`/parse/files/${stored.body.name as string}`).set(masterHeaders);
      expect(removed.body).to.deep.equal({ code: 141, error: 'afterDelete failed' });
      expect((await t.http.get(`/parse/files/test-app/${stored.body.name as string}`)).status).to.equal(404);
    });

    it('delete triggers get the file with its url and no size', async () => {
      const seen: unknown[] = [];
      register(t.backend.cloud.beforeDelete(FILE, (request) => void seen.push([request.file.url, request.fileSize])));
      const stored = await upload('d.txt', 'x');
      await t.http
        .delete(`/parse/files/${stored.body.name as string}`)
        .set(masterHeaders)
        .expect(200);
      expect(seen).to.deep.equal([[stored.body.url, null]]);
    });
  });

  describe('validators', () => {
    it('an error thrown with a code and no message is sent without one', async () => {
      register(
        t.backend.cloud.define(
          'quiet',
          () => 'ran',
          () => {
            throw new BackendError(ErrorCode.SCRIPT_FAILED, '');
          },
        ),
      );
      const res = await t.http.post('/parse/functions/quiet').set(appHeaders).send({});
      expect(res.body).to.deep.equal({ code: 141 });
    });

    it('validateMasterKey checks the master key too, then skipWithMasterKey skips the handler', async () => {
      const ran: string[] = [];
      register(
        t.backend.cloud.beforeSave('Checked', () => void ran.push('handler'), {
          fields: ['title'],
          validateMasterKey: true,
          skipWithMasterKey: true,
        }),
      );
      const missing = await t.http.post('/parse/classes/Checked').set(masterHeaders).send({ n: 1 });
      expect(missing.body).to.deep.equal({ code: 142, error: 'Validation failed. Please specify data for title.' });
      await t.http.post('/parse/classes/Checked').set(masterHeaders).send({ title: 't' }).expect(201);
      expect(ran).to.deep.equal([]);
      await t.http.post('/parse/classes/Checked').set(appHeaders).send({ title: 't' }).expect(201);
      expect(ran).to.deep.equal(['handler']);
    });

    it("an afterDelete validator's refusal reaches the client (the object is gone)", async () => {
      register(t.backend.cloud.afterDelete('Guarded', () => undefined, { requireMaster: true }));
      const { objectId } = (await t.http.post('/parse/classes/Guarded').set(appHeaders).send({})).body as {
        objectId: string;
      };
      const res = await t.http.delete(`/parse/classes/Guarded/${objectId}`).set(appHeaders);
      expect(res.body.code).to.equal(142);
      expect((await t.http.get(`/parse/classes/Guarded/${objectId}`).set(masterHeaders)).status).to.equal(404);
    });
  });

  describe('login triggers', () => {
    it("afterLogin gets the user with the new session; its failure and afterLogout's reach the client", async () => {
      const seen: unknown[] = [];
      register(
        t.backend.cloud.beforeLogin((request) => void seen.push(['before', request.user])),
        t.backend.cloud.afterLogin((request) => {
          seen.push(['after', request.user === request.object, request.user?.getSessionToken()?.startsWith('r:')]);
          if (request.object.get('username') === 'refused') throw new BackendError(2000, 'afterLogin error');
        }),
        t.backend.cloud.afterLogout(() => {
          throw new BackendError(2001, 'afterLogout error');
        }),
      );
      await t.http.post('/parse/users').set(appHeaders).send({ username: 'welcome', password: 'pw-12345' }).expect(201);
      await t.http.post('/parse/users').set(appHeaders).send({ username: 'refused', password: 'pw-12345' }).expect(201);
      const ok = await t.http.post('/parse/login').set(appHeaders).send({ username: 'welcome', password: 'pw-12345' });
      expect(ok.status).to.equal(200);
      const refused = await t.http
        .post('/parse/login')
        .set(appHeaders)
        .send({ username: 'refused', password: 'pw-12345' });
      expect(refused.body).to.deep.equal({ code: 2000, error: 'afterLogin error' });
      expect(seen).to.deep.equal([
        ['before', undefined],
        ['after', true, true],
        ['before', undefined],
        ['after', true, true],
      ]);
      const out = await t.http
        .post('/parse/logout')
        .set({ ...appHeaders, 'X-Parse-Session-Token': ok.body.sessionToken as string });
      expect(out.body).to.deep.equal({ code: 2001, error: 'afterLogout error' });
      // the session ended all the same
      const me = await t.http
        .get('/parse/users/me')
        .set({ ...appHeaders, 'X-Parse-Session-Token': ok.body.sessionToken as string });
      expect(me.body.code).to.equal(209);
    });
  });

  describe('afterSave and the response', () => {
    it("shows afterSave's changes in the response without storing them", async () => {
      register(
        t.backend.cloud.beforeSave('Shown', (request) => {
          request.object.set('secret', 'hidden');
        }),
        t.backend.cloud.afterSave('Shown', (request) => {
          request.object.unset('secret');
          request.object.set('note', 'only in the response');
          request.object.set('pointer', { __type: 'Pointer', className: 'Other', objectId: 'x1' });
        }),
      );
      const created = await t.http.post('/parse/classes/Shown').set(appHeaders).send({ n: 1 });
      expect(created.body).to.include({ note: 'only in the response' });
      expect(created.body.secret).to.deep.equal({ __op: 'Delete' });
      expect(created.body).not.to.have.property('pointer');
      const stored = await t.http.get(`/parse/classes/Shown/${created.body.objectId as string}`).set(appHeaders);
      expect(stored.body.secret).to.equal('hidden');
      expect(stored.body).not.to.have.property('note');
      const updated = await t.http
        .put(`/parse/classes/Shown/${created.body.objectId as string}`)
        .set(appHeaders)
        .send({ n: 2 });
      expect(updated.body).to.include({ note: 'only in the response' });
    });

    it('a failing afterSave leaves the response as it was', async () => {
      register(
        t.backend.cloud.afterSave('Unshown', (request) => {
          request.object.set('note', 'never shown');
          throw new Error('afterSave failed');
        }),
      );
      const created = await t.http.post('/parse/classes/Unshown').set(appHeaders).send({ n: 1 });
      expect(created.status).to.equal(201);
      expect(Object.keys(created.body as object).sort()).to.deep.equal(['createdAt', 'objectId']);
    });

    it('a context replaced in beforeSave reaches afterSave', async () => {
      const seen: unknown[] = [];
      register(
        t.backend.cloud.beforeSave('Contextual', (request) => {
          request.context = { replaced: true };
        }),
        t.backend.cloud.afterSave('Contextual', (request) => void seen.push(request.context)),
      );
      await t.http.post('/parse/classes/Contextual').set(appHeaders).send({}).expect(201);
      expect(seen).to.deep.equal([{ replaced: true }]);
    });
  });

  describe('read preferences', () => {
    it('reach the find hooks as the client sent them (query, includes, sub-queries); a bad one is 102', async () => {
      const seen: unknown[] = [];
      register(t.backend.cloud.beforeFind('Pref', (request) => void seen.push(request.query.toJSON())));
      await t.http.post('/parse/classes/Pref').set(appHeaders).send({}).expect(201);
      await t.http
        .get('/parse/classes/Pref')
        .set(appHeaders)
        .query({
          readPreference: 'primary',
          includeReadPreference: 'SECONDARY',
          subqueryReadPreference: 'secondary_preferred',
        })
        .expect(200);
      expect(seen[0]).to.include({
        readPreference: 'PRIMARY',
        includeReadPreference: 'SECONDARY',
        subqueryReadPreference: 'SECONDARY_PREFERRED',
      });
      const bad = await t.http.get('/parse/classes/Pref').set(appHeaders).query({ includeReadPreference: 'SOMETIMES' });
      expect(bad.body).to.deep.equal({ code: 102, error: 'Invalid read preference: SOMETIMES' });
    });
  });

  describe('find hooks on included objects', () => {
    it('run beforeFind (a get for one id, with the context) and afterFind of the included class', async () => {
      const authors = await Promise.all(
        ['ann', 'bob'].map(
          async (name) =>
            (
              await t.http
                .post('/parse/classes/Author')
                .set(appHeaders)
                .send({ name, banned: name === 'bob' })
            ).body.objectId as string,
        ),
      );
      const pointer = (objectId: string) => ({ __type: 'Pointer', className: 'Author', objectId });
      await t.http
        .post('/parse/classes/Book')
        .set(appHeaders)
        .send({ title: 'one', author: pointer(authors[0]!), coauthors: authors.map(pointer) });
      const seen: unknown[] = [];
      register(
        t.backend.cloud.beforeFind('Author', (request) => {
          seen.push([request.isGet, request.context.from]);
          request.query.notEqualTo('banned', true);
        }),
        t.backend.cloud.afterFind('Author', (request) =>
          request.objects.map((object: HookObject) => object.set('seen', true)),
        ),
      );
      const plain = await t.http.get('/parse/classes/Book').set(appHeaders);
      expect(plain.body.results[0].author).to.deep.equal(pointer(authors[0]!));
      expect(seen).to.deep.equal([]);
      const res = await t.http
        .get('/parse/classes/Book')
        .set({ ...appHeaders, 'X-Parse-Cloud-Context': JSON.stringify({ from: 'client' }) })
        .query({ include: 'author,coauthors' });
      const [book] = res.body.results as Record<string, Record<string, unknown>>[];
      expect(book!.author).to.include({ name: 'ann', seen: true });
      // the banned author is left out, as an object the caller may not see
      expect((book!.coauthors as unknown as Record<string, unknown>[]).map((a) => a.name)).to.deep.equal(['ann']);
      expect(seen).to.deep.equal([
        [true, 'client'],
        [false, 'client'],
      ]);
    });
  });
});
