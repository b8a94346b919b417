import { expect } from 'chai';
import { BackendConfigError, createBackend } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('REST /classes', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
  });
  after(() => t.close());

  const post = (className: string, body: unknown) =>
    t.http
      .post(`/parse/classes/${className}`)
      .set(appHeaders)
      .send(body as object);

  describe('create', () => {
    it('answers 201 with Location, a 10-character objectId and createdAt', async () => {
      const res = await post('GameScore', { score: 1337, playerName: 'Sean Plott', cheatMode: false });
      expect(res.status).to.equal(201);
      expect(res.body.objectId).to.match(/^[A-Za-z0-9]{10}$/);
      expect(new Date(res.body.createdAt).toISOString()).to.equal(res.body.createdAt);
      expect(res.headers.location).to.equal(`${t.serverURL}/classes/GameScore/${res.body.objectId}`);
      expect(Object.keys(res.body).sort()).to.deep.equal(['createdAt', 'objectId']);
    });

    it('stores and returns every Parse type', async () => {
      const body = {
        text: 'hi',
        number: 2.5,
        flag: true,
        when: { __type: 'Date', iso: '2022-01-01T12:23:45.678Z' },
        owner: { __type: 'Pointer', className: 'Player', objectId: 'abcdefghij' },
        place: { __type: 'GeoPoint', latitude: 40, longitude: -30 },
        area: {
          __type: 'Polygon',
          coordinates: [
            [0, 0],
            [0, 1],
            [1, 1],
          ],
        },
        picture: { __type: 'File', name: 'abc_pic.png' },
        raw: { __type: 'Bytes', base64: 'AQID' },
        nested: {
          a: [1, { b: { __type: 'Date', iso: '2020-02-02T00:00:00.000Z' } }],
          p: { __type: 'Pointer', className: 'Player', objectId: 'x1' },
        },
        list: [1, 'two', { three: 3 }],
      };
      const created = await post('Everything', body);
      expect(created.status).to.equal(201);
      const res = await t.http.get(`/parse/classes/Everything/${created.body.objectId}`).set(appHeaders);
      expect(res.status).to.equal(200);
      const { objectId, createdAt, updatedAt, picture, area, ...rest } = res.body;
      expect(objectId).to.equal(created.body.objectId);
      expect(createdAt).to.equal(created.body.createdAt);
      expect(updatedAt).to.equal(createdAt);
      expect(picture).to.deep.equal({
        __type: 'File',
        name: 'abc_pic.png',
        url: `${t.serverURL}/files/test-app/abc_pic.png`,
      });
      // Parse Server closes polygon rings when storing them.
      expect(area).to.deep.equal({
        __type: 'Polygon',
        coordinates: [
          [0, 0],
          [0, 1],
          [1, 1],
          [0, 0],
        ],
      });
      const { picture: _p, area: _a, ...expected } = body;
      expect(rest).to.deep.equal(expected);
    });

    it('resolves operations on create', async () => {
      const res = await post('Ops', {
        n: { __op: 'Increment', amount: 3 },
        tags: { __op: 'AddUnique', objects: ['a', 'a', 'b'] },
        gone: { __op: 'Delete' },
      });
      expect(res.status).to.equal(201);
      expect(res.body.n).to.equal(3);
      expect(res.body.tags).to.deep.equal(['a', 'b']);
      const got = await t.http.get(`/parse/classes/Ops/${res.body.objectId}`).set(appHeaders);
      expect(got.body.n).to.equal(3);
      expect('gone' in got.body).to.equal(false);
    });

    it('refuses an objectId from the client unless allowed', async () => {
      const res = await post('GameScore', { objectId: 'mine123456', score: 1 });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal(105);
    });
  });

  describe('update', () => {
    it('applies every operation atomically and returns the resulting values', async () => {
      const { body: created } = await post('Counter', { n: 1, tags: ['a'], keep: 'x', drop: 'y' });
      const res = await t.http
        .put(`/parse/classes/Counter/${created.objectId}`)
        .set(appHeaders)
        .send({
          n: { __op: 'Increment', amount: 5 },
          tags: { __op: 'Add', objects: ['b', 'b'] },
          drop: { __op: 'Delete' },
        });
      expect(res.status).to.equal(200);
      expect(res.body.n).to.equal(6);
      expect(res.body.tags).to.deep.equal(['a', 'b', 'b']);
      expect(new Date(res.body.updatedAt).getTime()).to.be.at.least(new Date(created.createdAt).getTime());
      const unique = await t.http
        .put(`/parse/classes/Counter/${created.objectId}`)
        .set(appHeaders)
        .send({ tags: { __op: 'AddUnique', objects: ['a', 'c'] } });
      expect(unique.body.tags).to.deep.equal(['a', 'b', 'b', 'c']);
      const removed = await t.http
        .put(`/parse/classes/Counter/${created.objectId}`)
        .set(appHeaders)
        .send({ tags: { __op: 'Remove', objects: ['b'] } });
      expect(removed.body.tags).to.deep.equal(['a', 'c']);
      const got = await t.http.get(`/parse/classes/Counter/${created.objectId}`).set(appHeaders);
      expect(got.body).to.include({ n: 6, keep: 'x' });
      expect('drop' in got.body).to.equal(false);
    });

    it('increments concurrently without losing updates', async () => {
      const { body: created } = await post('Counter', { n: 0 });
      await Promise.all(
        Array.from({ length: 25 }, () =>
          t.http
            .put(`/parse/classes/Counter/${created.objectId}`)
            .set(appHeaders)
            .send({ n: { __op: 'Increment', amount: 1 } }),
        ),
      );
      const got = await t.http.get(`/parse/classes/Counter/${created.objectId}`).set(appHeaders);
      expect(got.body.n).to.equal(25);
    });

    it('answers 404/101 for a missing object', async () => {
      const res = await t.http.put('/parse/classes/Counter/doesnotexi').set(appHeaders).send({ n: 1 });
      expect(res.status).to.equal(404);
      expect(res.body).to.deep.equal({ code: 101, error: 'Object not found.' });
    });

    it('sets a nested key of an Object field', async () => {
      const { body: created } = await post('Profile', { data: { a: 1, b: 2 } });
      await t.http
        .put(`/parse/classes/Profile/${created.objectId}`)
        .set(appHeaders)
        .send({ 'data.a': 10, 'data.c': { __op: 'Increment', amount: 2 } })
        .expect(200);
      const got = await t.http.get(`/parse/classes/Profile/${created.objectId}`).set(appHeaders);
      expect(got.body.data).to.deep.equal({ a: 10, b: 2, c: 2 });
    });
  });

  describe('delete', () => {
    it('deletes and answers {}', async () => {
      const { body: created } = await post('Temp', { a: 1 });
      const res = await t.http.delete(`/parse/classes/Temp/${created.objectId}`).set(appHeaders);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({});
      const again = await t.http.delete(`/parse/classes/Temp/${created.objectId}`).set(appHeaders);
      expect(again.status).to.equal(404);
      expect(again.body.code).to.equal(101);
    });
  });

  describe('find', () => {
    before(async () => {
      for (let i = 0; i < 5; i++) await post('Item', { i, even: i % 2 === 0, name: `item${i}` });
    });

    it('filters, orders, limits, skips, counts and selects keys', async () => {
      const where = JSON.stringify({ i: { $gte: 1 } });
      const res = await t.http
        .get('/parse/classes/Item')
        .query({ where, order: '-i', limit: 2, skip: 1, count: 1, keys: 'i' })
        .set(appHeaders);
      expect(res.status).to.equal(200);
      expect(res.body.count).to.equal(4);
      expect(res.body.results.map((r: { i: number }) => r.i)).to.deep.equal([3, 2]);
      expect(res.body.results[0]).to.not.have.property('name');
      expect(res.body.results[0]).to.have.property('objectId');
    });

    it('answers count only with limit=0', async () => {
      const res = await t.http
        .get('/parse/classes/Item')
        .query({ count: 1, limit: 0, where: JSON.stringify({ even: true }) })
        .set(appHeaders);
      expect(res.body).to.deep.equal({ results: [], count: 3 });
    });

    it('answers an empty list for a class that does not exist', async () => {
      const res = await t.http.get('/parse/classes/NoSuchClass').set(appHeaders);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ results: [] });
    });

    it('refuses unknown parameters with 102', async () => {
      const res = await t.http.get('/parse/classes/Item').query({ bogus: 1 }).set(appHeaders);
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal(102);
    });

    it('refuses unknown operators, internal fields and bad regexes', async () => {
      const cases: [unknown, number][] = [
        [{ i: { $where: 'sleep(100)' } }, 107],
        [{ $where: 'true' }, 105],
        [{ ACL: { $exists: true } }, 102],
        [{ _rperm: { $in: ['*'] } }, 105],
        [{ _hashed_password: { $exists: true } }, 105],
        [{ name: { $regex: '(' } }, 102],
        [{ name: { $in: 'notarray' } }, 107],
      ];
      for (const [where, code] of cases) {
        const res = await t.http
          .get('/parse/classes/Item')
          .query({ where: JSON.stringify(where) })
          .set(appHeaders);
        expect(res.status, JSON.stringify(where)).to.equal(400);
        expect(res.body.code, JSON.stringify(where)).to.equal(code);
      }
    });

    it('accepts the JS SDK form: POST text/plain with _method GET and keys in the body', async () => {
      const res = await t.http
        .post('/parse/classes/Item')
        .set('Content-Type', 'text/plain')
        .send(
          JSON.stringify({
            _method: 'GET',
            _ApplicationId: 'test-app',
            _ClientVersion: 'js8.0.0',
            where: { i: 2 },
          }),
        );
      expect(res.status).to.equal(200);
      expect(res.body.results.map((r: { i: number }) => r.i)).to.deep.equal([2]);
    });

    it('includes pointed-to objects', async () => {
      const { body: author } = await post('Author', { name: 'Ann' });
      await post('Book', { title: 'T', author: { __type: 'Pointer', className: 'Author', objectId: author.objectId } });
      const res = await t.http.get('/parse/classes/Book').query({ include: 'author' }).set(appHeaders);
      expect(res.body.results[0].author).to.include({
        __type: 'Object',
        className: 'Author',
        objectId: author.objectId,
        name: 'Ann',
      });
    });
  });

  describe('bad input', () => {
    const cases: [string, string, unknown, number, number][] = [
      ['a bad class name', '9Bad', { a: 1 }, 400, 103],
      ['a bad field name', 'Good', { '1bad': 1 }, 400, 105],
      ['a $ field name', 'Good', { $set: 1 }, 400, 105],
      ['an underscore field name', 'Good', { _hashed_password: 'x' }, 400, 105],
      ['__proto__ anywhere', 'Good', JSON.parse('{"a": {"b": {"__proto__": {"polluted": true}}}}'), 400, 105],
      ['constructor anywhere', 'Good', { a: [{ constructor: { prototype: 1 } }] }, 400, 105],
      ['a BSON type marker', 'Good', { a: { _bsontype: 'Code', code: 'x' } }, 400, 105],
      ['a $ key nested in an object', 'Good', { a: { $gt: 1 } }, 400, 121],
      ['a dotted key nested in an object', 'Good', { a: { 'b.c': 1 } }, 400, 121],
      ['an unknown operator', 'Good', { a: { __op: 'Explode' } }, 400, 108],
      ['an Increment without a number', 'Good', { a: { __op: 'Increment', amount: 'x' } }, 400, 107],
      ['an unknown __type', 'Good', { a: { __type: 'Weird' } }, 400, 111],
      ['an invalid date', 'Good', { a: { __type: 'Date', iso: 'yesterday' } }, 400, 107],
      ['an out-of-range GeoPoint', 'Good', { a: { __type: 'GeoPoint', latitude: 100, longitude: 0 } }, 400, 107],
      ['a malformed ACL', 'Good', { ACL: { '*': { read: 'yes' } } }, 400, 123],
      ['an ACL with an unknown permission', 'Good', { ACL: { '*': { delete: true } } }, 400, 123],
      ['an ACL principal with a dot', 'Good', { ACL: { 'a.b': { read: true } } }, 400, 123],
      ['an ACL principal with a $', 'Good', { ACL: { $where: { read: true } } }, 400, 123],
      ['an empty ACL principal', 'Good', { ACL: { '': { read: true } } }, 400, 123],
      ['a write to a system class', '_GlobalConfig', { a: 1 }, 400, 119],
      ['a write to a join table', '_Join:users:_Role', { a: 1 }, 400, 119],
      ['an array body', 'Good', [1, 2], 400, 107],
    ];
    for (const [name, className, body, status, code] of cases) {
      it(`refuses ${name} with ${code}`, async () => {
        const res = await post(className, body);
        expect(res.status).to.equal(status);
        expect(res.body.code).to.equal(code);
        expect(res.body.error).to.be.a('string');
      });
    }

    it('keeps ACL principals of any other form, as custom user ids may have them (parse-server stores any)', async () => {
      const acl = {
        'symbols:id@allowed=': { read: true, write: true },
        '1': { read: true },
        'with-dash_and space': { write: true },
      };
      const created = await post('AnyPrincipal', { ACL: acl }).expect(201);
      const read = await t.http.get(`/parse/classes/AnyPrincipal/${created.body.objectId}`).set(masterHeaders);
      expect(read.body.ACL).to.deep.equal(acl);
    });

    it('refuses a value of the wrong type for an existing field with 111', async () => {
      await post('Typed', { n: 1 }).expect(201);
      const res = await post('Typed', { n: 'one' });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal(111);
    });

    it('refuses malformed JSON with 107, never a 500', async () => {
      const res = await t.http
        .post('/parse/classes/Good')
        .set(appHeaders)
        .set('Content-Type', 'application/json')
        .send('{"a": ');
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal(107);
    });

    it('refuses a body over maxRequestSize', async () => {
      const small = await startTestBackend({ maxRequestSize: 1024 });
      try {
        const res = await small.http
          .post('/parse/classes/Big')
          .set(appHeaders)
          .send({ blob: 'x'.repeat(5000) });
        expect(res.status).to.equal(413);
        expect(res.body.code).to.equal(116);
      } finally {
        await small.close();
      }
    });

    it('leaves nothing half-written after a refused write', async () => {
      await post('Atomic', { n: 1, s: 'a' }).expect(201);
      await post('Atomic', { n: 2, s: 5 }).expect(400);
      const res = await t.http.get('/parse/classes/Atomic').set(appHeaders);
      expect(res.body.results).to.have.length(1);
    });
  });

  describe('keys and permissions', () => {
    it('refuses a request without or with a wrong application id', async () => {
      const none = await t.http.get('/parse/classes/Item');
      expect(none.status).to.equal(403);
      expect(none.body).to.deep.equal({ error: 'unauthorized' });
      const wrong = await t.http.get('/parse/classes/Item').set('X-Parse-Application-Id', 'other');
      expect(wrong.status).to.equal(403);
    });

    it('refuses a wrong master key', async () => {
      const res = await t.http.get('/parse/classes/Item').set({ ...appHeaders, 'X-Parse-Master-Key': 'nope' });
      expect(res.status).to.equal(403);
    });

    it('accepts the master key in the JS SDK body form by default, as Parse Server does', async () => {
      await t.http.post('/parse/classes/BodyKey').set(masterHeaders).send({ ACL: {}, hidden: true }).expect(201);
      const form = (extra: Record<string, unknown>) =>
        t.http
          .post('/parse/classes/BodyKey')
          .set('Content-Type', 'text/plain')
          .send(JSON.stringify({ _method: 'GET', _ApplicationId: 'test-app', ...extra }));
      const asMaster = await form({ _MasterKey: 'test-master-key' });
      expect(asMaster.status).to.equal(200);
      expect(asMaster.body.results).to.have.length(1);
      const anonymous = await form({});
      expect(anonymous.body.results).to.have.length(0);
      const wrongKey = await form({ _MasterKey: 'nope' });
      expect(wrongKey.status).to.equal(403);
    });

    it('checks a body-sent master key against masterKeyIps too', async () => {
      const remoteOnly = await startTestBackend({ masterKeyIps: ['10.0.0.0/8'] });
      try {
        const res = await remoteOnly.http
          .post('/parse/serverInfo')
          .set('Content-Type', 'text/plain')
          .send(JSON.stringify({ _method: 'GET', _ApplicationId: 'test-app', _MasterKey: 'test-master-key' }));
        expect(res.status).to.equal(403);
      } finally {
        await remoteOnly.close();
      }
    });

    it('refuses the master key in the body form when allowMasterKeyInBody is false', async () => {
      const strict = await startTestBackend({ allowMasterKeyInBody: false });
      try {
        const res = await strict.http
          .post('/parse/serverInfo')
          .set('Content-Type', 'text/plain')
          .send(JSON.stringify({ _method: 'GET', _ApplicationId: 'test-app', _MasterKey: 'test-master-key' }));
        expect(res.status).to.equal(403);
        expect(res.body.error).to.equal('unauthorized: master key is required');
      } finally {
        await strict.close();
      }
    });

    it('refuses the master key from an address outside masterKeyIps', async () => {
      const remoteOnly = await startTestBackend({ masterKeyIps: ['10.0.0.0/8'] });
      try {
        const res = await remoteOnly.http.get('/parse/serverInfo').set(masterHeaders);
        expect(res.status).to.equal(403);
      } finally {
        await remoteOnly.close();
      }
    });

    it('requires a matching client key when one is configured', async () => {
      const keyed = await startTestBackend({ restAPIKey: 'rest-secret', javascriptKey: 'js-secret' });
      try {
        expect((await keyed.http.get('/parse/classes/A').set(appHeaders)).status).to.equal(403);
        expect(
          (await keyed.http.get('/parse/classes/A').set({ ...appHeaders, 'X-Parse-REST-API-Key': 'wrong' })).status,
        ).to.equal(403);
        expect(
          (await keyed.http.get('/parse/classes/A').set({ ...appHeaders, 'X-Parse-REST-API-Key': 'js-secret' })).status,
        ).to.equal(403);
        expect(
          (await keyed.http.get('/parse/classes/A').set({ ...appHeaders, 'X-Parse-REST-API-Key': 'rest-secret' }))
            .status,
        ).to.equal(200);
        expect((await keyed.http.get('/parse/classes/A').set(masterHeaders)).status).to.equal(200);
      } finally {
        await keyed.close();
      }
    });

    it('hides objects the ACL does not let the public read, and refuses their update', async () => {
      const { body: created } = await post('Secret', { s: 1, ACL: { someUserId: { read: true, write: true } } });
      expect((await t.http.get(`/parse/classes/Secret/${created.objectId}`).set(appHeaders)).status).to.equal(404);
      expect((await t.http.get('/parse/classes/Secret').set(appHeaders)).body.results).to.deep.equal([]);
      expect(
        (await t.http.put(`/parse/classes/Secret/${created.objectId}`).set(appHeaders).send({ s: 2 })).status,
      ).to.equal(404);
      expect((await t.http.delete(`/parse/classes/Secret/${created.objectId}`).set(appHeaders)).status).to.equal(404);
      const master = await t.http.get(`/parse/classes/Secret/${created.objectId}`).set(masterHeaders);
      expect(master.body.ACL).to.deep.equal({ someUserId: { read: true, write: true } });
    });

    it('keeps system classes to their own rules through /classes', async () => {
      // Clients may register installations (installations.test.ts), each naming its device.
      const installation = await post('_Installation', { a: 1 });
      expect(installation.status).to.equal(400);
      expect(installation.body.code).to.equal(135);
      expect((await post('_PushStatus', { a: 1 })).body.code).to.equal(119);
      // Clients may write roles (roles.test.ts), each with a valid name.
      expect((await post('_Role', { a: 1 })).body.code).to.equal(139);
      // /classes/_User is the sign-up route, with its checks.
      expect((await post('_User', { a: 1 })).body.code).to.equal(200);
      // /classes/_Session opens a session for the caller (session-writes.test.ts): none without one,
      // and a token is never taken from the body, not even from the master key.
      expect((await post('_Session', { a: 1 })).body.code).to.equal(209);
      const forged = await t.http.post('/parse/classes/_Session').set(masterHeaders).send({ sessionToken: 'r:forged' });
      expect(forged.body.code).to.equal(209);
      // Sessions are listed for their owner only: without a session, there is nothing to list.
      const sessions = await t.http.get('/parse/classes/_Session').set(appHeaders);
      expect(sessions.body.code).to.equal(209);
      expect((await t.http.get('/parse/classes/_Session').set(masterHeaders)).status).to.equal(200);
    });

    it('answers 209 for an unknown session token', async () => {
      const res = await t.http.get('/parse/classes/Item').set({ ...appHeaders, 'X-Parse-Session-Token': 'r:unknown' });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal(209);
    });

    it('does not let clients create classes unless allowed', async () => {
      const closed = await startTestBackend({ allowClientClassCreation: false });
      try {
        const res = await closed.http.post('/parse/classes/NewClass').set(appHeaders).send({ a: 1 });
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal(119);
        expect((await closed.http.post('/parse/classes/NewClass').set(masterHeaders).send({ a: 1 })).status).to.equal(
          201,
        );
        expect((await closed.http.post('/parse/classes/NewClass').set(appHeaders).send({ a: 2 })).status).to.equal(201);
      } finally {
        await closed.close();
      }
    });
  });

  describe('CORS', () => {
    it('answers a preflight with the Parse headers allowed', async () => {
      const res = await t.http
        .options('/parse/classes/Item')
        .set('Origin', 'http://elsewhere.test')
        .set('Access-Control-Request-Method', 'POST');
      expect(res.status).to.equal(200);
      expect(res.headers['access-control-allow-origin']).to.equal('*');
      expect(res.headers['access-control-allow-headers']).to.include('X-Parse-Session-Token');
      expect(res.headers['access-control-allow-methods']).to.include('DELETE');
      expect(res.headers['access-control-max-age']).to.equal('86400');
    });

    it('answers listed origins with their own origin, and others with none', async () => {
      const listed = await startTestBackend({ allowOrigin: ['https://app.example.com', 'http://localhost:5173'] });
      try {
        const from = (origin: string) => listed.http.get('/parse/classes/Item').set(appHeaders).set('Origin', origin);
        const ok = await from('http://localhost:5173');
        expect(ok.headers['access-control-allow-origin']).to.equal('http://localhost:5173');
        expect(ok.headers.vary).to.include('Origin');
        expect((await from('https://evil.example.com')).headers).to.not.have.property('access-control-allow-origin');
      } finally {
        await listed.close();
      }
      expect(() =>
        createBackend({ appId: 'x', masterKey: 'y', databaseURI: t.databaseURI, allowOrigin: ['not an origin'] }),
      ).to.throw(BackendConfigError, /allowOrigin/);
    });
  });
});
