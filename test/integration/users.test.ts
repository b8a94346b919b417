/**
 * Users and sessions over REST, as Parse Server answers them: sign-up, login, logout, the password
 * kept as a bcrypt hash and never returned, session tokens stored hashed, private emails, writes
 * limited to the user itself, and /sessions limited to the caller's own sessions.
 */
import bcrypt from 'bcryptjs';
import { expect } from 'chai';
import { MongoClient, type Db, type Document } from 'mongodb';
import type supertest from 'supertest';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

type Json = Record<string, unknown>;

interface SignedUp {
  objectId: string;
  sessionToken: string;
  createdAt: string;
}

const INVALID_LOGIN = { code: 101, error: 'Invalid username/password.' };

/** Headers of a client logged in with `token`. */
function asUser(token: string): Record<string, string> {
  return { ...appHeaders, 'X-Parse-Session-Token': token };
}

let nameCounter = 0;
/** A username no other test uses (the suite shares one backend). */
function uniqueName(prefix: string): string {
  nameCounter += 1;
  return `${prefix}${nameCounter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Every key of a JSON value, at any depth. */
function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value !== null && typeof value === 'object')
    return Object.entries(value as Json).flatMap(([k, v]) => [k, ...allKeys(v)]);
  return [];
}

/** Fails when a body carries a password, in clear or hashed, anywhere. */
function expectNoPassword(body: unknown, password: string): void {
  const keys = allKeys(body);
  expect(keys).to.not.include('password');
  expect(keys).to.not.include('_hashed_password');
  expect(keys.filter((k) => k.startsWith('_') && k !== '__type')).to.deep.equal([]);
  const text = JSON.stringify(body);
  expect(text).to.not.include(password);
  expect(text).to.not.match(/\$2[aby]\$/);
}

describe('REST users and sessions', () => {
  let t: TestBackend;
  let db: Db;

  before(async () => {
    t = await startTestBackend();
    db = await t.db();
  });
  after(async () => {
    await t.close();
  });

  async function signUp(username: string, password: string, extra: Json = {}): Promise<SignedUp> {
    const res = await t.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ username, password, ...extra });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as SignedUp;
  }

  async function logIn(username: string, password: string): Promise<string> {
    const res = await t.http.post('/parse/login').set(appHeaders).send({ username, password });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.sessionToken).to.be.a('string');
    return res.body.sessionToken as string;
  }

  /** The user id /users/me answers for a token, or the error code. */
  async function whoIs(
    token: string,
    target: TestBackend = t,
  ): Promise<{ status: number; userId?: string; code?: number }> {
    const res = await target.http.get('/parse/users/me').set(asUser(token));
    return res.status === 200
      ? { status: 200, userId: res.body.objectId as string }
      : { status: res.status, code: res.body.code as number };
  }

  function sessionsOf(userId: string): Promise<Document[]> {
    return db
      .collection('_Session')
      .find({ _p_user: `_User$${userId}` })
      .toArray();
  }

  describe('sign-up', () => {
    it('answers 201 with Location, objectId, createdAt and a session token that works for /users/me', async () => {
      const username = uniqueName('alice');
      const res = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username, password: 'secret-1', email: `${username}@example.com`, age: 30 });
      expect(res.status).to.equal(201);
      expect(Object.keys(res.body).sort()).to.deep.equal(['createdAt', 'objectId', 'sessionToken']);
      expect(res.body.objectId).to.match(/^[A-Za-z0-9]{10}$/);
      expect(new Date(res.body.createdAt).toISOString()).to.equal(res.body.createdAt);
      expect(res.body.sessionToken).to.match(/^r:[0-9a-f]{32}$/);
      expect(res.headers.location).to.equal(`${t.serverURL}/users/${res.body.objectId}`);

      const me = await t.http.get('/parse/users/me').set(asUser(res.body.sessionToken));
      expect(me.status).to.equal(200);
      expect(me.body.objectId).to.equal(res.body.objectId);
      expect(me.body.username).to.equal(username);
      expect(me.body.email).to.equal(`${username}@example.com`);
      expect(me.body.age).to.equal(30);
      expect(me.body.sessionToken).to.equal(res.body.sessionToken);
      expect(me.body.createdAt).to.equal(res.body.createdAt);
      expect(me.body.ACL).to.deep.equal({ [res.body.objectId]: { read: true, write: true } });
      expectNoPassword({ ...me.body, sessionToken: undefined }, 'secret-1');
    });

    it('records the session as created by a sign-up with a password', async () => {
      const user = await signUp(uniqueName('rec'), 'pw');
      const [session, ...others] = await sessionsOf(user.objectId);
      expect(others).to.have.length(0);
      expect(session!.createdWith).to.deep.equal({ action: 'signup', authProvider: 'password' });
      expect(session!._p_user).to.equal(`_User$${user.objectId}`);
      expect(session!.expiresAt).to.be.instanceOf(Date);
      // The default session length is a year.
      const lifetime = (session!.expiresAt as Date).getTime() - new Date(user.createdAt).getTime();
      expect(lifetime).to.be.closeTo(365 * 24 * 3600 * 1000, 60 * 1000);
    });

    it('needs a username (200) and a password (201)', async () => {
      const noName = await t.http.post('/parse/users').set(appHeaders).send({ password: 'x' });
      expect(noName.status).to.equal(400);
      expect(noName.body).to.deep.equal({ code: 200, error: 'bad or missing username' });
      const emptyName = await t.http.post('/parse/users').set(appHeaders).send({ username: '', password: 'x' });
      expect(emptyName.status).to.equal(400);
      expect(emptyName.body.code).to.equal(200);
      const noPassword = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: uniqueName('nopw') });
      expect(noPassword.status).to.equal(400);
      expect(noPassword.body).to.deep.equal({ code: 201, error: 'password is required.' });
      const emptyPassword = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: uniqueName('nopw'), password: '' });
      expect(emptyPassword.status).to.equal(400);
      expect(emptyPassword.body.code).to.equal(201);
    });

    it('refuses a username taken in another case (202) and an email taken in another case (203)', async () => {
      const username = uniqueName('Bob');
      await signUp(username, 'pw', { email: `${username}@Example.com` });
      const sameName = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: username.toUpperCase(), password: 'pw' });
      expect(sameName.status).to.equal(400);
      expect(sameName.body).to.deep.equal({ code: 202, error: 'Account already exists for this username.' });
      const sameEmail = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: uniqueName('other'), password: 'pw', email: `${username.toLowerCase()}@EXAMPLE.COM` });
      expect(sameEmail.status).to.equal(400);
      expect(sameEmail.body).to.deep.equal({ code: 203, error: 'Account already exists for this email address.' });
      expect(
        await db.collection('_User').countDocuments({ username: { $regex: `^${username}$`, $options: 'i' } }),
      ).to.equal(1);
    });

    it('refuses a malformed email (125)', async () => {
      const res = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: uniqueName('bad'), password: 'pw', email: 'not-an-email' });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ code: 125, error: 'Email address format is invalid.' });
    });

    it('refuses renaming a user to a username or email another user has, in another case', async () => {
      const first = uniqueName('first');
      await signUp(first, 'pw', { email: `${first}@example.com` });
      const second = await signUp(uniqueName('second'), 'pw');
      const rename = await t.http
        .put(`/parse/users/${second.objectId}`)
        .set(asUser(second.sessionToken))
        .send({ username: first.toUpperCase() });
      expect(rename.status).to.equal(400);
      expect(rename.body.code).to.equal(202);
      const email = await t.http
        .put(`/parse/users/${second.objectId}`)
        .set(asUser(second.sessionToken))
        .send({ email: `${first.toUpperCase()}@example.com` });
      expect(email.status).to.equal(400);
      expect(email.body.code).to.equal(203);
    });
  });

  describe('passwords', () => {
    it('are never returned and are stored as a bcrypt hash', async () => {
      const username = uniqueName('hidden');
      const password = 'Very-Secret-Password-42';
      const user = await signUp(username, password, { email: `${username}@example.com` });

      const replies: [string, supertest.Response][] = [
        ['GET /users/me', await t.http.get('/parse/users/me').set(asUser(user.sessionToken))],
        ['GET /users/:id (self)', await t.http.get(`/parse/users/${user.objectId}`).set(asUser(user.sessionToken))],
        ['GET /users/:id (master)', await t.http.get(`/parse/users/${user.objectId}`).set(masterHeaders)],
        ['GET /users (master)', await t.http.get('/parse/users').set(masterHeaders)],
        ['GET /classes/_User (master)', await t.http.get('/parse/classes/_User').set(masterHeaders)],
        [
          'GET /classes/_User/:id (master)',
          await t.http.get(`/parse/classes/_User/${user.objectId}`).set(masterHeaders),
        ],
        [
          'GET /classes/_User/:id (self)',
          await t.http.get(`/parse/classes/_User/${user.objectId}`).set(asUser(user.sessionToken)),
        ],
        ['POST /login', await t.http.post('/parse/login').set(appHeaders).send({ username, password })],
        ['GET /login', await t.http.get('/parse/login').set(appHeaders).query({ username, password })],
        [
          'GET /verifyPassword',
          await t.http.get('/parse/verifyPassword').set(appHeaders).query({ username, password }),
        ],
        ['POST /loginAs', await t.http.post('/parse/loginAs').set(masterHeaders).send({ userId: user.objectId })],
        [
          'PUT /users/:id',
          await t.http.put(`/parse/users/${user.objectId}`).set(asUser(user.sessionToken)).send({ nick: 'n' }),
        ],
      ];
      for (const [label, res] of replies) {
        expect(res.status, `${label}: ${JSON.stringify(res.body)}`).to.equal(200);
        expectNoPassword(res.body, password);
      }
      // The user is in the lists that were asked.
      expect((replies[3]![1].body.results as Json[]).map((u) => u.objectId)).to.include(user.objectId);
      expect((replies[4]![1].body.results as Json[]).map((u) => u.objectId)).to.include(user.objectId);

      const doc = await db.collection('_User').findOne({ _id: user.objectId } as never);
      expect(doc).to.not.equal(null);
      expect(doc).to.not.have.property('password');
      expect(doc!._hashed_password).to.match(/^\$2[ab]\$\d\d\$[./A-Za-z0-9]{53}$/);
      expect(bcrypt.compareSync(password, doc!._hashed_password as string)).to.equal(true);
      expect(doc!.username).to.equal(username);
    });

    it('a new password is hashed too, and the reply to the change does not carry it', async () => {
      const user = await signUp(uniqueName('rehash'), 'old-password');
      const res = await t.http
        .put(`/parse/users/${user.objectId}`)
        .set(asUser(user.sessionToken))
        .send({ password: 'new-password' });
      expect(res.status).to.equal(200);
      expect(res.body.updatedAt).to.be.a('string');
      expectNoPassword(res.body, 'new-password');
      const doc = await db.collection('_User').findOne({ _id: user.objectId } as never);
      expect(doc!._hashed_password).to.match(/^\$2[ab]\$/);
      expect(bcrypt.compareSync('new-password', doc!._hashed_password as string)).to.equal(true);
      expect(bcrypt.compareSync('old-password', doc!._hashed_password as string)).to.equal(false);
    });

    for (const prefix of ['$2a$', '$2b$']) {
      it(`a user written by parse-server with a ${prefix} bcrypt hash logs in (by username and by email)`, async () => {
        const objectId = `legacy${prefix.slice(2, 3)}${Math.random().toString(36).slice(2, 6)}`;
        const username = uniqueName('legacy');
        const hash = `${prefix}${bcrypt.hashSync('migrated-pw', 10).slice(4)}`;
        const now = new Date('2021-03-04T05:06:07.000Z');
        await db.collection('_User').insertOne({
          _id: objectId,
          username,
          email: `${username}@example.com`,
          _hashed_password: hash,
          emailVerified: false,
          _created_at: now,
          _updated_at: now,
          _rperm: [objectId],
          _wperm: [objectId],
          _acl: { [objectId]: { r: true, w: true } },
        } as never);

        const byName = await t.http.post('/parse/login').set(appHeaders).send({ username, password: 'migrated-pw' });
        expect(byName.status, JSON.stringify(byName.body)).to.equal(200);
        expect(byName.body.objectId).to.equal(objectId);
        expect(byName.body.username).to.equal(username);
        expect(byName.body.createdAt).to.equal(now.toISOString());
        expectNoPassword({ ...byName.body, sessionToken: undefined }, 'migrated-pw');
        expect(await whoIs(byName.body.sessionToken as string)).to.deep.equal({ status: 200, userId: objectId });

        const byEmail = await t.http
          .post('/parse/login')
          .set(appHeaders)
          .send({ email: `${username}@example.com`, password: 'migrated-pw' });
        expect(byEmail.status).to.equal(200);
        expect(byEmail.body.objectId).to.equal(objectId);

        const wrong = await t.http.post('/parse/login').set(appHeaders).send({ username, password: 'not-it' });
        expect(wrong.status).to.equal(404);
        expect(wrong.body).to.deep.equal(INVALID_LOGIN);
        // The stored hash is left as it was.
        const doc = await db.collection('_User').findOne({ _id: objectId } as never);
        expect(doc!._hashed_password).to.equal(hash);
      });
    }
  });

  describe('login', () => {
    it('logs in by username (POST body and GET query) and by email, each time with a new session', async () => {
      const username = uniqueName('carol');
      const user = await signUp(username, 'pw-carol', { email: `${username}@example.com` });
      const post = await t.http.post('/parse/login').set(appHeaders).send({ username, password: 'pw-carol' });
      expect(post.status).to.equal(200);
      expect(post.body.objectId).to.equal(user.objectId);
      expect(post.body.username).to.equal(username);
      expect(post.body.email).to.equal(`${username}@example.com`);
      expect(post.body.createdAt).to.equal(user.createdAt);
      expect(post.body.updatedAt).to.be.a('string');
      expect(post.body.sessionToken).to.match(/^r:[0-9a-f]{32}$/);

      const get = await t.http.get('/parse/login').set(appHeaders).query({ username, password: 'pw-carol' });
      expect(get.status).to.equal(200);
      expect(get.body.objectId).to.equal(user.objectId);

      const byEmail = await t.http
        .post('/parse/login')
        .set(appHeaders)
        .send({ email: `${username}@example.com`, password: 'pw-carol' });
      expect(byEmail.status).to.equal(200);
      expect(byEmail.body.objectId).to.equal(user.objectId);

      const tokens = [
        user.sessionToken,
        post.body.sessionToken,
        get.body.sessionToken,
        byEmail.body.sessionToken,
      ] as string[];
      expect(new Set(tokens).size).to.equal(4);
      for (const token of tokens) expect(await whoIs(token)).to.deep.equal({ status: 200, userId: user.objectId });
      const sessions = await sessionsOf(user.objectId);
      expect(sessions).to.have.length(4);
      expect(sessions.filter((s) => (s.createdWith as Json).action === 'login')).to.have.length(3);
    });

    it('answers a wrong password and an unknown user alike: 404 {code: 101}', async () => {
      const username = uniqueName('dave');
      await signUp(username, 'right', { email: `${username}@example.com` });
      const attempts = [
        { username, password: 'wrong' },
        { username: uniqueName('nobody'), password: 'right' },
        { email: `${username}@example.com`, password: 'wrong' },
        { email: 'nobody@example.com', password: 'right' },
        // Usernames are exact at login: another case is another (unknown) user.
        { username: username.toUpperCase(), password: 'right' },
      ];
      for (const body of attempts) {
        const res = await t.http.post('/parse/login').set(appHeaders).send(body);
        expect(res.status, JSON.stringify(body)).to.equal(404);
        expect(res.body).to.deep.equal(INVALID_LOGIN);
      }
    });

    it('needs a username or email (200) and a password (201)', async () => {
      const none = await t.http.post('/parse/login').set(appHeaders).send({ password: 'x' });
      expect(none.status).to.equal(400);
      expect(none.body).to.deep.equal({ code: 200, error: 'username/email is required.' });
      const noPassword = await t.http.post('/parse/login').set(appHeaders).send({ username: 'someone' });
      expect(noPassword.status).to.equal(400);
      expect(noPassword.body).to.deep.equal({ code: 201, error: 'password is required.' });
    });
  });

  describe('sessions and tokens', () => {
    it('/users/me without a session token answers 209', async () => {
      const res = await t.http.get('/parse/users/me').set(appHeaders);
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal(209);
    });

    it('logout ends that session only', async () => {
      const username = uniqueName('erin');
      const user = await signUp(username, 'pw');
      const other = await logIn(username, 'pw');
      const res = await t.http.post('/parse/logout').set(asUser(user.sessionToken)).send({});
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({});
      const after = await t.http.get('/parse/users/me').set(asUser(user.sessionToken));
      expect(after.status).to.equal(400);
      expect(after.body).to.deep.equal({ code: 209, error: 'Invalid session token' });
      expect(await whoIs(other)).to.deep.equal({ status: 200, userId: user.objectId });
      expect(await sessionsOf(user.objectId)).to.have.length(1);
    });

    it('stores the session token hashed by default', async () => {
      const user = await signUp(uniqueName('hash'), 'pw');
      const [session] = await sessionsOf(user.objectId);
      const stored = session!._session_token as string;
      expect(stored).to.be.a('string');
      expect(stored.startsWith('h:')).to.equal(true);
      expect(stored).to.not.equal(user.sessionToken);
      expect(stored).to.not.include(user.sessionToken.slice(2));
      expect(JSON.stringify(session)).to.not.include(user.sessionToken);
    });

    it('a hashed value read from _Session does not work as a session token (no replay of a leaked database)', async () => {
      const user = await signUp(uniqueName('leak'), 'pw');
      const [session] = await sessionsOf(user.objectId);
      const stored = session!._session_token as string;
      expect(stored.startsWith('h:')).to.equal(true);
      expect(await whoIs(stored)).to.deep.equal({ status: 400, code: 209 });
      const me = await t.http.get('/parse/sessions/me').set(asUser(stored));
      expect(me.status).to.equal(400);
      expect(me.body.code).to.equal(209);
      // The real token still works.
      expect(await whoIs(user.sessionToken)).to.deep.equal({ status: 200, userId: user.objectId });
    });

    it("a plain token written into _Session in parse-server's form still works", async () => {
      const user = await signUp(uniqueName('plainold'), 'pw');
      const token = `r:${'0123456789abcdef'.repeat(2)}${Math.random().toString(16).slice(2, 6)}`;
      const now = new Date();
      await db.collection('_Session').insertOne({
        _id: `sess${Math.random().toString(36).slice(2, 8)}`,
        _session_token: token,
        _p_user: `_User$${user.objectId}`,
        createdWith: { action: 'login', authProvider: 'password' },
        restricted: false,
        installationId: 'some-installation',
        expiresAt: new Date(now.getTime() + 3600 * 1000),
        _created_at: now,
        _updated_at: now,
        _rperm: [user.objectId],
        _wperm: [user.objectId],
        _acl: { [user.objectId]: { r: true, w: true } },
      } as never);
      expect(await whoIs(token)).to.deep.equal({ status: 200, userId: user.objectId });
      const me = await t.http.get('/parse/sessions/me').set(asUser(token));
      expect(me.status).to.equal(200);
      expect(me.body.sessionToken).to.equal(token);
      expect(me.body.installationId).to.equal('some-installation');
      expect(me.body.user).to.deep.equal({ __type: 'Pointer', className: '_User', objectId: user.objectId });
    });

    it('a session whose expiresAt has passed answers 209', async () => {
      const user = await signUp(uniqueName('expired'), 'pw');
      const token = `r:${'fedcba9876543210'.repeat(2)}`;
      const past = new Date(Date.now() - 60 * 1000);
      await db.collection('_Session').insertOne({
        _id: `expired${Math.random().toString(36).slice(2, 5)}`,
        _session_token: token,
        _p_user: `_User$${user.objectId}`,
        createdWith: { action: 'login', authProvider: 'password' },
        restricted: false,
        expiresAt: past,
        _created_at: new Date(past.getTime() - 3600 * 1000),
        _updated_at: new Date(past.getTime() - 3600 * 1000),
        _rperm: [user.objectId],
        _wperm: [user.objectId],
      } as never);
      expect(await whoIs(token)).to.deep.equal({ status: 400, code: 209 });
      const classes = await t.http.get('/parse/classes/Anything').set(asUser(token));
      expect(classes.status).to.equal(400);
      expect(classes.body.code).to.equal(209);
    });

    it('an unknown token answers 209 on any route', async () => {
      const token = 'r:00000000000000000000000000000000';
      expect(await whoIs(token)).to.deep.equal({ status: 400, code: 209 });
      const res = await t.http.post('/parse/classes/Thing').set(asUser(token)).send({ a: 1 });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ code: 209, error: 'Invalid session token' });
    });

    it('/sessions/me describes the current session, with its token', async () => {
      const user = await signUp(uniqueName('frank'), 'pw');
      const res = await t.http.get('/parse/sessions/me').set(asUser(user.sessionToken));
      expect(res.status).to.equal(200);
      const [stored] = await sessionsOf(user.objectId);
      expect(res.body.objectId).to.equal(stored!._id);
      expect(res.body.sessionToken).to.equal(user.sessionToken);
      expect(res.body.user).to.deep.equal({ __type: 'Pointer', className: '_User', objectId: user.objectId });
      expect(res.body.createdWith).to.deep.equal({ action: 'signup', authProvider: 'password' });
      expect(res.body.expiresAt).to.deep.equal({ __type: 'Date', iso: (stored!.expiresAt as Date).toISOString() });
      const anonymous = await t.http.get('/parse/sessions/me').set(appHeaders);
      expect(anonymous.status).to.equal(400);
      expect(anonymous.body.code).to.equal(209);
    });

    it("/sessions lists only the caller's sessions, without their tokens; the master key sees all", async () => {
      const nameA = uniqueName('gina');
      const a = await signUp(nameA, 'pw');
      await logIn(nameA, 'pw');
      const b = await signUp(uniqueName('hank'), 'pw');

      const listA = await t.http.get('/parse/sessions').set(asUser(a.sessionToken));
      expect(listA.status).to.equal(200);
      const resultsA = listA.body.results as Json[];
      expect(resultsA).to.have.length(2);
      for (const s of resultsA) {
        expect(s.user).to.deep.equal({ __type: 'Pointer', className: '_User', objectId: a.objectId });
        expect(s).to.not.have.property('sessionToken');
      }
      expect(resultsA.map((s) => s.objectId).sort()).to.deep.equal(
        (await sessionsOf(a.objectId)).map((s) => s._id).sort(),
      );

      const listB = await t.http.get('/parse/sessions').set(asUser(b.sessionToken));
      expect((listB.body.results as Json[]).map((s) => (s.user as Json).objectId)).to.deep.equal([b.objectId]);

      // The master key queries every session, with a where of its own (as a find: 100 by default).
      const pointerTo = (objectId: string) => ({ __type: 'Pointer', className: '_User', objectId });
      const all = await t.http
        .get('/parse/sessions')
        .query({ where: JSON.stringify({ user: { $in: [pointerTo(a.objectId), pointerTo(b.objectId)] } }) })
        .set(masterHeaders);
      expect(all.status).to.equal(200);
      expect(all.body.results).to.have.length(3);
      const owners = (all.body.results as Json[]).map((s) => (s.user as Json).objectId);
      expect(owners).to.include(a.objectId);
      expect(owners).to.include(b.objectId);
      const everyone = await t.http.get('/parse/sessions').query({ count: 1, limit: 0 }).set(masterHeaders);
      expect(everyone.body.count).to.equal(await db.collection('_Session').countDocuments());

      const anonymous = await t.http.get('/parse/sessions').set(appHeaders);
      expect(anonymous.status).to.equal(400);
      expect(anonymous.body.code).to.equal(209);
    });

    it("GET and DELETE /sessions/:id of another user's session are refused (101), of one's own work", async () => {
      const nameA = uniqueName('ivy');
      const a = await signUp(nameA, 'pw');
      const aSecond = await logIn(nameA, 'pw');
      const b = await signUp(uniqueName('jack'), 'pw');
      const [bSession] = await sessionsOf(b.objectId);
      const bSessionId = bSession!._id as unknown as string;

      const peek = await t.http.get(`/parse/sessions/${bSessionId}`).set(asUser(a.sessionToken));
      expect(peek.status).to.equal(404);
      expect(peek.body.code).to.equal(101);
      const kill = await t.http.delete(`/parse/sessions/${bSessionId}`).set(asUser(a.sessionToken));
      expect(kill.status).to.equal(404);
      expect(kill.body.code).to.equal(101);
      const anonymousKill = await t.http.delete(`/parse/sessions/${bSessionId}`).set(appHeaders);
      expect(anonymousKill.status).to.equal(400);
      expect(anonymousKill.body.code).to.equal(209);
      expect(await whoIs(b.sessionToken)).to.deep.equal({ status: 200, userId: b.objectId });
      expect(await sessionsOf(b.objectId)).to.have.length(1);

      const secondId = (await sessionsOf(a.objectId)).find((s) => (s.createdWith as Json).action === 'login')!
        ._id as unknown as string;
      const own = await t.http.get(`/parse/sessions/${secondId}`).set(asUser(a.sessionToken));
      expect(own.status).to.equal(200);
      expect(own.body.objectId).to.equal(secondId);
      expect(own.body).to.not.have.property('sessionToken');
      expect(await whoIs(aSecond)).to.deep.equal({ status: 200, userId: a.objectId });
      const ended = await t.http.delete(`/parse/sessions/${secondId}`).set(asUser(a.sessionToken));
      expect(ended.status).to.equal(200);
      expect(ended.body).to.deep.equal({});
      expect(await whoIs(aSecond)).to.deep.equal({ status: 400, code: 209 });
      expect(await whoIs(a.sessionToken)).to.deep.equal({ status: 200, userId: a.objectId });

      // The master key may end anyone's session.
      const byMaster = await t.http.delete(`/parse/sessions/${bSessionId}`).set(masterHeaders);
      expect(byMaster.status).to.equal(200);
      expect(await whoIs(b.sessionToken)).to.deep.equal({ status: 400, code: 209 });
    });
  });

  describe('privacy of users', () => {
    it('a new user is private: others and the public cannot read it at all', async () => {
      const a = await signUp(uniqueName('kim'), 'pw', { email: 'kim@example.com' });
      const b = await signUp(uniqueName('lee'), 'pw');
      for (const headers of [appHeaders, asUser(b.sessionToken)]) {
        const res = await t.http.get(`/parse/users/${a.objectId}`).set(headers);
        expect(res.status).to.equal(404);
        expect(res.body.code).to.equal(101);
        const list = await t.http.get('/parse/users').set(headers);
        expect(list.status).to.equal(200);
        expect((list.body.results as Json[]).map((u) => u.objectId)).to.not.include(a.objectId);
      }
    });

    it("others never see a user's email; the user itself and the master key do", async () => {
      const username = uniqueName('mia');
      const email = `${username}@example.com`;
      const a = await signUp(username, 'pw', { email });
      const b = await signUp(uniqueName('ned'), 'pw');
      const share = await t.http
        .put(`/parse/users/${a.objectId}`)
        .set(asUser(a.sessionToken))
        .send({ ACL: { '*': { read: true }, [a.objectId]: { read: true, write: true } } });
      expect(share.status).to.equal(200);

      for (const headers of [appHeaders, asUser(b.sessionToken)]) {
        const one = await t.http.get(`/parse/users/${a.objectId}`).set(headers);
        expect(one.status).to.equal(200);
        expect(one.body.username).to.equal(username);
        expect(one.body).to.not.have.property('email');
        const list = await t.http
          .get('/parse/users')
          .set(headers)
          .query({ where: JSON.stringify({ objectId: a.objectId }) });
        expect(list.status).to.equal(200);
        expect(list.body.results).to.have.length(1);
        expect(list.body.results[0].username).to.equal(username);
        expect(list.body.results[0]).to.not.have.property('email');
      }
      for (const headers of [asUser(a.sessionToken), masterHeaders]) {
        const one = await t.http.get(`/parse/users/${a.objectId}`).set(headers);
        expect(one.status).to.equal(200);
        expect(one.body.email).to.equal(email);
      }
    });

    it("GET /classes/_User hides another user's email as /users does", async () => {
      const username = uniqueName('cls');
      const a = await signUp(username, 'pw', { email: `${username}@example.com` });
      const b = await signUp(uniqueName('clsb'), 'pw');
      const share = await t.http
        .put(`/parse/users/${a.objectId}`)
        .set(asUser(a.sessionToken))
        .send({ ACL: { '*': { read: true }, [a.objectId]: { read: true, write: true } } });
      expect(share.status).to.equal(200);
      const one = await t.http.get(`/parse/classes/_User/${a.objectId}`).set(asUser(b.sessionToken));
      expect(one.status).to.equal(200);
      expect(one.body.username).to.equal(username);
      expect(one.body).to.not.have.property('email');
      const list = await t.http
        .get('/parse/classes/_User')
        .set(appHeaders)
        .query({ where: JSON.stringify({ objectId: a.objectId }) });
      expect(list.status).to.equal(200);
      expect(list.body.results).to.have.length(1);
      expect(list.body.results[0].username).to.equal(username);
      expect(list.body.results[0]).to.not.have.property('email');
      const self = await t.http.get(`/parse/classes/_User/${a.objectId}`).set(asUser(a.sessionToken));
      expect(self.body.email).to.equal(`${username}@example.com`);
    });

    it('others cannot find a user by its email (119), which would reveal it; the master key can', async () => {
      const username = uniqueName('probe');
      const email = `${username}@example.com`;
      const a = await signUp(username, 'pw', { email });
      const b = await signUp(uniqueName('prober'), 'pw');
      await t.http
        .put(`/parse/users/${a.objectId}`)
        .set(asUser(a.sessionToken))
        .send({ ACL: { '*': { read: true }, [a.objectId]: { read: true, write: true } } })
        .expect(200);
      for (const where of [{ email }, { email: { $regex: `^${username}` } }]) {
        for (const path of ['/parse/users', '/parse/classes/_User']) {
          const res = await t.http
            .get(path)
            .set(asUser(b.sessionToken))
            .query({ where: JSON.stringify(where) });
          expect(res.status, `${path} ${JSON.stringify(where)}`).to.equal(400);
          expect(res.body).to.deep.equal({
            code: 119,
            error: 'This user is not allowed to query email on class _User',
          });
        }
      }
      const master = await t.http
        .get('/parse/users')
        .set(masterHeaders)
        .query({ where: JSON.stringify({ email }) });
      expect(master.status).to.equal(200);
      expect((master.body.results as Json[]).map((u) => u.objectId)).to.deep.equal([a.objectId]);
    });

    it('with enforcePrivateUsers: false a new user is publicly readable, still without its email', async () => {
      const open = await startTestBackend({ enforcePrivateUsers: false });
      try {
        const created = await open.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: 'openuser', password: 'pw', email: 'open@example.com' });
        expect(created.status).to.equal(201);
        const res = await open.http.get(`/parse/users/${created.body.objectId}`).set(appHeaders);
        expect(res.status).to.equal(200);
        expect(res.body.username).to.equal('openuser');
        expect(res.body).to.not.have.property('email');
        expect(res.body.ACL).to.deep.equal({
          '*': { read: true },
          [created.body.objectId]: { read: true, write: true },
        });
      } finally {
        await open.close();
      }
    });
  });

  describe('writes to users', () => {
    it('a user cannot update or delete another user (206); the public neither', async () => {
      const a = await signUp(uniqueName('olga'), 'pw');
      const b = await signUp(uniqueName('pete'), 'pw');
      for (const headers of [asUser(b.sessionToken), appHeaders]) {
        const update = await t.http.put(`/parse/users/${a.objectId}`).set(headers).send({ nick: 'hacked' });
        expect(update.status).to.equal(400);
        expect(update.body.code).to.equal(206);
        const passwordChange = await t.http
          .put(`/parse/users/${a.objectId}`)
          .set(headers)
          .send({ password: 'taken-over' });
        expect(passwordChange.status).to.equal(400);
        expect(passwordChange.body.code).to.equal(206);
        const remove = await t.http.delete(`/parse/users/${a.objectId}`).set(headers);
        expect(remove.status).to.equal(400);
        expect(remove.body.code).to.equal(206);
      }
      const doc = await db.collection('_User').findOne({ _id: a.objectId } as never);
      expect(doc).to.not.equal(null);
      expect(doc).to.not.have.property('nick');
      expect(bcrypt.compareSync('pw', doc!._hashed_password as string)).to.equal(true);
      expect(await whoIs(a.sessionToken)).to.deep.equal({ status: 200, userId: a.objectId });
    });

    it("another user writes a user only where that user's ACL lets them (a role's write access), as parse-server", async () => {
      const member = await signUp(uniqueName('ruth'), 'pw');
      const outsider = await signUp(uniqueName('sam'), 'pw');
      const target = await signUp(uniqueName('tess'), 'pw');
      const role = await t.http
        .post('/parse/roles')
        .set(masterHeaders)
        .send({
          name: uniqueName('editors'),
          ACL: { '*': { read: true } },
          users: {
            __op: 'AddRelation',
            objects: [{ __type: 'Pointer', className: '_User', objectId: member.objectId }],
          },
        });
      expect(role.status).to.equal(201);
      const roleName = `role:${(await t.http.get(`/parse/roles/${role.body.objectId}`).set(masterHeaders)).body.name}`;
      const granted = await t.http
        .put(`/parse/users/${target.objectId}`)
        .set(masterHeaders)
        .send({ ACL: { [target.objectId]: { read: true, write: true }, [roleName]: { read: true, write: true } } });
      expect(granted.status).to.equal(200);

      const byMember = await t.http
        .put(`/parse/users/${target.objectId}`)
        .set(asUser(member.sessionToken))
        .send({ nick: 'ok' });
      expect(byMember.status).to.equal(200);
      const byOutsider = await t.http
        .put(`/parse/classes/_User/${target.objectId}`)
        .set(asUser(outsider.sessionToken))
        .send({ nick: 'no' });
      expect(byOutsider.status).to.equal(400);
      expect(byOutsider.body).to.deep.equal({ code: 206, error: 'Insufficient auth.' });
      const byPublic = await t.http.put(`/parse/users/${target.objectId}`).set(appHeaders).send({ nick: 'no' });
      expect(byPublic.body).to.deep.equal({ code: 206, error: `Cannot modify user ${target.objectId}.` });
      const publicDelete = await t.http.delete(`/parse/users/${target.objectId}`).set(appHeaders);
      expect(publicDelete.body).to.deep.equal({ code: 206, error: 'Insufficient auth to delete user' });
      const doc = await db.collection('_User').findOne({ _id: target.objectId } as never);
      expect(doc?.nick).to.equal('ok');
      // the member's change did not log the target out
      expect(await whoIs(target.sessionToken)).to.deep.equal({ status: 200, userId: target.objectId });

      const removed = await t.http.delete(`/parse/users/${target.objectId}`).set(asUser(member.sessionToken));
      expect(removed.status).to.equal(200);
      expect(await db.collection('_User').findOne({ _id: target.objectId } as never)).to.equal(null);
    });

    it('the master key writing a user that is not there gets 101, not 206', async () => {
      const update = await t.http.put('/parse/users/noSuchUser1').set(masterHeaders).send({ nick: 'x' });
      expect(update.body).to.deep.equal({ code: 101, error: 'Object not found.' });
      const removal = await t.http.delete('/parse/classes/_User/noSuchUser1').set(masterHeaders);
      expect(removal.body).to.deep.equal({ code: 101, error: 'Object not found.' });
    });

    it('a user updates its own fields; the master key updates anyone', async () => {
      const a = await signUp(uniqueName('quinn'), 'pw');
      const own = await t.http
        .put(`/parse/users/${a.objectId}`)
        .set(asUser(a.sessionToken))
        .send({ nick: 'Q', score: { __op: 'Increment', amount: 2 } });
      expect(own.status).to.equal(200);
      expect(own.body.score).to.equal(2);
      const master = await t.http.put(`/parse/users/${a.objectId}`).set(masterHeaders).send({ level: 7 });
      expect(master.status).to.equal(200);
      const me = await t.http.get('/parse/users/me').set(asUser(a.sessionToken));
      expect(me.body.nick).to.equal('Q');
      expect(me.body.score).to.equal(2);
      expect(me.body.level).to.equal(7);
    });

    it('a user deletes itself, which ends its sessions', async () => {
      const a = await signUp(uniqueName('rita'), 'pw');
      const res = await t.http.delete(`/parse/users/${a.objectId}`).set(asUser(a.sessionToken));
      expect(res.status).to.equal(200);
      expect(await db.collection('_User').countDocuments({ _id: a.objectId } as never)).to.equal(0);
      expect(await sessionsOf(a.objectId)).to.have.length(0);
      expect(await whoIs(a.sessionToken)).to.deep.equal({ status: 400, code: 209 });
    });

    it('the master key deletes any user, and its sessions end', async () => {
      const a = await signUp(uniqueName('sam'), 'pw');
      const res = await t.http.delete(`/parse/users/${a.objectId}`).set(masterHeaders);
      expect(res.status).to.equal(200);
      const gone = await t.http.get(`/parse/users/${a.objectId}`).set(masterHeaders);
      expect(gone.status).to.equal(404);
      expect(gone.body.code).to.equal(101);
      expect(await whoIs(a.sessionToken)).to.deep.equal({ status: 400, code: 209 });
    });

    it('changing the password ends every session of the user and answers a new one, as parse-server does', async () => {
      const username = uniqueName('tom');
      const user = await signUp(username, 'old-pw');
      const second = await logIn(username, 'old-pw');
      const third = await logIn(username, 'old-pw');
      const other = await signUp(uniqueName('uma'), 'pw');
      for (const token of [second, third])
        expect(await whoIs(token)).to.deep.equal({ status: 200, userId: user.objectId });

      const res = await t.http
        .put(`/parse/users/${user.objectId}`)
        .set(asUser(user.sessionToken))
        .send({ password: 'new-pw' });
      expect(res.status).to.equal(200);
      expect(res.body.sessionToken).to.match(/^r:/);
      expect(await whoIs(res.body.sessionToken)).to.deep.equal({ status: 200, userId: user.objectId });
      for (const token of [user.sessionToken, second, third])
        expect(await whoIs(token)).to.deep.equal({ status: 400, code: 209 });
      expect(await sessionsOf(user.objectId)).to.have.length(1);
      // Another user's session is untouched.
      expect(await whoIs(other.sessionToken)).to.deep.equal({ status: 200, userId: other.objectId });

      const old = await t.http.post('/parse/login').set(appHeaders).send({ username, password: 'old-pw' });
      expect(old.status).to.equal(404);
      expect(old.body).to.deep.equal(INVALID_LOGIN);
      const fresh = await logIn(username, 'new-pw');
      expect(await whoIs(fresh)).to.deep.equal({ status: 200, userId: user.objectId });
    });

    it('a password set with the master key ends every session of the user', async () => {
      const username = uniqueName('vera');
      const user = await signUp(username, 'old-pw');
      const second = await logIn(username, 'old-pw');
      const res = await t.http.put(`/parse/users/${user.objectId}`).set(masterHeaders).send({ password: 'reset-pw' });
      expect(res.status).to.equal(200);
      for (const token of [user.sessionToken, second])
        expect(await whoIs(token)).to.deep.equal({ status: 400, code: 209 });
      expect(await sessionsOf(user.objectId)).to.have.length(0);
      await logIn(username, 'reset-pw');
    });

    it('with revokeSessionOnPasswordReset: false other sessions survive a password change', async () => {
      const keep = await startTestBackend({ revokeSessionOnPasswordReset: false });
      try {
        const created = await keep.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: 'keeper', password: 'old' });
        expect(created.status).to.equal(201);
        const login = await keep.http
          .post('/parse/login')
          .set(appHeaders)
          .send({ username: 'keeper', password: 'old' });
        expect(login.status).to.equal(200);
        const change = await keep.http
          .put(`/parse/users/${created.body.objectId}`)
          .set(asUser(created.body.sessionToken))
          .send({ password: 'new' });
        expect(change.status).to.equal(200);
        expect(await whoIs(login.body.sessionToken, keep)).to.deep.equal({
          status: 200,
          userId: created.body.objectId,
        });
        expect(await whoIs(created.body.sessionToken, keep)).to.deep.equal({
          status: 200,
          userId: created.body.objectId,
        });
      } finally {
        await keep.close();
      }
    });
  });

  describe('/verifyPassword', () => {
    it('answers the user for the right password, without starting a session', async () => {
      const username = uniqueName('walt');
      const user = await signUp(username, 'pw-walt', { email: `${username}@example.com` });
      const before = await db.collection('_Session').countDocuments();

      const get = await t.http.get('/parse/verifyPassword').set(appHeaders).query({ username, password: 'pw-walt' });
      expect(get.status).to.equal(200);
      expect(get.body.objectId).to.equal(user.objectId);
      expect(get.body.username).to.equal(username);
      expect(get.body).to.not.have.property('sessionToken');
      expectNoPassword(get.body, 'pw-walt');

      const post = await t.http
        .post('/parse/verifyPassword')
        .set(appHeaders)
        .send({ email: `${username}@example.com`, password: 'pw-walt' });
      expect(post.status).to.equal(200);
      expect(post.body.objectId).to.equal(user.objectId);
      expect(post.body).to.not.have.property('sessionToken');

      expect(await db.collection('_Session').countDocuments()).to.equal(before);
    });

    it('answers 101 for a wrong password or an unknown user', async () => {
      const username = uniqueName('xena');
      await signUp(username, 'pw');
      for (const query of [
        { username, password: 'nope' },
        { username: uniqueName('ghost'), password: 'pw' },
      ]) {
        const res = await t.http.get('/parse/verifyPassword').set(appHeaders).query(query);
        expect(res.status).to.equal(404);
        expect(res.body).to.deep.equal(INVALID_LOGIN);
      }
      const missing = await t.http.get('/parse/verifyPassword').set(appHeaders).query({ username });
      expect(missing.status).to.equal(400);
      expect(missing.body.code).to.equal(201);
    });
  });

  describe('/loginAs', () => {
    it('with the master key, starts a session for any user', async () => {
      const username = uniqueName('yuri');
      const user = await signUp(username, 'pw', { email: `${username}@example.com` });
      const res = await t.http.post('/parse/loginAs').set(masterHeaders).send({ userId: user.objectId });
      expect(res.status).to.equal(200);
      expect(res.body.objectId).to.equal(user.objectId);
      expect(res.body.username).to.equal(username);
      expect(res.body.sessionToken).to.match(/^r:[0-9a-f]{32}$/);
      expect(res.body.sessionToken).to.not.equal(user.sessionToken);
      expect(await whoIs(res.body.sessionToken as string)).to.deep.equal({ status: 200, userId: user.objectId });
      const sessions = await sessionsOf(user.objectId);
      expect(sessions.map((s) => s.createdWith)).to.deep.include({ action: 'login', authProvider: 'masterkey' });
    });

    it('without the master key is refused and starts no session', async () => {
      const user = await signUp(uniqueName('nomaster'), 'pw');
      const before = (await sessionsOf(user.objectId)).length;
      for (const headers of [appHeaders, asUser(user.sessionToken)]) {
        const res = await t.http.post('/parse/loginAs').set(headers).send({ userId: user.objectId });
        expect(res.body).to.deep.equal({ code: 119, error: 'Permission denied' });
        expect(res.body).to.not.have.property('sessionToken');
        expect(res.body).to.not.have.property('objectId');
      }
      expect(await sessionsOf(user.objectId)).to.have.length(before);
    });

    it('answers 101 for an unknown user and 162 without a userId', async () => {
      const unknown = await t.http.post('/parse/loginAs').set(masterHeaders).send({ userId: 'nosuchuser' });
      expect(unknown.status).to.equal(404);
      expect(unknown.body).to.deep.equal({ code: 101, error: 'user not found' });
      const missing = await t.http.post('/parse/loginAs').set(masterHeaders).send({});
      expect(missing.status).to.equal(400);
      expect(missing.body).to.deep.equal({ code: 162, error: 'userId must not be empty, null, or undefined' });
    });
  });

  describe('other backends', () => {
    it('with sessionTokenStorage: plain the token is stored as issued', async () => {
      const plain = await startTestBackend({ sessionTokenStorage: 'plain' });
      const plainClient = await MongoClient.connect(plain.databaseURI);
      try {
        const created = await plain.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: 'plainuser', password: 'pw' });
        expect(created.status).to.equal(201);
        const session = await plainClient
          .db()
          .collection('_Session')
          .findOne({ _p_user: `_User$${created.body.objectId}` });
        expect(session!._session_token).to.equal(created.body.sessionToken);
        expect(await whoIs(created.body.sessionToken, plain)).to.deep.equal({
          status: 200,
          userId: created.body.objectId,
        });
      } finally {
        await plainClient.close();
        await plain.close();
      }
    });

    it('sessionLength sets how long a session lasts; an expired one answers 209', async () => {
      const short = await startTestBackend({ sessionLength: 1 });
      const shortClient = await MongoClient.connect(short.databaseURI);
      try {
        const created = await short.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: 'brief', password: 'pw' });
        expect(created.status).to.equal(201);
        const session = await shortClient
          .db()
          .collection('_Session')
          .findOne({ _p_user: `_User$${created.body.objectId}` });
        expect((session!.expiresAt as Date).getTime() - new Date(created.body.createdAt).getTime()).to.be.closeTo(
          1000,
          50,
        );
        expect(await whoIs(created.body.sessionToken, short)).to.deep.equal({
          status: 200,
          userId: created.body.objectId,
        });
        await new Promise((resolve) => setTimeout(resolve, 1200));
        expect(await whoIs(created.body.sessionToken, short)).to.deep.equal({ status: 400, code: 209 });
      } finally {
        await shortClient.close();
        await short.close();
      }
    });

    it('extendSessionOnUse keeps a session used in its second half alive', async () => {
      const sliding = await startTestBackend({ sessionLength: 2, extendSessionOnUse: true });
      try {
        const created = await sliding.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ username: 'active', password: 'pw' });
        for (let i = 0; i < 5; i++) {
          // Each use after half the length (1 s) pushes the expiry back; 5 uses outlive the 2 s length.
          await new Promise((resolve) => setTimeout(resolve, 1100));
          const res = await sliding.http
            .get('/parse/users/me')
            .set({ ...appHeaders, 'X-Parse-Session-Token': created.body.sessionToken });
          expect(res.status, `use ${i}`).to.equal(200);
        }
      } finally {
        await sliding.close();
      }
    });

    it('two backends keep users and sessions apart', async () => {
      const other = await startTestBackend();
      try {
        const username = uniqueName('zoe');
        const here = await signUp(username, 'pw');
        // The same username is free on the other backend.
        const there = await other.http.post('/parse/users').set(appHeaders).send({ username, password: 'pw' });
        expect(there.status).to.equal(201);
        expect(await whoIs(here.sessionToken)).to.deep.equal({ status: 200, userId: here.objectId });
        expect(await whoIs(here.sessionToken, other)).to.deep.equal({ status: 400, code: 209 });
        expect(await whoIs(there.body.sessionToken, other)).to.deep.equal({ status: 200, userId: there.body.objectId });
        expect(await whoIs(there.body.sessionToken)).to.deep.equal({ status: 400, code: 209 });
        const wrongPassword = await other.http
          .post('/parse/login')
          .set(appHeaders)
          .send({ username, password: 'nope' });
        expect(wrongPassword.status).to.equal(404);
      } finally {
        await other.close();
      }
    });
  });
});
