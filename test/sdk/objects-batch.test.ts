/**
 * Parse.Object.saveAll / destroyAll / fetchAll, which the SDK sends as POST /batch: each request
 * gets its own result, the SDK maps them back to its objects, and a failure names its object.
 */
import { expect } from 'chai';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { expectParseError, uniqueClass, withoutData, type SdkError, type SdkObject } from './helpers.js';

describe('Parse JS SDK: batches', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  function make(className: string, values: Record<string, unknown>): SdkObject {
    const object = new Parse.Object(className);
    object.set(values);
    return object;
  }

  async function valuesOf(className: string, key: string): Promise<unknown[]> {
    const found = await new Parse.Query(className).ascending(key).find();
    return found.map((o) => o.get(key) as unknown);
  }

  it('saves new objects in one batch and gives each its id', async () => {
    const className = uniqueClass('Batch');
    const objects = [1, 2, 3, 4, 5].map((n) => make(className, { n }));
    const saved = await Parse.Object.saveAll(objects);
    expect(saved).to.equal(objects);
    const ids = objects.map((o) => o.id);
    for (const id of ids) expect(id).to.match(/^[A-Za-z0-9]{10}$/);
    expect(new Set(ids).size).to.equal(5);
    for (const o of objects) expect(o.createdAt).to.be.instanceOf(Date);
    const found = await new Parse.Query(className).ascending('n').find();
    expect(found.map((o) => [o.id, o.get('n')])).to.deep.equal(objects.map((o) => [o.id, o.get('n')]));
  });

  it('saves a mix of creates and updates with operations in one batch', async () => {
    const className = uniqueClass('Mixed');
    const existing = make(className, { n: 10, tags: ['a'] });
    await existing.save();
    existing.increment('n', 5);
    existing.addUnique('tags', 'b');
    const created = make(className, { n: 1 });
    await Parse.Object.saveAll([existing, created]);
    expect(existing.get('n')).to.equal(15);
    expect(existing.dirty()).to.equal(false);
    expect(created.id).to.be.a('string');
    expect(await valuesOf(className, 'n')).to.deep.equal([1, 15]);
    const fetched = await new Parse.Query(className).get(existing.id!);
    expect(fetched.get('tags')).to.deep.equal(['a', 'b']);
  });

  it('saves unsaved children (pointers) before their parents', async () => {
    const parentClass = uniqueClass('Parent');
    const childClass = uniqueClass('Child');
    const child = make(childClass, { name: 'kid' });
    const parent = make(parentClass, { child });
    await Parse.Object.saveAll([parent]);
    expect(child.id).to.be.a('string');
    const fetched = await new Parse.Query(parentClass).include('child').get(parent.id!);
    const included = fetched.get('child') as SdkObject;
    expect(included.id).to.equal(child.id);
    expect(included.get('name')).to.equal('kid');
  });

  it('reports the failing object of a batch while the others are saved', async () => {
    const className = uniqueClass('Partial');
    const schemaSetter = make(className, { n: 0 });
    await schemaSetter.save();
    const good1 = make(className, { n: 1 });
    const bad = make(className, { n: 'not a number' });
    const good2 = make(className, { n: 2 });
    const error = await expectParseError(Parse.Object.saveAll([good1, bad, good2]), Parse.Error.INCORRECT_TYPE);
    expect(error.message).to.match(/n/);
    // The SDK applied each success to its object and left the failing one unsaved and dirty.
    expect(good1.id).to.be.a('string');
    expect(good2.id).to.be.a('string');
    expect(bad.id).to.equal(undefined);
    expect(bad.isNew()).to.equal(true);
    expect(bad.dirty('n')).to.equal(true);
    expect(await valuesOf(className, 'n')).to.deep.equal([0, 1, 2]);
  });

  it('reports an update of a missing object in a batch with 101', async () => {
    const className = uniqueClass('Ghost');
    const real = make(className, { n: 1 });
    await real.save();
    real.set('n', 2);
    const ghost = withoutData(className, 'doesNotExist');
    ghost.set('n', 3);
    await expectParseError(Parse.Object.saveAll([real, ghost]), Parse.Error.OBJECT_NOT_FOUND);
    expect(await valuesOf(className, 'n')).to.deep.equal([2]);
  });

  it('saves a transactional batch completely', async () => {
    const className = uniqueClass('TxOk');
    const objects = [1, 2, 3].map((n) => make(className, { n }));
    await Parse.Object.saveAll(objects, { transaction: true });
    for (const o of objects) expect(o.id).to.be.a('string');
    expect(await valuesOf(className, 'n')).to.deep.equal([1, 2, 3]);
  });

  it('saves nothing of a transactional batch when one object fails', async () => {
    const className = uniqueClass('TxFail');
    const seed = make(className, { n: 0 });
    await seed.save();
    seed.set('n', 100);
    const objects = [seed, make(className, { n: 1 }), make(className, { n: 'wrong type' }), make(className, { n: 3 })];
    const outcome = await Parse.Object.saveAll(objects, { transaction: true }).then(
      () => 'saved',
      (e: unknown) => e,
    );
    // When the whole batch request fails, the SDK rejects with one Parse.Error (code 111) per object.
    expect(outcome).to.be.an('array').with.length(4);
    for (const error of outcome as unknown[]) {
      expect(error).to.be.instanceOf(Parse.Error);
      expect((error as SdkError).code).to.equal(Parse.Error.INCORRECT_TYPE);
    }
    for (const object of objects.slice(1)) expect(object.id).to.equal(undefined);
    expect(await valuesOf(className, 'n')).to.deep.equal([0]);
  });

  it('destroys objects in one batch', async () => {
    const className = uniqueClass('Destroyed');
    const objects = [1, 2, 3, 4].map((n) => make(className, { n }));
    await Parse.Object.saveAll(objects);
    const destroyed = await Parse.Object.destroyAll(objects.slice(0, 3));
    expect(destroyed).to.have.length(3);
    expect(await valuesOf(className, 'n')).to.deep.equal([4]);
  });

  it('reports which objects destroyAll could not destroy, destroying the rest', async () => {
    const className = uniqueClass('Vanishing');
    const objects = [1, 2, 3].map((n) => make(className, { n }));
    await Parse.Object.saveAll(objects);
    const [first, second, third] = objects as [SdkObject, SdkObject, SdkObject];
    await second.destroy();
    const error = await expectParseError(Parse.Object.destroyAll([first, second, third]), Parse.Error.AGGREGATE_ERROR);
    const errors = (error.errors ?? []) as SdkError[];
    expect(errors).to.have.length(1);
    expect(errors[0]!.code).to.equal(Parse.Error.OBJECT_NOT_FOUND);
    expect(errors[0]!.object).to.equal(second);
    expect(await new Parse.Query(className).count()).to.equal(0);
  });

  it('destroys a transactional batch', async () => {
    const className = uniqueClass('TxDestroy');
    const objects = [1, 2].map((n) => make(className, { n }));
    await Parse.Object.saveAll(objects);
    await Parse.Object.destroyAll(objects, { transaction: true });
    expect(await new Parse.Query(className).count()).to.equal(0);
  });

  it('fetches several objects with fetchAll, and refuses when one is missing', async () => {
    const className = uniqueClass('Fetched');
    const objects = ['a', 'b', 'c'].map((name) => make(className, { name }));
    await Parse.Object.saveAll(objects);
    const refs = objects.map((o) => withoutData(className, o.id!));
    const fetched = await Parse.Object.fetchAll(refs);
    expect(fetched.map((o) => o.get('name'))).to.deep.equal(['a', 'b', 'c']);
    expect(refs.map((o) => o.get('name'))).to.deep.equal(['a', 'b', 'c']);

    const withMissing = [withoutData(className, objects[0]!.id!), withoutData(className, 'missingId12')];
    await expectParseError(Parse.Object.fetchAll(withMissing), Parse.Error.OBJECT_NOT_FOUND);
  });

  it('fetches with include through fetchAllWithInclude', async () => {
    const className = uniqueClass('Holder');
    const targetClass = uniqueClass('Thing');
    const thing = make(targetClass, { label: 'inside' });
    await thing.save();
    const holders = [make(className, { thing }), make(className, { thing })];
    await Parse.Object.saveAll(holders);
    const fetched = await Parse.Object.fetchAllWithInclude(
      holders.map((h) => withoutData(className, h.id!)),
      ['thing'],
    );
    for (const holder of fetched) expect((holder.get('thing') as SdkObject).get('label')).to.equal('inside');
  });

  it('splits large saves into several batches (batchSize)', async () => {
    const className = uniqueClass('Many');
    const objects = Array.from({ length: 45 }, (_, n) => make(className, { n }));
    await Parse.Object.saveAll(objects, { batchSize: 20 });
    expect(await new Parse.Query(className).count()).to.equal(45);
    await Parse.Object.destroyAll(objects, { batchSize: 20 });
    expect(await new Parse.Query(className).count()).to.equal(0);
  });
});
