/**
 * The email options and pages as parse-server 9 has them: its option checks (in its words), its
 * adapter shapes, its pages (forceRedirect, customUrls, localization, placeholders, the files of a
 * host's folder), parse-server 7's customPages, and the refusals: another app id, no
 * publicServerURL, a bad token, missing fields.
 */
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendConfigError, createBackend, type BackendConfig, type EmailMessage } from 'plinth';
import { APP_ID, appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { eventually } from '../support/mongo.js';

const base = { appId: 'a', masterKey: 'k', databaseURI: 'mongodb://127.0.0.1:1/x' };

function problemsOf(config: Partial<BackendConfig>): readonly string[] {
  try {
    void createBackend({ ...base, ...config } as BackendConfig).close();
  } catch (err) {
    if (err instanceof BackendConfigError) return err.problems;
    throw err;
  }
  return [];
}

function recorder() {
  const sent: { kind: string; message: EmailMessage }[] = [];
  return {
    sent,
    adapter: {
      sendVerificationEmail: (message: EmailMessage) => void sent.push({ kind: 'verify', message }),
      sendPasswordResetEmail: (message: EmailMessage) => void sent.push({ kind: 'reset', message }),
    },
  };
}

const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;
const pathOf = (link: string) => new URL(link).pathname + new URL(link).search;

function signUp(t: TestBackend, username: string, email?: string) {
  return t.http
    .post('/parse/users')
    .set(appHeaders)
    .send({ username, password: `pw-${username}`, ...(email ? { email } : {}) });
}

describe('email options: refused in parse-server words', () => {
  it('names each bad value as parse-server does', () => {
    expect(problemsOf({ passwordPolicy: { resetTokenValidityDuration: 0 } })).to.deep.equal([
      'passwordPolicy.resetTokenValidityDuration must be a positive number',
    ]);
    expect(problemsOf({ passwordPolicy: { maxPasswordHistory: 21 } })).to.deep.equal([
      'passwordPolicy.maxPasswordHistory must be an integer ranging 0 - 20',
    ]);
    expect(problemsOf({ passwordPolicy: { resetTokenReuseIfValid: true } })).to.deep.equal([
      'You cannot use resetTokenReuseIfValid without resetTokenValidityDuration',
    ]);
    expect(problemsOf({ passwordPolicy: { resetPasswordSuccessOnInvalidEmail: 'yes' as never } })).to.deep.equal([
      'resetPasswordSuccessOnInvalidEmail must be a boolean value',
    ]);
    expect(problemsOf({ passwordPolicy: { validatorPattern: 5 as never } })).to.deep.equal([
      'passwordPolicy.validatorPattern must be a regex string or RegExp object.',
    ]);
    expect(problemsOf({ verifyUserEmails: true })).to.deep.equal([
      'An emailAdapter is required for e-mail verification and password resets.',
    ]);
    expect(problemsOf({ verifyUserEmails: true, emailAdapter: { sendMail: () => undefined } })).to.deep.equal([
      'An app name is required for e-mail verification and password resets.',
    ]);
    expect(
      problemsOf({ verifyUserEmails: true, appName: 'x', emailAdapter: { sendMail: () => undefined } }),
    ).to.deep.equal(['The option publicServerURL is required.']);
    expect(problemsOf({ publicServerURL: 'ftp://x' })).to.deep.equal([
      'The option publicServerURL must be a valid URL starting with http:// or https://.',
    ]);
    expect(problemsOf({ emailVerifyTokenValidityDuration: -1 })).to.deep.equal([
      'Email verify token validity duration must be a value greater than 0.',
    ]);
    expect(problemsOf({ pages: { forceRedirect: 'yes' as never } })).to.deep.equal([
      'Parse Server option pages.forceRedirect must be a boolean.',
    ]);
    expect(problemsOf({ customPages: [] as never })).to.deep.equal([
      'Parse Server option customPages must be an object.',
    ]);
    expect(problemsOf({ emailAdapter: { send: () => undefined } as never })[0]).to.match(/^emailAdapter: must have/);
  });

  it('accepts sub-second durations, functions and the module form', () => {
    expect(
      problemsOf({
        appName: 'x',
        publicServerURL: 'http://localhost/parse',
        verifyUserEmails: () => true,
        preventLoginWithUnverifiedEmail: async () => false,
        emailVerifyTokenValidityDuration: 0.5,
        passwordPolicy: { resetTokenValidityDuration: 0.25, resetTokenReuseIfValid: true },
        emailAdapter: {
          module: (options: { from: string }) => ({ sendMail: () => options.from }),
          options: { from: 'a' },
        },
      }),
    ).to.deep.equal([]);
  });
});

describe('email requests', () => {
  it('answers 1 without appName, publicServerURL or emailAdapter (parse-server message)', async () => {
    const t = await startTestBackend({ publicServerURL: undefined, emailAdapter: recorder().adapter, appName: 'x' });
    try {
      const res = await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({ email: 'a@example.com' });
      expect(res.body).to.deep.equal({
        code: 1,
        error:
          'An appName, publicServerURL, and emailAdapter are required for password reset and email verification functionality.',
      });
    } finally {
      await t.close();
    }
  });

  it('sends through sendMail when the adapter has only it, also to a user whose username is the address', async () => {
    const mails: { to: string; subject: string; text: string }[] = [];
    const t = await startTestBackend({
      appName: 'Cool App',
      emailAdapter: { module: () => ({ sendMail: (m: (typeof mails)[number]) => void mails.push(m) }) },
    });
    try {
      await signUp(t, 'only@example.com').expect(201);
      await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({ email: 'only@example.com' }).expect(200);
      await eventually(() => mails.length === 1);
      expect(mails[0]).to.include({ to: 'only@example.com', subject: 'Password Reset for Cool App' });
      expect(mails[0]!.text).to.match(/\/apps\/test-app\/request_password_reset\?token=/);
    } finally {
      await t.close();
    }
  });

  it('reveals unknown addresses only when told to, and reuses a valid token when told to', async () => {
    const mail = recorder();
    const t = await startTestBackend({
      appName: 'x',
      emailAdapter: mail.adapter,
      passwordPolicy: {
        resetPasswordSuccessOnInvalidEmail: false,
        resetTokenValidityDuration: 300,
        resetTokenReuseIfValid: true,
      },
    });
    try {
      const unknown = await t.http
        .post('/parse/requestPasswordReset')
        .set(appHeaders)
        .send({ email: 'no@example.com' });
      expect(unknown.body).to.deep.equal({ code: 101, error: 'A user with that email does not exist.' });
      await signUp(t, 'reuse', 'reuse@example.com').expect(201);
      for (let i = 0; i < 2; i++)
        await t.http
          .post('/parse/requestPasswordReset')
          .set(appHeaders)
          .send({ email: 'reuse@example.com' })
          .expect(200);
      expect(mail.sent.map((s) => s.message.link)).to.have.length(2);
      expect(mail.sent[0]!.message.link).to.equal(mail.sent[1]!.message.link);
    } finally {
      await t.close();
    }
  });

  it('expires a reset link after a sub-second validity', async () => {
    const mail = recorder();
    const t = await startTestBackend({
      appName: 'x',
      emailAdapter: mail.adapter,
      passwordPolicy: { resetTokenValidityDuration: 0.3, resetPasswordSuccessOnInvalidEmail: false },
    });
    try {
      await signUp(t, 'quick', 'quick@example.com').expect(201);
      await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({ email: 'quick@example.com' }).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const page = await t.http.get(pathOf(mail.sent[0]!.message.link));
      expect(page.text).to.include('This password reset link does not work');
    } finally {
      await t.close();
    }
  });

  it('decides verification per user with functions, and refuses the sign-up with preventSignupWithUnverifiedEmail', async () => {
    const mail = recorder();
    const asked: string[] = [];
    const t = await startTestBackend({
      appName: 'x',
      emailAdapter: mail.adapter,
      verifyUserEmails: (request) => {
        asked.push(String((request.createdWith ?? { action: 'resend' }).action));
        return true;
      },
      preventLoginWithUnverifiedEmail: () => true,
      preventSignupWithUnverifiedEmail: true,
      emailVerifyTokenValidityDuration: 60,
      emailVerifyTokenReuseIfValid: true,
      emailVerifySuccessOnInvalidEmail: false,
    });
    try {
      const res = await signUp(t, 'fn', 'fn@example.com');
      expect(res.body).to.deep.equal({ code: 205, error: 'User email is not verified.' });
      const login = await t.http.post('/parse/login').set(appHeaders).send({ username: 'fn', password: 'pw-fn' });
      expect(login.body.code).to.equal(205);
      expect(asked).to.deep.equal(['signup', 'login']);
      await t.http
        .post('/parse/verificationEmailRequest')
        .set(appHeaders)
        .send({ email: 'fn@example.com' })
        .expect(200);
      expect(mail.sent).to.have.length(2);
      expect(mail.sent[1]!.message.link).to.equal(mail.sent[0]!.message.link);
      const unknown = await t.http.post('/parse/verificationEmailRequest').set(appHeaders).send({ email: 'x@y.z' });
      expect(unknown.body).to.deep.equal({ code: 205, error: 'No user found with email x@y.z' });
    } finally {
      await t.close();
    }
  });
});

describe('email pages', () => {
  let t: TestBackend;
  const mail = recorder();
  before(async () => {
    t = await startTestBackend({ appName: 'Shop <&>', emailAdapter: mail.adapter, verifyUserEmails: true });
  });
  after(() => t.close());

  it('answers 403 for another app id, JSON errors to scripts, and pages to forms', async () => {
    expect((await t.http.get('/parse/apps/other/verify_email')).status).to.equal(403);
    expect((await t.http.get('/parse/apps/choose_password').query({ appId: 'other' })).status).to.equal(403);
    expect((await t.http.post('/parse/apps/other/request_password_reset')).status).to.equal(403);
    const xhr = { 'X-Requested-With': 'XMLHttpRequest' };
    const noToken = await t.http
      .post(`/parse/apps/${APP_ID}/request_password_reset`)
      .set(xhr)
      .type('form')
      .send({ new_password: 'x' });
    expect(noToken.text).to.equal('{"code":-1,"error":"Missing token"}');
    const noPassword = await t.http
      .post(`/parse/apps/${APP_ID}/request_password_reset`)
      .set(xhr)
      .type('form')
      .send({ token: 'abc' });
    expect(noPassword.text).to.equal('{"code":201,"error":"Missing password"}');
    const badToken = await t.http
      .post(`/parse/apps/${APP_ID}/request_password_reset`)
      .set(xhr)
      .type('form')
      .send({ token: 'abc', new_password: 'x' });
    expect(badToken.body).to.deep.equal({
      code: -1,
      error: 'Failed to reset password: username / email / token is invalid',
    });
    const form = await t.http.post(`/parse/apps/${APP_ID}/request_password_reset`).type('form').send({});
    expect(form.status).to.equal(303);
    expect(form.headers.location).to.equal(
      `${t.serverURL}/apps/password_reset_link_invalid.html?appId=${APP_ID}&appName=Shop+%3C%26%3E&publicServerUrl=${encodeURIComponent(t.serverURL)}`,
    );
  });

  it('resets by a script, and escapes every value put into a page', async () => {
    await signUp(t, 'ajax', 'ajax@example.com').expect(201);
    await t.http.post('/parse/requestPasswordReset').set(appHeaders).send({ email: 'ajax@example.com' }).expect(200);
    await eventually(() => mail.sent.some((s) => s.kind === 'reset'));
    const token = tokenOf(mail.sent.find((s) => s.kind === 'reset')!.message.link);
    const page = await t.http.get(`/parse/apps/choose_password?appId=${APP_ID}&username=%3Cscript%3E&token=${token}`);
    expect(page.text).to.include('Shop &#60;&#38;&#62;');
    expect(page.text).not.to.include('<script>');
    const done = await t.http
      .post(`/parse/apps/${APP_ID}/request_password_reset`)
      .set('X-Requested-With', 'XMLHttpRequest')
      .type('form')
      .send({ token, new_password: 'pw-new' });
    expect(done.status).to.equal(200);
    expect(done.text).to.equal('"Password successfully reset"');
  });

  it('serves the files of the pages folder, and nothing outside it', async () => {
    expect((await t.http.get('/parse/apps/password_reset_success.html')).status).to.equal(200);
    expect((await t.http.get('/parse/apps/..%2Fpackage.json')).status).to.equal(404);
    expect((await t.http.get('/parse/apps/nothing.html')).status).to.equal(404);
  });

  it('answers 404 without publicServerURL', async () => {
    const other = await startTestBackend({ appName: 'x', publicServerURL: undefined });
    try {
      expect((await other.http.get(`/parse/apps/${APP_ID}/verify_email`)).status).to.equal(404);
      expect((await other.http.get(`/parse/apps/${APP_ID}/request_password_reset`)).status).to.equal(404);
    } finally {
      await other.close();
    }
  });
});

describe('email pages: the pages option and customPages', () => {
  it('redirects with forceRedirect and customUrls, and to customPages with 302', async () => {
    const t = await startTestBackend({
      appName: 'x',
      pages: { forceRedirect: true, customUrls: { passwordResetLinkInvalid: 'https://example.com/invalid' } },
      customPages: { invalidVerificationLink: 'https://example.com/legacy' },
    });
    try {
      const reset = await t.http.get(`/parse/apps/${APP_ID}/request_password_reset`);
      expect(reset.status).to.equal(303);
      expect(reset.headers.location).to.match(/^https:\/\/example\.com\/invalid\?appId=test-app&/);
      const verify = await t.http.get(`/parse/apps/${APP_ID}/verify_email`);
      expect(verify.status).to.equal(302);
      expect(verify.headers.location).to.match(/^https:\/\/example\.com\/legacy\?/);
      const pageRedirect = await t.http.get(`/parse/apps/choose_password?appId=${APP_ID}`);
      expect(pageRedirect.status).to.equal(303);
      expect(pageRedirect.headers.location).to.match(new RegExp(`^${t.serverURL}/apps/password_reset\\.html\\?`));
    } finally {
      await t.close();
    }
  });

  it('localizes pages from a host folder, fills translations and placeholders, and builds parseFrameURL links', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'plinth-pages-'));
    mkdirSync(join(folder, 'de'));
    writeFileSync(join(folder, 'password_reset_link_invalid.html'), '<p>{{greeting}} {{appName}} {{extra}}</p>');
    writeFileSync(join(folder, 'de', 'password_reset_link_invalid.html'), '<p>DE {{greeting}} {{extra}}</p>');
    writeFileSync(
      join(folder, 'translations.json'),
      JSON.stringify({
        en: { translation: { greeting: 'Hello {{appName}}' } },
        de: { translation: { greeting: 'Hallo' } },
      }),
    );
    const mail = recorder();
    const t = await startTestBackend({
      appName: 'x',
      emailAdapter: mail.adapter,
      pages: {
        pagesPath: folder,
        enableLocalization: true,
        localizationJsonPath: join(folder, 'translations.json'),
        placeholders: (params) => ({ extra: `[${String(params.locale ?? 'none')}]` }),
      },
      customPages: { parseFrameURL: 'https://example.com/frame' },
    });
    try {
      const en = await t.http.get(`/parse/apps/${APP_ID}/request_password_reset`);
      expect(en.text).to.equal('<p>Hello x x [none]</p>');
      const de = await t.http.get(`/parse/apps/${APP_ID}/request_password_reset?locale=de-AT`);
      expect(de.text).to.equal('<p>DE Hallo [de-AT]</p>');
      expect(de.headers['x-parse-page-param-locale']).to.equal('de-AT');
      await signUp(t, 'framed', 'framed@example.com').expect(201);
      await t.http
        .post('/parse/requestPasswordReset')
        .set(appHeaders)
        .send({ email: 'framed@example.com' })
        .expect(200);
      await eventually(() => mail.sent.length === 1);
      expect(mail.sent[0]!.message.link).to.match(
        /^https:\/\/example\.com\/frame\?link=%2Fapps%2Ftest-app%2Frequest_password_reset&token=[0-9a-f]{48}$/,
      );
    } finally {
      await t.close();
    }
  });
});
