/**
 * Every user, session and role rule holds on every entry point: REST, `/batch`, `backend.data` and
 * `request.data` (inside a cloud function) enter the same core, so each rule below runs once per
 * entry point and must give the same outcome. Logins and logouts are refused inside `/batch` (107),
 * by design: that refusal is the batch's outcome for them.
 */
import { expect } from 'chai';
import type { DataApi, DataOptions } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

type Json = Record<string, unknown>;
/** Who a call acts as. */
type As = { master: true } | { sessionToken: string } | Record<string, never>;
/** What a call came to: a value, or a Parse error code. */
type Outcome = { ok: true; value: Json } | { ok: false; code: number };

interface EntryPoint {
  name: string;
  /** False when this entry point refuses password checks (the batch refuses logins and logouts). */
  checksPasswords: boolean;
  signUp(username: string, password: string): Promise<Outcome>;
  logIn(username: string, password: string): Promise<Outcome>;
  logOut(sessionToken: string): Promise<Outcome>;
  update(className: string, objectId: string, body: Json, as: As): Promise<Outcome>;
  create(className: string, body: Json, as: As): Promise<Outcome>;
  remove(className: string, objectId: string, as: As): Promise<Outcome>;
}

const headersFor = (as: As): Record<string, string> =>
  'master' in as
    ? masterHeaders
    : 'sessionToken' in as
      ? { ...appHeaders, 'X-Parse-Session-Token': as.sessionToken }
      : appHeaders;
const optionsFor = (as: As): DataOptions =>
  'master' in as ? { useMasterKey: true } : 'sessionToken' in as ? { sessionToken: as.sessionToken } : {};
const pathFor = (className: string, objectId?: string): string => {
  // The routes the SDKs use: /users for users, /sessions/:id for a session, /classes for the rest.
  if (className === '_User') return objectId ? `/parse/users/${objectId}` : '/parse/users';
  if (className === '_Session' && objectId) return `/parse/sessions/${objectId}`;
  return objectId ? `/parse/classes/${className}/${objectId}` : `/parse/classes/${className}`;
};

function fromResponse(res: { status: number; body: Json }): Outcome {
  return res.status < 300 ? { ok: true, value: res.body } : { ok: false, code: res.body.code as number };
}

async function settle(work: () => Promise<unknown>): Promise<Outcome> {
  try {
    const value = await work();
    const json =
      value && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): Json }).toJSON() : value;
    const token =
      value && typeof value === 'object' && 'getSessionToken' in value
        ? (value as { getSessionToken(): unknown }).getSessionToken()
        : undefined;
    return { ok: true, value: { ...((json as Json | undefined) ?? {}), ...(token ? { sessionToken: token } : {}) } };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'number') throw err;
    return { ok: false, code };
  }
}

function rest(t: TestBackend): EntryPoint {
  return {
    name: 'REST',
    checksPasswords: true,
    signUp: async (username, password) =>
      fromResponse(await t.http.post('/parse/users').set(appHeaders).send({ username, password })),
    logIn: async (username, password) =>
      fromResponse(await t.http.post('/parse/login').set(appHeaders).send({ username, password })),
    logOut: async (sessionToken) =>
      fromResponse(await t.http.post('/parse/logout').set(headersFor({ sessionToken })).send({})),
    create: async (className, body, as) =>
      fromResponse(await t.http.post(pathFor(className)).set(headersFor(as)).send(body)),
    update: async (className, id, body, as) =>
      fromResponse(await t.http.put(pathFor(className, id)).set(headersFor(as)).send(body)),
    remove: async (className, id, as) => fromResponse(await t.http.delete(pathFor(className, id)).set(headersFor(as))),
  };
}

function batch(t: TestBackend): EntryPoint {
  const one = async (method: string, path: string, body: Json, as: As): Promise<Outcome> => {
    const res = await t.http
      .post('/parse/batch')
      .set(headersFor(as))
      .send({ requests: [{ method, path, body }] });
    if (res.status !== 200) return fromResponse(res);
    const [item] = res.body as { success?: Json; error?: { code: number } }[];
    return item!.success ? { ok: true, value: item!.success } : { ok: false, code: item!.error!.code };
  };
  return {
    name: '/batch',
    checksPasswords: false,
    signUp: (username, password) => one('POST', '/parse/users', { username, password }, {}),
    logIn: (username, password) => one('POST', '/parse/login', { username, password }, {}),
    logOut: (sessionToken) => one('POST', '/parse/logout', {}, { sessionToken }),
    create: (className, body, as) => one('POST', pathFor(className), body, as),
    update: (className, id, body, as) => one('PUT', pathFor(className, id), body, as),
    remove: (className, id, as) => one('DELETE', pathFor(className, id), {}, as),
  };
}

function dataApi(name: string, call: (operation: (data: DataApi) => Promise<unknown>) => Promise<Outcome>): EntryPoint {
  return {
    name,
    checksPasswords: true,
    signUp: (username, password) => call((data) => data.create('_User', { username, password })),
    logIn: (username, password) => call((data) => data.logIn({ username, password })),
    logOut: (sessionToken) => call((data) => data.logOut(sessionToken)),
    create: (className, body, as) => call((data) => data.create(className, body, optionsFor(as))),
    update: (className, id, body, as) => call((data) => data.update(className, id, body, optionsFor(as))),
    remove: (className, id, as) => call((data) => data.delete(className, id, optionsFor(as))),
  };
}

/** `request.data` inside a cloud function, called over REST: the operation runs in the function. */
function requestData(t: TestBackend): EntryPoint {
  let pending: ((data: DataApi) => Promise<unknown>) | undefined;
  t.backend.cloud.define('runDataOperation', async (request) => {
    const operation = pending!;
    pending = undefined;
    return settle(() => operation(request.data));
  });
  return dataApi('request.data', async (operation) => {
    pending = operation;
    const res = await t.http.post('/parse/functions/runDataOperation').set(masterHeaders).send({});
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.result as Outcome;
  });
}

function expectOk(outcome: Outcome, label: string): Json {
  expect(outcome.ok, `${label}: ${JSON.stringify(outcome)}`).to.equal(true);
  return (outcome as { value: Json }).value;
}

function expectCode(outcome: Outcome, code: number, label: string): void {
  expect(outcome, label).to.deep.equal({ ok: false, code });
}

describe('user, session and role rules hold on every entry point', () => {
  let t: TestBackend;
  let entryPoints: EntryPoint[];
  let n = 0;
  const unique = (prefix: string) => `${prefix}${++n}`;

  /** Whether a session token still works. */
  const tokenWorks = async (sessionToken: string): Promise<boolean> => {
    const res = await t.http.get('/parse/users/me').set(headersFor({ sessionToken }));
    if (res.status === 200) return true;
    expect(res.body.code).to.equal(209);
    return false;
  };
  /** A user signed up over REST, with two sessions (the sign-up's and a login's). */
  const userWithTwoSessions = async () => {
    const username = unique('u');
    const signedUp = (
      await t.http.post('/parse/users').set(appHeaders).send({ username, password: 'pw-1' }).expect(201)
    ).body;
    const loggedIn = (
      await t.http.post('/parse/login').set(appHeaders).send({ username, password: 'pw-1' }).expect(200)
    ).body;
    return {
      username,
      objectId: signedUp.objectId as string,
      first: signedUp.sessionToken as string,
      second: loggedIn.sessionToken as string,
    };
  };

  before(async () => {
    t = await startTestBackend();
    entryPoints = [
      rest(t),
      batch(t),
      dataApi('backend.data', (operation) => settle(() => operation(t.backend.data))),
      requestData(t),
    ];
  });
  after(() => t.close());

  const each = (title: string, check: (entry: EntryPoint) => Promise<void>) => {
    for (const index of [0, 1, 2, 3]) {
      const names = ['REST', '/batch', 'backend.data', 'request.data'];
      it(`${title} — through ${names[index]}`, () => check(entryPoints[index]!));
    }
  };

  each('sign-up creates the user and a session that works', async (entry) => {
    const username = unique('signup');
    const outcome = await entry.signUp(username, 'pw-s');
    const user = expectOk(outcome, 'sign-up');
    expect(user.objectId).to.be.a('string');
    expect(await tokenWorks(user.sessionToken as string)).to.equal(true);
    const session = (
      await t.http.get('/parse/sessions/me').set(headersFor({ sessionToken: user.sessionToken as string }))
    ).body;
    expect(session.createdWith).to.deep.equal({ action: 'signup', authProvider: 'password' });
    expectCode(await entry.signUp(username.toUpperCase(), 'pw-s'), 202, 'a username taken in another case');
  });

  each('login starts a session; a wrong password answers 101', async (entry) => {
    const { username } = await userWithTwoSessions();
    const outcome = await entry.logIn(username, 'pw-1');
    if (!entry.checksPasswords) return expectCode(outcome, 107, 'logins are refused in a batch');
    const user = expectOk(outcome, 'login');
    expect(await tokenWorks(user.sessionToken as string)).to.equal(true);
    expect(user).to.not.have.any.keys('password', '_hashed_password');
    expectCode(await entry.logIn(username, 'wrong'), 101, 'wrong password');
  });

  each('logout ends that session only', async (entry) => {
    const { first, second } = await userWithTwoSessions();
    const outcome = await entry.logOut(first);
    if (!entry.checksPasswords) return expectCode(outcome, 107, 'logouts are refused in a batch');
    expectOk(outcome, 'logout');
    expect(await tokenWorks(first)).to.equal(false);
    expect(await tokenWorks(second)).to.equal(true);
  });

  each(
    'a password change ends every session of the user, answers a new one, and the new password works',
    async (entry) => {
      const { username, objectId, first, second } = await userWithTwoSessions();
      const changed = expectOk(
        await entry.update('_User', objectId, { password: 'pw-2' }, { sessionToken: first }),
        'password change',
      );
      expect(await tokenWorks(first)).to.equal(false);
      expect(await tokenWorks(second)).to.equal(false);
      expect(changed.sessionToken).to.match(/^r:/);
      expect(await tokenWorks(changed.sessionToken as string)).to.equal(true);
      await t.http.post('/parse/login').set(appHeaders).send({ username, password: 'pw-2' }).expect(200);
    },
  );

  each('another user may not change or delete a user (206)', async (entry) => {
    const victim = await userWithTwoSessions();
    const other = await userWithTwoSessions();
    expectCode(
      await entry.update('_User', victim.objectId, { password: 'x' }, { sessionToken: other.first }),
      206,
      'update',
    );
    expectCode(await entry.remove('_User', victim.objectId, { sessionToken: other.first }), 206, 'delete');
    expect(await tokenWorks(victim.first)).to.equal(true);
  });

  each("deleting a user ends every one of the user's sessions", async (entry) => {
    const { objectId, first, second } = await userWithTwoSessions();
    const note = (
      await t.http
        .post('/parse/classes/Note')
        .set(masterHeaders)
        .send({ ACL: { [objectId]: { read: true } } })
        .expect(201)
    ).body;
    expectOk(await entry.remove('_User', objectId, { master: true }), 'delete');
    expect(await tokenWorks(first)).to.equal(false);
    expect(await tokenWorks(second)).to.equal(false);
    const read = await t.http.get(`/parse/classes/Note/${note.objectId}`).set(headersFor({ sessionToken: second }));
    expect(read.status).to.equal(400);
    expect(read.body.code).to.equal(209);
  });

  each('a session is revoked by its owner, not by another user (101)', async (entry) => {
    const { first, second } = await userWithTwoSessions();
    const other = await userWithTwoSessions();
    const sessionId = (await t.http.get('/parse/sessions/me').set(headersFor({ sessionToken: second }))).body
      .objectId as string;
    expectCode(await entry.remove('_Session', sessionId, { sessionToken: other.first }), 101, "another user's session");
    expectOk(await entry.remove('_Session', sessionId, { sessionToken: first }), 'revocation');
    expect(await tokenWorks(second)).to.equal(false);
    expect(await tokenWorks(first)).to.equal(true);
    expectCode(
      await entry.create(
        '_Session',
        { user: { __type: 'Pointer', className: '_User', objectId: 'x' } },
        { master: true },
      ),
      101,
      'a session for a user that does not exist',
    );
  });

  each(
    'role writes: clients under the ACL, an ACL, a fixed name, and memberships that apply at once',
    async (entry) => {
      const member = await userWithTwoSessions();
      const name = unique('Editors');
      // Clients write roles as parse-server lets them, under _Role's CLP and the role's ACL.
      expectOk(
        await entry.create(
          '_Role',
          { name: `${name}Own`, ACL: { '*': { read: true } } },
          { sessionToken: member.first },
        ),
        'client role create',
      );
      expectCode(await entry.create('_Role', { name }, { master: true }), 123, 'a role without an ACL');
      const role = expectOk(
        await entry.create('_Role', { name, ACL: { '*': { read: true } } }, { master: true }),
        'role create',
      );
      const note = (
        await t.http
          .post('/parse/classes/Note')
          .set(masterHeaders)
          .send({ ACL: { [`role:${name}`]: { read: true } } })
          .expect(201)
      ).body;
      const readNote = () =>
        t.http.get(`/parse/classes/Note/${note.objectId}`).set(headersFor({ sessionToken: member.first }));
      expect((await readNote()).status).to.equal(404);
      const users = {
        __op: 'AddRelation',
        objects: [{ __type: 'Pointer', className: '_User', objectId: member.objectId }],
      };
      expectCode(
        await entry.update('_Role', role.objectId as string, { users }, { sessionToken: member.first }),
        101,
        'a client joining a role its ACL keeps it out of',
      );
      expectOk(await entry.update('_Role', role.objectId as string, { users }, { master: true }), 'membership');
      expect((await readNote()).status).to.equal(200);
      expectCode(
        await entry.update('_Role', role.objectId as string, { name: `${name}x` }, { master: true }),
        139,
        'rename',
      );
      expectOk(await entry.remove('_Role', role.objectId as string, { master: true }), 'role delete');
      expect((await readNote()).status).to.equal(404);
    },
  );
});
