/**
 * Identity providers of parse-server's V2 interface: the step run for each situation
 * (validateSetUp, validateLogin, validateUpdate), their answers (`response`, `save`, `doNotSave`),
 * login policies (`additional`, `solo`), `afterFind` on reads, and `POST /challenge` — over REST
 * and through the JS SDK.
 */
import { expect } from 'chai';
import { BackendConfigError, createBackend } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';
import { expectParseError } from '../sdk/helpers.js';

type Call = [
  string,
  string | undefined,
  { userId: string | null; master: boolean; object?: { id?: string }; user?: unknown },
];

describe('auth adapters V2 (parse-server interface)', () => {
  let t: TestBackend;
  const calls: Call[] = [];
  const record = (step: string) => (authData: { id?: string }, _options: unknown, request: Call[2]) => {
    calls.push([step, authData.id, request]);
  };
  const device = {
    validateSetUp: (authData: { id: string; key?: string }, options: unknown, request: Call[2]) => {
      record('setUp')(authData, options, request);
      return { response: { enrolled: authData.id }, save: { id: authData.id, key: 'server-side' } };
    },
    validateLogin: (authData: { id: string; key?: string }, options: unknown, request: Call[2]) => {
      record('login')(authData, options, request);
      if (authData.key !== 'server-side') throw 'wrong key';
      return { response: { welcome: true }, doNotSave: true };
    },
    validateUpdate: record('update'),
    afterFind: (authData: { id: string }, _options: unknown, request: { master: boolean }) =>
      request.master ? undefined : { id: authData.id },
    challenge: (challengeData: { nonce?: string }, authData: unknown) => ({
      signed: `${challengeData.nonce}!`,
      authData,
    }),
  };
  const otp = {
    policy: 'additional',
    validateSetUp: () => ({ save: { enabled: true, code: '123456' } }),
    validateLogin: (authData: { code?: string }) => {
      if (authData.code !== '123456') throw 'Invalid MFA token';
      return { doNotSave: true };
    },
    validateUpdate: () => undefined,
    afterFind: () => ({ status: 'enabled' }),
  };
  const badge = {
    policy: 'solo',
    validateSetUp: () => undefined,
    validateLogin: () => undefined,
    validateUpdate: () => undefined,
  };

  before(async () => {
    t = await startTestBackend({ auth: { device, otp, badge } });
  });
  beforeEach(() => {
    calls.length = 0;
  });
  after(() => t.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = appHeaders) =>
    t.http
      .post(`/parse${path}`)
      .set(headers)
      .send(body as object);

  it('sets up, logs in and updates as parse-server chooses, answering authDataResponse and storing what it says', async () => {
    const signUp = await post('/users', { authData: { device: { id: 'd1', key: 'from-client' } } });
    expect(signUp.status).to.equal(201);
    expect(signUp.body.authDataResponse).to.deep.equal({ device: { enrolled: 'd1' } });
    const userId = signUp.body.objectId as string;
    const stored = await (await t.db()).collection('_User').findOne({ _id: userId as never });
    expect(stored!._auth_data_device).to.deep.equal({ id: 'd1', key: 'server-side' });

    const login = await post('/users', { authData: { device: { id: 'd1', key: 'server-side' } } });
    expect(login.status).to.equal(200);
    expect(login.body.authDataResponse).to.deep.equal({ device: { welcome: true } });
    const refused = await post('/users', { authData: { device: { id: 'd1', key: 'guess' } } });
    expect(refused.body).to.deep.equal({ code: 141, error: 'wrong key' });

    const session = { ...appHeaders, 'X-Parse-Session-Token': login.body.sessionToken as string };
    await t.http
      .put(`/parse/users/${userId}`)
      .set(session)
      .send({ authData: { device: { id: 'd2' } } })
      .expect(200);
    await t.http
      .put(`/parse/users/${userId}`)
      .set(masterHeaders)
      .send({ authData: { device: { id: 'd3' } } })
      .expect(200);
    // the same identity sent again is not checked again
    await t.http
      .put(`/parse/users/${userId}`)
      .set(session)
      .send({ authData: { device: { id: 'd3' } } })
      .expect(200);
    expect(calls.map(([step, id, request]) => [step, id, request.userId, request.master])).to.deep.equal([
      ['setUp', 'd1', null, false],
      ['login', 'd1', userId, false],
      ['login', 'd1', userId, false],
      ['update', 'd2', userId, false],
      ['update', 'd3', userId, true],
    ]);
    expect(calls[3]![2].object?.id).to.equal(userId);
  });

  it('shows stored identities through afterFind to everyone but the master key', async () => {
    const signUp = await post('/users', { authData: { device: { id: 'seen' } } });
    const session = { ...appHeaders, 'X-Parse-Session-Token': signUp.body.sessionToken as string };
    const me = await t.http.get('/parse/users/me').set(session);
    expect(me.body.authData).to.deep.equal({ device: { id: 'seen' } });
    const asMaster = await t.http.get(`/parse/users/${signUp.body.objectId as string}`).set(masterHeaders);
    expect(asMaster.body.authData).to.deep.equal({ device: { id: 'seen', key: 'server-side' } });
  });

  it('makes a user with an additional provider send it at every login, unless a solo provider logs in', async () => {
    const signUp = await post('/users', {
      username: 'mfa-user',
      password: 'pass-1234',
      authData: { otp: { enable: true }, badge: { id: 'b-1' } },
    });
    expect(signUp.status).to.equal(201);
    const missing = await post('/login', { username: 'mfa-user', password: 'pass-1234' });
    expect(missing.body).to.deep.equal({ code: -1, error: 'Missing additional authData otp' });
    const wrong = await post('/login', {
      username: 'mfa-user',
      password: 'pass-1234',
      authData: { otp: { code: '000000' } },
    });
    expect(wrong.body).to.deep.equal({ code: 141, error: 'Invalid MFA token' });
    const ok = await post('/login', {
      username: 'mfa-user',
      password: 'pass-1234',
      authData: { otp: { code: '123456' } },
    });
    expect(ok.status).to.equal(200);
    expect(ok.body.authData.otp).to.deep.equal({ status: 'enabled' });
    expect(ok.body.authDataResponse).to.deep.equal({});
    // the solo provider is enough on its own
    const solo = await post('/users', { authData: { badge: { id: 'b-1' } } });
    expect(solo.status).to.equal(200);
    expect(solo.body.objectId).to.equal(signUp.body.objectId);

    const Parse = useBackend(t);
    await expectParseError(Parse.User.logIn('mfa-user', 'pass-1234'), -1);
    const user = await Parse.User.logInWithAdditionalAuth('mfa-user', 'pass-1234', { otp: { code: '123456' } });
    expect(user.getSessionToken()).to.be.a('string');
    expect(user.get('authData').otp).to.deep.equal({ status: 'enabled' });
  });

  it('answers POST /challenge for known providers, and never tells a wrong id from a refused proof', async () => {
    const answered = await post('/challenge', { challengeData: { device: { nonce: 'n1' }, unknown: {} } });
    expect(answered.body).to.deep.equal({ challengeData: { device: { signed: 'n1!' } } });
    for (const [body, error] of [
      [{}, 'Nothing to challenge.'],
      [{ challengeData: 'x' }, 'challengeData should be an object.'],
      [{ challengeData: {}, authData: 'x' }, 'authData should be an object.'],
      [{ challengeData: {}, username: 'u' }, 'You provided username or email, you need to also provide password.'],
      [
        { challengeData: {}, authData: { device: { id: 'a' }, badge: { id: 'b' } } },
        'You cannot provide more than one authData provider with an id.',
      ],
    ] as const) {
      expect((await post('/challenge', body)).body, JSON.stringify(body)).to.deep.equal({ code: -1, error });
    }
    await post('/users', { authData: { device: { id: 'c1' } } });
    const known = await post('/challenge', {
      challengeData: { device: { nonce: 'n2' } },
      authData: { device: { id: 'c1', key: 'server-side' } },
    });
    expect(known.body.challengeData.device.signed).to.equal('n2!');
    for (const authData of [{ device: { id: 'c1', key: 'guess' } }, { device: { id: 'nobody', key: 'server-side' } }]) {
      expect((await post('/challenge', { challengeData: { device: {} }, authData })).body).to.deep.equal({
        code: 101,
        error: 'User not found.',
      });
    }
  });

  it('refuses at startup an adapter with neither validateAuthData nor the three steps, or a bad policy', () => {
    const base = { appId: 'a', masterKey: 'm', databaseURI: 'mongodb://127.0.0.1:1/x' };
    expect(() => createBackend({ ...base, auth: { half: { validateSetUp: () => undefined } } })).to.throw(
      BackendConfigError,
      /auth\.half: Adapter is not configured/,
    );
    expect(() => createBackend({ ...base, auth: { odd: { ...otp, policy: 'sometimes' } } })).to.throw(
      BackendConfigError,
      /auth\.odd: AuthAdapter policy is not configured correctly/,
    );
  });
});
