/**
 * parse-server's triggers beyond object hooks, written the parse-server way (`Parse.Cloud.*` of a
 * bound SDK, `Parse.Config`, `Parse.File`, `Parse.Error`) and driven by the SDK: the config's
 * triggers, file triggers with a Parse.File, afterSave changes reaching the saved object, login
 * trigger errors, find hooks on includes, a replaced context, an error with no message.
 */
import { expect } from 'chai';
import { APP_ID, MASTER_KEY, appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { Parse } from '../support/parse-sdk.js';
import { expectParseError, uniqueClass, type SdkObject } from './helpers.js';

type Register = (...args: unknown[]) => () => void;
type SdkFile = InstanceType<typeof Parse.File> & {
  _url?: string;
  addMetadata(key: string, value: unknown): void;
  addTag(key: string, value: unknown): void;
  metadata(): Record<string, unknown>;
  tags(): Record<string, unknown>;
};
interface FileRequest {
  file: SdkFile;
  fileSize: number | null;
  master: boolean;
}

describe('Parse JS SDK bound to a backend: parse-server triggers', () => {
  let t: TestBackend;
  const off: (() => void)[] = [];
  const cloud = () => Parse.Cloud as unknown as Record<string, Register>;
  const mails: unknown[] = [];

  before(async () => {
    Parse.initialize(APP_ID, undefined, MASTER_KEY);
    t = await startTestBackend({
      directAccess: true,
      parse: Parse,
      fileUpload: { enableForPublic: true },
      emailAdapter: { sendMail: (mail: unknown) => void mails.push(mail) },
    });
    // files travel over HTTP even for a bound SDK
    Parse.serverURL = t.serverURL;
  });
  afterEach(() => {
    for (const unregister of off.splice(0)) unregister();
  });
  after(async () => {
    await t.close();
  });

  it('beforeSave(Parse.Config) gets a Parse.Config and the original; a thrown Parse.Error refuses', async () => {
    const seen: unknown[] = [];
    off.push(
      cloud().beforeSave!(
        Parse.Config,
        (request: { object: unknown; original?: InstanceType<typeof Parse.Config> }) => {
          const config = request.object as InstanceType<typeof Parse.Config> & { attributes: Record<string, unknown> };
          seen.push([config instanceof Parse.Config, config.get('level'), request.original?.get('level')]);
          if (config.get('level') === 'bad') throw new Parse.Error(Parse.Error.SCRIPT_FAILED, 'It should fail');
          config.attributes.checked = true;
        },
      ),
      cloud().afterSave!(Parse.Config, (request: { object: InstanceType<typeof Parse.Config> }) => {
        seen.push(['after', request.object.get('checked')]);
      }),
    );
    await Parse.Config.save({ level: 1 }, {});
    await Parse.Config.save({ level: 2 }, {});
    const error = await expectParseError(Parse.Config.save({ level: 'bad' }, {}), Parse.Error.SCRIPT_FAILED);
    expect(error.message).to.equal('It should fail');
    const config = await Parse.Config.get({ useMasterKey: true });
    expect([config.get('level'), config.get('checked')]).to.deep.equal([2, true]);
    expect(seen).to.deep.equal([
      [true, 1, undefined],
      ['after', true],
      [true, 2, 1],
      ['after', true],
      [true, 'bad', 2],
    ]);
  });

  it('beforeSave(Parse.File) gets a Parse.File; what it adds to it is stored', async () => {
    const seen: unknown[] = [];
    off.push(
      cloud().beforeSave!(Parse.File, (request: FileRequest) => {
        seen.push([
          request.file instanceof Parse.File,
          request.file.name(),
          request.fileSize,
          { ...request.file.metadata() },
        ]);
        request.file.addMetadata('checked', 'yes');
        request.file.addTag('kind', 'note');
      }),
      cloud().afterSave!(Parse.File, (request: FileRequest) => {
        seen.push([request.file.url()?.includes('popeye.txt'), request.file.tags()]);
      }),
    );
    const file = new Parse.File('popeye.txt', [1, 2, 3], 'text/plain') as SdkFile;
    file.setMetadata({ from: 'client' });
    await file.save();
    expect(file.name()).to.match(/_popeye\.txt$/);
    expect(seen).to.deep.equal([
      [true, 'popeye.txt', 3, { from: 'client' }],
      [true, { kind: 'note' }],
    ]);
    const metadata = await fetch(file.url()!.replace(`/files/${APP_ID}/`, `/files/${APP_ID}/metadata/`));
    expect(await metadata.json()).to.deep.equal({ metadata: { from: 'client', checked: 'yes' } });
  });

  it('beforeSave(Parse.File) may return another file to store, or one already stored elsewhere', async () => {
    const sizes: unknown[] = [];
    off.push(
      cloud().beforeSave!(Parse.File, (request: FileRequest) => {
        if (request.file.name() === 'elsewhere.txt') {
          const stored = new Parse.File('some-file.txt') as SdkFile;
          stored._url = 'https://cdn.example.com/some-file.txt';
          return stored;
        }
        return new Parse.File('donald_duck.pdf', [4, 5, 6, 7], 'application/pdf');
      }),
      cloud().afterSave!(Parse.File, (request: FileRequest) => void sizes.push(request.fileSize)),
    );
    const replaced = new Parse.File('popeye.txt', [1, 2, 3], 'text/plain');
    await replaced.save();
    expect(replaced.name()).to.match(/_donald_duck\.pdf$/);
    const bytes = Buffer.from(await (await fetch(replaced.url()!)).arrayBuffer());
    expect([...bytes]).to.deep.equal([4, 5, 6, 7]);
    const elsewhere = new Parse.File('elsewhere.txt', [1], 'text/plain');
    await elsewhere.save();
    expect([elsewhere.name(), elsewhere.url()]).to.deep.equal([
      'some-file.txt',
      'https://cdn.example.com/some-file.txt',
    ]);
    expect(sizes).to.deep.equal([4, null]);
  });

  it('file triggers take validators', async () => {
    off.push(cloud().beforeSave!(Parse.File, () => undefined, { requireUser: true }));
    const error = await expectParseError(new Parse.File('v.txt', [1], 'text/plain').save() as Promise<unknown>, 142);
    expect(error.message).to.equal('Validation failed. Please login to continue.');
  });

  it("afterSave's changes reach the saved object, not the database", async () => {
    const className = uniqueClass('AfterSaved');
    off.push(
      cloud().afterSave!(className, async (request: { object: SdkObject }) => {
        request.object.unset('secret');
        const other = await new Parse.Object(`${className}Other`, { foo: 'bar' }).save();
        request.object.set('other', other);
      }),
    );
    const object = new Parse.Object(className, { secret: 'kept' }) as unknown as SdkObject;
    await object.save();
    expect(object.get('secret')).to.equal(undefined);
    expect((object.get('other') as SdkObject).get('foo')).to.equal('bar');
    await object.fetch();
    expect(object.get('secret')).to.equal('kept');
  });

  it('a context replaced in beforeSave reaches afterSave', async () => {
    const className = uniqueClass('Context');
    const seen: unknown[] = [];
    off.push(
      cloud().beforeSave!(className, (request: { context: unknown }) => {
        request.context = { key: 'value', otherKey: 1 };
      }),
      cloud().afterSave!(className, (request: { context: unknown }) => void seen.push(request.context)),
    );
    await new Parse.Object(className).save();
    expect(seen).to.deep.equal([{ key: 'value', otherKey: 1 }]);
  });

  it('errors thrown in afterLogin and afterLogout reach the SDK', async () => {
    off.push(
      cloud().afterLogin!(() => {
        throw new Parse.Error(2000, 'afterLogin error');
      }),
      cloud().afterLogout!(() => {
        throw new Parse.Error(2001, 'afterLogout error');
      }),
    );
    const name = uniqueClass('login');
    // logOut() ends the SDK's current user's session
    Parse.User.enableUnsafeCurrentUser();
    try {
      await Parse.User.signUp(name, 'pass-1234', {});
      const loggedOut = await expectParseError(Parse.User.logOut(), 2001);
      expect(loggedOut.message).to.equal('afterLogout error');
      const loggedIn = await expectParseError(Parse.User.logIn(name, 'pass-1234'), 2000);
      expect(loggedIn.message).to.equal('afterLogin error');
    } finally {
      Parse.User.disableUnsafeCurrentUser();
    }
  });

  it('a Parse.Error thrown with no message reaches the SDK with none', async () => {
    off.push(
      cloud().define!(
        'quiet',
        () => 'ran',
        () => {
          throw new Parse.Error(Parse.Error.SCRIPT_FAILED);
        },
      ),
    );
    const error = await expectParseError(Parse.Cloud.run('quiet'), Parse.Error.SCRIPT_FAILED);
    expect(error.message).to.equal(undefined);
  });

  it("Parse.Cloud.sendEmail, Parse.Cloud.httpRequest and an Express-style Parse.Cloud.define, as parse-server's", async () => {
    const tools = Parse.Cloud as unknown as {
      sendEmail(mail: unknown): Promise<unknown>;
      httpRequest(options: { url: string }): Promise<{ status: number; data: unknown }>;
    };
    await tools.sendEmail({ to: 'ann@example.com', subject: 's', text: 't' });
    expect(mails).to.deep.equal([{ to: 'ann@example.com', subject: 's', text: 't' }]);
    const health = await tools.httpRequest({ url: `${t.serverURL}/health` });
    expect([health.status, health.data]).to.deep.equal([200, { status: 'ok' }]);
    off.push(
      cloud().define!(
        'express',
        (request: { params: { n: number } }, response: { status(code: number): { success(r: unknown): void } }) => {
          response.status(202).success(request.params.n * 2);
        },
      ),
    );
    expect(await Parse.Cloud.run('express', { n: 21 })).to.equal(42);
    const overHttp = await t.http.post('/parse/functions/express').set(appHeaders).send({ n: 1 });
    expect([overHttp.status, overHttp.body]).to.deep.equal([202, { result: 2 }]);
  });

  it("beforeFind's Parse.Query carries the read preferences the client set", async () => {
    const className = uniqueClass('Pref');
    const seen: Record<string, unknown>[] = [];
    off.push(
      cloud().beforeFind!(className, (request: { query: { toJSON(): Record<string, unknown> } }) => {
        seen.push(request.query.toJSON());
      }),
    );
    const query = new Parse.Query(className);
    query.readPreference('PRIMARY', 'SECONDARY', 'SECONDARY_PREFERRED');
    await query.find();
    expect(seen[0]).to.include({
      readPreference: 'PRIMARY',
      includeReadPreference: 'SECONDARY',
      subqueryReadPreference: 'SECONDARY_PREFERRED',
    });
  });

  it('beforeFind runs on included pointers, with the context of the query', async () => {
    const className = uniqueClass('Holder');
    const target = await new Parse.Object(`${className}Target`, { aField: 'value' }).save();
    const holder = await new Parse.Object(className, { pointerField: target, list: [target] }).save();
    const seen: unknown[] = [];
    off.push(
      cloud().beforeFind!(`${className}Target`, (request: { context: Record<string, unknown>; isGet: boolean }) => {
        seen.push([request.context.a, request.isGet]);
      }),
    );
    await new Parse.Query(className).get(holder.id!);
    expect(seen).to.deep.equal([]);
    const found = await new Parse.Query(className).include('pointerField').find({ context: { a: 'a' } });
    expect((found[0]!.get('pointerField') as SdkObject).get('aField')).to.equal('value');
    const listed = await new Parse.Query(className).include('list').get(holder.id!);
    expect((listed.get('list') as SdkObject[])[0]!.get('aField')).to.equal('value');
    expect(seen).to.deep.equal([
      ['a', true],
      [undefined, true],
    ]);
  });
});
