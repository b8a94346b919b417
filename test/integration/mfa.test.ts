/**
 * The built-in MFA provider (`auth: { mfa: { options: ['TOTP' | 'SMS'] } }`), as parse-server's:
 * TOTP enrolment with recovery codes, logins that must send a code, a secret changed with the
 * current code, SMS codes through the host's callback — over REST and through the JS SDK.
 */
import { expect } from 'chai';
import { Secret, TOTP } from 'otpauth';
import { BackendConfigError, createBackend } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';
import { expectParseError } from '../sdk/helpers.js';

const codeFor = (secret: Secret) => new TOTP({ secret }).generate();

describe('MFA (auth.mfa, built in)', () => {
  const texts: [string, string][] = [];
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend({
      auth: {
        mfa: { options: ['TOTP', 'SMS'], sendSMS: (code: string, mobile: string) => void texts.push([code, mobile]) },
      },
    });
  });
  after(() => t.close());

  const post = (path: string, body: unknown) =>
    t.http
      .post(`/parse${path}`)
      .set(appHeaders)
      .send(body as object);
  async function signUp(username: string): Promise<{ id: string; session: Record<string, string> }> {
    const res = await post('/users', { username, password: 'pass-1234' });
    return {
      id: res.body.objectId as string,
      session: { ...appHeaders, 'X-Parse-Session-Token': res.body.sessionToken },
    };
  }
  const enroll = (user: { id: string; session: Record<string, string> }, mfa: unknown) =>
    t.http.put(`/parse/users/${user.id}`).set(user.session).send({ authData: { mfa } });
  const logIn = (username: string, mfa?: unknown) =>
    post('/login', { username, password: 'pass-1234', ...(mfa === undefined ? {} : { authData: { mfa } }) });

  it('refuses bad settings at startup, in parse-server words', () => {
    const base = { appId: 'a', masterKey: 'm', databaseURI: 'mongodb://127.0.0.1:1/x' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /mfa\.options must be an array/],
      [{ options: ['EMAIL'] }, /mfa\.options must include SMS or TOTP/],
      [{ options: ['TOTP'], digits: 3 }, /mfa\.digits must be between 4 and 10/],
      [{ options: ['TOTP'], period: 5 }, /mfa\.period must be greater than 10/],
      [{ options: ['SMS'] }, /mfa\.sendSMS callback must be defined when using SMS OTPs/],
    ];
    for (const [mfa, message] of cases)
      expect(() => createBackend({ ...base, auth: { mfa } }), JSON.stringify(mfa)).to.throw(
        BackendConfigError,
        message,
      );
  });

  it('enrolls a TOTP secret with recovery codes, then asks for a code at every login', async () => {
    const user = await signUp('totp-user');
    const secret = new Secret({ size: 20 });
    expect((await enroll(user, { secret: 'SHORT', token: '123456' })).body).to.deep.equal({
      code: 141,
      error: 'Invalid MFA data',
    });
    expect((await enroll(user, { secret: secret.base32, token: '000000' })).body).to.deep.equal({
      code: 141,
      error: 'Invalid MFA token',
    });
    const enrolled = await enroll(user, { secret: secret.base32, token: codeFor(secret) });
    expect(enrolled.status).to.equal(200);
    const recovery = (enrolled.body.authDataResponse.mfa.recovery as string).split(', ');
    expect(recovery).to.have.length(2);
    expect((await t.http.get('/parse/users/me').set(user.session)).body.authData).to.deep.equal({
      mfa: { status: 'enabled' },
    });
    const asMaster = await t.http.get(`/parse/users/${user.id}`).set(masterHeaders);
    expect(asMaster.body.authData.mfa.secret).to.equal(secret.base32);

    expect((await logIn('totp-user')).body).to.deep.equal({ code: -1, error: 'Missing additional authData mfa' });
    expect((await logIn('totp-user', { token: 'abcdef' })).body).to.deep.equal({
      code: 141,
      error: 'Invalid MFA token',
    });
    const ok = await logIn('totp-user', { token: codeFor(secret) });
    expect(ok.status).to.equal(200);
    expect(ok.body.authData).to.deep.equal({ mfa: { status: 'enabled' } });
    // a recovery code works once
    expect((await logIn('totp-user', { token: recovery[0] })).status).to.equal(200);
    expect((await logIn('totp-user', { token: recovery[0] })).body.code).to.equal(141);
  });

  it('changes the secret only with a current code', async () => {
    const user = await signUp('rotating');
    const first = new Secret({ size: 20 });
    await enroll(user, { secret: first.base32, token: codeFor(first) }).expect(200);
    const second = new Secret({ size: 20 });
    const refused = await enroll(user, { secret: second.base32, token: codeFor(second), old: '123' });
    expect(refused.body).to.deep.equal({ code: 141, error: 'Invalid MFA token' });
    await enroll(user, { secret: second.base32, token: codeFor(second), old: codeFor(first) }).expect(200);
    expect((await logIn('rotating', { token: codeFor(second) })).status).to.equal(200);
  });

  it('enrolls a mobile number with a texted code, and texts one at each login that asks', async () => {
    const user = await signUp('sms-user');
    texts.length = 0;
    await enroll(user, { mobile: '+11111111111' }).expect(200);
    expect(texts).to.have.length(1);
    const [code, mobile] = texts[0]!;
    expect([code.length, mobile]).to.deep.equal([6, '+11111111111']);
    // pending: not enabled yet, and a login needs nothing more
    expect((await t.http.get('/parse/users/me').set(user.session)).body.authData).to.deep.equal({
      mfa: { status: 'disabled' },
    });
    expect((await logIn('sms-user')).status).to.equal(200);
    expect((await enroll(user, { mobile: '+11111111111', token: '000000' })).body).to.deep.equal({
      code: 141,
      error: 'Invalid MFA token',
    });
    await enroll(user, { mobile: '+11111111111', token: code }).expect(200);
    expect((await logIn('sms-user')).body).to.deep.equal({ code: -1, error: 'Missing additional authData mfa' });
    expect((await logIn('sms-user', { token: 'request' })).body).to.deep.equal({
      code: 141,
      error: 'Please enter the token',
    });
    expect(texts).to.have.length(2);
    const loginCode = texts[1]![0];
    expect((await logIn('sms-user', { token: loginCode })).status).to.equal(200);
    expect((await logIn('sms-user', { token: loginCode })).body).to.deep.equal({
      code: 141,
      error: 'Invalid MFA token 1',
    });
  });

  it('works through the JS SDK: enrolment on the user, logInWithAdditionalAuth', async () => {
    const Parse = useBackend(t);
    const user = await Parse.User.signUp('sdk-mfa', 'pass-1234', {});
    const secret = new Secret({ size: 20 });
    await user.save(
      { authData: { mfa: { secret: secret.base32, token: codeFor(secret) } } },
      {
        sessionToken: user.getSessionToken()!,
      },
    );
    const recovery = (user.get('authDataResponse') as { mfa: { recovery: string } }).mfa.recovery;
    expect(recovery.split(', ')).to.have.length(2);
    await expectParseError(Parse.User.logIn('sdk-mfa', 'pass-1234'), -1);
    const again = await Parse.User.logInWithAdditionalAuth('sdk-mfa', 'pass-1234', {
      mfa: { token: codeFor(secret) },
    });
    expect(again.get('authData')).to.deep.equal({ mfa: { status: 'enabled' } });
  });
});
