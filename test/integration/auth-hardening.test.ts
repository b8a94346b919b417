import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { MongoClient } from 'mongodb';
import { openIdConnectProvider, type EmailMessage } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { eventually } from '../support/mongo.js';

describe('users: hardening from the security review', () => {
  let t: TestBackend;
  let client: MongoClient;
  const sent: EmailMessage[] = [];
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  before(async () => {
    t = await startTestBackend({
      accountLockout: { threshold: 3, duration: 5 },
      appName: 'Hardening',
      emailAdapter: {
        sendVerificationEmail: () => undefined,
        sendPasswordResetEmail: (m: EmailMessage) => void sent.push(m),
      },
      auth: {
        oidc: openIdConnectProvider({
          issuer: 'https://id.test',
          audience: 'app',
          keys: { k1: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
        }),
      },
    });
    client = await MongoClient.connect(t.databaseURI);
  });
  after(async () => {
    await client.close();
    await t.close();
  });

  const signUp = async (username: string, password: string, extra: Record<string, unknown> = {}) =>
    (
      await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username, password, ...extra })
    ).body as { objectId: string; sessionToken: string };
  const logIn = (username: string, password: string) =>
    t.http.post('/parse/login').set(appHeaders).send({ username, password });

  it('counts parallel guesses before checking them: a right password late in a burst is refused', async () => {
    await signUp('burst', 'right-pass');
    const guesses = Array.from({ length: 11 }, (_, i) => (i === 10 ? 'right-pass' : `wrong-${i}`));
    const results = await Promise.all(guesses.map((p) => logIn('burst', p)));
    expect(results.filter((r) => r.status === 200)).to.have.length(0);
    expect((await logIn('burst', 'right-pass')).body.error).to.match(/locked/);
  });

  it('refuses password checks and mail routes inside a batch (sign-ups go through the hashing pool)', async () => {
    for (const request of [
      { method: 'POST', path: '/parse/login', body: { username: 'burst', password: 'x' } },
      { method: 'GET', path: '/parse/login', body: { username: 'burst', password: 'x' } },
      { method: 'POST', path: '/parse/requestPasswordReset', body: { email: 'a@b.c' } },
      { method: 'POST', path: '/parse/verifyPassword', body: { username: 'burst', password: 'x' } },
    ]) {
      const res = await t.http
        .post('/parse/batch')
        .set(appHeaders)
        .send({ requests: [request] });
      expect(res.status, request.path).to.equal(400);
      expect(res.body.code, request.path).to.equal(107);
    }
  });

  it('refuses dotted writes around the user rules', async () => {
    const me = await signUp('dotty', 'pw-dotty');
    const auth = { ...appHeaders, 'X-Parse-Session-Token': me.sessionToken };
    for (const key of ['authData.test', 'emailVerified.x', 'password.x', 'email.x']) {
      const res = await t.http
        .put(`/parse/users/${me.objectId}`)
        .set(auth)
        .send({ [key]: { id: 'victim' } });
      expect(res.body.code, key).to.equal(105);
    }
  });

  it('retires a mailed reset link when the password or email changes', async () => {
    const me = await signUp('mover', 'pw-mover-1', { email: 'mover@example.com' });
    sent.length = 0;
    await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({ email: 'mover@example.com' }).expect(200);
    await eventually(() => sent.length === 1);
    const token = new URL(sent[0]!.link).searchParams.get('token')!;
    await t.http
      .put(`/parse/users/${me.objectId}`)
      .set({ ...appHeaders, 'X-Parse-Session-Token': me.sessionToken })
      .send({ password: 'pw-mover-2' })
      .expect(200);
    const used = await t.http
      .post('/parse/apps/test-app/request_password_reset')
      .type('form')
      .send({ token, new_password: 'pw-attacker' });
    expect(used.text).to.include('Failed to reset password: username / email / token is invalid');
    expect((await logIn('mover', 'pw-mover-2')).status).to.equal(200);
  });

  it('ends legacy tokens with the other sessions on a password change, and upgrades only legacy tokens', async () => {
    const me = await signUp('legacy', 'pw-legacy-1');
    await client
      .db()
      .collection('_User')
      .updateOne({ _id: me.objectId } as never, { $set: { _session_token: 'oldLegacyToken' } });
    const viaLegacy = { ...appHeaders, 'X-Parse-Session-Token': 'oldLegacyToken' };
    expect((await t.http.get('/parse/users/me').set(viaLegacy)).status).to.equal(200);
    const auth = { ...appHeaders, 'X-Parse-Session-Token': me.sessionToken };
    const same = await t.http.post('/parse/upgradeToRevocableSession').set(auth).send({});
    expect(same.body.sessionToken).to.equal(me.sessionToken);
    expect(
      await client
        .db()
        .collection('_Session')
        .countDocuments({ _p_user: `_User$${me.objectId}` }),
    ).to.equal(1);
    await t.http.put(`/parse/users/${me.objectId}`).set(auth).send({ password: 'pw-legacy-2' }).expect(200);
    expect((await t.http.get('/parse/users/me').set(viaLegacy)).body.code).to.equal(209);
  });

  it('requires exp and iat in OpenID Connect tokens', async () => {
    const noExp = jwt.sign({ sub: 's1', iss: 'https://id.test', aud: 'app' }, privateKey, {
      algorithm: 'RS256',
      keyid: 'k1',
    });
    const res = await t.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ authData: { oidc: { id: 's1', id_token: noExp } } });
    expect(res.body.code).to.equal(101);
    const prototypeKid = jwt.sign(
      { sub: 's1', iss: 'https://id.test', aud: 'app', exp: Math.floor(Date.now() / 1000) + 60 },
      privateKey,
      { algorithm: 'RS256', keyid: 'toString' },
    );
    expect(
      (
        await t.http
          .post('/parse/users')
          .set(appHeaders)
          .send({ authData: { oidc: { id: 's1', id_token: prototypeKid } } })
      ).body.code,
    ).to.equal(101);
  });

  it('applies the user rules to /classes/%5FUser as to /classes/_User', async () => {
    const res = await t.http
      .post('/parse/classes/%5FUser')
      .set(masterHeaders)
      .send({ username: 'encoded', password: 'pw-encoded' });
    expect(res.status).to.equal(201);
    const stored = await client.db().collection('_User').findOne({ username: 'encoded' });
    expect(stored).to.not.have.property('password');
    expect(String(stored!._hashed_password)).to.match(/^\$2[ab]\$/);
  });
});

describe('users: login through authData respects email verification', () => {
  it('refuses an unverified user logging in with another identity (205)', async () => {
    const t = await startTestBackend({
      appName: 'Hardening',
      verifyUserEmails: true,
      preventLoginWithUnverifiedEmail: true,
      emailAdapter: { sendVerificationEmail: () => undefined, sendPasswordResetEmail: () => undefined },
    });
    try {
      const first = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ authData: { anonymous: { id: 'a-1' } }, email: 'anon@example.com' });
      expect(first.status).to.equal(201);
      expect(first.body).to.not.have.property('sessionToken');
      const again = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ authData: { anonymous: { id: 'a-1' } } });
      expect(again.body.code).to.equal(205);
    } finally {
      await t.close();
    }
  });
});
