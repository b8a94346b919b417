/**
 * The Parse SDK bound to a backend (`directAccess`, `cloud`): its calls go straight into the
 * backend, with no HTTP, and hook handlers get parse-server's requests (Parse.Objects,
 * Parse.Query, Parse.User), whether the request came from the bound SDK or over HTTP.
 */
import { expect } from 'chai';
import { BackendConfigError, createBackend } from 'plinth';
import {
  APP_ID,
  MASTER_KEY,
  appHeaders,
  masterHeaders,
  startTestBackend,
  type TestBackend,
} from '../support/backend.js';
import { Parse } from '../support/parse-sdk.js';
import { testMongo, uniqueDatabaseName } from '../support/mongo.js';
import { expectParseError, uniqueClass } from './helpers.js';

type SdkObject = InstanceType<typeof Parse.Object>;

/** A serverURL nothing listens on: a call that went over HTTP would fail. */
const NOWHERE = 'http://127.0.0.1:9/parse';

describe('Parse JS SDK bound to a backend (directAccess)', () => {
  let t: TestBackend;
  const off: (() => void)[] = [];

  before(async () => {
    Parse.initialize(APP_ID, undefined, MASTER_KEY);
    t = await startTestBackend({ directAccess: true, parse: Parse });
    Parse.serverURL = NOWHERE;
  });
  afterEach(() => {
    for (const unregister of off.splice(0)) unregister();
  });
  after(async () => {
    await t.close();
  });

  it('saves, queries, runs functions and logs in without HTTP', async () => {
    const className = uniqueClass('Direct');
    const object = await new Parse.Object(className, { n: 1 }).save();
    expect(object.id).to.be.a('string');
    expect(await new Parse.Query(className).count()).to.equal(1);
    off.push(t.backend.cloud.define('direct', () => 'answered in process'));
    expect(await Parse.Cloud.run('direct')).to.equal('answered in process');
    // an empty session token is none, as the SDK sends it over HTTP
    expect(await Parse.Cloud.run('direct', {}, { sessionToken: '' })).to.equal('answered in process');
    const user = await Parse.User.signUp(uniqueClass('direct'), 'pass-1234', {});
    expect(user.getSessionToken()).to.be.a('string');
    await expectParseError(new Parse.Query(className).get('missing'), 101);
    // the master key and sessions act as they do over HTTP
    const hidden = new Parse.Object(className, { n: 2 });
    hidden.setACL(new Parse.ACL());
    await hidden.save();
    expect(await new Parse.Query(className).count()).to.equal(1);
    expect(await new Parse.Query(className).count({ useMasterKey: true })).to.equal(2);
    const schema = await new Parse.Schema(className).get();
    expect(schema.className).to.equal(className);
  });

  it('saveAll goes through the batch route in process', async () => {
    const className = uniqueClass('DirectBatch');
    const objects = [1, 2, 3].map((n) => new Parse.Object(className, { n }));
    await Parse.Object.saveAll(objects);
    expect(objects.every((o) => typeof o.id === 'string')).to.equal(true);
    expect(await new Parse.Query(className).count()).to.equal(3);
  });

  it('hooks get Parse.Objects with their ACL, the original, and can save others through the SDK', async () => {
    const className = uniqueClass('Hooked');
    const seen: { isParse: boolean; publicRead: boolean | undefined; before?: unknown }[] = [];
    off.push(
      t.backend.cloud.beforeSave(className, (request) => {
        const object = request.object as unknown as SdkObject;
        const original = request.original as unknown as SdkObject | undefined;
        seen.push({
          isParse: object instanceof Parse.Object,
          publicRead: object.getACL()?.getPublicReadAccess(),
          before: original?.get('n'),
        });
        object.set('stamp', 'set in beforeSave');
        object.increment('n', 10);
      }),
    );
    const existed: boolean[] = [];
    off.push(
      t.backend.cloud.afterSave(className, async (request) => {
        const object = request.object as unknown as SdkObject;
        existed.push(object.existed());
        await new Parse.Object(`${className}Log`, { of: object }).save(null, { useMasterKey: true });
      }),
    );
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    acl.setPublicWriteAccess(true);
    const object: SdkObject = new Parse.Object(className, { n: 1 });
    object.setACL(acl);
    await object.save();
    expect(object.get('n')).to.equal(11);
    expect(object.get('stamp')).to.equal('set in beforeSave');
    object.set('n', 2);
    await object.save();
    expect(object.get('n')).to.equal(12);
    expect(seen).to.deep.equal([
      { isParse: true, publicRead: true, before: undefined },
      { isParse: true, publicRead: true, before: 11 },
    ]);
    expect(existed).to.deep.equal([false, true]);
    const logs = await new Parse.Query(`${className}Log`).include('of').find({ useMasterKey: true });
    expect(logs).to.have.length(2);
    expect((logs[0]!.get('of') as SdkObject).id).to.equal(object.id);
  });

  it('requests over HTTP reach the same hooks in the same form', async () => {
    const className = uniqueClass('OverHttp');
    let sawParseObject = false;
    off.push(
      t.backend.cloud.beforeSave(className, (request) => {
        sawParseObject = request.object instanceof Parse.Object;
        (request.object as unknown as SdkObject).set('viaHook', true);
      }),
    );
    const created = await t.http.post(`/parse/classes/${className}`).set(appHeaders).send({ a: 1 });
    expect(created.status).to.equal(201);
    expect(created.body.viaHook).to.equal(true);
    expect(sawParseObject).to.equal(true);
  });

  it('beforeFind gets a Parse.Query and may return another; afterFind gets and returns Parse.Objects', async () => {
    const className = uniqueClass('Found');
    await Parse.Object.saveAll([1, 2, 3, 4].map((n) => new Parse.Object(className, { n })));
    off.push(
      t.backend.cloud.beforeFind(className, (request) => {
        const query = request.query as unknown as InstanceType<typeof Parse.Query>;
        expect(query).to.be.instanceOf(Parse.Query);
        return new Parse.Query(className).greaterThan('n', 1).ascending('n');
      }),
    );
    off.push(
      t.backend.cloud.afterFind(className, (request) => {
        const objects = request.objects as unknown as SdkObject[];
        for (const object of objects) object.set('doubled', (object.get('n') as number) * 2);
        return objects;
      }),
    );
    const found = await new Parse.Query(className).find();
    expect(found.map((o) => [o.get('n'), o.get('doubled')])).to.deep.equal([
      [2, 4],
      [3, 6],
      [4, 8],
    ]);
    const overHttp = await t.http.get(`/parse/classes/${className}`).set(masterHeaders);
    expect(overHttp.body.results.map((o: { n: number }) => o.n)).to.deep.equal([2, 3, 4]);
  });

  it('functions get Parse.User as request.user and pointers as Parse.Objects; they return Parse.Objects', async () => {
    const className = uniqueClass('Fn');
    const thing = await new Parse.Object(className, { label: 'x' }).save();
    off.push(
      t.backend.cloud.define('whoAndWhat', async (request) => {
        const user = request.user as unknown as InstanceType<typeof Parse.User> | undefined;
        const pointer = request.params.thing as unknown as SdkObject;
        await pointer.fetch({ useMasterKey: true });
        return { user: user instanceof Parse.User ? user.getUsername() : null, thing: pointer };
      }),
    );
    const user = await Parse.User.signUp(uniqueClass('fn'), 'pass-1234', {});
    const result = (await Parse.Cloud.run(
      'whoAndWhat',
      { thing: thing.toPointer() },
      { sessionToken: user.getSessionToken()! },
    )) as {
      user: string;
      thing: SdkObject;
    };
    expect(result.user).to.equal(user.getUsername());
    expect(result.thing).to.be.instanceOf(Parse.Object);
    expect(result.thing.get('label')).to.equal('x');
  });

  it("the bound SDK's Parse.Cloud registers on this backend: a login hook given the class first, and a job", async () => {
    const cloud = Parse.Cloud as unknown as Record<string, (...args: unknown[]) => () => void>;
    const logins: unknown[] = [];
    off.push(
      // as parse-server: beforeLogin has no request.user yet; afterLogin's is the user, with the new session
      cloud.beforeLogin!(Parse.User, (request: { object: unknown; user: unknown }) => {
        logins.push(request.object instanceof Parse.User && request.user === undefined);
      }),
      cloud.afterLogin!((request: { object: SdkObject & { getSessionToken(): string }; user: unknown }) => {
        logins.push(request.user === request.object && request.object.getSessionToken().startsWith('r:'));
      }),
    );
    const name = uniqueClass('login');
    await Parse.User.signUp(name, 'pass-1234', {});
    const user = await Parse.User.logIn(name, 'pass-1234');
    expect(logins).to.deep.equal([true, true]);
    expect(user.getSessionToken()).to.be.a('string');

    const className = uniqueClass('JobTarget');
    const target = await new Parse.Object(className, { done: false }).save();
    off.push(
      cloud.job!('markDone', async (request: { params: { target: unknown } }) => {
        const pointer = request.params.target as SdkObject;
        if (!(pointer instanceof Parse.Object)) throw new Error('not a Parse.Object');
        pointer.set('done', true);
        await pointer.save(null, { useMasterKey: true });
      }),
    );
    const jobId = await Parse.Cloud.startJob('markDone', { target: target.toPointer() });
    let status = '';
    for (let i = 0; i < 100 && status !== 'succeeded' && status !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = String((await Parse.Cloud.getJobStatus(jobId)).get('status'));
    }
    expect(status).to.equal('succeeded');
    expect((await new Parse.Query(className).get(target.id!)).get('done')).to.equal(true);
  });

  it('a Parse.Error thrown by a hook reaches the SDK as a Parse.Error with its code', async () => {
    const className = uniqueClass('Refuse');
    off.push(
      t.backend.cloud.beforeSave(className, () => {
        throw new Parse.Error(Parse.Error.VALIDATION_ERROR, 'nope');
      }),
    );
    const error = await expectParseError(new Parse.Object(className).save(), Parse.Error.VALIDATION_ERROR);
    expect(error.message).to.equal('nope');
    expect(error).to.be.instanceOf(Parse.Error);
  });
});

describe('createBackend({ cloud }): parse-server cloud code as it is', () => {
  it('runs a cloud file with the bound SDK as the global Parse, in ready()', async () => {
    const t = await startTestBackend({ cloud: 'test/fixtures/cloud/main.js', parse: Parse });
    Parse.initialize(APP_ID, undefined, MASTER_KEY);
    Parse.serverURL = NOWHERE;
    try {
      await t.backend.ready();
      expect(await Parse.Cloud.run('fixtureHello', { name: 'ann' })).to.equal('hello ann');
      const note: SdkObject = await new Parse.Object('FixtureNote', { text: 'hi' }).save();
      expect(note.get('checked')).to.equal(true);
      expect(await new Parse.Query('FixtureLog').count({ useMasterKey: true })).to.equal(1);
      // over HTTP too
      const res = await t.http.post('/parse/functions/fixtureHello').set(appHeaders).send({ name: 'bo' });
      expect(res.body).to.deep.equal({ result: 'hello bo' });
    } finally {
      await t.close();
    }
    // another backend runs the same file afresh: its own registry gets the hooks
    const again = await startTestBackend({ cloud: 'test/fixtures/cloud/main.js', parse: Parse });
    try {
      await again.backend.ready();
      const res = await again.http.post('/parse/functions/fixtureHello').set(appHeaders).send({ name: 'cy' });
      expect(res.body).to.deep.equal({ result: 'hello cy' });
    } finally {
      await again.close();
    }
  });

  it('runs a CommonJS cloud file afresh for each backend', async () => {
    for (let round = 0; round < 2; round++) {
      const t = await startTestBackend({ cloud: 'test/fixtures/cloud/common.cjs', parse: Parse });
      try {
        await t.backend.ready();
        const res = await t.http.post('/parse/functions/fromCommonJs').set(appHeaders).send({});
        expect(res.body).to.deep.equal({ result: 'common' });
      } finally {
        await t.close();
      }
    }
  });

  it('takes a function, called with the SDK', async () => {
    let given: unknown;
    const t = await startTestBackend({
      parse: Parse,
      cloud: (sdk) => {
        given = sdk;
        (sdk as typeof Parse).Cloud.define('fromFunction', () => 42);
      },
    });
    try {
      await t.backend.ready();
      expect(given).to.equal(Parse);
      const res = await t.http.post('/parse/functions/fromFunction').set(appHeaders).send({});
      expect(res.body).to.deep.equal({ result: 42 });
    } finally {
      await t.close();
    }
  });

  it('a cloud file that fails to load rejects ready() with a BackendConfigError; a bad value is refused', async () => {
    const mongo = await testMongo();
    const backend = createBackend({
      appId: 'x',
      masterKey: 'y',
      databaseURI: mongo.uriFor(uniqueDatabaseName('cloud')),
      cloud: 'test/fixtures/cloud/broken.js',
      parse: Parse,
    });
    try {
      const error: unknown = await backend.ready().then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).to.be.instanceOf(BackendConfigError);
      expect((error as BackendConfigError).message).to.include('broke on purpose');
    } finally {
      await backend.close();
    }
    for (const cloud of [12, '', {}]) {
      expect(() =>
        createBackend({ appId: 'x', masterKey: 'y', databaseURI: 'mongodb://127.0.0.1:1/x', cloud } as never),
      ).to.throw(BackendConfigError, 'cloud: must be the path of a cloud code file or a function');
    }
    expect(() =>
      createBackend({
        appId: 'x',
        masterKey: 'y',
        databaseURI: 'mongodb://127.0.0.1:1/x',
        directAccess: 'yes',
      } as never),
    ).to.throw(BackendConfigError, 'directAccess');
  });

  it('an SDK initialized for another app speaks for the backend it is bound to, and is given back on close()', async () => {
    Parse.initialize('another-app', undefined, 'another-master-key');
    const http = Parse.CoreManager.getRESTController();
    const t = await startTestBackend({ directAccess: true, parse: Parse });
    try {
      expect(['APPLICATION_ID', 'MASTER_KEY'].map((key) => Parse.CoreManager.get(key))).to.deep.equal([
        APP_ID,
        MASTER_KEY,
      ]);
      // over HTTP too (the SDK's requests name this app), as parse-server's global Parse does
      Parse.serverURL = t.serverURL;
      Parse.CoreManager.setRESTController(http);
      t.backend.cloud.define('whichApp', () => 'this one');
      expect(await Parse.Cloud.run('whichApp')).to.equal('this one');
    } finally {
      await t.close();
    }
    expect(['APPLICATION_ID', 'MASTER_KEY'].map((key) => Parse.CoreManager.get(key))).to.deep.equal([
      'another-app',
      'another-master-key',
    ]);
    Parse.initialize(APP_ID, undefined, MASTER_KEY);
  });

  it('close() gives the SDK back its HTTP controller', async () => {
    const before = Parse.CoreManager.getRESTController();
    const t = await startTestBackend({ directAccess: true, parse: Parse });
    expect(Parse.CoreManager.getRESTController()).to.not.equal(before);
    await t.close();
    expect(Parse.CoreManager.getRESTController()).to.equal(before);
  });
});
