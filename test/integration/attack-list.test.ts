/**
 * The attack list of the permissions model (docs/permissions.md): permission bypass attempts a
 * logged-in client might make, gathered in one place. Each must fail cleanly — with the Parse error
 * code pinned here, or with the data simply not revealed — and never answer 500, leak what it
 * aimed at, or write what it tried to write (writes are checked with the master key or directly in
 * the database).
 *
 * Some cases overlap the area tests (permissions, class-level-permissions, roles, batch); they are
 * repeated briefly so that this list stays readable on its own.
 */
import { expect } from 'chai';
import type { Db } from 'mongodb';
import type { Response } from 'supertest';
import { BackendConfigError, createBackend } from 'plinth';
import { startMemoryMongo, type MemoryMongo } from 'plinth/testing';
import { usingExternalMongo } from '../support/mongo.js';
import { APP_ID, appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

interface User {
  objectId: string;
  sessionToken: string;
}
type Params = Record<string, unknown>;
type Headers = Record<string, string>;

const pointer = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
const as = (user: User): Headers => ({ ...appHeaders, 'X-Parse-Session-Token': user.sessionToken });
const withToken = (sessionToken: string): Headers => ({ ...appHeaders, 'X-Parse-Session-Token': sessionToken });
const READ_ONLY_KEY = 'test-read-only-key';
const readOnly: Headers = { ...appHeaders, 'X-Parse-Master-Key': READ_ONLY_KEY };

/** A refusal with `code`: the HTTP status Parse gives it, and nothing but the error in the body. */
function expectRefused(res: Response, code: number, label = ''): void {
  expect(res.status, `${label} ${JSON.stringify(res.body)}`).to.equal(code === 101 ? 404 : 400);
  expect(res.body.code, `${label} ${JSON.stringify(res.body)}`).to.equal(code);
  expect(res.body, label).to.not.have.any.keys('results', 'count', 'objectId');
}

/** A response that does not contain any of `secrets`, anywhere. */
function expectNoLeak(res: Response, ...secrets: string[]): void {
  expect(res.status).to.be.below(500);
  const text = JSON.stringify(res.body);
  for (const secret of secrets) expect(text, `leaks ${secret}`).to.not.include(secret);
}

describe('attack list: permission bypass attempts fail cleanly', () => {
  let t: TestBackend;
  let db: Db;
  let ann: User;
  let bob: User;
  /** bob's Doc readable and writable by bob only. */
  let bobDoc: string;

  const BOB_EMAIL = 'bob@example.com';
  const BOB_SECRET = 'bob-private-title';

  const signUp = async (server: TestBackend, username: string): Promise<User> =>
    (
      await server.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username, password: `pw-${username}`, email: `${username}@example.com` })
        .expect(201)
    ).body;
  const create = async (className: string, body: Params, headers: Headers): Promise<string> =>
    (await t.http.post(`/parse/classes/${className}`).set(headers).send(body).expect(201)).body.objectId;
  /** GET /classes/:className with JSON-encoded parameters, as ann unless told otherwise. */
  const find = (className: string, params: Params, headers: Headers = as(ann)) => {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) query[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return t.http.get(`/parse/classes/${className}`).query(query).set(headers);
  };
  const batch = (body: Params, headers: Headers = as(ann)) => t.http.post('/parse/batch').set(headers).send(body);
  const storedUser = async (user: User) => (await db.collection('_User').findOne({ _id: user.objectId } as never))!;

  before(async () => {
    // Users readable by everyone, so that only the protected fields stand between ann and bob's.
    // Roles are written by the master key only here (allowClientRoleWrites: false): the attacks on
    // them below are those the option stops. parse-server's default is tested in roles.test.ts.
    t = await startTestBackend({
      enforcePrivateUsers: false,
      readOnlyMasterKey: READ_ONLY_KEY,
      allowClientRoleWrites: false,
    });
    db = await t.db();
    ann = await signUp(t, 'ann');
    bob = await signUp(t, 'bob');
    bobDoc = await create('Doc', { title: BOB_SECRET, ACL: { [bob.objectId]: { read: true, write: true } } }, as(bob));
    await create('Doc', { title: 'ann-own', ACL: { [ann.objectId]: { read: true, write: true } } }, as(ann));
  });
  after(() => t.close());

  describe('1. queries on permission and internal fields', () => {
    it('refuses where on _rperm, _wperm, ACL and stored secrets, directly and by dot path', async () => {
      const attempts: [Params, number][] = [
        [{ _rperm: bob.objectId }, 105],
        [{ _rperm: { $in: [bob.objectId, '*'] } }, 105],
        [{ _wperm: bob.objectId }, 105],
        [{ _acl: { $exists: true } }, 105],
        [{ '_acl.*.r': true }, 105],
        [{ '_rperm.0': bob.objectId }, 105],
        [{ ACL: { [bob.objectId]: { read: true } } }, 102],
        [{ 'ACL.*.read': true }, 102],
        [{ _hashed_password: { $exists: true } }, 105],
        [{ _session_token: { $exists: true } }, 105],
        [{ _email_verify_token: { $exists: true } }, 105],
        [{ _perishable_token: { $exists: true } }, 105],
        [{ _id: bobDoc }, 105],
      ];
      for (const [where, code] of attempts) expectRefused(await find('Doc', { where }), code, JSON.stringify(where));
      for (const where of [
        { _hashed_password: { $regex: '^\\$2' } },
        { _session_token: 'r:x' },
        { _failed_login_count: { $exists: true } },
      ]) {
        expectRefused(await find('_User', { where }), 105, JSON.stringify(where));
      }
    });

    it('refuses them inside $or, $and and $nor', async () => {
      for (const op of ['$or', '$and', '$nor']) {
        expectRefused(await find('Doc', { where: { [op]: [{ title: 'x' }, { _rperm: bob.objectId }] } }), 105, op);
        expectRefused(await find('Doc', { where: { [op]: [{ ACL: { '*': { read: true } } }] } }), 102, op);
      }
    });

    it('refuses them inside sub-queries on another class', async () => {
      const attempts: [Params, number][] = [
        [{ title: { $inQuery: { className: 'Doc', where: { _rperm: bob.objectId } } } }, 105],
        [{ title: { $notInQuery: { className: 'Doc', where: { _wperm: bob.objectId } } } }, 105],
        [{ title: { $select: { query: { className: 'Doc', where: {} }, key: '_rperm' } } }, 105],
        [{ title: { $dontSelect: { query: { className: 'Doc', where: { ACL: {} } }, key: 'title' } } }, 102],
        [
          {
            objectId: {
              $select: {
                query: { className: '_User', where: { _hashed_password: { $exists: true } } },
                key: 'objectId',
              },
            },
          },
          105,
        ],
      ];
      for (const [where, code] of attempts) expectRefused(await find('Doc', { where }), code, JSON.stringify(where));
    });

    it('does not let others probe a session token stored on a user through where', async () => {
      // A plain `sessionToken` on a _User document is never returned, so a query must not reveal it
      // either: refused (105 or 119), or matching nothing.
      const cid = await signUp(t, 'cid');
      await db
        .collection('_User')
        .updateOne({ _id: cid.objectId } as never, { $set: { sessionToken: 'r:planted-token' } });
      for (const where of [{ sessionToken: 'r:planted-token' }, { sessionToken: { $regex: '^r:p' } }]) {
        const res = await find('_User', { where });
        if (res.status === 400) expect([105, 119], JSON.stringify(where)).to.include(res.body.code);
        else expect(res.body.results, `${JSON.stringify(where)} matched`).to.deep.equal([]);
      }
    });
  });

  describe('2. sorting on permission, internal and protected fields', () => {
    it('refuses order on _rperm, _wperm and stored secrets (105)', async () => {
      for (const order of ['_rperm', '-_rperm', '_wperm', '_acl'])
        expectRefused(await find('Doc', { order }), 105, order);
      expectRefused(await find('_User', { order: '_hashed_password' }), 105);
    });

    it('refuses order on protected _User fields (119)', async () => {
      for (const order of ['email', '-email', 'authData.anonymous.id'])
        expectRefused(await find('_User', { order }), 119, order);
    });

    it('order=ACL sorts nothing it could reveal: only readable objects come back', async () => {
      const res = await find('Doc', { order: 'ACL' });
      expect(res.status).to.equal(200);
      expect(res.body.results.map((d: { title: string }) => d.title)).to.include('ann-own');
      expectNoLeak(res, BOB_SECRET);
    });
  });

  describe('3. the email of other users (protected field)', () => {
    it('refuses where on email, by value, regex, $exists, $text, dot path and inside $or/$and/$nor (119)', async () => {
      const attempts: Params[] = [
        { email: BOB_EMAIL },
        { email: { $regex: '^b' } },
        { email: { $exists: true } },
        { email: { $text: { $search: { $term: 'bob' } } } },
        { 'email.foo': 'x' },
        { $or: [{ username: 'x' }, { email: BOB_EMAIL }] },
        { $and: [{ email: BOB_EMAIL }] },
        { $nor: [{ email: BOB_EMAIL }] },
      ];
      for (const where of attempts) {
        expectRefused(await find('_User', { where }), 119, JSON.stringify(where));
        expectRefused(
          await t.http
            .get('/parse/users')
            .query({ where: JSON.stringify(where) })
            .set(as(ann)),
          119,
          `/users ${JSON.stringify(where)}`,
        );
      }
    });

    it('refuses count=1 with such a where (119)', async () => {
      expectRefused(await find('_User', { where: { email: BOB_EMAIL }, count: 1, limit: 0 }), 119);
      expectRefused(
        await t.http
          .get('/parse/users')
          .query({ count: 1, limit: 0, where: JSON.stringify({ email: { $regex: '^b' } }) })
          .set(as(ann)),
        119,
      );
    });

    it('refuses $select, $dontSelect, $inQuery and $notInQuery into _User by email (119)', async () => {
      const byEmail = { className: '_User', where: { email: BOB_EMAIL } };
      const attempts: Params[] = [
        { title: { $select: { query: { className: '_User', where: {} }, key: 'email' } } },
        { title: { $dontSelect: { query: { className: '_User', where: {} }, key: 'email' } } },
        { owner: { $inQuery: byEmail } },
        { owner: { $notInQuery: byEmail } },
        { owner: { $inQuery: { className: '_User', where: { $or: [{ email: BOB_EMAIL }] } } } },
      ];
      for (const where of attempts) expectRefused(await find('Doc', { where }), 119, JSON.stringify(where));
    });

    it('hides email from keys=email and from plain reads', async () => {
      const selected = await find('_User', { keys: 'email' });
      expect(selected.status).to.equal(200);
      expectNoLeak(selected, BOB_EMAIL);
      expectNoLeak(await find('_User', {}), BOB_EMAIL);
      expectNoLeak(await t.http.get(`/parse/users/${bob.objectId}`).set(as(ann)), BOB_EMAIL);
    });
  });

  describe('4. the authData of other users', () => {
    const ANON_ID = 'anon-secret-id';
    let anon: User;
    before(async () => {
      anon = (
        await t.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ authData: { anonymous: { id: ANON_ID } } })
          .expect(201)
      ).body;
    });

    it('never returns it to others, through get, find, keys or include', async () => {
      expectNoLeak(await t.http.get(`/parse/users/${anon.objectId}`).set(as(ann)), ANON_ID);
      expectNoLeak(await find('_User', {}), ANON_ID);
      const selected = await find('_User', { keys: 'authData' });
      expect(selected.status).to.equal(200);
      expectNoLeak(selected, ANON_ID);
      await create('Link', { to: pointer('_User', anon.objectId) }, as(anon));
      const included = await find('Link', { include: 'to' });
      expect(included.body.results[0].to).to.include({ objectId: anon.objectId });
      expectNoLeak(included, ANON_ID);
      // The control: the user itself and the master key see it.
      expect((await t.http.get('/parse/users/me').set(as(anon))).body.authData.anonymous.id).to.equal(ANON_ID);
      expect(
        (await t.http.get(`/parse/users/${anon.objectId}`).set(masterHeaders)).body.authData.anonymous.id,
      ).to.equal(ANON_ID);
    });

    it('refuses queries, sorts and sub-queries on it (119)', async () => {
      const attempts: Params[] = [
        { where: { 'authData.anonymous.id': ANON_ID } },
        { where: { authData: { $exists: true } } },
        { where: { $or: [{ 'authData.anonymous': { $exists: true } }] } },
        { order: 'authData.anonymous.id' },
      ];
      for (const params of attempts) expectRefused(await find('_User', params), 119, JSON.stringify(params));
      expectRefused(
        await find('Doc', {
          where: { title: { $select: { query: { className: '_User', where: {} }, key: 'authData' } } },
        }),
        119,
      );
      expectRefused(
        await find('Doc', {
          where: { owner: { $inQuery: { className: '_User', where: { 'authData.anonymous.id': ANON_ID } } } },
        }),
        119,
      );
    });

    it("refuses linking another user's identity to oneself (208)", async () => {
      expectRefused(
        await t.http
          .put(`/parse/users/${ann.objectId}`)
          .set(as(ann))
          .send({ authData: { anonymous: { id: ANON_ID } } }),
        208,
      );
      expect(await storedUser(ann)).to.not.have.property('_auth_data_anonymous');
    });
  });

  describe('5. include of pointers the caller may not read', () => {
    let holder: string;
    before(async () => {
      // Vault: a class whose CLP leaves get and find to the master key.
      await db.collection('_SCHEMA').insertOne({
        _id: 'Vault',
        objectId: 'string',
        createdAt: 'string',
        updatedAt: 'string',
        secret: 'string',
        _metadata: {
          class_permissions: { find: {}, get: {}, count: {}, create: {}, update: {}, delete: {}, addField: {} },
        },
      } as never);
      const vault = await create('Vault', { secret: 'vault-secret' }, masterHeaders);
      const open = await create('Open', { title: 'open-title' }, as(bob));
      const hidden = await create(
        'Hidden',
        { secret: 'hidden-secret', ACL: { [bob.objectId]: { read: true } } },
        as(bob),
      );
      holder = await create(
        'Holder',
        {
          open: pointer('Open', open),
          hidden: pointer('Hidden', hidden),
          vault: pointer('Vault', vault),
          user: pointer('_User', bob.objectId),
          list: [pointer('Hidden', hidden), pointer('Open', open)],
        },
        as(bob),
      );
    });

    /**
     * What ann must see of the holder: the readable pointers included; an object its ACL hides left
     * out, as parse-server leaves it out (the key, or the array item); a pointer into a class its
     * CLP closes bare. The array field is included when named or by include=* and includeAll (which
     * take every Pointer and Array field, as parse-server's do); dotted keys leave it a list of pointers.
     */
    function expectOnlyReadableIncluded(res: Response, { listIncluded }: { listIncluded: boolean }): void {
      expect(res.status).to.equal(200);
      const row = res.body.results?.[0] ?? res.body;
      expect(row.open).to.include({ __type: 'Object', className: 'Open' });
      expect(row).to.not.have.property('hidden');
      expect(row.vault).to.deep.equal(pointer('Vault', row.vault.objectId));
      expect(row.user).to.include({ __type: 'Object', objectId: bob.objectId });
      if (listIncluded) {
        expect(row.list).to.have.length(1);
        expect(row.list[0]).to.include({ __type: 'Object', title: 'open-title' });
      } else if (row.list) expect(row.list[0]).to.deep.equal(pointer('Hidden', row.list[0].objectId));
      expectNoLeak(res, 'hidden-secret', 'vault-secret', BOB_EMAIL);
    }

    it("leaves out an object its ACL hides, and keeps a pointer bare when its class's CLP excludes the caller", async () => {
      expectOnlyReadableIncluded(await find('Holder', { include: 'open,hidden,vault,user,list' }), {
        listIncluded: true,
      });
      expectOnlyReadableIncluded(
        await t.http
          .get(`/parse/classes/Holder/${holder}`)
          .query({ include: 'open,hidden,vault,user,list' })
          .set(as(ann)),
        { listIncluded: true },
      );
    });

    it('does the same for include=* and includeAll', async () => {
      expectOnlyReadableIncluded(await find('Holder', { include: '*' }), { listIncluded: true });
      expectOnlyReadableIncluded(await find('Holder', { includeAll: true }), { listIncluded: true });
    });

    it('does the same for dotted keys (keys=hidden.secret)', async () => {
      const res = await find('Holder', { keys: 'open.title,hidden.secret,vault.secret,user.email' });
      expectOnlyReadableIncluded(res, { listIncluded: false });
      expect(res.body.results[0].open.title).to.equal('open-title');
    });
  });

  describe('6. writes to another user', () => {
    const expectBobUntouched = async () => {
      const stored = await t.http.get(`/parse/users/${bob.objectId}`).set(masterHeaders);
      expect(stored.body).to.include({ username: 'bob', email: BOB_EMAIL });
    };

    it("refuses updating or deleting another user with one's own session (206), through /users and /classes/_User", async () => {
      expectRefused(await t.http.put(`/parse/users/${bob.objectId}`).set(as(ann)).send({ username: 'pwned' }), 206);
      expectRefused(
        await t.http.put(`/parse/classes/_User/${bob.objectId}`).set(as(ann)).send({ email: 'pwned@example.com' }),
        206,
      );
      expectRefused(await t.http.put(`/parse/users/${bob.objectId}`).set(as(ann)).send({ password: 'pwned' }), 206);
      expectRefused(await t.http.delete(`/parse/users/${bob.objectId}`).set(as(ann)), 206);
      expectRefused(await t.http.delete(`/parse/classes/_User/${bob.objectId}`).set(as(ann)), 206);
      expectRefused(await t.http.put(`/parse/users/${bob.objectId}`).set(appHeaders).send({ username: 'pwned' }), 206);
      await expectBobUntouched();
      expect(
        (await t.http.post('/parse/login').set(appHeaders).send({ username: 'bob', password: 'pw-bob' })).status,
      ).to.equal(200);
    });

    it('refuses the same inside a /batch, each with its own error entry (206)', async () => {
      const res = await batch({
        requests: [
          { method: 'PUT', path: `/parse/users/${bob.objectId}`, body: { username: 'pwned' } },
          { method: 'PUT', path: `/parse/classes/_User/${bob.objectId}`, body: { username: 'pwned' } },
          { method: 'DELETE', path: `/parse/users/${bob.objectId}` },
        ],
      });
      expect(res.status).to.equal(200);
      expect(res.body.map((r: { error?: { code: number } }) => r.error?.code)).to.deep.equal([206, 206, 206]);
      await expectBobUntouched();
    });
  });

  describe('7. roles and their join collections', () => {
    let admins: string;
    let open: string;
    const membersOf = async (roleId: string) =>
      (
        await find(
          '_User',
          { where: { $relatedTo: { object: pointer('_Role', roleId), key: 'users' } } },
          masterHeaders,
        )
      ).body.results as unknown[];
    const joinRows = async () =>
      (await db.collection('_Join:users:_Role').countDocuments()) +
      (await db.collection('_Join:roles:_Role').countDocuments());

    before(async () => {
      admins = (
        await t.http
          .post('/parse/roles')
          .set(masterHeaders)
          .send({ name: 'Admins', ACL: { '*': { read: true } } })
          .expect(201)
      ).body.objectId;
      // A role whose ACL even grants public write: roles stay master-only to write.
      open = (
        await t.http
          .post('/parse/roles')
          .set(masterHeaders)
          .send({ name: 'Open', ACL: { '*': { read: true, write: true } } })
          .expect(201)
      ).body.objectId;
    });

    it('refuses reading or writing _Join:users:_Role through /classes (119)', async () => {
      const join = '/parse/classes/_Join:users:_Role';
      expectRefused(await t.http.get(join).set(as(ann)), 119, 'find');
      expectRefused(await t.http.get('/parse/classes/_Join%3Ausers%3A_Role').set(as(ann)), 119, 'find, encoded');
      expectRefused(
        await t.http.post(join).set(as(ann)).send({ owningId: admins, relatedId: ann.objectId }),
        119,
        'create',
      );
      expectRefused(await t.http.put(`${join}/x`).set(as(ann)).send({ relatedId: ann.objectId }), 119, 'update');
      expectRefused(await t.http.delete(`${join}/x`).set(as(ann)), 119, 'delete');
      expect(await joinRows()).to.equal(0);
    });

    it("refuses a client joining a role through its users relation (119), whatever the role's ACL", async () => {
      const join = { users: { __op: 'AddRelation', objects: [pointer('_User', ann.objectId)] } };
      for (const roleId of [admins, open]) {
        expectRefused(await t.http.put(`/parse/roles/${roleId}`).set(as(ann)).send(join), 119, `/roles ${roleId}`);
        expectRefused(
          await t.http.put(`/parse/classes/_Role/${roleId}`).set(as(ann)).send(join),
          119,
          `/classes/_Role ${roleId}`,
        );
      }
      expectRefused(
        await t.http
          .put(`/parse/roles/${open}`)
          .set(as(ann))
          .send({ roles: { __op: 'AddRelation', objects: [pointer('_Role', admins)] } }),
        119,
        'child role',
      );
      expect(await membersOf(admins)).to.deep.equal([]);
      expect(await membersOf(open)).to.deep.equal([]);
      expect(await joinRows()).to.equal(0);
    });

    it('refuses creating, renaming or deleting a role as a client (119)', async () => {
      expectRefused(
        await t.http
          .post('/parse/roles')
          .set(as(ann))
          .send({ name: 'Mine', ACL: { [ann.objectId]: { read: true, write: true } } }),
        119,
      );
      expectRefused(
        await t.http
          .put(`/parse/roles/${open}`)
          .set(as(ann))
          .send({ ACL: { [ann.objectId]: { read: true, write: true } } }),
        119,
      );
      expectRefused(await t.http.delete(`/parse/roles/${open}`).set(as(ann)), 119);
      const roles = (await t.http.get('/parse/roles').set(masterHeaders)).body.results;
      expect(roles.map((r: { name: string }) => r.name).sort()).to.deep.equal(['Admins', 'Open']);
      expect(roles.find((r: { name: string }) => r.name === 'Open').ACL).to.deep.equal({
        '*': { read: true, write: true },
      });
    });

    it('refuses the same inside a /batch', async () => {
      const res = await batch({
        requests: [
          {
            method: 'PUT',
            path: `/parse/roles/${admins}`,
            body: { users: { __op: 'AddRelation', objects: [pointer('_User', ann.objectId)] } },
          },
          {
            method: 'POST',
            path: '/parse/classes/_Join:users:_Role',
            body: { owningId: admins, relatedId: ann.objectId },
          },
        ],
      });
      expect(res.body.map((r: { error?: { code: number } }) => r.error?.code)).to.deep.equal([119, 119]);
      expect(await membersOf(admins)).to.deep.equal([]);
      expect(await joinRows()).to.equal(0);
    });
  });

  describe('8. a /batch mixing allowed and forbidden writes', () => {
    const mixed = (annDoc: string) => [
      { method: 'POST', path: '/parse/classes/Doc', body: { title: 'batch-created' } },
      { method: 'PUT', path: `/parse/classes/Doc/${annDoc}`, body: { title: 'batch-edited' } },
      { method: 'PUT', path: `/parse/classes/Doc/${bobDoc}`, body: { title: 'pwned' } },
      { method: 'DELETE', path: `/parse/classes/Doc/${bobDoc}` },
      { method: 'PUT', path: `/parse/users/${bob.objectId}`, body: { username: 'pwned' } },
      { method: 'POST', path: '/parse/roles', body: { name: 'Sneaky', ACL: {} } },
      { method: 'POST', path: '/parse/classes/Doc', body: { title: 'pwned', _rperm: ['*'] } },
    ];
    const titles = async () =>
      (await find('Doc', { order: 'title' }, masterHeaders)).body.results.map((d: { title: string }) => d.title);
    const expectNothingForbiddenLanded = async () => {
      expect((await t.http.get(`/parse/classes/Doc/${bobDoc}`).set(masterHeaders)).body.title).to.equal(BOB_SECRET);
      expect((await t.http.get(`/parse/users/${bob.objectId}`).set(masterHeaders)).body.username).to.equal('bob');
      expect(
        (
          await t.http
            .get('/parse/roles')
            .query({ where: JSON.stringify({ name: 'Sneaky' }) })
            .set(masterHeaders)
        ).body.results,
      ).to.deep.equal([]);
      expect(await titles()).to.not.include('pwned');
    };

    it('runs the allowed writes and answers each forbidden one with its own error', async () => {
      const annDoc = await create(
        'Doc',
        { title: 'batch-mine', ACL: { [ann.objectId]: { read: true, write: true } } },
        as(ann),
      );
      const res = await batch({ requests: mixed(annDoc) });
      expect(res.status).to.equal(200);
      expect(res.body[0].success.objectId).to.be.a('string');
      expect(res.body[1].success.updatedAt).to.be.a('string');
      expect(res.body.slice(2).map((r: { error?: { code: number } }) => r.error?.code)).to.deep.equal([
        101, 101, 206, 119, 105,
      ]);
      expect(await titles()).to.include.members(['batch-created', 'batch-edited']);
      await expectNothingForbiddenLanded();
    });

    it('with transaction: true, answers the first refusal and rolls everything back', async () => {
      const annDoc = await create(
        'Doc',
        { title: 'tx-mine', ACL: { [ann.objectId]: { read: true, write: true } } },
        as(ann),
      );
      const before = await titles();
      const res = await batch({ transaction: true, requests: mixed(annDoc) });
      expectRefused(res, 101);
      expect(await titles()).to.deep.equal(before);
      await expectNothingForbiddenLanded();
    });
  });

  describe('9. session tokens from elsewhere', () => {
    const OTHER_APP = 'other-app';
    let other: TestBackend;
    before(async () => {
      other = await startTestBackend({ appId: OTHER_APP });
    });
    after(() => other.close());

    it('refuses a token of another app (209), and a token under another app id (403)', async () => {
      const onOther = { 'X-Parse-Application-Id': OTHER_APP, 'X-Parse-Session-Token': ann.sessionToken };
      expectRefused(await other.http.get('/parse/users/me').set(onOther), 209);
      expectRefused(await other.http.get('/parse/classes/Doc').set(onOther), 209);
      expectRefused(await other.http.post('/parse/classes/Doc').set(onOther).send({ title: 'x' }), 209);
      const wrongAppId = await t.http.get('/parse/users/me').set(onOther);
      expect(wrongAppId.status).to.equal(403);
      expect(wrongAppId.body).to.deep.equal({ error: 'unauthorized' });
      expect(
        (await t.http.get('/parse/users/me').set({ ...onOther, 'X-Parse-Application-Id': APP_ID })).body.objectId,
      ).to.equal(ann.objectId);
    });

    it('refuses a forged r: token on reads and writes (209), and writes nothing', async () => {
      const forged = withToken(`r:${'0123456789abcdef'.repeat(2)}`);
      expectRefused(await t.http.get('/parse/users/me').set(forged), 209);
      expectRefused(await find('Doc', {}, forged), 209);
      expectRefused(await t.http.post('/parse/classes/Doc').set(forged).send({ title: 'forged' }), 209);
      expectRefused(
        await t.http.put(`/parse/classes/Doc/${bobDoc}`).set(withToken('r:')).send({ title: 'forged' }),
        209,
      );
      expect(await db.collection('Doc').countDocuments({ title: 'forged' })).to.equal(0);
    });
  });

  describe('10. object ids that look like principals', () => {
    const PRINCIPALS = ['*', 'role:x', 'role:Admins'];
    let custom: TestBackend;
    before(async () => {
      custom = await startTestBackend({ allowCustomObjectId: true });
    });
    after(() => custom.close());

    it('refuses them as objectIds without allowCustomObjectId (105)', async () => {
      for (const objectId of PRINCIPALS) {
        expectRefused(await t.http.post('/parse/classes/Thing').set(as(ann)).send({ objectId }), 105, objectId);
        expectRefused(
          await t.http
            .post('/parse/users')
            .set(appHeaders)
            .send({ objectId, username: `u-${objectId}`, password: 'pw' }),
          // A user id that reads as a role gets parse-server's own answer for it, whatever the options.
          objectId.startsWith('role:') ? 119 : 105,
          objectId,
        );
      }
    });

    it('refuses them with allowCustomObjectId, to clients and the master key alike (105)', async () => {
      for (const objectId of PRINCIPALS) {
        expectRefused(await custom.http.post('/parse/classes/Thing').set(appHeaders).send({ objectId }), 105, objectId);
        expectRefused(
          await custom.http.post('/parse/classes/Thing').set(masterHeaders).send({ objectId }),
          105,
          objectId,
        );
        expectRefused(
          await custom.http
            .post('/parse/users')
            .set(appHeaders)
            .send({ objectId, username: `u-${objectId}`, password: 'pw' }),
          // A user id that reads as a role gets parse-server's own answer for it, whatever the options.
          objectId.startsWith('role:') ? 119 : 105,
          objectId,
        );
      }
      const customDb = await custom.db();
      expect(await customDb.collection('Thing').countDocuments()).to.equal(0);
      expect(await customDb.collection('_User').countDocuments()).to.equal(0);
    });

    it('never gives an existing user the objectId * (an objectId in an update body is ignored)', async () => {
      const cid = await signUp(custom, 'cid');
      const res = await custom.http.put(`/parse/users/${cid.objectId}`).set(as(cid)).send({ objectId: '*' });
      expect(res.status).to.equal(200);
      const users = await (await custom.db()).collection('_User').find().toArray();
      expect(users.map((u) => u._id)).to.deep.equal([cid.objectId]);
    });
  });

  describe('11. internal fields in a write body', () => {
    const INTERNAL: Params[] = [
      { _rperm: ['*'] },
      { _rperm: { __op: 'AddUnique', objects: ['*'] } },
      { '_rperm.0': '*' },
      { _wperm: ['*'] },
      { _wperm: { __op: 'Delete' } },
      { _acl: { '*': { r: true, w: true } } },
      { 'ACL.*': { read: true, write: true } },
      { _hashed_password: '$2b$10$forged' },
      { _session_token: 'r:forged' },
      { _email_verify_token: 'forged' },
      { _perishable_token: 'forged' },
      { _auth_data_anonymous: { id: 'forged' } },
      { _failed_login_count: 0 },
      { _id: 'forged' },
    ];

    it('refuses them on create and update of an object (105), and stores nothing', async () => {
      const own = await create(
        'Doc',
        { title: 'internal-own', ACL: { [ann.objectId]: { read: true, write: true } } },
        as(ann),
      );
      const before = await db.collection('Doc').findOne({ _id: own } as never);
      for (const body of INTERNAL) {
        expectRefused(
          await t.http
            .post('/parse/classes/Doc')
            .set(as(ann))
            .send({ title: 'internal-new', ...body }),
          105,
          `create ${JSON.stringify(body)}`,
        );
        expectRefused(
          await t.http.put(`/parse/classes/Doc/${own}`).set(as(ann)).send(body),
          105,
          `update ${JSON.stringify(body)}`,
        );
      }
      expect(await db.collection('Doc').countDocuments({ title: 'internal-new' })).to.equal(0);
      expect(await db.collection('Doc').findOne({ _id: own } as never)).to.deep.equal(before);
    });

    it("refuses them on sign-up and on one's own user (105), and stores nothing", async () => {
      const before = await storedUser(ann);
      for (const body of INTERNAL) {
        expectRefused(
          await t.http
            .post('/parse/users')
            .set(appHeaders)
            .send({ username: 'internal-new', password: 'pw', ...body }),
          105,
          `sign-up ${JSON.stringify(body)}`,
        );
        expectRefused(
          await t.http.put(`/parse/users/${ann.objectId}`).set(as(ann)).send(body),
          105,
          `update ${JSON.stringify(body)}`,
        );
      }
      expect(await db.collection('_User').countDocuments({ username: 'internal-new' })).to.equal(0);
      expect(await storedUser(ann)).to.deep.equal(before);
    });

    it('refuses emailVerified from a client (119), and stores nothing', async () => {
      expectRefused(await t.http.put(`/parse/users/${ann.objectId}`).set(as(ann)).send({ emailVerified: true }), 119);
      expectRefused(
        await t.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: 'verified-new', password: 'pw', email: 'v@example.com', emailVerified: true }),
        119,
      );
      expect(await storedUser(ann)).to.not.have.property('emailVerified');
      expect(await db.collection('_User').countDocuments({ username: 'verified-new' })).to.equal(0);
    });

    it("refuses sessionToken in a user's body, and stores nothing", async () => {
      // Any refusal code will do (105 as for the other internal fields, or 119); a silent 200 will not.
      const update = await t.http
        .put(`/parse/users/${ann.objectId}`)
        .set(as(ann))
        .send({ sessionToken: 'r:chosen-by-client' });
      expect(update.status, JSON.stringify(update.body)).to.equal(400);
      expect([105, 119]).to.include(update.body.code);
      const signUpRes = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: 'token-new', password: 'pw', sessionToken: 'r:chosen-by-client' });
      expect(signUpRes.status, JSON.stringify(signUpRes.body)).to.equal(400);
      expect([105, 119]).to.include(signUpRes.body.code);
      expect(await storedUser(ann)).to.not.have.any.keys('sessionToken', '_session_token');
      expect(await db.collection('_User').countDocuments({ username: 'token-new' })).to.equal(0);
    });
  });

  describe('12. aggregate', () => {
    it('refuses aggregate and distinct without the master key (403, as parse-server)', async () => {
      const attempts = [
        { pipeline: JSON.stringify([{ $match: {} }]) },
        { pipeline: JSON.stringify([{ $group: { _id: null, titles: { $push: '$title' } } }]) },
        { distinct: 'title' },
      ];
      for (const query of attempts) {
        for (const headers of [as(ann), appHeaders]) {
          const res = await t.http.get('/parse/aggregate/Doc').query(query).set(headers);
          expect(res.status).to.equal(403);
          expect(res.body).to.deep.equal({ error: 'unauthorized: master key is required' });
        }
      }
      const users = await t.http.get('/parse/aggregate/_User').query({ distinct: 'email' }).set(as(ann));
      expect(users.status).to.equal(403);
      expectNoLeak(users, BOB_EMAIL);
    });

    it('refuses it inside a /batch too', async () => {
      const res = await batch({
        requests: [{ method: 'GET', path: '/parse/aggregate/Doc', body: { pipeline: [{ $match: {} }] } }],
      });
      expect(res.body).to.deep.equal([{ error: { error: 'unauthorized: master key is required' } }]);
    });
  });

  describe('13. /me and session routes', () => {
    it('answers /users/me and /sessions/me without a valid token with 209', async () => {
      expectRefused(await t.http.get('/parse/users/me').set(appHeaders), 209);
      expectRefused(await t.http.get('/parse/sessions/me').set(appHeaders), 209);
      expectRefused(await t.http.get('/parse/users/me').set(withToken('r:not-a-session')), 209);
    });

    it('refuses moving a session to another user (105), and never mints a token or a session for someone else', async () => {
      const session = (await t.http.get('/parse/sessions/me').set(as(ann))).body;
      const toBob = { user: pointer('_User', bob.objectId) };
      expectRefused(await t.http.put(`/parse/sessions/${session.objectId}`).set(as(ann)).send(toBob), 105);
      expectRefused(await t.http.put(`/parse/classes/_Session/${session.objectId}`).set(as(ann)).send(toBob), 105);
      // A client's new session is its own, whatever user or token the body names (as in parse-server).
      for (const path of ['/parse/classes/_Session', '/parse/sessions']) {
        const opened = await t.http
          .post(path)
          .set(as(ann))
          .send({ ...toBob, sessionToken: 'r:minted' });
        expect(opened.status, path).to.equal(201);
        expect(opened.body.user.objectId, path).to.equal(ann.objectId);
        expect(opened.body.sessionToken, path).to.not.equal('r:minted');
      }
      expect((await t.http.get('/parse/users/me').set(as(ann))).body.objectId).to.equal(ann.objectId);
      const stored = await db.collection('_Session').findOne({ _id: session.objectId } as never);
      expect(stored!._p_user).to.equal(`_User$${ann.objectId}`);
      expectRefused(await t.http.get('/parse/users/me').set(withToken('r:minted')), 209);
    });

    it("keeps other users' sessions out of reach (101), and lists only one's own", async () => {
      const bobSession = (await t.http.get('/parse/sessions/me').set(as(bob))).body.objectId as string;
      expectRefused(await t.http.get(`/parse/sessions/${bobSession}`).set(as(ann)), 101);
      expectRefused(await t.http.get(`/parse/classes/_Session/${bobSession}`).set(as(ann)), 101);
      expectRefused(await t.http.delete(`/parse/sessions/${bobSession}`).set(as(ann)), 101);
      const listed = await t.http
        .get('/parse/sessions')
        .query({ where: JSON.stringify({ user: pointer('_User', bob.objectId) }) })
        .set(as(ann));
      expect(listed.body.results.map((s: { objectId: string }) => s.objectId)).to.not.include(bobSession);
      expect((await t.http.get('/parse/users/me').set(as(bob))).body.objectId).to.equal(bob.objectId);
    });
  });

  describe('14. count', () => {
    before(async () => {
      for (let i = 0; i < 3; i++) await create('Counted', { i, ACL: { [bob.objectId]: { read: true } } }, as(bob));
      await create('Counted', { i: 10, ACL: { [ann.objectId]: { read: true } } }, as(ann));
      await create('Counted', { i: 20 }, as(ann));
    });
    const count = async (headers: Headers, where: Params = {}) =>
      (await find('Counted', { where, count: 1, limit: 0 }, headers)).body.count as number;

    it('counts only the objects the caller may read', async () => {
      expect(await count(as(ann))).to.equal(2);
      expect(await count(as(bob))).to.equal(4);
      expect(await count(appHeaders)).to.equal(1);
      expect(await count(masterHeaders)).to.equal(5);
    });

    it('reveals nothing about unreadable objects through a where', async () => {
      expect(await count(as(ann), { i: { $lt: 5 } })).to.equal(0);
      expect(await count(as(ann), { $or: [{ i: 0 }, { i: 1 }, { i: 2 }] })).to.equal(0);
      expect(await count(as(ann), { i: { $exists: true } })).to.equal(2);
    });
  });

  describe('15. the read-only master key in an aggregate', () => {
    const RESET_TOKEN = 'bob-reset-token-0123456789';
    const VERIFY_TOKEN = 'bob-verify-token-0123456789';
    let bobHash: string;
    let storedSessionToken: string;
    /** GET /aggregate/:className with JSON-encoded parameters, with the read-only key unless told otherwise. */
    const aggregate = (className: string, params: Params, headers: Headers = readOnly) => {
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(params)) query[k] = typeof v === 'string' ? v : JSON.stringify(v);
      return t.http.get(`/parse/aggregate/${className}`).query(query).set(headers);
    };
    /** Refused with 119, and none of bob's secrets in the answer. */
    const expectForbidden = (res: Response, label: string): void => {
      expectRefused(res, 119, label);
      expectNoLeak(res, bobHash, RESET_TOKEN, VERIFY_TOKEN, storedSessionToken);
    };

    before(async () => {
      // A pending password reset and email verification: what an attacker would take over the account with.
      await db.collection('_User').updateOne({ _id: bob.objectId } as never, {
        $set: { _perishable_token: RESET_TOKEN, _email_verify_token: VERIFY_TOKEN },
      });
      bobHash = (await storedUser(bob))._hashed_password as string;
      expect(bobHash).to.match(/^\$2/);
      storedSessionToken = (await db.collection('_Session').findOne({ _p_user: `_User$${bob.objectId}` }))!
        ._session_token as string;
    });

    it('refuses the reported attack: a $lookup into _User inside a $facet (119, no hash)', async () => {
      const pipeline = [
        { $limit: 1 },
        {
          $facet: {
            a: [
              {
                $lookup: {
                  from: '_User',
                  pipeline: [{ $project: { _perishable_token: 1, _hashed_password: 1 } }],
                  as: 'u',
                },
              },
            ],
          },
        },
      ];
      expectForbidden(await aggregate('Doc', { pipeline }), 'reported attack');
      // The same sent as the JS SDK sends it (POST with _method GET and the key in the body).
      const body = { _method: 'GET', _ApplicationId: APP_ID, _MasterKey: READ_ONLY_KEY, pipeline };
      expectForbidden(
        await t.http.post('/parse/aggregate/Doc').set('Content-Type', 'text/plain').send(JSON.stringify(body)),
        'body form',
      );
    });

    it('refuses every stage that reads another collection, at the top and nested', async () => {
      const lookupForm = { $lookup: { from: '_User', localField: 'nope', foreignField: 'nope', as: 'u' } };
      const reads: Params[] = [
        { $unionWith: '_User' },
        { $unionWith: { coll: '_User', pipeline: [{ $project: { _hashed_password: 1 } }] } },
        {
          $graphLookup: {
            from: '_User',
            startWith: 'bob',
            connectFromField: 'username',
            connectToField: 'username',
            as: 'g',
          },
        },
        lookupForm,
        { $lookup: { from: '_Session', pipeline: [], as: 's' } },
        { $lookup: { from: 'Doc', pipeline: [], as: 'same' } },
      ];
      for (const stage of reads) {
        expectForbidden(await aggregate('Doc', { pipeline: [stage] }), `top ${JSON.stringify(stage)}`);
        expectForbidden(
          await aggregate('Doc', { pipeline: [{ $limit: 1 }, { $facet: { a: [stage] } }] }),
          `in $facet ${JSON.stringify(stage)}`,
        );
      }
      // The object form of a pipeline, and a stage name without its `$`.
      expectForbidden(await aggregate('Doc', { pipeline: { facet: { a: [lookupForm] } } }), 'object form');
    });

    it('checks pipelines nested three and more levels deep, and bounds the nesting', async () => {
      const deepRead = {
        $unionWith: {
          coll: 'Doc',
          pipeline: [
            {
              $lookup: {
                from: 'Doc',
                pipeline: [{ $facet: { c: [{ $lookup: { from: '_User', pipeline: [], as: 'u' } }] } }],
                as: 'l',
              },
            },
          ],
        },
      };
      expectForbidden(
        await aggregate('Doc', { pipeline: [{ $facet: { a: [deepRead] } }] }),
        'lookup in facet in lookup in unionWith',
      );
      const deepField = {
        $facet: { a: [{ $facet: { b: [{ $facet: { c: [{ $project: { h: '$_hashed_password' } }] } }] } }] },
      };
      expectForbidden(await aggregate('_User', { pipeline: [deepField] }), 'field in facet in facet in facet');
      // Past a sane depth the pipeline is refused as a bad query, for every key, before the database sees it.
      let nested: Params = { $match: {} };
      for (let i = 0; i < 12; i++) nested = { $facet: { [`f${i}`]: [nested] } };
      for (const headers of [readOnly, masterHeaders]) {
        const res = await aggregate('Doc', { pipeline: [nested] }, headers);
        expectRefused(res, 102, 'twelve levels');
        expect(res.body.error).to.match(/nested too deeply/);
      }
      let absurd: Params = { $match: {} };
      for (let i = 0; i < 500; i++) absurd = { $facet: { f: [absurd] } };
      const res = await t.http
        .post('/parse/aggregate/Doc')
        .set('Content-Type', 'text/plain')
        .send(
          JSON.stringify({ _method: 'GET', _ApplicationId: APP_ID, _MasterKey: READ_ONLY_KEY, pipeline: [absurd] }),
        );
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect([102, 107, 119]).to.include(res.body.code);
    });

    it('refuses references to internal and secret fields, as keys and as $field values', async () => {
      const attempts: [string, Params[]][] = [
        ['_User', [{ $project: { h: '$_hashed_password' } }]],
        ['_User', [{ $project: { _hashed_password: 1, _perishable_token: 1 } }]],
        ['_User', [{ $addFields: { t: { $concat: ['x', '$_perishable_token'] } } }]],
        ['_User', [{ $group: { _id: '$_email_verify_token' } }]],
        ['_User', [{ $match: { _perishable_token: { $regex: '^bob' } } }, { $count: 'n' }]],
        ['_User', [{ $match: { $or: [{ _perishable_token: RESET_TOKEN }] } }]],
        ['_User', [{ $sort: { _hashed_password: 1 } }]],
        ['_User', [{ $project: { h: { $getField: { field: '_hashed_password', input: '$$ROOT' } } } }]],
        ['_User', [{ $project: { h: '$$ROOT._hashed_password' } }]],
        ['_User', [{ $project: { a: '$authData' } }]],
        ['_User', [{ $facet: { a: [{ $match: { _hashed_password: { $exists: true } } }] } }]],
        ['_Session', [{ $project: { t: '$sessionToken' } }]],
        ['_Session', [{ $project: { t: '$_session_token' } }]],
        ['Doc', [{ $project: { _rperm: 1 } }]],
        ['Doc', [{ $project: { r: '$_wperm' } }]],
        ['Doc', [{ $unset: '_acl' }]],
        ['Doc', [{ $out: 'Stolen' }]],
        ['Doc', [{ $facet: { a: [{ $merge: { into: 'Stolen' } }] } }]],
      ];
      for (const [className, pipeline] of attempts)
        expectForbidden(await aggregate(className, { pipeline }), `${className} ${JSON.stringify(pipeline)}`);
      expectForbidden(await aggregate('_Session', { distinct: 'sessionToken' }), 'distinct sessionToken');
      expectForbidden(
        await aggregate('_User', { distinct: 'username', where: { _perishable_token: RESET_TOKEN } }),
        'distinct where',
      );
      expect(await db.listCollections({ name: 'Stolen' }).toArray()).to.deep.equal([]);
    });

    it('shows whole documents without their internal fields ($$ROOT, $facet, $objectToArray, computed names)', async () => {
      const pipelines: Params[][] = [
        [{ $group: { _id: null, all: { $push: '$$ROOT' } } }],
        [{ $facet: { a: [{ $match: {} }] } }],
        [{ $project: { kv: { $objectToArray: '$$ROOT' } } }],
        [{ $replaceRoot: { newRoot: { doc: '$$ROOT' } } }],
        // A name the checks cannot see: computed, so only the view stands in the way.
        [
          {
            $project: {
              username: 1,
              h: { $getField: { field: { $concat: ['_hashed', '_password'] }, input: '$$ROOT' } },
            },
          },
        ],
      ];
      for (const pipeline of pipelines) {
        const res = await aggregate('_User', { pipeline });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(JSON.stringify(res.body), JSON.stringify(pipeline)).to.include('bob');
        expectNoLeak(res, bobHash, RESET_TOKEN, VERIFY_TOKEN, '_rperm', '_acl', 'anon-secret-id');
      }
      const sessions = await aggregate('_Session', { pipeline: [{ $group: { _id: null, all: { $push: '$$ROOT' } } }] });
      expect(sessions.status).to.equal(200);
      expectNoLeak(sessions, storedSessionToken);
    });

    it('still runs ordinary pipelines and distinct on the class itself', async () => {
      const grouped = await aggregate('Doc', {
        pipeline: [
          { $match: { title: { $exists: true } } },
          { $group: { _id: '$title', n: { $sum: 1 } } },
          { $sort: { _id: 1 } },
        ],
      });
      expect(grouped.status, JSON.stringify(grouped.body)).to.equal(200);
      expect(grouped.body.results.map((r: { objectId: string }) => r.objectId)).to.include.members([
        'ann-own',
        BOB_SECRET,
      ]);
      const projected = await aggregate('_User', {
        pipeline: [{ $match: { username: 'bob' } }, { $project: { username: 1, createdAt: 1, email: 1 } }],
      });
      expect(projected.body.results).to.have.length(1);
      expect(projected.body.results[0]).to.include({ objectId: bob.objectId, username: 'bob', email: BOB_EMAIL });
      expect(projected.body.results[0].createdAt).to.be.a('string');
      const counted = await aggregate('Doc', { pipeline: [{ $facet: { total: [{ $count: 'n' }] } }] });
      expect(counted.body.results).to.deep.equal([{ total: [{ n: await db.collection('Doc').countDocuments() }] }]);
      expect((await aggregate('Doc', { distinct: 'title' })).body.results).to.include(BOB_SECRET);
    });

    it("leaves the full master key free to read other classes (parse-server's behaviour), never to write", async () => {
      const joined = await aggregate(
        'Doc',
        {
          pipeline: [
            { $match: { title: BOB_SECRET } },
            { $lookup: { from: '_User', localField: 'title', foreignField: 'username', as: 'u' } },
          ],
        },
        masterHeaders,
      );
      expect(joined.status, JSON.stringify(joined.body)).to.equal(200);
      expect(joined.body.results).to.have.length(1);
      expect(joined.body.results[0].u).to.deep.equal([]);
      const users = await aggregate(
        'Doc',
        {
          pipeline: [
            { $limit: 1 },
            {
              $lookup: {
                from: '_User',
                pipeline: [{ $match: { username: 'bob' } }, { $project: { username: 1 } }],
                as: 'u',
              },
            },
          ],
        },
        masterHeaders,
      );
      expect(users.status, JSON.stringify(users.body)).to.equal(200);
      expect(users.body.results[0].u).to.deep.equal([{ _id: bob.objectId, username: 'bob' }]);
      const union = await aggregate(
        'Doc',
        {
          pipeline: [
            { $project: { title: 1 } },
            { $unionWith: { coll: '_User', pipeline: [{ $project: { username: 1 } }] } },
          ],
        },
        masterHeaders,
      );
      expect(union.body.results.map((r: Params) => r.username ?? r.title)).to.include.members(['bob', BOB_SECRET]);
      for (const stage of [{ $out: 'Stolen' }, { $merge: { into: 'Stolen' } }]) {
        expectRefused(await aggregate('Doc', { pipeline: [stage] }, masterHeaders), 102, JSON.stringify(stage));
        expectRefused(
          await aggregate(
            'Doc',
            { pipeline: [{ $lookup: { from: 'Doc', pipeline: [stage], as: 'x' } }] },
            masterHeaders,
          ),
          102,
          JSON.stringify(stage),
        );
      }
      expect(await db.listCollections({ name: 'Stolen' }).toArray()).to.deep.equal([]);
    });
  });
});

describe('attack list: requests that ask for too much are bounded', () => {
  let t: TestBackend;
  const big = 'x'.repeat(10 * 1024 * 1024);
  let bigId: string;
  const clientBatch = (server: TestBackend, requests: Params[], headers: Headers = appHeaders) =>
    server.http.post('/parse/batch').set(headers).send({ requests });
  const reads = (count: number, path: string) => Array.from({ length: count }, () => ({ method: 'GET', path }));

  before(async () => {
    t = await startTestBackend();
    bigId = (await t.http.post('/parse/classes/Note').set(appHeaders).send({ body: big }).expect(201)).body.objectId;
  });
  after(() => t.close());

  describe('15. one request reading far more than it can answer', () => {
    it('a batch of 100 reads of a 10 MB object answers 116 at the byte budget, and the server goes on', async () => {
      const res = await clientBatch(t, reads(100, `/parse/classes/Note/${bigId}`));
      expectRefused(res, 116);
      expect(res.body.error).to.include('maxResponseSize');
      const health = await t.http.get('/parse/health').set(appHeaders);
      expect(health.status).to.equal(200);
      const one = await t.http.get(`/parse/classes/Note/${bigId}`).set(appHeaders);
      expect(one.body.body).to.have.length(big.length);
    });

    it('the master key is bounded by the byte budget too: 1,000 finds of the class answer 116', async () => {
      const res = await clientBatch(t, reads(1000, '/parse/classes/Note'), masterHeaders);
      expectRefused(res, 116);
    });

    it('a single find is bounded, and asking for fewer keys gets the answer', async () => {
      const small = await startTestBackend({ maxResponseSize: '2mb' });
      try {
        const objects = Array.from({ length: 8 }, (_, i) => ({
          method: 'POST',
          path: '/parse/classes/Page',
          body: { i, text: 'y'.repeat(512 * 1024) },
        }));
        await clientBatch(small, objects).expect(200);
        expectRefused(await small.http.get('/parse/classes/Page').set(appHeaders), 116);
        const slim = await small.http.get('/parse/classes/Page').query({ keys: 'i' }).set(appHeaders);
        expect(slim.status).to.equal(200);
        expect(slim.body.results).to.have.length(8);
      } finally {
        await small.close();
      }
    });

    it('includes count against the same budget', async () => {
      const small = await startTestBackend({ maxResponseSize: '2mb' });
      try {
        const target = (
          await small.http
            .post('/parse/classes/Page')
            .set(appHeaders)
            .send({ text: 'y'.repeat(2560 * 1024) })
            .expect(201)
        ).body.objectId;
        await small.http
          .post('/parse/classes/Ref')
          .set(appHeaders)
          .send({ page: pointer('Page', target) })
          .expect(201);
        expect((await small.http.get('/parse/classes/Ref').set(appHeaders)).status).to.equal(200);
        expectRefused(await small.http.get('/parse/classes/Ref').query({ include: 'page' }).set(appHeaders), 116);
      } finally {
        await small.close();
      }
    });

    it('maxResponseSize: -1 switches the budget off', async () => {
      const open = await startTestBackend({ maxResponseSize: -1 });
      try {
        const objects = Array.from({ length: 3 }, () => ({
          method: 'POST',
          path: '/parse/classes/Page',
          body: { text: 'y'.repeat(1024 * 1024) },
        }));
        await clientBatch(open, objects).expect(200);
        expect((await open.http.get('/parse/classes/Page').set(appHeaders)).body.results).to.have.length(3);
      } finally {
        await open.close();
      }
    });
  });

  describe("16. requestComplexity, parse-server's bounds on one client request", () => {
    const nestedOr = (depth: number): Params => (depth === 0 ? { n: 1 } : { $or: [nestedOr(depth - 1), { n: 2 }] });
    const nestedInQuery = (depth: number): Params =>
      depth === 0 ? { n: 1 } : { self: { $inQuery: { className: 'Deep', where: nestedInQuery(depth - 1) } } };
    const get = (server: TestBackend, params: Params, headers: Headers = appHeaders) => {
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(params)) query[k] = typeof v === 'string' ? v : JSON.stringify(v);
      return server.http.get('/parse/classes/Deep').query(query).set(headers);
    };

    before(async () => {
      await t.http.post('/parse/classes/Deep').set(appHeaders).send({ n: 1, title: 'abc' }).expect(201);
    });

    it('a client batch of more than 100 sub-requests answers 107; the master key may send more', async () => {
      const res = await clientBatch(t, reads(101, '/parse/classes/Deep'));
      expectRefused(res, 107);
      expect(res.body.error).to.equal('Batch request contains 101 sub-requests, which exceeds the limit of 100.');
      expect((await clientBatch(t, reads(101, '/parse/classes/Deep'), masterHeaders)).status).to.equal(200);
      expect((await clientBatch(t, reads(100, '/parse/classes/Deep'))).status).to.equal(200);
    });

    it('include deeper than 10 levels or wider than 100 paths answers 102 for clients', async () => {
      const deep = Array.from({ length: 11 }, (_, i) => `p${i}`).join('.');
      const tooDeep = await get(t, { include: deep });
      expectRefused(tooDeep, 102);
      expect(tooDeep.body.error).to.equal('Include depth of 11 exceeds maximum allowed depth of 10');
      const wide = Array.from({ length: 101 }, (_, i) => `p${i}`).join(',');
      const tooWide = await get(t, { include: wide });
      expectRefused(tooWide, 102);
      expect(tooWide.body.error).to.equal('Number of include fields (101) exceeds maximum allowed (100)');
      expect((await get(t, { include: deep }, masterHeaders)).status).to.equal(200);
      expect((await get(t, { include: Array.from({ length: 10 }, (_, i) => `p${i}`).join('.') })).status).to.equal(200);
    });

    it('$or nested deeper than 10 answers 102 for clients', async () => {
      const res = await get(t, { where: nestedOr(11) });
      expectRefused(res, 102);
      expect(res.body.error).to.equal('Query condition nesting depth exceeds maximum allowed depth of 10');
      expect((await get(t, { where: nestedOr(10) })).body.results).to.have.length(1);
      expect((await get(t, { where: nestedOr(11) }, masterHeaders)).body.results).to.have.length(1);
    });

    it('sub-queries nested deeper than 10 answer 102 for clients', async () => {
      const res = await get(t, { where: nestedInQuery(11) });
      expectRefused(res, 102);
      expect(res.body.error).to.equal('Subquery nesting depth exceeds maximum allowed depth of 10');
      expect((await get(t, { where: nestedInQuery(10) })).status).to.equal(200);
    });

    it('allowRegex: false refuses $regex (and regex $all) for clients, not for the master key', async () => {
      const strict = await startTestBackend({ requestComplexity: { allowRegex: false } });
      try {
        await strict.http
          .post('/parse/classes/Deep')
          .set(appHeaders)
          .send({ title: 'abc', tags: ['abc'] })
          .expect(201);
        const regex = await get(strict, { where: { title: { $regex: '^a' } } });
        expectRefused(regex, 102);
        expect(regex.body.error).to.equal('$regex operator is not allowed');
        expectRefused(await get(strict, { where: { tags: { $all: [{ $regex: '^a' }] } } }), 102);
        expect((await get(strict, { where: { title: { $regex: '^a' } } }, masterHeaders)).body.results).to.have.length(
          1,
        );
      } finally {
        await strict.close();
      }
    });

    it('subqueryLimit caps what a sub-query reads; bounds are configurable and -1 switches one off', async () => {
      const tuned = await startTestBackend({
        requestComplexity: { subqueryLimit: 2, batchRequestLimit: -1, queryDepth: 1 },
      });
      try {
        const five = Array.from({ length: 5 }, (_, n) => ({
          method: 'POST',
          path: '/parse/classes/Deep',
          body: { n },
        }));
        await clientBatch(tuned, five).expect(200);
        const inQuery = await get(tuned, {
          where: { objectId: { $select: { query: { className: 'Deep', where: {} }, key: 'objectId' } } },
        });
        expect(inQuery.body.results).to.have.length(2);
        expect((await clientBatch(tuned, reads(150, '/parse/classes/Deep'))).status).to.equal(200);
        expectRefused(await get(tuned, { where: nestedOr(2) }), 102);
      } finally {
        await tuned.close();
      }
    });

    it('bad requestComplexity values are refused when the backend is created', () => {
      const bad = [
        { batchRequestLimit: 0 },
        { includeDepth: 1.5 },
        { queryDepth: -2 },
        { allowRegex: 'no' },
        { unknown: 1 },
      ];
      for (const requestComplexity of bad) {
        expect(
          () =>
            createBackend({
              appId: APP_ID,
              masterKey: 'mk',
              databaseURI: 'mongodb://127.0.0.1:1/x',
              requestComplexity,
            } as never),
          JSON.stringify(requestComplexity),
        ).to.throw(BackendConfigError, /requestComplexity/);
      }
      expect(() =>
        createBackend({
          appId: APP_ID,
          masterKey: 'mk',
          databaseURI: 'mongodb://127.0.0.1:1/x',
          maxResponseSize: 'lots',
        }),
      ).to.throw(BackendConfigError, /maxResponseSize/);
    });
  });
});

describe('attack list: one save cannot bloat the schema', () => {
  let t: TestBackend;
  const fields = (count: number, length: number, prefix = 'f') =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`.padEnd(length, 'x'), i]));
  const storedFieldCount = async (server: TestBackend, className: string) => {
    const stored = await (await server.db()).collection('_SCHEMA').findOne({ _id: className } as never);
    return stored ? Object.keys(stored).filter((key) => !key.startsWith('_')).length : 0;
  };

  before(async () => {
    t = await startTestBackend();
  });
  after(() => t.close());

  describe('18. schema bloat', () => {
    it('2,000 fields with 200-character names in one save answer 105 and record nothing', async () => {
      const res = await t.http.post('/parse/classes/Bloat').set(appHeaders).send(fields(2000, 200));
      expectRefused(res, 105);
      expect(res.body.error).to.include('at most 128 characters');
      expect(await storedFieldCount(t, 'Bloat')).to.equal(0);
    });

    it('more than 500 fields in a class answer 255, in one save or over several', async () => {
      expectRefused(await t.http.post('/parse/classes/Wide').set(appHeaders).send(fields(600, 4)), 255);
      expect(await storedFieldCount(t, 'Wide')).to.equal(0);
      await t.http.post('/parse/classes/Wide').set(appHeaders).send(fields(450, 4)).expect(201);
      const more = await t.http
        .post('/parse/classes/Wide')
        .set(appHeaders)
        .send(fields(100, 4, 'g'));
      expectRefused(more, 255);
      expect(more.body.error).to.equal('Wide may have at most 500 fields (maxFieldsPerClass).');
      // Existing fields keep working.
      await t.http.post('/parse/classes/Wide').set(appHeaders).send(fields(450, 4)).expect(201);
    });

    it('holds for /schemas too, and both bounds are options (-1 switches one off)', async () => {
      const narrow = await startTestBackend({ maxFieldsPerClass: 6, maxFieldNameLength: -1 });
      try {
        const long = 'y'.repeat(300);
        await narrow.http
          .post('/parse/classes/Small')
          .set(appHeaders)
          .send({ [long]: 1 })
          .expect(201);
        expectRefused(await narrow.http.post('/parse/classes/Small').set(appHeaders).send({ a: 1, b: 2 }), 255);
        const put = await narrow.http
          .put('/parse/schemas/Small')
          .set(masterHeaders)
          .send({ fields: { a: { type: 'String' }, b: { type: 'String' } } });
        expectRefused(put, 255);
        await narrow.http
          .put('/parse/schemas/Small')
          .set(masterHeaders)
          .send({ fields: { a: { type: 'String' } } })
          .expect(200);
      } finally {
        await narrow.close();
      }
    });
  });
});

describe('attack list: passwords longer than bcrypt reads', () => {
  // 80 bytes: bcrypt reads the first 72, so the last 8 do not count unless such passwords are refused.
  const long = `${'p'.repeat(72)}-secret`;
  const sameFirst72 = `${'p'.repeat(72)}-ANYTHING`;

  it('19. by default, as in parse-server, only their first 72 bytes count', async () => {
    const t = await startTestBackend();
    try {
      await t.http.post('/parse/users').set(appHeaders).send({ username: 'longpw', password: long }).expect(201);
      const login = await t.http
        .post('/parse/login')
        .set(appHeaders)
        .send({ username: 'longpw', password: sameFirst72 });
      expect(login.status).to.equal(200);
    } finally {
      await t.close();
    }
  });

  it('19. refuseLongPasswords refuses them with 142 on sign-up and password change', async () => {
    const t = await startTestBackend({ refuseLongPasswords: true });
    try {
      const refused = await t.http.post('/parse/users').set(appHeaders).send({ username: 'longpw', password: long });
      expectRefused(refused, 142);
      expect(refused.body.error).to.equal('Password must be at most 72 bytes long.');
      // 72 bytes of UTF-8 is fewer characters when they are not ASCII: 25 × 'é' (2 bytes each) = 50, fine.
      const user = (
        await t.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: 'okpw', password: 'é'.repeat(25) })
          .expect(201)
      ).body;
      const change = await t.http
        .put(`/parse/users/${user.objectId}`)
        .set({ ...appHeaders, 'X-Parse-Session-Token': user.sessionToken })
        .send({ password: 'é'.repeat(40) });
      expectRefused(change, 142);
    } finally {
      await t.close();
    }
  });
});

describe('attack list: usernames and emails that differ only in case', () => {
  const signUp = (t: TestBackend, body: Params) => t.http.post('/parse/users').set(appHeaders).send(body);
  const outcomes = (responses: Response[]) => responses.map((r) => `${r.status}/${r.body.code ?? ''}`).sort();

  it('20. concurrent sign-ups racing on case: one wins, the other gets 202 or 203, never 137', async () => {
    const t = await startTestBackend();
    try {
      for (let i = 0; i < 3; i++) {
        const names = await Promise.all(
          [`caseRace${i}`, `CASERACE${i}`].map((username) => signUp(t, { username, password: 'pw' })),
        );
        expect(outcomes(names)).to.deep.equal(['201/', '400/202']);
        const emails = await Promise.all(
          [`same${i}@race.com`, `SAME${i}@race.com`].map((email, j) =>
            signUp(t, { username: `e${i}-${j}`, password: 'pw', email }),
          ),
        );
        expect(outcomes(emails)).to.deep.equal(['201/', '400/203']);
        const exact = await Promise.all([1, 2].map(() => signUp(t, { username: `exact${i}`, password: 'pw' })));
        expect(outcomes(exact)).to.deep.equal(['201/', '400/202']);
      }
      const users = await (await t.db()).collection('_User').countDocuments();
      expect(users).to.equal(9);
    } finally {
      await t.close();
    }
  });

  it('20. a database that already holds case variants keeps them, warns naming them, and refuses new ones', async () => {
    const warnings: { message: string; details: unknown }[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (message: string, details?: unknown) => warnings.push({ message, details }),
    };
    const first = await startTestBackend();
    const db = await first.db();
    // Two users from before, as parse-server may have left them (its case-insensitive index is not unique).
    await db.collection('_User').dropIndexes();
    await db.collection('_User').insertMany([
      { _id: 'old1', username: 'Dup', _created_at: new Date(), _updated_at: new Date() },
      { _id: 'old2', username: 'DUP', _created_at: new Date(), _updated_at: new Date() },
    ] as never[]);
    await first.close();
    const t = await startTestBackend({ databaseURI: first.databaseURI, logger });
    try {
      await t.backend.ready();
      const warning = warnings.find((w) => w.message.includes('differ only in case'));
      expect(warning, JSON.stringify(warnings)).to.not.equal(undefined);
      expect(JSON.stringify(warning!.details)).to.include('Dup').and.to.include('DUP');
      expectRefused(await signUp(t, { username: 'dUp', password: 'pw' }), 202);
      await signUp(t, { username: 'fresh', password: 'pw' }).expect(201);
    } finally {
      await t.close();
    }
  });
});

describe('attack list: a login flood', () => {
  const logIn = (t: TestBackend, password = 'pw-flood') =>
    t.http.post('/parse/login').set(appHeaders).send({ username: 'flood', password });

  it('21. hashing runs off the main thread: /health answers while a flood of logins is still being checked', async () => {
    const t = await startTestBackend({ passwordHashing: { engine: 'bcryptjs', threads: 1 } });
    try {
      await t.http.post('/parse/users').set(appHeaders).send({ username: 'flood', password: 'pw-flood' }).expect(201);
      const finished: string[] = [];
      const logins = Array.from({ length: 12 }, (_, i) =>
        logIn(t, i % 2 ? 'wrong' : 'pw-flood').then((res) => {
          finished.push('login');
          return res;
        }),
      );
      const health = await t.http.get('/parse/health');
      finished.push('health');
      expect(health.status).to.equal(200);
      const results = await Promise.all(logins);
      expect(finished.indexOf('health')).to.be.below(finished.length - 1);
      expect(results.map((r) => r.status).sort()).to.deep.equal([...Array(6).fill(200), ...Array(6).fill(404)]);
    } finally {
      await t.close();
    }
  });

  it('21. past the bounded queue, logins are refused at once with 503/100, never queued without end', async () => {
    const t = await startTestBackend({ passwordHashing: { engine: 'bcryptjs', threads: 1, maxQueue: 2 } });
    try {
      await t.http.post('/parse/users').set(appHeaders).send({ username: 'flood', password: 'pw-flood' }).expect(201);
      const results = await Promise.all(Array.from({ length: 10 }, () => logIn(t)));
      const busy = results.filter((r) => r.status === 503);
      expect(busy.length).to.be.at.least(5);
      for (const res of busy) {
        expect(res.body).to.deep.equal({
          code: 100,
          error: 'The server is busy checking passwords; try again shortly.',
        });
      }
      expect(results.filter((r) => r.status === 200).length).to.equal(10 - busy.length);
      await logIn(t).expect(200);
    } finally {
      await t.close();
    }
  });

  it('21. hashes made in the worker threads are parse-server-compatible bcrypt, and keep working', async () => {
    const t = await startTestBackend({ passwordHashing: { engine: 'bcryptjs' } });
    try {
      const user = (
        await t.http.post('/parse/users').set(appHeaders).send({ username: 'flood', password: 'pw-flood' }).expect(201)
      ).body;
      const stored = await (await t.db()).collection('_User').findOne({ _id: user.objectId } as never);
      expect(stored!._hashed_password).to.match(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
      await t.http
        .put(`/parse/users/${user.objectId}`)
        .set({ ...appHeaders, 'X-Parse-Session-Token': user.sessionToken })
        .send({ password: 'pw-new' })
        .expect(200);
      expectRefused(await logIn(t), 101);
      await logIn(t, 'pw-new').expect(200);
    } finally {
      await t.close();
    }
  });
});

describe("attack list: parse-server's rateLimit", () => {
  const limited = (res: Response, message = 'Too many requests.') => {
    expect(res.status, JSON.stringify(res.body)).to.equal(429);
    expect(res.body).to.deep.equal({ code: 100, error: message });
  };
  const asUser = (user: User): Headers => ({ ...appHeaders, 'X-Parse-Session-Token': user.sessionToken });

  it('22. counts requests per address on a path, and answers 429/100 past requestCount', async () => {
    const t = await startTestBackend({
      rateLimit: [
        { requestPath: '/login', requestTimeWindow: 60_000, requestCount: 2, errorResponseMessage: 'Slow down.' },
        { requestPath: '/functions/:name', requestTimeWindow: 60_000, requestCount: 1 },
      ],
    });
    try {
      await t.http.post('/parse/users').set(appHeaders).send({ username: 'rl', password: 'pw' }).expect(201);
      const login = () => t.http.post('/parse/login').set(appHeaders).send({ username: 'rl', password: 'pw' });
      await login().expect(200);
      await login().expect(200);
      limited(await login(), 'Slow down.');
      t.backend.cloud.define('ping', () => 'pong');
      await t.http.post('/parse/functions/ping').set(appHeaders).send({}).expect(200);
      limited(await t.http.post('/parse/functions/ping').set(appHeaders).send({}));
      // Other paths, and the master key, are not counted.
      await t.http.get('/parse/classes/Note').set(appHeaders).expect(200);
      await t.http.post('/parse/functions/ping').set(masterHeaders).send({}).expect(200);
    } finally {
      await t.close();
    }
  });

  it('22. counts each request of a batch, and both methods of a _method override', async () => {
    const rule = {
      requestPath: '/classes/*path',
      requestTimeWindow: 60_000,
      requestCount: 3,
      requestMethods: ['POST'],
    };
    const t = await startTestBackend({ rateLimit: rule });
    const sdkForm = await startTestBackend({ rateLimit: rule });
    try {
      const creates = Array.from({ length: 4 }, (_, i) => ({
        method: 'POST',
        path: '/parse/classes/Note',
        body: { i },
      }));
      limited(await t.http.post('/parse/batch').set(appHeaders).send({ requests: creates }));
      expect(await (await t.db()).collection('Note').countDocuments()).to.equal(0);
      // The JS SDK's body form sends a GET as a POST: matched as a POST too.
      const asSdk = () =>
        sdkForm.http
          .post('/parse/classes/Note')
          .set('Content-Type', 'text/plain')
          .send(JSON.stringify({ _method: 'GET', _ApplicationId: APP_ID }));
      for (let i = 0; i < 3; i++) await asSdk().expect(200);
      limited(await asSdk());
    } finally {
      await t.close();
      await sdkForm.close();
    }
  });

  it('22. zones: per user, or one count for everyone', async () => {
    const t = await startTestBackend({
      rateLimit: [
        { requestPath: '/classes/Mine', requestTimeWindow: 60_000, requestCount: 1, zone: 'user' },
        { requestPath: '/classes/Shared', requestTimeWindow: 60_000, requestCount: 1, zone: 'global' },
      ],
    });
    try {
      const signUp = async (username: string): Promise<User> =>
        (await t.http.post('/parse/users').set(appHeaders).send({ username, password: 'pw' }).expect(201)).body;
      const [ann, bob] = [await signUp('z-ann'), await signUp('z-bob')];
      await t.http.get('/parse/classes/Mine').set(asUser(ann)).expect(200);
      await t.http.get('/parse/classes/Mine').set(asUser(bob)).expect(200);
      limited(await t.http.get('/parse/classes/Mine').set(asUser(ann)));
      await t.http.get('/parse/classes/Shared').set(asUser(ann)).expect(200);
      limited(await t.http.get('/parse/classes/Shared').set(asUser(bob)));
    } finally {
      await t.close();
    }
  });

  it("22. rateLimitStore: 'database' counts across processes on one database; memory counts per process", async () => {
    // The database store's windows are aligned to the clock: one long enough that no boundary falls in the test.
    const rule = { requestPath: '/classes/Note', requestTimeWindow: 100 * 365 * 86_400_000, requestCount: 3 };
    for (const [store, expected] of [
      ['database', [200, 200, 200, 429]],
      ['memory', [200, 200, 200, 200]],
    ] as const) {
      const a = await startTestBackend({ rateLimit: rule, rateLimitStore: store });
      const b = await startTestBackend({ rateLimit: rule, rateLimitStore: store, databaseURI: a.databaseURI });
      try {
        const statuses: number[] = [];
        for (const backend of [a, b, a, b])
          statuses.push((await backend.http.get('/parse/classes/Note').set(appHeaders)).status);
        expect(statuses, store).to.deep.equal(expected);
      } finally {
        await a.close();
        await b.close();
      }
    }
  });

  it('22. redisUrl is refused, pointing to the database store', () => {
    expect(() =>
      createBackend({
        appId: APP_ID,
        masterKey: 'mk',
        databaseURI: 'mongodb://127.0.0.1:1/x',
        rateLimit: { requestPath: '*', requestTimeWindow: 1000, requestCount: 1, redisUrl: 'redis://127.0.0.1' },
      }),
    ).to.throw(BackendConfigError, /rateLimitStore: 'database'/);
    expect(() =>
      createBackend({
        appId: APP_ID,
        masterKey: 'mk',
        databaseURI: 'mongodb://127.0.0.1:1/x',
        rateLimit: { requestPath: '*', requestTimeWindow: 1000, requestCount: 1, requestMethods: 'POST(' },
      }),
    ).to.throw(BackendConfigError, /requestMethods/);
  });
});

describe('attack list: sign-ups inside a batch', () => {
  it('23. are allowed, each hashed through the bounded pool: past its queue an item answers 100, never 500', async () => {
    const t = await startTestBackend({ passwordHashing: { engine: 'bcryptjs', threads: 1, maxQueue: 3 } });
    try {
      const requests = Array.from({ length: 12 }, (_, i) => ({
        method: 'POST',
        path: '/parse/users',
        body: { username: `batch-${i}`, password: 'pw' },
      }));
      const res = await t.http.post('/parse/batch').set(appHeaders).send({ requests });
      expect(res.status).to.equal(200);
      const items = res.body as { success?: { sessionToken?: string }; error?: { code: number; error: string } }[];
      const signedUp = items.filter((item) => item.success);
      const busy = items.filter((item) => item.error);
      expect(signedUp.length).to.be.at.least(4);
      expect(signedUp.length + busy.length).to.equal(12);
      for (const item of signedUp) expect(item.success!.sessionToken).to.be.a('string');
      for (const item of busy) {
        expect(item.error).to.deep.equal({
          code: 100,
          error: 'The server is busy checking passwords; try again shortly.',
        });
      }
      expect(await (await t.db()).collection('_User').countDocuments()).to.equal(signedUp.length);
    } finally {
      await t.close();
    }
  });
});

describe('attack list: a slow regular expression on the built-in MongoDB', () => {
  // 40 `a` and a `!`: `^(a+)+$` backtracks for hours on it inside one regex match.
  const trap = `${'a'.repeat(40)}!`;
  const slowWhere = JSON.stringify({ title: { $regex: '^(a+)+$' } });
  let mongo: MemoryMongo;
  let t: TestBackend;
  let trapId: string;

  before(async function () {
    // The built-in engine's own limits are under test; a real mongod's PCRE has its match limit.
    if (usingExternalMongo()) this.skip();
    mongo = await startMemoryMongo({ env: {}, allowMongodBinary: false, regexTimeLimitMS: 2000 });
    t = await startTestBackend({ databaseURI: mongo.uriFor('slow_regex') });
    trapId = (await t.http.post('/parse/classes/Note').set(appHeaders).send({ title: trap }).expect(201)).body.objectId;
  });
  after(async () => {
    await t?.close();
    await mongo?.stop();
  });

  describe('24. one regex freezing the host', () => {
    it('/health answers while the slow query is still pending; the query then ends with 124, data intact', async () => {
      const order: string[] = [];
      const slow = t.http
        .get('/parse/classes/Note')
        .set(appHeaders)
        .query({ where: slowWhere })
        .then((res) => {
          order.push('query');
          return res;
        });
      // Long enough for the query to reach the database; a blocked event loop would also delay this timer.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const health = await t.http.get('/parse/health').set(appHeaders);
      order.push('health');
      expect(health.status).to.equal(200);
      const res = await slow;
      expect(order).to.deep.equal(['health', 'query']);
      expectRefused(res, 124);
      const kept = await t.http.get(`/parse/classes/Note/${trapId}`).set(appHeaders).expect(200);
      expect(kept.body.title).to.equal(trap);
    });

    it("databaseOptions.maxTimeMS bounds every query, as parse-server's does, answered 124", async () => {
      const bounded = await startTestBackend({
        databaseURI: mongo.uriFor('slow_regex'),
        databaseOptions: { maxTimeMS: 100 },
      });
      try {
        const find = await bounded.http.get('/parse/classes/Note').set(appHeaders).query({ where: slowWhere });
        expectRefused(find, 124);
        const count = await bounded.http
          .get('/parse/classes/Note')
          .set(appHeaders)
          .query({ where: slowWhere, count: 1, limit: 0 });
        expectRefused(count, 124);
        const pipeline = JSON.stringify([{ $match: { title: { $regex: '^(a+)+$' } } }]);
        const aggregate = await bounded.http.get('/parse/aggregate/Note').set(masterHeaders).query({ pipeline });
        expectRefused(aggregate, 124);
        const quick = await bounded.http
          .get('/parse/classes/Note')
          .set(appHeaders)
          .query({ where: '{"title":{"$regex":"^a"}}' });
        expect(quick.status).to.equal(200);
        expect(quick.body.results).to.have.length(1);
      } finally {
        await bounded.close();
      }
    });

    it('refuses a databaseOptions.maxTimeMS that is not a positive integer at startup', () => {
      expect(() =>
        createBackend({ appId: APP_ID, masterKey: 'mk', databaseURI: mongo.uri, databaseOptions: { maxTimeMS: -5 } }),
      ).to.throw(BackendConfigError, /maxTimeMS/);
    });
  });
});
