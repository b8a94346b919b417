/**
 * Parse.User and Parse.Session through the official SDK: sign-up, login, the current user, become,
 * logout, changes to one's own user, and objects kept private with Parse.ACL(user). The SDK keeps
 * a process-wide current user: it is enabled for this suite and logged out after every test.
 */
import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { expectParseError, uniqueClass, type SdkError, type SdkObject } from './helpers.js';

const MASTER = { useMasterKey: true } as const;

describe('Parse JS SDK: users and sessions', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  type SdkUser = InstanceType<ParseSdk['User']>;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
    Parse.User.enableUnsafeCurrentUser();
  });

  /** Logs the current user out; a session a test already ended (209) is not an error here. */
  async function logOutCurrent(): Promise<void> {
    await Parse.User.logOut().catch((error: unknown) => {
      if (!(error instanceof Parse.Error) || (error as SdkError).code !== Parse.Error.INVALID_SESSION_TOKEN)
        throw error;
    });
  }

  afterEach(async () => {
    await logOutCurrent();
    expect(Parse.User.current()).to.equal(null);
  });
  after(async () => {
    Parse.User.disableUnsafeCurrentUser();
    await backend.close();
  });

  let counter = 0;
  function uniqueName(prefix: string): string {
    counter += 1;
    return `${prefix}${counter}_${Math.random().toString(36).slice(2, 8)}`;
  }

  /** A session token for `username`, from a REST login that leaves the SDK's current user alone. */
  async function restLogIn(username: string, password: string): Promise<string> {
    const res = await backend.http.post('/parse/login').set(appHeaders).send({ username, password });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.sessionToken as string;
  }

  /** Creates a user over REST (the SDK's current user is not touched); returns its id and token. */
  async function restSignUp(
    username: string,
    password: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ objectId: string; sessionToken: string }> {
    const res = await backend.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ username, password, ...extra });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { objectId: string; sessionToken: string };
  }

  function current(): SdkUser {
    const user = Parse.User.current<SdkUser>();
    expect(user).to.not.equal(null);
    return user!;
  }

  it('signUp creates the user, logs it in and makes it current', async () => {
    const username = uniqueName('alice');
    const user = await Parse.User.signUp<SdkUser>(username, 'pw-alice', { email: `${username}@example.com`, age: 31 });
    expect(user.id).to.match(/^[A-Za-z0-9]{10}$/);
    expect(user.getSessionToken()).to.match(/^r:[0-9a-f]{32}$/);
    expect(user.getUsername()).to.equal(username);
    expect(user.getEmail()).to.equal(`${username}@example.com`);
    expect(user.get('age')).to.equal(31);
    expect(user.get('password')).to.equal(undefined);
    expect(user.createdAt).to.be.instanceOf(Date);
    expect(user.isCurrent()).to.equal(true);
    expect(current().id).to.equal(user.id);
    const currentAsync = await Parse.User.currentAsync<SdkUser>();
    expect(currentAsync?.id).to.equal(user.id);
    expect(currentAsync?.getSessionToken()).to.equal(user.getSessionToken());
    // The server knows the token.
    const me = await Parse.User.me<SdkUser>(user.getSessionToken()!);
    expect(me.id).to.equal(user.id);
    expect(me.getUsername()).to.equal(username);
  });

  it('user.signUp() on a new Parse.User does the same', async () => {
    const username = uniqueName('bea');
    const user = new Parse.User();
    user.setUsername(username);
    user.setPassword('pw-bea');
    user.set('color', 'red');
    await user.signUp();
    expect(user.id).to.be.a('string');
    expect(user.getSessionToken()).to.match(/^r:/);
    expect(current().id).to.equal(user.id);
    const fetched = await Parse.User.me<SdkUser>(user.getSessionToken()!);
    expect(fetched.get('color')).to.equal('red');
  });

  it('logIn returns the user with a new session token and makes it current; logOut ends the session', async () => {
    const username = uniqueName('carl');
    const created = await restSignUp(username, 'pw-carl', { email: `${username}@example.com` });
    expect(Parse.User.current()).to.equal(null);

    const user = await Parse.User.logIn<SdkUser>(username, 'pw-carl');
    expect(user.id).to.equal(created.objectId);
    expect(user.getUsername()).to.equal(username);
    expect(user.getEmail()).to.equal(`${username}@example.com`);
    const token = user.getSessionToken();
    expect(token).to.match(/^r:[0-9a-f]{32}$/);
    expect(token).to.not.equal(created.sessionToken);
    expect(user.get('password')).to.equal(undefined);
    expect(current().id).to.equal(created.objectId);
    expect((await Parse.User.currentAsync<SdkUser>())?.getSessionToken()).to.equal(token);

    await Parse.User.logOut();
    expect(Parse.User.current()).to.equal(null);
    expect(await Parse.User.currentAsync()).to.equal(null);
    await expectParseError(Parse.User.become(token!), Parse.Error.INVALID_SESSION_TOKEN);
    // The sign-up session was not touched.
    const me = await Parse.User.me<SdkUser>(created.sessionToken);
    expect(me.id).to.equal(created.objectId);
  });

  it('logIn with a wrong password or an unknown user fails with 101', async () => {
    const username = uniqueName('dina');
    await restSignUp(username, 'right');
    const wrong = await expectParseError(Parse.User.logIn(username, 'wrong'), Parse.Error.OBJECT_NOT_FOUND);
    expect(wrong.message).to.equal('Invalid username/password.');
    const unknown = await expectParseError(
      Parse.User.logIn(uniqueName('nobody'), 'right'),
      Parse.Error.OBJECT_NOT_FOUND,
    );
    expect(unknown.message).to.equal('Invalid username/password.');
    expect(Parse.User.current()).to.equal(null);
  });

  it("become(token) makes the token's user current; a bad token fails with 209", async () => {
    const username = uniqueName('ed');
    const created = await restSignUp(username, 'pw', { nick: 'eddie' });
    const token = await restLogIn(username, 'pw');
    const user = await Parse.User.become<SdkUser>(token);
    expect(user.id).to.equal(created.objectId);
    expect(user.get('nick')).to.equal('eddie');
    expect(user.getSessionToken()).to.equal(token);
    expect(current().id).to.equal(created.objectId);
    expect(current().getSessionToken()).to.equal(token);

    await logOutCurrent();
    await expectParseError(Parse.User.become('r:00000000000000000000000000000000'), Parse.Error.INVALID_SESSION_TOKEN);
    expect(Parse.User.current()).to.equal(null);
  });

  it("me(token) fetches the token's user without making it current", async () => {
    const username = uniqueName('fay');
    const created = await restSignUp(username, 'pw', { email: `${username}@example.com` });
    const user = await Parse.User.me<SdkUser>(created.sessionToken);
    expect(user.id).to.equal(created.objectId);
    expect(user.getUsername()).to.equal(username);
    expect(user.getEmail()).to.equal(`${username}@example.com`);
    expect(user.getSessionToken()).to.equal(created.sessionToken);
    expect(Parse.User.current()).to.equal(null);
  });

  it("Parse.Session.current() is the current user's session", async () => {
    const username = uniqueName('gus');
    const user = await Parse.User.signUp<SdkUser>(username, 'pw', {});
    const session = await Parse.Session.current();
    expect(session.id).to.be.a('string');
    expect(session.getSessionToken()).to.equal(user.getSessionToken());
    const owner = session.get('user') as SdkObject;
    expect(owner.id).to.equal(user.id);
    expect(session.get('createdWith')).to.deep.equal({ action: 'signup', authProvider: 'password' });
    expect(session.get('expiresAt')).to.be.instanceOf(Date);
    expect((session.get('expiresAt') as Date).getTime()).to.be.greaterThan(Date.now());
    // The SDK sends its installation id, which the session records.
    expect(session.get('installationId')).to.equal(
      await Parse.CoreManager.getInstallationController().currentInstallationId(),
    );
  });

  it('an expired session answers 209 "Session token is expired.", and /sessions/me still describes it', async () => {
    const username = uniqueName('old');
    const user = await Parse.User.signUp<SdkUser>(username, 'pw', {});
    const token = user.getSessionToken()!;
    const session = await Parse.Session.current();
    const ended = new Date(Date.UTC(2015, 0, 1));
    await backend.http
      .put(`/parse/classes/_Session/${session.id}`)
      .set(masterHeaders)
      .send({ expiresAt: { __type: 'Date', iso: ended.toISOString() } })
      .expect(200);
    // parse-server's /sessions/me answers with the session, so its owner learns when it ended.
    const described = await Parse.Session.current();
    expect(described.get('expiresAt')).to.deep.equal(ended);
    const error = await expectParseError(Parse.User.become(token), Parse.Error.INVALID_SESSION_TOKEN);
    expect(error.message).to.equal('Session token is expired.');
    const res = await backend.http.get('/parse/users/me').set({ ...appHeaders, 'X-Parse-Session-Token': token });
    expect(res.body).to.deep.equal({ code: 209, error: 'Session token is expired.' });
    const unknown = await backend.http
      .get('/parse/sessions/me')
      .set({ ...appHeaders, 'X-Parse-Session-Token': 'r:unknown' });
    expect(unknown.body.code).to.equal(209);
  });

  it('user.fetch() reloads the current user', async () => {
    const user = await Parse.User.signUp<SdkUser>(uniqueName('jan'), 'pw', {});
    await backend.http
      .put(`/parse/users/${user.id}`)
      .set({ ...appHeaders, 'X-Parse-Session-Token': user.getSessionToken()! })
      .send({ level: 3 })
      .expect(200);
    await user.fetch();
    expect(user.get('level')).to.equal(3);
  });

  it('loginAs (master key) gives a session for another user', async () => {
    const username = uniqueName('nia');
    const created = await restSignUp(username, 'pw');
    const user = await Parse.User.loginAs<SdkUser>(created.objectId);
    expect(user.id).to.equal(created.objectId);
    expect(user.getUsername()).to.equal(username);
    const token = user.getSessionToken();
    expect(token).to.match(/^r:/);
    expect(token).to.not.equal(created.sessionToken);
    const me = await Parse.User.me<SdkUser>(token!);
    expect(me.id).to.equal(created.objectId);
    const refused = await backend.http.post('/parse/loginAs').set(appHeaders).send({ userId: created.objectId });
    expect(refused.body).to.deep.equal({ code: 119, error: 'Permission denied' });
  });

  describe('objects with Parse.ACL(user)', () => {
    it('are visible to their user only, until made publicly readable', async () => {
      const className = uniqueClass('Diary');
      const ownerName = uniqueName('olive');
      const owner = await Parse.User.signUp<SdkUser>(ownerName, 'pw', {});
      // A second session of the owner, that outlives the SDK's logOut below.
      const ownerToken = await restLogIn(ownerName, 'pw');
      const entry = new Parse.Object(className);
      entry.set('text', 'dear diary');
      entry.setACL(new Parse.ACL(owner));
      await entry.save();
      expect(entry.getACL()?.getReadAccess(owner.id!)).to.equal(true);
      expect(entry.getACL()?.getPublicReadAccess()).to.equal(false);

      // The owner, as current user, and with its session token.
      expect((await new Parse.Query(className).get(entry.id!)).get('text')).to.equal('dear diary');
      expect((await new Parse.Query(className).find({ sessionToken: ownerToken })).map((o) => o.id)).to.deep.equal([
        entry.id,
      ]);

      await logOutCurrent();
      // The public.
      await expectParseError(new Parse.Query(className).get(entry.id!), Parse.Error.OBJECT_NOT_FOUND);
      expect(await new Parse.Query(className).find()).to.deep.equal([]);
      // Another user.
      await Parse.User.signUp<SdkUser>(uniqueName('pat'), 'pw', {});
      await expectParseError(new Parse.Query(className).get(entry.id!), Parse.Error.OBJECT_NOT_FOUND);
      expect(await new Parse.Query(className).count()).to.equal(0);
      const stranger = new Parse.Object(className);
      stranger.id = entry.id;
      stranger.set('text', 'overwritten');
      await expectParseError(stranger.save(), Parse.Error.OBJECT_NOT_FOUND);
      // The master key sees it.
      expect((await new Parse.Query(className).get(entry.id!, MASTER)).get('text')).to.equal('dear diary');

      // The owner opens it for reading.
      const acl = new Parse.ACL(owner);
      acl.setPublicReadAccess(true);
      entry.setACL(acl);
      await entry.save(null, { sessionToken: ownerToken });
      expect((await new Parse.Query(className).get(entry.id!)).get('text')).to.equal('dear diary');
      await logOutCurrent();
      expect((await new Parse.Query(className).find()).map((o) => o.id)).to.deep.equal([entry.id]);
      // Still only the owner may write.
      const publicWriter = new Parse.Object(className);
      publicWriter.id = entry.id;
      publicWriter.set('text', 'vandalised');
      await expectParseError(publicWriter.save(), Parse.Error.OBJECT_NOT_FOUND);
      entry.set('text', 'edited by owner');
      await entry.save(null, { sessionToken: ownerToken });
      expect((await new Parse.Query(className).get(entry.id!)).get('text')).to.equal('edited by owner');
    });
  });

  it('user.save() changes the own user; a new password ends every session and the SDK adopts a new one', async () => {
    const name = uniqueName('saver');
    const user = await Parse.User.signUp(name, 'first-pass', {});
    const before = user.getSessionToken()!;
    const other = await restLogIn(name, 'first-pass');
    user.set('nickname', 'Sav');
    user.set('password', 'second-pass');
    await user.save();
    expect(user.getSessionToken()).to.match(/^r:/);
    expect(user.getSessionToken()).to.not.equal(before);
    await expectParseError(Parse.User.become(before), Parse.Error.INVALID_SESSION_TOKEN);
    await Parse.User.become(user.getSessionToken()!);
    const fetched = await user.fetch();
    expect(fetched.get('nickname')).to.equal('Sav');
    expect(
      (await backend.http.get('/parse/users/me').set({ ...appHeaders, 'X-Parse-Session-Token': other })).body.code,
    ).to.equal(209);
    await logOutCurrent();
    const again = await Parse.User.logIn(name, 'second-pass');
    expect(again.id).to.equal(user.id);
  });

  it('a new password set with the master key ends every session of the user, the current one too', async () => {
    const name = uniqueName('masterpw');
    const user = await Parse.User.signUp(name, 'first-pass', {});
    const sessionsOf = () => new Parse.Query(Parse.Session).equalTo('user', user).find({ useMasterKey: true });
    expect(await sessionsOf()).to.have.length(1);
    user.set('password', 'second-pass');
    await user.save(null, { useMasterKey: true });
    expect(await sessionsOf()).to.have.length(0);
    await logOutCurrent().catch(() => undefined);
  });

  it('user.save() and destroy() of another user are refused with 206', async () => {
    const victim = await restSignUp(uniqueName('victim'), 'pass-1234');
    await Parse.User.signUp(uniqueName('attacker'), 'pass-5678', {});
    const target = Parse.User.createWithoutData(victim.objectId) as SdkUser;
    target.set('nickname', 'pwned');
    await expectParseError(target.save(), 206);
    await expectParseError(target.destroy(), 206);
  });

  it('a user that is not there: 101 with the master key, 206 without a session', async () => {
    await logOutCurrent().catch(() => undefined);
    const ghost = Parse.User.createWithoutData('noSuchUser1') as SdkUser;
    await expectParseError(ghost.destroy({ useMasterKey: true }), 101);
    await expectParseError(ghost.save({ nickname: 'x' }, { useMasterKey: true }), 101);
    await expectParseError(ghost.save({ nickname: 'x' }), 206);
    await expectParseError(ghost.destroy(), 206);
  });

  it('Parse.Query(Parse.Session) finds the own sessions only', async () => {
    const name = uniqueName('sessions');
    await restSignUp(uniqueName('someoneelse'), 'pass-0000');
    await Parse.User.signUp(name, 'pass-1111', {});
    await restLogIn(name, 'pass-1111');
    const sessions = await new Parse.Query(Parse.Session).find();
    expect(sessions).to.have.length(2);
    for (const session of sessions) expect((session.get('user') as SdkUser).id).to.equal(current().id);
  });

  describe('sign-up errors', () => {
    it('a username taken in another case fails with 202', async () => {
      const username = uniqueName('Quin');
      await restSignUp(username, 'pw');
      const error = await expectParseError(
        Parse.User.signUp(username.toLowerCase(), 'pw', {}),
        Parse.Error.USERNAME_TAKEN,
      );
      expect(error.message).to.equal('Account already exists for this username.');
      expect(Parse.User.current()).to.equal(null);
    });

    it('an email taken in another case fails with 203', async () => {
      const username = uniqueName('rob');
      await restSignUp(username, 'pw', { email: `${username}@example.com` });
      const error = await expectParseError(
        Parse.User.signUp(uniqueName('rob2'), 'pw', { email: `${username.toUpperCase()}@Example.COM` }),
        Parse.Error.EMAIL_TAKEN,
      );
      expect(error.message).to.equal('Account already exists for this email address.');
    });

    it('a user saved without a username fails with 200, without a password with 201', async () => {
      // Parse.User.signUp checks both on the client; save() sends the request as it is.
      const noName = new Parse.User();
      noName.set('password', 'pw');
      await expectParseError(noName.save(), Parse.Error.USERNAME_MISSING);
      const noPassword = new Parse.User();
      noPassword.set('username', uniqueName('sue'));
      await expectParseError(noPassword.save(), Parse.Error.PASSWORD_MISSING);
      expect(Parse.User.current()).to.equal(null);
    });

    it('a malformed email fails with 125', async () => {
      await expectParseError(
        Parse.User.signUp(uniqueName('tia'), 'pw', { email: 'no-at-sign' }),
        Parse.Error.INVALID_EMAIL_ADDRESS,
      );
    });
  });
});

describe('Parse JS SDK: users as parse-server keeps them', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  /** A new, unsaved user. */
  function newUser(username: string): InstanceType<ParseSdk['User']> {
    const user: InstanceType<ParseSdk['User']> = new Parse.User();
    user.set({ username, password: 'pw' });
    return user;
  }

  it('a user signed up with a public-read ACL can update itself, and cannot lock itself out', async () => {
    const user = newUser('sdk-acl');
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    user.setACL(acl);
    await user.signUp();
    const options = { sessionToken: user.getSessionToken()! };
    await user.save({ nickname: 'first' } as never, options);
    user.setACL(new Parse.ACL());
    await user.save(null, options);
    const fetched = await new Parse.Query(Parse.User).get(user.id!, options);
    expect(fetched.get('nickname')).to.equal('first');
  });

  it("an admin role given write access in a user's ACL updates that user; the public still cannot", async () => {
    const user = newUser('sdk-managed');
    await user.signUp();
    const admin = newUser('sdk-admin');
    await admin.signUp();
    const readable = new Parse.ACL();
    readable.setPublicReadAccess(true);
    const role = new Parse.Role('sdk-admins', readable);
    role.getUsers().add(admin);
    await role.save(null, MASTER);
    const acl = new Parse.ACL(user);
    acl.setRoleWriteAccess(role, true);
    await user.save({ ACL: acl } as never, MASTER);
    await user.save({ key: 'fromAdmin' } as never, { sessionToken: admin.getSessionToken()! });
    expect((await new Parse.Query(Parse.User).get(user.id!, MASTER)).get('key')).to.equal('fromAdmin');
    const asPublic = Parse.User.createWithoutData(user.id!) as InstanceType<ParseSdk['User']>;
    asPublic.set('key', 'fromPublic');
    const refused = await expectParseError(asPublic.save(), 206);
    expect(refused.message).to.equal(`Cannot modify user ${user.id}.`);
  });

  it('Parse.Object.saveAll signs up several new users at once', async () => {
    const users = ['batch-ann', 'batch-bob', 'batch-cy'].map(newUser);
    await Parse.Object.saveAll(users);
    for (const user of users) expect(user.id).to.be.a('string');
    const loggedIn = await Parse.User.logIn('batch-bob', 'pw');
    expect(loggedIn.id).to.equal(users[1]!.id);
  });

  it('keeps its session token through fetch(), so the next save works', async () => {
    Parse.User.enableUnsafeCurrentUser();
    try {
      const user = newUser('fetch-self');
      await user.signUp();
      const current = Parse.User.current()!;
      await current.fetch();
      expect(current.getSessionToken()).to.equal(user.getSessionToken());
      await current.save({ nickname: 'kept' } as never);
      expect((await Parse.User.current()!.fetch()).get('nickname')).to.equal('kept');
    } finally {
      await Parse.User.logOut().catch(() => undefined);
      Parse.User.disableUnsafeCurrentUser();
    }
  });

  it("a name that is one user's username and another's email logs in the user whose username it is", async () => {
    const byName = new Parse.User({ username: 'yo@loname.com', password: 'yolopass', email: 'yo@lo.com' });
    const byEmail = new Parse.User({ username: 'yo@lo.com', password: 'yolopass2', email: 'yo@loname.com' });
    await Parse.Object.saveAll([byName, byEmail]);
    const user = await Parse.User.logIn('yo@loname.com', 'yolopass');
    expect(user.id).to.equal(byName.id);
    // The other user's password does not open the account whose username was given.
    const error = await expectParseError(Parse.User.logIn('yo@loname.com', 'yolopass2'), 101);
    expect(error.message).to.equal('Invalid username/password.');
    const rest = await backend.http
      .post('/parse/login')
      .set(appHeaders)
      .send({ username: 'yo@loname.com', password: 'yolopass' });
    expect(rest.body.objectId).to.equal(byName.id);
    await Parse.User.logOut();
  });

  it('an empty ACL set with the master key locks the user out of new logins; the user cannot set one itself', async () => {
    const user = await Parse.User.signUp('locked-out', 'pw', {});
    const sessionToken = user.getSessionToken()!;
    user.setACL(new Parse.ACL());
    await user.save(null, { sessionToken });
    await user.fetch({ sessionToken });
    // A user's own empty ACL gives it back its own read and write, as parse-server does.
    expect(user.getACL()!.getReadAccess(user.id!)).to.equal(true);
    expect(user.getACL()!.getWriteAccess(user.id!)).to.equal(true);
    await backend.http.put(`/parse/users/${user.id}`).set(masterHeaders).send({ ACL: {} }).expect(200);
    const error = await expectParseError(Parse.User.logIn('locked-out', 'pw'), 101);
    expect(error.message).to.equal('Invalid username/password.');
    const rest = await backend.http
      .post('/parse/login')
      .set(appHeaders)
      .send({ username: 'locked-out', password: 'pw' });
    expect(rest.body).to.deep.equal({ code: 101, error: 'Invalid username/password.' });
  });
});
