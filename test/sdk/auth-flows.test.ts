/**
 * Logging in without a password and the email flows, through the official SDK: anonymous users
 * (Parse.AnonymousUtils), a provider the host app plugs in (linkWith, logInWith, _unlinkFrom), the
 * password reset link and its page, and email verification with preventLoginWithUnverifiedEmail.
 * The SDK keeps a process-wide current user: it is enabled for this suite and logged out after
 * every test. Each group of tests runs on its own backend, configured for it.
 */
import { expect } from 'chai';
import type { EmailMessage } from 'plinth';
import { eventually, settle } from '../support/mongo.js';
import { APP_ID, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { Parse, useBackend } from '../support/parse-sdk.js';
import { asRecord, expectParseError, type SdkError } from './helpers.js';

type SdkUser = InstanceType<typeof Parse.User>;

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Logs the current user out; a session a test already ended (209) is not an error here. */
async function logOutCurrent(): Promise<void> {
  await Parse.User.logOut().catch((error: unknown) => {
    if (!(error instanceof Parse.Error) || (error as SdkError).code !== Parse.Error.INVALID_SESSION_TOKEN) throw error;
  });
}

function current(): SdkUser {
  const user = Parse.User.current<SdkUser>();
  expect(user).to.not.equal(null);
  return user!;
}

/** The stored user as the master key reads it over REST. */
async function masterGetUser(backend: TestBackend, objectId: string): Promise<Record<string, unknown>> {
  const res = await backend.http.get(`/parse/users/${objectId}`).set(masterHeaders);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return asRecord(res.body);
}

/**
 * The ids of the users linked to `provider`'s identity `id`, from a master-key query on
 * `authData.<provider>.id` (the server keeps it in parse-server's `_auth_data_<provider>` field).
 */
async function usersLinkedTo(backend: TestBackend, provider: string, id: string): Promise<string[]> {
  const res = await backend.http
    .get('/parse/users')
    .set(masterHeaders)
    .query({ where: JSON.stringify({ [`authData.${provider}.id`]: id }) });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return (res.body.results as { objectId: string }[]).map((u) => u.objectId);
}

/** An emailAdapter that keeps the messages instead of sending them. */
interface RecordingAdapter {
  verification: EmailMessage[];
  reset: EmailMessage[];
  sendVerificationEmail(message: EmailMessage): void;
  sendPasswordResetEmail(message: EmailMessage): void;
}

function recordingAdapter(): RecordingAdapter {
  const adapter: RecordingAdapter = {
    verification: [],
    reset: [],
    sendVerificationEmail(message) {
      adapter.verification.push(message);
    },
    sendPasswordResetEmail(message) {
      adapter.reset.push(message);
    },
  };
  return adapter;
}

/** The token of an emailed link. */
function tokenOf(link: string): string {
  const token = new URL(link).searchParams.get('token');
  expect(token, link).to.be.a('string');
  return token!;
}

describe('Parse JS SDK: anonymous users, linked identities and email flows', () => {
  before(() => {
    Parse.User.enableUnsafeCurrentUser();
  });
  afterEach(async () => {
    await logOutCurrent();
    expect(Parse.User.current()).to.equal(null);
  });
  after(() => {
    Parse.User.disableUnsafeCurrentUser();
  });

  describe('anonymous users', () => {
    let backend: TestBackend;
    before(async () => {
      backend = await startTestBackend();
      useBackend(backend);
    });
    after(async () => {
      await backend.close();
    });

    it('AnonymousUtils.logIn() creates a user with a session and makes it current', async () => {
      const user = await Parse.AnonymousUtils.logIn();
      expect(user.id).to.match(/^[A-Za-z0-9]{10}$/);
      const token = user.getSessionToken();
      expect(token).to.match(/^r:[0-9a-f]{32}$/);
      expect(current().id).to.equal(user.id);
      expect(Parse.AnonymousUtils.isLinked(user)).to.equal(true);
      expect(Parse.AnonymousUtils.isLinked(current())).to.equal(true);
      // No password needed: the server made a username and knows the session.
      const me = await Parse.User.me<SdkUser>(token!);
      expect(me.id).to.equal(user.id);
      expect(me.getUsername()).to.be.a('string').and.have.length.greaterThan(0);
      // The identity is stored on the user.
      const anonymousId = asRecord(asRecord(user.get('authData')).anonymous).id;
      expect(anonymousId).to.be.a('string');
      expect(await usersLinkedTo(backend, 'anonymous', anonymousId as string)).to.deep.equal([user.id]);
      // parse-server records a sign-up with another identity than a password as a login with it.
      const session = await Parse.Session.current();
      expect(session.get('createdWith')).to.deep.equal({ action: 'login', authProvider: 'anonymous' });
    });

    it('two AnonymousUtils.logIn() calls make two users; the same anonymous authData logs in the same user', async () => {
      const first = await Parse.AnonymousUtils.logIn();
      const authData = asRecord(asRecord(first.get('authData')).anonymous);
      // The SDK makes a new id on every AnonymousUtils.logIn(): that is another user.
      const second = await Parse.AnonymousUtils.logIn();
      expect(second.id).to.be.a('string');
      expect(second.id).to.not.equal(first.id);
      expect(current().id).to.equal(second.id);

      const again = await Parse.User.logInWith<SdkUser>('anonymous', { authData: { id: authData.id } });
      expect(again.id).to.equal(first.id);
      expect(again.getSessionToken()).to.match(/^r:[0-9a-f]{32}$/);
      expect(again.getSessionToken()).to.not.equal(first.getSessionToken());
      expect(current().id).to.equal(first.id);
      expect(Parse.AnonymousUtils.isLinked(again)).to.equal(true);
      const me = await Parse.User.me<SdkUser>(again.getSessionToken()!);
      expect(me.id).to.equal(first.id);
    });

    it('with anonymous users turned off, AnonymousUtils.logIn() fails with 252', async () => {
      const closed = await startTestBackend({ auth: { anonymous: { enabled: false } } });
      try {
        useBackend(closed);
        await expectParseError(Parse.AnonymousUtils.logIn(), Parse.Error.UNSUPPORTED_SERVICE);
        expect(Parse.User.current()).to.equal(null);
        const users = await closed.http.get('/parse/users').set(masterHeaders);
        expect(users.status).to.equal(200);
        expect(users.body.results).to.deep.equal([]);
      } finally {
        useBackend(backend);
        await closed.close();
      }
    });
  });

  describe('linkWith, logInWith and unlink with a provider of the host app', () => {
    let backend: TestBackend;
    const checked: Record<string, unknown>[] = [];
    before(async () => {
      backend = await startTestBackend({
        auth: {
          test: {
            validateAuthData(authData: Record<string, unknown>) {
              checked.push(authData);
              if (authData.token !== 'good') throw new Error('bad token');
            },
          },
        },
      });
      useBackend(backend);
    });
    after(async () => {
      await backend.close();
    });

    it('linkWith links the identity; logInWith then logs in as that user', async () => {
      const identity = uniqueName('id');
      const user = await Parse.User.signUp<SdkUser>(uniqueName('lina'), 'pw-lina', {});
      expect(user._isLinked('test')).to.equal(false);
      const before = checked.length;
      const linked = await user.linkWith('test', { authData: { id: identity, token: 'good' } });
      expect(linked.id).to.equal(user.id);
      expect(user._isLinked('test')).to.equal(true);
      // The server asked the provider about it.
      expect(checked.slice(before)).to.deep.equal([{ id: identity, token: 'good' }]);
      expect(await usersLinkedTo(backend, 'test', identity)).to.deep.equal([user.id]);

      await Parse.User.logOut();
      const loggedIn = await Parse.User.logInWith<SdkUser>('test', { authData: { id: identity, token: 'good' } });
      expect(loggedIn.id).to.equal(user.id);
      expect(loggedIn.getUsername()).to.equal(user.getUsername());
      expect(loggedIn.getSessionToken()).to.match(/^r:[0-9a-f]{32}$/);
      expect(loggedIn.getSessionToken()).to.not.equal(user.getSessionToken());
      expect(current().id).to.equal(user.id);
      const me = await Parse.User.me<SdkUser>(loggedIn.getSessionToken()!);
      expect(me.id).to.equal(user.id);
    });

    it('logInWith a new identity signs up a new user', async () => {
      const identity = uniqueName('id');
      const user = await Parse.User.logInWith<SdkUser>('test', { authData: { id: identity, token: 'good' } });
      expect(user.id).to.match(/^[A-Za-z0-9]{10}$/);
      expect(user.getSessionToken()).to.match(/^r:[0-9a-f]{32}$/);
      expect(current().id).to.equal(user.id);
      expect(await usersLinkedTo(backend, 'test', identity)).to.deep.equal([user.id]);
      const me = await Parse.User.me<SdkUser>(user.getSessionToken()!);
      expect(me.getUsername()).to.be.a('string').and.have.length.greaterThan(0);
      // Logging in again finds it.
      await Parse.User.logOut();
      const again = await Parse.User.logInWith<SdkUser>('test', { authData: { id: identity, token: 'good' } });
      expect(again.id).to.equal(user.id);
    });

    it("a sign-up's beforeSave and afterSave both see the authData it sent", async () => {
      const identity = uniqueName('id');
      const seen: [string, unknown][] = [];
      const offs = [
        backend.backend.cloud.beforeSave('_User', (request) => {
          seen.push(['before', request.object.get('authData')]);
        }),
        backend.backend.cloud.afterSave('_User', (request) => {
          seen.push(['after', request.object.get('authData')]);
        }),
      ];
      try {
        await Parse.User.logInWith<SdkUser>('test', { authData: { id: identity, token: 'good' } });
      } finally {
        for (const off of offs) off();
      }
      const sent = { test: { id: identity, token: 'good' } };
      expect(seen).to.deep.equal([
        ['before', sent],
        ['after', sent],
      ]);
      // stored as sent, as parse-server does
      const stored = await (
        await backend.db()
      )
        .collection('_User')
        .findOne({ _auth_data_test: { $exists: true } } as never, { sort: { _created_at: -1 } });
      expect(stored?._auth_data_test).to.deep.equal({ id: identity, token: 'good' });
      await Parse.User.logOut();
    });

    it('a token the provider refuses fails with 101, for logInWith and for linkWith', async () => {
      const identity = uniqueName('id');
      // An identity already linked: the provider still checks the token.
      const owner = await Parse.User.logInWith<SdkUser>('test', { authData: { id: identity, token: 'good' } });
      await Parse.User.logOut();
      const refused = await expectParseError(
        Parse.User.logInWith('test', { authData: { id: identity, token: 'bad' } }),
        Parse.Error.OBJECT_NOT_FOUND,
      );
      expect(refused.message).to.contain('bad token');
      expect(Parse.User.current()).to.equal(null);
      // A new identity: no user is made.
      const newcomer = uniqueName('id');
      await expectParseError(
        Parse.User.logInWith('test', { authData: { id: newcomer, token: 'bad' } }),
        Parse.Error.OBJECT_NOT_FOUND,
      );
      expect(await usersLinkedTo(backend, 'test', newcomer)).to.deep.equal([]);
      expect(await usersLinkedTo(backend, 'test', identity)).to.deep.equal([owner.id]);
      // Linking to one's own user.
      const user = await Parse.User.signUp<SdkUser>(uniqueName('bad'), 'pw', {});
      const refusedIdentity = uniqueName('id');
      await expectParseError(
        user.linkWith('test', { authData: { id: refusedIdentity, token: 'bad' } }),
        Parse.Error.OBJECT_NOT_FOUND,
      );
      expect(user._isLinked('test')).to.equal(false);
      expect(await usersLinkedTo(backend, 'test', refusedIdentity)).to.deep.equal([]);
    });

    it('an identity linked to one user cannot be linked to another (208)', async () => {
      const identity = uniqueName('id');
      const first = await Parse.User.signUp<SdkUser>(uniqueName('first'), 'pw-first', {});
      await first.linkWith('test', { authData: { id: identity, token: 'good' } });
      await Parse.User.logOut();

      const second = await Parse.User.signUp<SdkUser>(uniqueName('second'), 'pw-second', {});
      const error = await expectParseError(
        second.linkWith('test', { authData: { id: identity, token: 'good' } }),
        Parse.Error.ACCOUNT_ALREADY_LINKED,
      );
      expect(error.message).to.equal('this auth is already used');
      expect(second._isLinked('test')).to.equal(false);
      expect(await usersLinkedTo(backend, 'test', identity)).to.deep.equal([first.id]);
      // The identity still logs in as the first user.
      await Parse.User.logOut();
      const loggedIn = await Parse.User.logInWith<SdkUser>('test', { authData: { id: identity, token: 'good' } });
      expect(loggedIn.id).to.equal(first.id);
    });

    it('_unlinkFrom removes the identity: logging in with it then makes a new user', async () => {
      const identity = uniqueName('id');
      const username = uniqueName('una');
      const user = await Parse.User.signUp<SdkUser>(username, 'pw-una', {});
      await user.linkWith('test', { authData: { id: identity, token: 'good' } });
      expect(await usersLinkedTo(backend, 'test', identity)).to.deep.equal([user.id]);

      const unlinked = await user._unlinkFrom('test');
      expect(unlinked.id).to.equal(user.id);
      expect(user._isLinked('test')).to.equal(false);
      expect(await usersLinkedTo(backend, 'test', identity)).to.deep.equal([]);
      // The password still works.
      await Parse.User.logOut();
      const byPassword = await Parse.User.logIn<SdkUser>(username, 'pw-una');
      expect(byPassword.id).to.equal(user.id);
      await Parse.User.logOut();
      // The identity is free again: it signs up another user.
      const other = await Parse.User.logInWith<SdkUser>('test', { authData: { id: identity, token: 'good' } });
      expect(other.id).to.be.a('string');
      expect(other.id).to.not.equal(user.id);
      expect(await usersLinkedTo(backend, 'test', identity)).to.deep.equal([other.id]);
    });

    it('a provider the backend does not know fails with 252', async () => {
      await expectParseError(
        Parse.User.logInWith('unknownProvider', { authData: { id: 'u1', token: 'good' } }),
        Parse.Error.UNSUPPORTED_SERVICE,
      );
      expect(Parse.User.current()).to.equal(null);
    });
  });

  describe('password reset by email', () => {
    let backend: TestBackend;
    let mail: RecordingAdapter;
    before(async () => {
      mail = recordingAdapter();
      backend = await startTestBackend({ emailAdapter: mail, appName: 'Plinth Tests' });
      useBackend(backend);
    });
    after(async () => {
      await backend.close();
    });

    async function signUpAndLogOut(username: string, password: string, email: string): Promise<SdkUser> {
      const user = await Parse.User.signUp<SdkUser>(username, password, { email });
      await Parse.User.logOut();
      return user;
    }

    it('sends a link whose page sets a new password, once', async () => {
      const username = uniqueName('rosa');
      const email = `${username}@example.com`;
      const user = await signUpAndLogOut(username, 'old-password', email);
      expect(mail.reset).to.deep.equal([]);

      const answer: unknown = await Parse.User.requestPasswordReset(email);
      await eventually(() => mail.reset.length === 1);
      expect(answer).to.deep.equal({});
      expect(mail.reset).to.have.length(1);
      const message = mail.reset[0]!;
      expect(message.appName).to.equal('Plinth Tests');
      expect(message.user).to.include({ objectId: user.id, username, email });
      expect(message.user.get('email')).to.equal(email);
      expect(
        message.link.startsWith(`${backend.serverURL}/apps/${APP_ID}/request_password_reset?token=`),
        message.link,
      ).to.equal(true);
      const token = tokenOf(message.link);
      expect(token).to.match(/^[0-9a-f]{48}$/);

      // The link opens a form that posts the token and the new password.
      const page = await fetch(message.link);
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      const html = await page.text();
      expect(html).to.contain(
        `<form method="post" action="${backend.serverURL}/apps/${APP_ID}/request_password_reset">`,
      );
      expect(html).to.contain(`name="token" value="${token}"`);
      expect(html).to.contain('name="new_password"');

      const action = `${backend.serverURL}/apps/${APP_ID}/request_password_reset`;
      const posted = await fetch(action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, new_password: 'new-password' }).toString(),
      });
      expect(posted.status).to.equal(200);
      expect(await posted.text()).to.contain('Your password is changed');

      const loggedIn = await Parse.User.logIn<SdkUser>(username, 'new-password');
      expect(loggedIn.id).to.equal(user.id);
      await Parse.User.logOut();
      const old = await expectParseError(Parse.User.logIn(username, 'old-password'), Parse.Error.OBJECT_NOT_FOUND);
      expect(old.message).to.equal('Invalid username/password.');

      // The link works once.
      const reopened = await fetch(message.link);
      const reopenedPage = await reopened.text();
      expect(reopenedPage).to.contain('This password reset link does not work');
      expect(reopenedPage).not.to.contain('<form');
      const reposted = await fetch(action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, new_password: 'third-password' }).toString(),
      });
      expect(await reposted.text()).to.contain('Failed to reset password: username / email / token is invalid');
      await expectParseError(Parse.User.logIn(username, 'third-password'), Parse.Error.OBJECT_NOT_FOUND);
      const still = await Parse.User.logIn<SdkUser>(username, 'new-password');
      expect(still.id).to.equal(user.id);
    });

    it('an unknown address is answered like a known one, and gets no email', async () => {
      const username = uniqueName('kim');
      const email = `${username}@example.com`;
      await signUpAndLogOut(username, 'pw-kim', email);
      const sentBefore = mail.reset.length;
      const known: unknown = await Parse.User.requestPasswordReset(email);
      await eventually(() => mail.reset.length === sentBefore + 1);
      expect(mail.reset[sentBefore]!.user.email).to.equal(email);

      const unknown: unknown = await Parse.User.requestPasswordReset(`${uniqueName('nobody')}@example.com`);
      await settle();
      expect(unknown).to.deep.equal(known);
      expect(unknown).to.deep.equal({});
      expect(mail.reset).to.have.length(sentBefore + 1);
    });

    it('a made-up token gets the invalid-link page, and the form says why', async () => {
      const base = `${backend.serverURL}/apps/${APP_ID}/request_password_reset`;
      const page = await fetch(`${base}?token=${'0'.repeat(48)}`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain('This password reset link does not work');
      const posted = await fetch(base, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: '0'.repeat(48), new_password: 'whatever' }).toString(),
      });
      expect(posted.status).to.equal(200);
      expect(await posted.text()).to.contain('Failed to reset password');
    });
  });

  describe('email verification with preventLoginWithUnverifiedEmail', () => {
    let backend: TestBackend;
    let mail: RecordingAdapter;
    before(async () => {
      mail = recordingAdapter();
      backend = await startTestBackend({
        emailAdapter: mail,
        appName: 'Plinth Tests',
        verifyUserEmails: true,
        preventLoginWithUnverifiedEmail: true,
      });
      useBackend(backend);
    });
    after(async () => {
      await backend.close();
    });

    it('signUp sends a link; logIn fails with 205 until the link is opened', async () => {
      const username = uniqueName('vera');
      const email = `${username}@example.com`;
      const user = await Parse.User.signUp<SdkUser>(username, 'pw-vera', { email });
      expect(user.id).to.be.a('string');
      expect(mail.verification).to.have.length(1);
      const message = mail.verification[0]!;
      expect(message.appName).to.equal('Plinth Tests');
      expect(message.user).to.include({ objectId: user.id, username, email });
      expect(message.user.get('email')).to.equal(email);
      expect(message.link.startsWith(`${backend.serverURL}/apps/${APP_ID}/verify_email?token=`), message.link).to.equal(
        true,
      );
      expect((await masterGetUser(backend, user.id!)).emailVerified).to.equal(false);
      await logOutCurrent();

      const refused = await expectParseError(Parse.User.logIn(username, 'pw-vera'), Parse.Error.EMAIL_NOT_FOUND);
      expect(refused.message).to.equal('User email is not verified.');
      expect(Parse.User.current()).to.equal(null);

      const page = await fetch(message.link);
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(await page.text()).to.contain('Your email address is verified');

      const loggedIn = await Parse.User.logIn<SdkUser>(username, 'pw-vera');
      expect(loggedIn.id).to.equal(user.id);
      expect(loggedIn.get('emailVerified')).to.equal(true);
      expect(current().get('emailVerified')).to.equal(true);

      // The link works once.
      const again = await fetch(message.link);
      expect(await again.text()).to.contain('This verification link does not work');
    });

    it('requestEmailVerification sends a new link (the old one stops working); an unknown address gets none', async () => {
      const username = uniqueName('wes');
      const email = `${username}@example.com`;
      const user = await Parse.User.signUp<SdkUser>(username, 'pw-wes', { email });
      await logOutCurrent();
      const sentBefore = mail.verification.length;
      const firstLink = mail.verification[sentBefore - 1]!.link;
      expect(mail.verification[sentBefore - 1]!.user.objectId).to.equal(user.id);

      const answer: unknown = await Parse.User.requestEmailVerification(email);
      await eventually(() => mail.verification.length === sentBefore + 1);
      expect(answer).to.deep.equal({});
      expect(mail.verification).to.have.length(sentBefore + 1);
      const message = mail.verification[sentBefore]!;
      expect(message.user).to.include({ objectId: user.id, username, email });
      expect(message.user.get('email')).to.equal(email);
      expect(message.link.startsWith(`${backend.serverURL}/apps/${APP_ID}/verify_email?token=`), message.link).to.equal(
        true,
      );
      expect(tokenOf(message.link)).to.not.equal(tokenOf(firstLink));

      const unknown: unknown = await Parse.User.requestEmailVerification(`${uniqueName('nobody')}@example.com`);
      await settle();
      expect(unknown).to.deep.equal({});
      expect(mail.verification).to.have.length(sentBefore + 1);

      expect(await (await fetch(firstLink)).text()).to.contain('This verification link does not work');
      await expectParseError(Parse.User.logIn(username, 'pw-wes'), Parse.Error.EMAIL_NOT_FOUND);
      expect((await fetch(message.link)).status).to.equal(200);
      const loggedIn = await Parse.User.logIn<SdkUser>(username, 'pw-wes');
      expect(loggedIn.id).to.equal(user.id);
      expect(loggedIn.get('emailVerified')).to.equal(true);
    });
  });
  describe('email options as parse-server has them', () => {
    let backend: TestBackend;
    let mail: RecordingAdapter;
    before(async () => {
      mail = recordingAdapter();
      backend = await startTestBackend({
        emailAdapter: mail,
        appName: 'Plinth Tests',
        verifyUserEmails: true,
        preventLoginWithUnverifiedEmail: true,
        preventSignupWithUnverifiedEmail: true,
        emailVerifySuccessOnInvalidEmail: false,
        passwordPolicy: { resetPasswordSuccessOnInvalidEmail: false },
      });
      useBackend(backend);
    });
    after(async () => {
      await backend.close();
    });

    it('signUp is refused with 205 until the email is verified; unknown addresses are named', async () => {
      const username = uniqueName('una');
      const email = `${username}@example.com`;
      const refused = await expectParseError(
        Parse.User.signUp(username, 'pw-una', { email }),
        Parse.Error.EMAIL_NOT_FOUND,
      );
      expect(refused.message).to.equal('User email is not verified.');
      expect(mail.verification.at(-1)!.user.get('username')).to.equal(username);
      const reset = await expectParseError(
        Parse.User.requestPasswordReset(`${uniqueName('nobody')}@example.com`),
        Parse.Error.OBJECT_NOT_FOUND,
      );
      expect(reset.message).to.equal('A user with that email does not exist.');
      await expectParseError(
        Parse.User.requestEmailVerification(`${uniqueName('nobody')}@example.com`),
        Parse.Error.EMAIL_NOT_FOUND,
      );
      const page = await fetch(mail.verification.at(-1)!.link);
      expect(await page.text()).to.contain('Your email address is verified');
      const verified = await expectParseError(Parse.User.requestEmailVerification(email), Parse.Error.OTHER_CAUSE);
      expect(verified.message).to.equal(`Email ${email} is already verified.`);
      const loggedIn = await Parse.User.logIn<SdkUser>(username, 'pw-una');
      expect(loggedIn.get('emailVerified')).to.equal(true);
    });

    it('an email request without appName answers 1 with parse-server message', async () => {
      const other = await startTestBackend({ emailAdapter: recordingAdapter() });
      try {
        useBackend(other);
        const error = await expectParseError(
          Parse.User.requestPasswordReset('someone@example.com'),
          Parse.Error.INTERNAL_SERVER_ERROR,
        );
        expect(error.message).to.equal(
          'An appName, publicServerURL, and emailAdapter are required for password reset and email verification functionality.',
        );
      } finally {
        useBackend(backend);
        await other.close();
      }
    });
  });
});
