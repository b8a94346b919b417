import { expect } from 'chai';
import { BackendError, ErrorCode } from 'plinth';
import { appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('users: password policy, account lockout, login hooks', () => {
  let t: TestBackend;
  const signUp = (body: Record<string, unknown>) => t.http.post('/parse/users').set(appHeaders).send(body);
  const logIn = (username: string, password: string) =>
    t.http.post('/parse/login').set(appHeaders).send({ username, password });

  before(async () => {
    t = await startTestBackend({
      passwordPolicy: {
        validatorPattern: /^(?=.*\d).{8,}$/,
        validationError: 'Use 8 characters with a digit.',
        doNotAllowUsername: true,
        maxPasswordHistory: 2,
      },
      accountLockout: { threshold: 3, duration: 1 },
    });
  });
  after(() => t.close());

  it('applies the password policy on sign-up', async () => {
    expect((await signUp({ username: 'weak', password: 'short1' })).body).to.deep.equal({
      code: 142,
      error: 'Use 8 characters with a digit.',
    });
    expect((await signUp({ username: 'mallory', password: 'xmallory1x' })).body).to.deep.equal({
      code: 142,
      error: 'Password cannot contain your username.',
    });
    expect((await signUp({ username: 'strong', password: 'correct1horse' })).status).to.equal(201);
  });

  it('refuses the last passwords again on change', async () => {
    const { body } = await signUp({ username: 'hist', password: 'first111a' });
    let auth = { ...appHeaders, 'X-Parse-Session-Token': body.sessionToken };
    const changed = await t.http.put(`/parse/users/${body.objectId}`).set(auth).send({ password: 'second22b' });
    expect(changed.status).to.equal(200);
    // A password change ends every session and answers a new one.
    auth = { ...appHeaders, 'X-Parse-Session-Token': changed.body.sessionToken };
    const reused = await t.http.put(`/parse/users/${body.objectId}`).set(auth).send({ password: 'first111a' });
    expect(reused.body).to.deep.equal({ code: 142, error: 'New password should not be the same as last 2 passwords.' });
    expect(
      (await t.http.put(`/parse/users/${body.objectId}`).set(auth).send({ password: 'third333c' })).status,
    ).to.equal(200);
    expect((await logIn('hist', 'third333c')).status).to.equal(200);
  });

  it('locks an account after repeated failures, even with the right password, and counts atomically', async () => {
    await signUp({ username: 'target', password: 'secret123x' }).expect(201);
    const attempts = await Promise.all(Array.from({ length: 3 }, () => logIn('target', 'wrong-pass1')));
    expect(attempts.every((r) => r.body.code === 101)).to.equal(true);
    const locked = await logIn('target', 'secret123x');
    expect(locked.status).to.equal(404);
    expect(locked.body.error).to.match(
      /^Your account is locked due to multiple failed login attempts\. Please try again after 1 minute\(s\)$/,
    );
  });

  it('counts nothing for unknown users and answers them like wrong passwords', async () => {
    for (let i = 0; i < 4; i++)
      expect((await logIn('ghost', 'nothing1x')).body).to.deep.equal({
        code: 101,
        error: 'Invalid username/password.',
      });
  });

  it('runs beforeLogin (which may refuse), afterLogin and afterLogout', async () => {
    const seen: string[] = [];
    const offBefore = t.backend.cloud.beforeLogin((request) => {
      if (request.object.get('username') === 'banned') throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, 'banned');
      seen.push(`before ${String(request.object.get('username'))}`);
    });
    const offAfter = t.backend.cloud.afterLogin((request) => {
      seen.push(`after ${String(request.object.get('username'))}`);
    });
    const offLogout = t.backend.cloud.afterLogout((request) => {
      seen.push(`logout ${String(request.object.get('user').id)}`);
    });
    try {
      await signUp({ username: 'banned', password: 'secret456y' }).expect(201);
      const { body: ok } = await signUp({ username: 'hooked', password: 'secret789z' });
      expect((await logIn('banned', 'secret456y')).body).to.deep.equal({ code: 119, error: 'banned' });
      const login = await logIn('hooked', 'secret789z');
      expect(login.status).to.equal(200);
      await t.http
        .post('/parse/logout')
        .set({ ...appHeaders, 'X-Parse-Session-Token': login.body.sessionToken })
        .expect(200);
      expect(seen).to.deep.equal(['before hooked', 'after hooked', `logout ${ok.objectId}`]);
    } finally {
      offBefore();
      offAfter();
      offLogout();
    }
  });
});
