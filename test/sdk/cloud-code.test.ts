/**
 * Cloud code registered on `backend.cloud`, used the way a Parse app uses it: through the official
 * Parse JS SDK. Cloud functions (Parse.Cloud.run), jobs (Parse.Cloud.startJob / getJobStatus),
 * beforeFind / afterFind around Parse.Query, beforeDelete / afterDelete around destroy(), the
 * per-request context, the data API inside hooks, and validators on object triggers. (beforeSave /
 * afterSave basics are in hooks.test.ts.) Every test registers its own hooks; they are unregistered
 * after it through the functions the registrations return.
 */
import { expect } from 'chai';
import { BackendError, ErrorCode } from 'plinth';
import type { DataApi } from 'plinth';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import {
  asArray,
  asDate,
  asParseObject,
  asRecord,
  expectParseError,
  idsOf,
  uniqueClass,
  withoutData,
  type SdkObject,
} from './helpers.js';

const MASTER = { useMasterKey: true } as const;

describe('Parse JS SDK: cloud code', () => {
  let t: TestBackend;
  let Parse: ParseSdk;
  const unregister: (() => void)[] = [];
  /** What the backend logged as errors (after-hook and job failures are logged, not sent). */
  const loggedErrors: { message: string; details: Record<string, unknown> | undefined }[] = [];

  type SdkUser = InstanceType<ParseSdk['User']>;

  before(async () => {
    t = await startTestBackend({
      logger: {
        error: (message, details) => {
          loggedErrors.push({ message, details });
        },
      },
    });
    Parse = useBackend(t);
  });
  afterEach(() => {
    for (const off of unregister.splice(0)) off();
    loggedErrors.length = 0;
  });
  after(() => t.close());

  /** The hook registry; every registration made through `on` is undone after the test. */
  function on(register: () => () => void): void {
    unregister.push(register());
  }

  function cloud(): TestBackend['backend']['cloud'] {
    return t.backend.cloud;
  }

  async function create(
    className: string,
    values: Record<string, unknown>,
    options?: { useMasterKey?: boolean; sessionToken?: string },
  ): Promise<SdkObject> {
    const object = new Parse.Object(className);
    object.set(values);
    await object.save(null, options);
    return object;
  }

  let userCounter = 0;
  async function signUp(prefix: string): Promise<SdkUser> {
    userCounter += 1;
    const user = await Parse.User.signUp<SdkUser>(
      `${prefix}${userCounter}_${Math.random().toString(36).slice(2, 8)}`,
      'pw',
      {},
    );
    expect(user.getSessionToken()).to.be.a('string');
    return user;
  }

  /** Polls the job's `_JobStatus` until it leaves `running` (up to 2 s, in 20 ms steps). */
  async function finishedJob(jobStatusId: string): Promise<SdkObject> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const status = await Parse.Cloud.getJobStatus(jobStatusId);
      if (status.get('status') !== 'running' || Date.now() > deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  describe('the seed example: a beforeSave on Order', () => {
    beforeEach(() => {
      // The example of the design document, verbatim.
      on(() =>
        t.backend.cloud.beforeSave('Order', async (request) => {
          const order = request.object;
          if (order.get('total') < 0) {
            throw new BackendError(141, 'total cannot be negative');
          }
          order.set('status', order.dirty('items') ? 'pending' : order.get('status'));
        }),
      );
    });

    it("refuses a negative total with 141 and the hook's message", async () => {
      const order = new Parse.Object('Order');
      order.set({ total: -1, items: ['a'] });
      const error = await expectParseError(order.save(), Parse.Error.SCRIPT_FAILED);
      expect(error.message).to.equal('total cannot be negative');
      expect(order.id).to.equal(undefined);
    });

    it('an order saved with items is pending, as the SDK object shows after save', async () => {
      const order = new Parse.Object('Order');
      order.set({ total: 10, items: ['a', 'b'] });
      await order.save();
      expect(order.get('status')).to.equal('pending');
      expect(order.dirty()).to.equal(false);
      expect((await new Parse.Query('Order').get(order.id!)).get('status')).to.equal('pending');
    });

    it('an update without items keeps the status', async () => {
      const order = new Parse.Object('Order');
      order.set({ total: 10, items: ['a'] });
      await order.save();
      order.set('note', 'leave at the door');
      await order.save();
      expect(order.get('status')).to.equal('pending');
      // A status the client sets without touching items is kept too.
      order.set('status', 'paid');
      await order.save();
      expect(order.get('status')).to.equal('paid');
      const stored = await new Parse.Query('Order').get(order.id!);
      expect(stored.get('status')).to.equal('paid');
      expect(stored.get('note')).to.equal('leave at the door');
    });
  });

  describe('Parse.Cloud.run', () => {
    it('returns a primitive result', async () => {
      on(() => cloud().define('answer', () => 42));
      on(() => cloud().define('greet', (request) => `hello ${String(request.params.name)}`));
      expect(await Parse.Cloud.run('answer')).to.equal(42);
      expect(await Parse.Cloud.run('greet', { name: 'ada' })).to.equal('hello ada');
    });

    it('returns an object whose Date the SDK decodes as a Date', async () => {
      on(() =>
        cloud().define('when', () => ({
          at: new Date('2024-02-29T12:00:00.000Z'),
          nested: { list: [new Date('2020-01-01T00:00:00.000Z')] },
          n: 1,
        })),
      );
      const result = asRecord(await Parse.Cloud.run('when'));
      expect(asDate(result.at).toISOString()).to.equal('2024-02-29T12:00:00.000Z');
      const list = asArray(asRecord(result.nested).list);
      expect(asDate(list[0]).toISOString()).to.equal('2020-01-01T00:00:00.000Z');
      expect(result.n).to.equal(1);
    });

    it('returns an object view from request.data as a Parse.Object, and an array of them', async () => {
      const className = uniqueClass('Item');
      const first = await create(className, { name: 'one', n: 1 });
      const second = await create(className, { name: 'two', n: 2 });
      on(() => cloud().define('oneItem', (request) => request.data.get(className, String(request.params.id), MASTER)));
      on(() => cloud().define('allItems', (request) => request.data.find(className, { order: 'n' }, MASTER)));

      const one = asParseObject(await Parse.Cloud.run('oneItem', { id: first.id }));
      expect(one.className).to.equal(className);
      expect(one.id).to.equal(first.id);
      expect(one.get('name')).to.equal('one');
      expect(one.createdAt).to.be.instanceOf(Date);

      const all = asArray(await Parse.Cloud.run('allItems')).map(asParseObject);
      expect(all.map((o) => o.className)).to.deep.equal([className, className]);
      expect(idsOf(all)).to.deep.equal([first.id, second.id]);
      expect(all.map((o) => o.get('name'))).to.deep.equal(['one', 'two']);
    });

    it('params arrive decoded: a Date is a JS Date in request.params', async () => {
      const seen: unknown[] = [];
      on(() =>
        cloud().define('echoDate', (request) => {
          seen.push(request.params.when, asRecord(request.params.range).from, request.params.label);
          return (request.params.when as Date).getTime();
        }),
      );
      const when = new Date('2023-06-01T10:20:30.400Z');
      const result = await Parse.Cloud.run('echoDate', {
        when,
        range: { from: new Date('2023-01-01T00:00:00.000Z') },
        label: 'x',
      });
      expect(result).to.equal(when.getTime());
      expect(asDate(seen[0]).toISOString()).to.equal('2023-06-01T10:20:30.400Z');
      expect(asDate(seen[1]).toISOString()).to.equal('2023-01-01T00:00:00.000Z');
      expect(seen[2]).to.equal('x');
      // parse-server's Date parameters still read as their JSON, and so do Plinth's
      expect((seen[0] as unknown as { __type: string; iso: string }).__type).to.equal('Date');
      expect((seen[0] as unknown as { __type: string; iso: string }).iso).to.equal('2023-06-01T10:20:30.400Z');
    });

    it("request.user is the logged-in Parse.User (the SDK's current user)", async () => {
      const seen: { id: unknown; username: unknown; userId: unknown; hasToken: boolean; master: boolean }[] = [];
      on(() =>
        cloud().define('whoami', (request) => {
          seen.push({
            id: request.user?.id,
            username: request.user?.get('username'),
            userId: request.userId,
            hasToken: typeof request.user?.getSessionToken() === 'string',
            master: request.master,
          });
          return request.user?.get('username') ?? null;
        }),
      );
      Parse.User.enableUnsafeCurrentUser();
      try {
        const user = await signUp('caller');
        expect(Parse.User.current()?.id).to.equal(user.id);
        expect(await Parse.Cloud.run('whoami')).to.equal(user.getUsername());
        expect(seen).to.deep.equal([
          { id: user.id, username: user.getUsername(), userId: user.id, hasToken: true, master: false },
        ]);
        await Parse.User.logOut();
        expect(await Parse.Cloud.run('whoami')).to.equal(null);
        expect(seen[1]).to.deep.equal({
          id: undefined,
          username: undefined,
          userId: null,
          hasToken: false,
          master: false,
        });
      } finally {
        if (Parse.User.current()) await Parse.User.logOut();
        Parse.User.disableUnsafeCurrentUser();
      }
    });

    it('a session token passed to run() makes that user request.user', async () => {
      const ids: unknown[] = [];
      on(() =>
        cloud().define('myId', (request) => {
          ids.push(request.user?.id);
          return request.userId;
        }),
      );
      const user = await signUp('token');
      expect(await Parse.Cloud.run('myId', {}, { sessionToken: user.getSessionToken()! })).to.equal(user.id);
      expect(ids).to.deep.equal([user.id]);
    });

    it('an unknown function is refused with 141 Invalid function', async () => {
      const error = await expectParseError(Parse.Cloud.run('nope'), Parse.Error.SCRIPT_FAILED);
      expect(error.message).to.equal('Invalid function: "nope"');
    });

    it('a function unregistered after a test is gone', async () => {
      const off = cloud().define('shortLived', () => 'here');
      expect(await Parse.Cloud.run('shortLived')).to.equal('here');
      off();
      await expectParseError(Parse.Cloud.run('shortLived'), Parse.Error.SCRIPT_FAILED);
    });

    it('a BackendError thrown by a function reaches the SDK with its code and message', async () => {
      on(() =>
        cloud().define('refuse', () => {
          throw new BackendError(ErrorCode.VALIDATION_ERROR, 'not like that');
        }),
      );
      on(() =>
        cloud().define('custom', async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'no such thing');
        }),
      );
      const refused = await expectParseError(Parse.Cloud.run('refuse'), Parse.Error.VALIDATION_ERROR);
      expect(refused.message).to.equal('not like that');
      const custom = await expectParseError(Parse.Cloud.run('custom'), Parse.Error.OBJECT_NOT_FOUND);
      expect(custom.message).to.equal('no such thing');
    });

    it('a Parse-style { code, message } throw keeps its code, an application code included', async () => {
      on(() =>
        cloud().define('appCode', () => {
          throw { code: 9001, message: 'over quota' };
        }),
      );
      const error = await expectParseError(Parse.Cloud.run('appCode'), 9001);
      expect(error.message).to.equal('over quota');
    });

    it("the SDK's own Parse.Error thrown by a function or a hook keeps its code, as parse-server's cloud code throws it", async () => {
      const className = uniqueClass('Refused');
      on(() =>
        cloud().define('sdkError', () => {
          throw new Parse.Error(999, 'custom code');
        }),
      );
      on(() =>
        cloud().beforeSave(className, () => {
          throw new Parse.Error(Parse.Error.VALIDATION_ERROR, 'not saved');
        }),
      );
      const error = await expectParseError(Parse.Cloud.run('sdkError'), 999);
      expect(error.message).to.equal('custom code');
      const refused = await expectParseError(new Parse.Object(className).save(), Parse.Error.VALIDATION_ERROR);
      expect(refused.message).to.equal('not saved');
    });

    it('a plain Error thrown by a function is 141 with its message', async () => {
      on(() =>
        cloud().define('broken', () => {
          throw new Error('x');
        }),
      );
      const error = await expectParseError(Parse.Cloud.run('broken'), Parse.Error.SCRIPT_FAILED);
      expect(error.message).to.equal('x');
    });

    it('validator requireUser refuses an anonymous call with 142 and runs for a logged-in one', async () => {
      let calls = 0;
      on(() =>
        cloud().define(
          'membersOnly',
          () => {
            calls += 1;
            return 'welcome';
          },
          { requireUser: true },
        ),
      );
      const error = await expectParseError(Parse.Cloud.run('membersOnly'), Parse.Error.VALIDATION_ERROR);
      expect(error.message).to.equal('Validation failed. Please login to continue.');
      expect(calls).to.equal(0);
      const user = await signUp('member');
      expect(await Parse.Cloud.run('membersOnly', {}, { sessionToken: user.getSessionToken()! })).to.equal('welcome');
      expect(calls).to.equal(1);
    });

    it('validator fields refuse a param of the wrong type or a missing one with 142', async () => {
      on(() =>
        cloud().define('double', (request) => (request.params.n as number) * 2, {
          fields: { n: { type: Number, required: true } },
        }),
      );
      expect(await Parse.Cloud.run('double', { n: 21 })).to.equal(42);
      const wrongType = await expectParseError(
        Parse.Cloud.run('double', { n: 'twenty' }),
        Parse.Error.VALIDATION_ERROR,
      );
      expect(wrongType.message).to.equal('Validation failed. Invalid type for n. Expected: number');
      const missing = await expectParseError(Parse.Cloud.run('double', {}), Parse.Error.VALIDATION_ERROR);
      expect(missing.message).to.equal('Validation failed. Please specify data for n.');
    });
  });

  describe('Parse.Cloud.startJob', () => {
    it('starts a job with the master key; its _JobStatus ends succeeded with the message it set', async () => {
      const seen: { params: unknown; jobId: string; jobName: string }[] = [];
      on(() =>
        cloud().job('tidy', async (request) => {
          seen.push({ params: request.params, jobId: request.jobId, jobName: request.jobName });
          await request.message('halfway');
          await new Promise((resolve) => setTimeout(resolve, 10));
          await request.message(`tidied ${String(request.params.scope)}`);
        }),
      );
      const jobStatusId = await Parse.Cloud.startJob('tidy', { scope: 'all' });
      expect(jobStatusId).to.be.a('string').and.not.equal('');
      const status = await finishedJob(jobStatusId);
      expect(status.id).to.equal(jobStatusId);
      expect(status.get('status')).to.equal('succeeded');
      expect(status.get('message')).to.equal('tidied all');
      expect(status.get('jobName')).to.equal('tidy');
      expect(asDate(status.get('finishedAt')).getTime()).to.be.at.most(Date.now());
      expect(seen).to.deep.equal([{ params: { scope: 'all' }, jobId: jobStatusId, jobName: 'tidy' }]);
    });

    it('a string the job returns becomes the message; the status is readable through Parse.Query with the master key', async () => {
      on(() => cloud().job('count', (request) => `counted ${String(request.params.n)}`));
      const jobStatusId = await Parse.Cloud.startJob('count', { n: 3 });
      await finishedJob(jobStatusId);
      const status = await new Parse.Query('_JobStatus').get(jobStatusId, MASTER);
      expect(status.get('status')).to.equal('succeeded');
      expect(status.get('message')).to.equal('counted 3');
    });

    it('a job that throws ends failed with the error message', async () => {
      on(() =>
        cloud().job('explode', async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new Error('boom');
        }),
      );
      const jobStatusId = await Parse.Cloud.startJob('explode', {});
      const status = await finishedJob(jobStatusId);
      expect(status.get('status')).to.equal('failed');
      expect(status.get('message')).to.equal('boom');
      expect(status.get('finishedAt')).to.be.instanceOf(Date);
    });

    it('an unknown job is refused with 141', async () => {
      await expectParseError(Parse.Cloud.startJob('noSuchJob', {}), Parse.Error.SCRIPT_FAILED);
    });

    it('a job status is not readable without the master key (119, as in Parse Server)', async () => {
      on(() => cloud().job('quiet', () => undefined));
      const jobStatusId = await Parse.Cloud.startJob('quiet', {});
      await finishedJob(jobStatusId);
      const error = await expectParseError(
        new Parse.Query('_JobStatus').get(jobStatusId),
        Parse.Error.OPERATION_FORBIDDEN,
      );
      expect(error.message).to.equal(
        "Clients aren't allowed to perform the find operation on the _JobStatus collection.",
      );
    });
  });

  describe('beforeFind', () => {
    async function seed(className: string): Promise<{ shown: SdkObject; hidden: SdkObject }> {
      const shown = await create(className, { name: 'shown', visible: true });
      const hidden = await create(className, { name: 'hidden', visible: false });
      await create(className, { name: 'unset' });
      return { shown, hidden };
    }

    it('a condition added to request.query hides other objects from find, count and get', async () => {
      const className = uniqueClass('Listing');
      const { shown, hidden } = await seed(className);
      on(() =>
        cloud().beforeFind(className, (request) => {
          request.query.equalTo('visible', true);
        }),
      );
      const found = await new Parse.Query(className).find();
      expect(idsOf(found)).to.deep.equal([shown.id]);
      expect(await new Parse.Query(className).count()).to.equal(1);
      expect((await new Parse.Query(className).get(shown.id!)).get('name')).to.equal('shown');
      await expectParseError(new Parse.Query(className).get(hidden.id!), Parse.Error.OBJECT_NOT_FOUND);
      // fetch() is the REST get by id (GET /classes/:className/:objectId): hidden there too.
      await expectParseError(withoutData(className, hidden.id!).fetch(), Parse.Error.OBJECT_NOT_FOUND);
      expect((await withoutData(className, shown.id!).fetch()).get('name')).to.equal('shown');
      // The client's own conditions still apply.
      expect(await new Parse.Query(className).equalTo('name', 'hidden').find()).to.deep.equal([]);
      // first() is a find with limit 1.
      expect((await new Parse.Query(className).first())?.id).to.equal(shown.id);
    });

    it('a hook that returns a new query is used instead', async () => {
      const className = uniqueClass('Listing');
      const { hidden } = await seed(className);
      on(() => cloud().beforeFind(className, (request) => request.query.equalTo('visible', false).limit(5)));
      expect(idsOf(await new Parse.Query(className).find())).to.deep.equal([hidden.id]);
    });

    it('a hook that returns an array of objects answers the find with them', async () => {
      const className = uniqueClass('Canned');
      await create(className, { name: 'stored' });
      on(() =>
        cloud().beforeFind(className, () => [
          { objectId: 'canned0001', name: 'first', at: new Date('2021-01-01T00:00:00.000Z') },
          { objectId: 'canned0002', name: 'second' },
        ]),
      );
      const found = await new Parse.Query(className).find();
      expect(found.map((o) => o.className)).to.deep.equal([className, className]);
      expect(idsOf(found)).to.deep.equal(['canned0001', 'canned0002']);
      expect(found.map((o) => o.get('name'))).to.deep.equal(['first', 'second']);
      expect(asDate(found[0]!.get('at')).toISOString()).to.equal('2021-01-01T00:00:00.000Z');
    });

    it('a hook can answer with object views read through request.data', async () => {
      const className = uniqueClass('Proxied');
      const source = uniqueClass('Source');
      const original = await create(source, { name: 'from elsewhere' });
      on(() => cloud().beforeFind(className, (request) => request.data.find(source, {}, MASTER)));
      const found = await new Parse.Query(className).find();
      expect(idsOf(found)).to.deep.equal([original.id]);
      expect(found[0]!.get('name')).to.equal('from elsewhere');
    });

    // The SDK's query.get(id) is a find with `where: {objectId}` and limit 1; only object.fetch()
    // is the REST get by id, so only it is `isGet` (as in Parse Server).
    it('request.isGet and request.count tell find, count and get apart', async () => {
      const className = uniqueClass('Flagged');
      const object = await create(className, { n: 1 });
      const flags: { isGet: boolean; count: boolean; where: unknown }[] = [];
      on(() =>
        cloud().beforeFind(className, (request) => {
          flags.push({ isGet: request.isGet, count: request.count, where: request.query.where });
        }),
      );
      await new Parse.Query(className).equalTo('n', 1).find();
      await new Parse.Query(className).equalTo('n', 1).count();
      await new Parse.Query(className).get(object.id!);
      await withoutData(className, object.id!).fetch();
      expect(flags).to.deep.equal([
        { isGet: false, count: false, where: { n: 1 } },
        { isGet: false, count: true, where: { n: 1 } },
        { isGet: false, count: false, where: { objectId: object.id } },
        { isGet: true, count: false, where: { objectId: object.id } },
      ]);
    });

    it('a beforeFind that throws refuses the query with its code', async () => {
      const className = uniqueClass('Closed');
      await create(className, { n: 1 });
      on(() =>
        cloud().beforeFind(className, () => {
          throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, 'closed for maintenance');
        }),
      );
      const error = await expectParseError(new Parse.Query(className).find(), Parse.Error.OPERATION_FORBIDDEN);
      expect(error.message).to.equal('closed for maintenance');
    });
  });

  describe('afterFind', () => {
    async function seedNumbers(className: string): Promise<SdkObject[]> {
      const objects: SdkObject[] = [];
      for (const n of [1, 2, 3, 4]) objects.push(await create(className, { n }));
      return objects;
    }

    function evenAndDoubled(className: string): void {
      on(() =>
        cloud().afterFind(className, (request) =>
          request.objects
            .filter((object) => (object.get('n') as number) % 2 === 0)
            .map((object) => object.set('double', (object.get('n') as number) * 2)),
        ),
      );
    }

    it('the returned array replaces the results of a find, with fields the hook set', async () => {
      const className = uniqueClass('Numbers');
      await seedNumbers(className);
      evenAndDoubled(className);
      const found = await new Parse.Query(className).ascending('n').find();
      expect(found.map((o) => [o.get('n'), o.get('double')])).to.deep.equal([
        [2, 4],
        [4, 8],
      ]);
    });

    it('the returned array replaces the result of a get; an object it drops is not found', async () => {
      const className = uniqueClass('Numbers');
      const [one, two] = await seedNumbers(className);
      evenAndDoubled(className);
      const fetched = await new Parse.Query(className).get(two!.id!);
      expect(fetched.get('double')).to.equal(4);
      await expectParseError(new Parse.Query(className).get(one!.id!), Parse.Error.OBJECT_NOT_FOUND);
    });

    it('fetch() of an object goes through afterFind too', async () => {
      const className = uniqueClass('Numbers');
      const [one, two] = await seedNumbers(className);
      evenAndDoubled(className);
      const copy = withoutData(className, two!.id!);
      await copy.fetch();
      expect(copy.get('double')).to.equal(4);
      await expectParseError(withoutData(className, one!.id!).fetch(), Parse.Error.OBJECT_NOT_FOUND);
    });

    it('afterFind returning [] on a get (query.get or fetch) is 101', async () => {
      const className = uniqueClass('Vanishing');
      const object = await create(className, { n: 1 });
      const gets: boolean[] = [];
      on(() =>
        cloud().afterFind(className, (request) => {
          gets.push(request.isGet);
          return [];
        }),
      );
      await expectParseError(new Parse.Query(className).get(object.id!), Parse.Error.OBJECT_NOT_FOUND);
      const fetched = await expectParseError(withoutData(className, object.id!).fetch(), Parse.Error.OBJECT_NOT_FOUND);
      expect(fetched.message).to.equal('Object not found.');
      expect(await new Parse.Query(className).find()).to.deep.equal([]);
      expect(gets).to.deep.equal([false, true, false]);
    });

    it('changes made to request.objects without returning them still reach the client', async () => {
      const className = uniqueClass('Touched');
      await create(className, { n: 1 });
      on(() =>
        cloud().afterFind(className, (request) => {
          for (const object of request.objects) object.set('seen', true);
        }),
      );
      const [found] = await new Parse.Query(className).find();
      expect(found?.get('seen')).to.equal(true);
      // afterFind changes only the answer, not the stored object.
      const db = await t.db();
      const stored = await db.collection(className).findOne({});
      expect(stored).to.not.have.property('seen');
    });
  });

  describe('beforeDelete / afterDelete', () => {
    it('a beforeDelete that throws refuses destroy() with its code, and the object still exists', async () => {
      const className = uniqueClass('Guarded');
      const object = await create(className, { locked: true });
      const seen: unknown[] = [];
      on(() =>
        cloud().beforeDelete(className, (request) => {
          seen.push(request.object.id, request.object.get('locked'));
          if (request.object.get('locked')) throw new BackendError(ErrorCode.VALIDATION_ERROR, 'unlock it first');
        }),
      );
      const error = await expectParseError(object.destroy(), Parse.Error.VALIDATION_ERROR);
      expect(error.message).to.equal('unlock it first');
      expect(seen).to.deep.equal([object.id, true]);
      expect((await new Parse.Query(className).get(object.id!, MASTER)).get('locked')).to.equal(true);

      object.set('locked', false);
      await object.save();
      await object.destroy();
      expect(await new Parse.Query(className).count(MASTER)).to.equal(0);
    });

    it('a beforeDelete that throws a plain Error refuses with 141', async () => {
      const className = uniqueClass('Guarded');
      const object = await create(className, { n: 1 });
      on(() =>
        cloud().beforeDelete(className, () => {
          throw new Error('never');
        }),
      );
      const error = await expectParseError(object.destroy(), Parse.Error.SCRIPT_FAILED);
      expect(error.message).to.equal('never');
      expect(await new Parse.Query(className).count(MASTER)).to.equal(1);
    });

    it('afterDelete runs after the delete, with the deleted object', async () => {
      const className = uniqueClass('Gone');
      const object = await create(className, { name: 'bye' });
      const seen: { id: string | undefined; name: unknown; stillThere: number }[] = [];
      on(() =>
        cloud().afterDelete(className, async (request) => {
          seen.push({
            id: request.object.id,
            name: request.object.get('name'),
            stillThere: await request.data.count(className, { where: { objectId: request.object.id } }, MASTER),
          });
        }),
      );
      await object.destroy();
      expect(seen).to.deep.equal([{ id: object.id, name: 'bye', stillThere: 0 }]);
    });

    it('an afterDelete that throws fails destroy() with its error, the object being gone (as parse-server)', async () => {
      const className = uniqueClass('Gone');
      const object = await create(className, { n: 1 });
      let ran = false;
      on(() =>
        cloud().afterDelete(className, () => {
          ran = true;
          throw new BackendError(ErrorCode.VALIDATION_ERROR, 'cleanup failed');
        }),
      );
      const error = (await object.destroy().catch((err: unknown) => err)) as Parse.Error;
      expect([error.code, error.message]).to.deep.equal([ErrorCode.VALIDATION_ERROR, 'cleanup failed']);
      expect(ran).to.equal(true);
      expect(await new Parse.Query(className).count(MASTER)).to.equal(0);
    });
  });

  describe('context', () => {
    // save(null, { context }) reaching beforeSave and afterSave is covered in hooks.test.ts.

    it('a context set by beforeSave is seen by the afterSave of the same save', async () => {
      const className = uniqueClass('Shared');
      const seen: unknown[] = [];
      on(() =>
        cloud().beforeSave(className, (request) => {
          request.context.fromBefore = 'yes';
        }),
      );
      on(() =>
        cloud().afterSave(className, (request) => {
          seen.push({ ...request.context });
        }),
      );
      await create(className, { n: 1 }, undefined);
      const object = new Parse.Object(className);
      await object.save({ n: 2 }, { context: { a: 1 } });
      expect(seen).to.deep.equal([{ fromBefore: 'yes' }, { a: 1, fromBefore: 'yes' }]);
    });

    it('Parse.Cloud.run(name, params, { context }) reaches request.context, not the params', async () => {
      const seen: { context: unknown; params: unknown }[] = [];
      on(() =>
        cloud().define('withContext', (request) => {
          seen.push({ context: request.context, params: request.params });
          return true;
        }),
      );
      await Parse.Cloud.run('withContext', { p: 1 }, { context: { a: 1 } });
      expect(seen).to.deep.equal([{ context: { a: 1 }, params: { p: 1 } }]);
    });

    it('destroy({ context }) reaches beforeDelete and afterDelete', async () => {
      const className = uniqueClass('CtxDelete');
      const object = await create(className, { n: 1 });
      const seen: unknown[] = [];
      on(() =>
        cloud().beforeDelete(className, (request) => {
          seen.push(['before', request.context]);
        }),
      );
      on(() =>
        cloud().afterDelete(className, (request) => {
          seen.push(['after', request.context]);
        }),
      );
      await object.destroy({ context: { reason: 'gdpr' } });
      expect(seen).to.deep.equal([
        ['before', { reason: 'gdpr' }],
        ['after', { reason: 'gdpr' }],
      ]);
    });

    it('query.find({ context }) reaches beforeFind', async () => {
      const className = uniqueClass('CtxFind');
      await create(className, { n: 1 });
      const seen: unknown[] = [];
      on(() =>
        cloud().beforeFind(className, (request) => {
          seen.push(request.context);
        }),
      );
      await new Parse.Query(className).find({ context: { screen: 'home' } });
      expect(seen).to.deep.equal([{ screen: 'home' }]);
    });
  });

  describe('the data API from cloud code', () => {
    it('an afterSave that creates an Audit object with the master key', async () => {
      const className = uniqueClass('Audited');
      const audit = uniqueClass('Audit');
      on(() =>
        cloud().afterSave(className, async (request) => {
          await request.data.create(
            audit,
            {
              target: request.object,
              action: request.original ? 'update' : 'create',
              at: new Date('2022-02-02T00:00:00.000Z'),
              ACL: {},
            },
            MASTER,
          );
        }),
      );
      const object = await create(className, { n: 1 });
      object.set('n', 2);
      await object.save();

      // ACL {}: only the master key sees the audit trail.
      expect(await new Parse.Query(audit).count()).to.equal(0);
      const entries = await new Parse.Query(audit).ascending('createdAt').find(MASTER);
      expect(entries.map((e) => e.get('action'))).to.deep.equal(['create', 'update']);
      const target = asParseObject(entries[0]!.get('target'));
      expect(target.className).to.equal(className);
      expect(target.id).to.equal(object.id);
      expect(asDate(entries[0]!.get('at')).toISOString()).to.equal('2022-02-02T00:00:00.000Z');
    });

    it("a function that queries as the caller sees only the caller's private notes", async () => {
      const note = uniqueClass('Note');
      const alice = await signUp('alice');
      const bob = await signUp('bob');
      async function privateNote(owner: SdkUser, text: string): Promise<SdkObject> {
        const object = new Parse.Object(note);
        object.set('text', text);
        object.setACL(new Parse.ACL(owner));
        await object.save(null, { sessionToken: owner.getSessionToken()! });
        return object;
      }
      const a1 = await privateNote(alice, 'alice 1');
      const a2 = await privateNote(alice, 'alice 2');
      await privateNote(bob, 'bob 1');
      await create(note, { text: 'public' });

      on(() =>
        cloud().define('myNotes', (request) => {
          const sessionToken = request.user?.getSessionToken();
          return request.data.find(note, { order: 'text', where: { text: { $ne: 'public' } } }, { sessionToken });
        }),
      );
      const mine = asArray(await Parse.Cloud.run('myNotes', {}, { sessionToken: alice.getSessionToken()! })).map(
        asParseObject,
      );
      expect(idsOf(mine)).to.deep.equal([a1.id, a2.id]);
      expect(mine.map((o) => o.get('text'))).to.deep.equal(['alice 1', 'alice 2']);
      const bobs = asArray(await Parse.Cloud.run('myNotes', {}, { sessionToken: bob.getSessionToken()! })).map(
        asParseObject,
      );
      expect(bobs.map((o) => o.get('text'))).to.deep.equal(['bob 1']);
      // Without a session the data API acts as an anonymous client.
      expect(asArray(await Parse.Cloud.run('myNotes'))).to.deep.equal([]);
      // The master key sees everything.
      expect(await new Parse.Query(note).count(MASTER)).to.equal(4);
    });

    it("request.data writes run the target class's hooks", async () => {
      const source = uniqueClass('Trigger');
      const target = uniqueClass('Derived');
      on(() =>
        cloud().beforeSave(target, (request) => {
          request.object.set('stamped', true);
        }),
      );
      on(() =>
        cloud().afterSave(source, async (request) => {
          await request.data.create(target, { from: request.object.id }, MASTER);
        }),
      );
      const object = await create(source, { n: 1 });
      const [derived] = await new Parse.Query(target).find(MASTER);
      expect(derived?.get('from')).to.equal(object.id);
      expect(derived?.get('stamped')).to.equal(true);
    });

    it('backend.data reads what the SDK wrote, as object views', async () => {
      const className = uniqueClass('Shared');
      const object = await create(className, { n: 5, when: new Date('2020-05-05T05:05:05.005Z') });
      const data: DataApi = t.backend.data;
      const view = await data.get(className, object.id!, MASTER);
      expect(view.get('n')).to.equal(5);
      expect(asDate(view.get('when')).toISOString()).to.equal('2020-05-05T05:05:05.005Z');
    });
  });

  describe('validators on a beforeSave', () => {
    function withDefaults(className: string): void {
      on(() =>
        cloud().beforeSave(
          className,
          () => {
            // The validator does the work.
          },
          { fields: { status: { default: 'new' }, kind: { constant: true, default: 'a' } } },
        ),
      );
    }

    it('a default fills a missing field on create, as the SDK object shows', async () => {
      const className = uniqueClass('Ticket');
      withDefaults(className);
      const ticket = await create(className, { title: 't' });
      expect(ticket.get('status')).to.equal('new');
      expect(ticket.get('kind')).to.equal('a');
      const given = await create(className, { title: 'u', status: 'open' });
      expect(given.get('status')).to.equal('open');
      const stored = await new Parse.Query(className).ascending('title').find();
      expect(stored.map((o) => [o.get('status'), o.get('kind')])).to.deep.equal([
        ['new', 'a'],
        ['open', 'a'],
      ]);
    });

    it('a constant field is forced to its default on create and cannot be changed on update', async () => {
      const className = uniqueClass('Ticket');
      withDefaults(className);
      const ticket = await create(className, { title: 't', kind: 'b' });
      expect(ticket.get('kind')).to.equal('a');
      expect((await new Parse.Query(className).get(ticket.id!)).get('kind')).to.equal('a');

      ticket.set('kind', 'z');
      ticket.set('title', 't2');
      await ticket.save();
      // As in Parse Server, the server answers with the reverted value, so the SDK object shows it.
      expect(ticket.get('kind')).to.equal('a');
      const stored = await new Parse.Query(className).get(ticket.id!);
      expect(stored.get('kind')).to.equal('a');
      expect(stored.get('title')).to.equal('t2');
    });

    it('a field a beforeSave reverts comes back to the SDK object as stored (as Parse Server answers)', async () => {
      const className = uniqueClass('Reverting');
      on(() =>
        cloud().beforeSave(className, (request) => {
          request.object.revert('locked');
        }),
      );
      const object = await create(className, { n: 1, locked: 'client' });
      // Not stored; Parse Server answers `locked: {__op: 'Delete'}`, so the SDK drops it too.
      expect((await new Parse.Query(className).get(object.id!)).has('locked')).to.equal(false);
      expect(object.has('locked')).to.equal(false);
    });

    it('skipWithMasterKey skips the hook when the SDK uses the master key', async () => {
      const className = uniqueClass('Skippable');
      let runs = 0;
      on(() =>
        cloud().beforeSave(
          className,
          (request) => {
            runs += 1;
            request.object.set('hooked', true);
          },
          { skipWithMasterKey: true },
        ),
      );
      const client = await create(className, { n: 1 });
      expect(client.get('hooked')).to.equal(true);
      const master = await create(className, { n: 2 }, MASTER);
      expect(master.has('hooked')).to.equal(false);
      expect(runs).to.equal(1);
      expect((await new Parse.Query(className).get(master.id!)).has('hooked')).to.equal(false);
    });

    it('a validator function refuses with 142 and its message', async () => {
      const className = uniqueClass('Checked');
      on(() =>
        cloud().beforeSave(
          className,
          () => undefined,
          (request) => {
            if (!request.object.get('email')) throw 'An email is required.';
          },
        ),
      );
      const error = await expectParseError(create(className, { n: 1 }), Parse.Error.VALIDATION_ERROR);
      expect(error.message).to.equal('An email is required.');
      await create(className, { email: 'a@b.c' });
    });
  });
});
