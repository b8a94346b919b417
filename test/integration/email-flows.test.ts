import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { EmailMessage } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { eventually, settle } from '../support/mongo.js';

describe('users: email verification and password reset', () => {
  let t: TestBackend;
  const sent: { kind: string; message: EmailMessage }[] = [];
  const adapter = {
    sendVerificationEmail: (message: EmailMessage) => void sent.push({ kind: 'verify', message }),
    sendPasswordResetEmail: (message: EmailMessage) => void sent.push({ kind: 'reset', message }),
  };
  const path = (link: string) => {
    const u = new URL(link);
    return u.pathname + u.search;
  };

  before(async () => {
    t = await startTestBackend({
      appName: 'Shop',
      verifyUserEmails: true,
      preventLoginWithUnverifiedEmail: true,
      emailAdapter: adapter,
      accountLockout: { threshold: 2, duration: 5, unlockOnPasswordReset: true },
    });
  });
  after(() => t.close());

  it('verifies an email with a one-time link before logging in', async () => {
    sent.length = 0;
    const signUp = await t.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ username: 'vera', password: 'pw-vera-1', email: 'vera@example.com' });
    expect(signUp.status).to.equal(201);
    // No session before the email is verified.
    expect(signUp.body).to.not.have.property('sessionToken');
    expect(sent).to.have.length(1);
    const { message } = sent[0]!;
    expect(message.appName).to.equal('Shop');
    expect(message.user).to.include({ objectId: signUp.body.objectId, username: 'vera', email: 'vera@example.com' });
    expect(message.user.get('email')).to.equal('vera@example.com');
    expect(message.link).to.match(new RegExp(`^${t.serverURL}/apps/test-app/verify_email\\?token=[0-9a-f]{48}$`));
    const refused = await t.http.post('/parse/login').set(appHeaders).send({ username: 'vera', password: 'pw-vera-1' });
    expect(refused.body).to.deep.equal({ code: 205, error: 'User email is not verified.' });
    const page = await t.http.get(path(message.link));
    expect(page.status).to.equal(200);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.headers['content-security-policy']).to.include("default-src 'none'");
    expect(page.headers['cache-control']).to.equal('no-store');
    expect(page.headers['referrer-policy']).to.equal('no-referrer');
    expect(page.text).to.include('Your email address is verified');
    expect(page.headers['x-parse-page-param-appname']).to.equal('Shop');
    expect((await t.http.get(path(message.link))).text).to.include('This verification link does not work');
    const login = await t.http.post('/parse/login').set(appHeaders).send({ username: 'vera', password: 'pw-vera-1' });
    expect(login.status).to.equal(200);
    expect(login.body.emailVerified).to.equal(true);
  });

  it('does not let a client mark its own email verified', async () => {
    const res = await t.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ username: 'cheat', password: 'pw-cheat-1', email: 'cheat@example.com', emailVerified: true });
    expect(res.body.code).to.equal(119);
  });

  it('resets a password with a one-time link, unlocking the account and ending sessions', async () => {
    const client = await MongoClient.connect(t.databaseURI);
    try {
      await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: 'rita', password: 'pw-rita-1', email: 'rita@example.com' })
        .expect(201);
      await client
        .db()
        .collection('_User')
        .updateOne({ username: 'rita' }, { $set: { emailVerified: true } });
      const session = (
        await t.http.post('/parse/login').set(appHeaders).send({ username: 'rita', password: 'pw-rita-1' })
      ).body.sessionToken as string;
      for (let i = 0; i < 2; i++)
        await t.http.post('/parse/login').set(appHeaders).send({ username: 'rita', password: 'wrong' });
      expect(
        (await t.http.post('/parse/login').set(appHeaders).send({ username: 'rita', password: 'pw-rita-1' })).body
          .error,
      ).to.match(/locked/);
      sent.length = 0;
      expect(
        (await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({ email: 'rita@example.com' })).body,
      ).to.deep.equal({});
      expect(
        (await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({ email: 'nobody@example.com' })).body,
      ).to.deep.equal({});
      await eventually(() => sent.length === 1);
      await settle();
      expect(sent.map((s) => s.kind)).to.deep.equal(['reset']);
      const link = path(sent[0]!.message.link);
      expect(link).to.match(/^\/parse\/apps\/test-app\/request_password_reset\?token=[0-9a-f]{48}$/);
      const form = await t.http.get(link);
      expect(form.status).to.equal(200);
      expect(form.text).to.include('name="new_password"');
      const token = new URLSearchParams(link.split('?')[1]).get('token')!;
      const done = await t.http
        .post('/parse/apps/test-app/request_password_reset')
        .type('form')
        .send({ token, new_password: 'pw-rita-2' });
      expect(done.status).to.equal(200);
      expect(done.text).to.include('Your password is changed');
      const again = await t.http
        .post('/parse/apps/test-app/request_password_reset')
        .type('form')
        .send({ token, new_password: 'pw-rita-3' });
      expect(again.text).to.include('Failed to reset password: username / email / token is invalid');
      expect(
        (await t.http.get('/parse/users/me').set({ ...appHeaders, 'X-Parse-Session-Token': session })).body.code,
      ).to.equal(209);
      expect(
        (await t.http.post('/parse/login').set(appHeaders).send({ username: 'rita', password: 'pw-rita-1' })).body.code,
      ).to.equal(101);
      expect(
        (await t.http.post('/parse/login').set(appHeaders).send({ username: 'rita', password: 'pw-rita-2' })).status,
      ).to.equal(200);
    } finally {
      await client.close();
    }
  });

  it('uses a reset link once even when it is submitted twice at the same moment', async () => {
    const client = await MongoClient.connect(t.databaseURI);
    try {
      await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ username: 'race', password: 'pw-race-1', email: 'race@example.com' })
        .expect(201);
      sent.length = 0;
      await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({ email: 'race@example.com' }).expect(200);
      await eventually(() => sent.length === 1);
      const token = new URL(sent[0]!.message.link).searchParams.get('token')!;
      const results = await Promise.all(
        ['pw-race-a', 'pw-race-b'].map((p) =>
          t.http.post('/parse/apps/test-app/request_password_reset').type('form').send({ token, new_password: p }),
        ),
      );
      const outcomes = results.map((r) => (r.text.includes('Your password is changed') ? 'changed' : 'refused'));
      expect(outcomes.sort()).to.deep.equal(['changed', 'refused']);
      expect(
        await client
          .db()
          .collection('_User')
          .countDocuments({ username: 'race', _perishable_token: { $exists: true } }),
      ).to.equal(0);
    } finally {
      await client.close();
    }
  });

  it('refuses malformed tokens and requests without an email', async () => {
    const injected = await t.http.get('/parse/apps/test-app/verify_email').query({ token: '{"$ne":null}' });
    expect(injected.text).to.include('This verification link does not work');
    const nested = await t.http.get('/parse/apps/test-app/verify_email?token[$ne]=x');
    expect(nested.text).to.include('This verification link does not work');
    const bad = await t.http.get('/parse/apps/test-app/request_password_reset').query({ token: 'x' });
    expect(bad.text).to.include('This password reset link does not work');
    expect((await t.http.get('/parse/apps/other-app/verify_email').query({ token: 'x' })).status).to.equal(403);
    expect((await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({})).body.code).to.equal(204);
    expect(
      (await t.http.post('/parse/verificationEmailRequest').set(appHeaders).send({ email: 5 })).body.code,
    ).to.equal(125);
    expect(
      (
        await t.http
          .post('/parse/requestPasswordReset')
          .set(masterHeaders)
          .send({ email: { $ne: null } })
      ).body.code,
    ).to.equal(125);
  });
});
