/**
 * beforeSave / afterSave hooks registered on `backend.cloud`, seen through the SDK: changes a
 * beforeSave makes come back in the save response (so the SDK object shows them), and a hook that
 * throws refuses the save with its code (142 for `{ code, message }`, 141 for a plain Error).
 */
import { expect } from 'chai';
import type { SaveHookRequest } from 'plinth';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { asDate, expectParseError, uniqueClass, withoutData, type SdkObject } from './helpers.js';

describe('Parse JS SDK: save hooks', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;
  const unregister: (() => void)[] = [];

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  afterEach(() => {
    for (const off of unregister.splice(0)) off();
  });
  after(() => backend.close());

  function beforeSave(className: string, handler: (request: SaveHookRequest) => unknown): void {
    unregister.push(backend.backend.cloud.beforeSave(className, handler));
  }

  function afterSave(className: string, handler: (request: SaveHookRequest) => unknown): void {
    unregister.push(backend.backend.cloud.afterSave(className, handler));
  }

  function make(className: string, values: Record<string, unknown>): SdkObject {
    const object = new Parse.Object(className);
    object.set(values);
    return object;
  }

  it('a beforeSave change to a new object shows in the SDK object after save', async () => {
    const className = uniqueClass('Hooked');
    beforeSave(className, (request) => {
      const name = String(request.object.get('name'));
      request.object.set('name', name.trim().toLowerCase());
      request.object.set('slug', name.trim().toLowerCase().replace(/\s+/g, '-'));
      request.object.set('stamp', new Date('2023-03-03T03:03:03.333Z'));
    });
    const object = make(className, { name: '  Hello World ', other: 1 });
    await object.save();
    expect(object.get('name')).to.equal('hello world');
    expect(object.get('slug')).to.equal('hello-world');
    expect(asDate(object.get('stamp')).toISOString()).to.equal('2023-03-03T03:03:03.333Z');
    expect(object.get('other')).to.equal(1);
    expect(object.dirty()).to.equal(false);

    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.get('name')).to.equal('hello world');
    expect(fetched.get('slug')).to.equal('hello-world');
    expect(asDate(fetched.get('stamp')).toISOString()).to.equal('2023-03-03T03:03:03.333Z');
  });

  it('a beforeSave change on update shows in the SDK object, and the hook sees the original', async () => {
    const className = uniqueClass('Versioned');
    const seen: { isNew: boolean; before: unknown; after: unknown }[] = [];
    beforeSave(className, (request) => {
      seen.push({
        isNew: request.object.isNew(),
        before: request.original?.get('title'),
        after: request.object.get('title'),
      });
      request.object.set('edits', seen.length);
    });
    const object = make(className, { title: 'v1' });
    await object.save();
    expect(object.get('edits')).to.equal(1);
    object.set('title', 'v2');
    await object.save();
    expect(object.get('edits')).to.equal(2);
    expect(seen).to.deep.equal([
      { isNew: true, before: undefined, after: 'v1' },
      { isNew: false, before: 'v1', after: 'v2' },
    ]);
    expect((await new Parse.Query(className).get(object.id!)).get('edits')).to.equal(2);
  });

  it('a beforeSave may set SDK values: a Parse.ACL, a Parse.GeoPoint', async () => {
    const className = uniqueClass('SdkValues');
    beforeSave(className, (request) => {
      request.object.setACL(new Parse.ACL({ '*': { read: true } }));
      request.object.set('where', new Parse.GeoPoint(10, 20));
    });
    const object = make(className, { n: 1 });
    await object.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.getACL()?.toJSON()).to.deep.equal({ '*': { read: true } });
    expect(fetched.get('where')).to.be.instanceOf(Parse.GeoPoint);
    expect((fetched.get('where') as InstanceType<ParseSdk['GeoPoint']>).latitude).to.equal(10);
    // not writable by anyone now, as the ACL the hook set says
    fetched.set('n', 2);
    await expectParseError(fetched.save(), 101);
  });

  it('a beforeSave can read the pending result of an operation', async () => {
    const className = uniqueClass('Counted');
    const seen: unknown[] = [];
    beforeSave(className, (request) => {
      seen.push(request.object.get('n'));
    });
    const object = make(className, { n: 5 });
    await object.save();
    const copy = withoutData(className, object.id!);
    copy.increment('n', 3);
    await copy.save();
    expect(seen).to.deep.equal([5, 8]);
    expect(copy.get('n')).to.equal(8);
  });

  it('a beforeSave that throws { code: 142, message } refuses the save with that code and message', async () => {
    const className = uniqueClass('Validated');
    beforeSave(className, (request) => {
      if (!request.object.get('email')) throw { code: 142, message: 'An email is required.' };
    });
    const ok = make(className, { email: 'a@b.c' });
    await ok.save();
    const bad = make(className, { name: 'no email' });
    const error = await expectParseError(bad.save(), Parse.Error.VALIDATION_ERROR);
    expect(error.message).to.equal('An email is required.');
    expect(bad.id).to.equal(undefined);
    expect(await new Parse.Query(className).count()).to.equal(1);
  });

  it('a beforeSave that throws a plain Error refuses the save with 141 and its message', async () => {
    const className = uniqueClass('Failing');
    beforeSave(className, () => {
      throw new Error('something broke');
    });
    const object = make(className, { n: 1 });
    const error = await expectParseError(object.save(), Parse.Error.SCRIPT_FAILED);
    expect(error.message).to.equal('something broke');
    expect(await new Parse.Query(className).count()).to.equal(0);
  });

  it('an async beforeSave that rejects refuses the update and leaves the stored object unchanged', async () => {
    const className = uniqueClass('Locked');
    const object = make(className, { state: 'open' });
    await object.save();
    beforeSave(className, async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (request.object.get('state') === 'closed') throw { code: 142, message: 'Cannot close.' };
    });
    object.set('state', 'closed');
    await expectParseError(object.save(), Parse.Error.VALIDATION_ERROR);
    expect((await new Parse.Query(className).get(object.id!)).get('state')).to.equal('open');
  });

  it('a beforeSave refusal inside saveAll fails only that object', async () => {
    const className = uniqueClass('Screened');
    beforeSave(className, (request) => {
      if (request.object.get('n') === 2) throw { code: 142, message: 'No twos.' };
      request.object.set('checked', true);
    });
    const objects = [1, 2, 3].map((n) => make(className, { n }));
    const error = await expectParseError(Parse.Object.saveAll(objects), Parse.Error.VALIDATION_ERROR);
    expect(error.message).to.equal('No twos.');
    const [one, two, three] = objects as [SdkObject, SdkObject, SdkObject];
    expect(two.id).to.equal(undefined);
    expect(one.get('checked')).to.equal(true);
    expect(three.get('checked')).to.equal(true);
    const stored = await new Parse.Query(className).ascending('n').find();
    expect(stored.map((o) => [o.get('n'), o.get('checked')])).to.deep.equal([
      [1, true],
      [3, true],
    ]);
  });

  it('the hook is told whether the master key was used', async () => {
    const className = uniqueClass('Who');
    const masters: boolean[] = [];
    beforeSave(className, (request) => {
      masters.push(request.master);
    });
    await make(className, { n: 1 }).save();
    await make(className, { n: 2 }).save(null, { useMasterKey: true });
    expect(masters).to.deep.equal([false, true]);
  });

  it('the hook receives the context passed to save()', async () => {
    const className = uniqueClass('Contextual');
    const contexts: unknown[] = [];
    beforeSave(className, (request) => {
      contexts.push(request.context);
    });
    afterSave(className, (request) => {
      contexts.push(request.context);
    });
    await make(className, { n: 1 }).save(null, { context: { source: 'import', batch: 7 } });
    expect(contexts).to.deep.equal([
      { source: 'import', batch: 7 },
      { source: 'import', batch: 7 },
    ]);
  });

  it('afterSave sees the saved object, and its failure does not fail the save', async () => {
    const className = uniqueClass('After');
    const saved: { id: string | undefined; name: unknown; existed: boolean }[] = [];
    afterSave(className, (request) => {
      saved.push({ id: request.object.id, name: request.object.get('name'), existed: request.original !== undefined });
      throw new Error('ignored');
    });
    const object = make(className, { name: 'kept' });
    await object.save();
    object.set('name', 'renamed');
    await object.save();
    expect(saved).to.deep.equal([
      { id: object.id, name: 'kept', existed: false },
      { id: object.id, name: 'renamed', existed: true },
    ]);
    expect((await new Parse.Query(className).get(object.id!)).get('name')).to.equal('renamed');
  });

  it('a hook for one class does not run for another', async () => {
    const hooked = uniqueClass('Hooked');
    const plain = uniqueClass('Plain');
    beforeSave(hooked, (request) => {
      request.object.set('touched', true);
    });
    const object = make(plain, { n: 1 });
    await object.save();
    expect(object.has('touched')).to.equal(false);
    expect((await new Parse.Query(plain).get(object.id!)).has('touched')).to.equal(false);
  });
});
