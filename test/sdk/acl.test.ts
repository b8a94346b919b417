/**
 * Parse.ACL through the SDK, for the callers that exist today (public and master): objects the
 * public may not read are invisible to it everywhere, and objects it may not write refuse changes
 * with 101, as Parse Server does (it never tells a client that an object it cannot see exists).
 */
import { expect } from 'chai';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { asParseObject, expectParseError, uniqueClass, withoutData, type SdkError, type SdkObject } from './helpers.js';

const MASTER = { useMasterKey: true } as const;

describe('Parse JS SDK: ACLs', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  type Acl = InstanceType<ParseSdk['ACL']>;

  /** An ACL that lets only a (fictional) user read and write: the public can do neither. */
  function privateAcl(): Acl {
    const acl = new Parse.ACL();
    acl.setReadAccess('someUserId', true);
    acl.setWriteAccess('someUserId', true);
    return acl;
  }

  /** An ACL the public may read but not write. */
  function readOnlyAcl(): Acl {
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    return acl;
  }

  async function saveWithAcl(className: string, values: Record<string, unknown>, acl: Acl): Promise<SdkObject> {
    const object = new Parse.Object(className);
    object.set(values);
    object.setACL(acl);
    await object.save();
    return object;
  }

  it('an object without an ACL is readable and writable by everyone', async () => {
    const className = uniqueClass('Open');
    const object = new Parse.Object(className);
    object.set('n', 1);
    await object.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.has('ACL')).to.equal(false);
    expect(fetched.getACL()).to.equal(null);
    fetched.set('n', 2);
    await fetched.save();
    await fetched.destroy();
    expect(await new Parse.Query(className).count(MASTER)).to.equal(0);
  });

  it('round-trips an ACL', async () => {
    const className = uniqueClass('Guarded');
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    acl.setReadAccess('userA', true);
    acl.setWriteAccess('userA', true);
    acl.setWriteAccess('userB', true);
    // custom user ids may hold other characters: parse-server keeps any principal
    acl.setReadAccess('custom:id@app=', true);
    const object = await saveWithAcl(className, { n: 1 }, acl);
    const fetched = await new Parse.Query(className).get(object.id!);
    const got = fetched.getACL();
    expect(got).to.be.instanceOf(Parse.ACL);
    expect(got!.toJSON()).to.deep.equal({
      '*': { read: true },
      userA: { read: true, write: true },
      userB: { write: true },
      'custom:id@app=': { read: true },
    });
    expect(got!.getPublicReadAccess()).to.equal(true);
    expect(got!.getPublicWriteAccess()).to.equal(false);
  });

  it('an object the public cannot read is invisible without the master key and visible with it', async () => {
    const className = uniqueClass('Hidden');
    const hidden = await saveWithAcl(className, { name: 'hidden', n: 1 }, privateAcl());
    const visible = new Parse.Object(className);
    visible.set({ name: 'visible', n: 2 });
    await visible.save();

    const publicResults = await new Parse.Query(className).find();
    expect(publicResults.map((o) => o.get('name'))).to.deep.equal(['visible']);
    expect(await new Parse.Query(className).count()).to.equal(1);
    expect(await new Parse.Query(className).equalTo('name', 'hidden').first()).to.equal(undefined);
    await expectParseError(new Parse.Query(className).get(hidden.id!), Parse.Error.OBJECT_NOT_FOUND);
    await expectParseError(withoutData(className, hidden.id!).fetch(), Parse.Error.OBJECT_NOT_FOUND);

    const masterResults = await new Parse.Query(className).ascending('n').find(MASTER);
    expect(masterResults.map((o) => o.get('name'))).to.deep.equal(['hidden', 'visible']);
    expect(await new Parse.Query(className).count(MASTER)).to.equal(2);
    const fetched = await withoutData(className, hidden.id!).fetch(MASTER);
    expect(fetched.get('name')).to.equal('hidden');
    expect(fetched.getACL()!.getPublicReadAccess()).to.equal(false);
  });

  it('a public-read-only object cannot be updated or destroyed without the master key (101)', async () => {
    const className = uniqueClass('ReadOnly');
    const object = await saveWithAcl(className, { n: 1, tags: ['a'] }, readOnlyAcl());

    const copy = await new Parse.Query(className).get(object.id!);
    expect(copy.get('n')).to.equal(1);
    copy.set('n', 2);
    await expectParseError(copy.save(), Parse.Error.OBJECT_NOT_FOUND);
    const incrementer = withoutData(className, object.id!);
    incrementer.increment('n');
    incrementer.add('tags', 'b');
    await expectParseError(incrementer.save(), Parse.Error.OBJECT_NOT_FOUND);
    await expectParseError(withoutData(className, object.id!).destroy(), Parse.Error.OBJECT_NOT_FOUND);

    const stored = await new Parse.Query(className).get(object.id!);
    expect(stored.get('n')).to.equal(1);
    expect(stored.get('tags')).to.deep.equal(['a']);

    // The master key may.
    const master = withoutData(className, object.id!);
    master.set('n', 3);
    await master.save(null, MASTER);
    expect((await new Parse.Query(className).get(object.id!)).get('n')).to.equal(3);
    await withoutData(className, object.id!).destroy(MASTER);
    expect(await new Parse.Query(className).count(MASTER)).to.equal(0);
  });

  it('a hidden object cannot be updated or destroyed without the master key either', async () => {
    const className = uniqueClass('Secret');
    const object = await saveWithAcl(className, { n: 1 }, privateAcl());
    const copy = withoutData(className, object.id!);
    copy.set('n', 2);
    await expectParseError(copy.save(), Parse.Error.OBJECT_NOT_FOUND);
    await expectParseError(withoutData(className, object.id!).destroy(), Parse.Error.OBJECT_NOT_FOUND);
    expect((await new Parse.Query(className).get(object.id!, MASTER)).get('n')).to.equal(1);
  });

  it('an object the public may write but not read can be updated and destroyed', async () => {
    const className = uniqueClass('DropBox');
    const acl = new Parse.ACL();
    acl.setPublicWriteAccess(true);
    const object = await saveWithAcl(className, { n: 1 }, acl);
    await expectParseError(new Parse.Query(className).get(object.id!), Parse.Error.OBJECT_NOT_FOUND);
    const copy = withoutData(className, object.id!);
    copy.set('n', 2);
    await copy.save();
    expect((await new Parse.Query(className).get(object.id!, MASTER)).get('n')).to.equal(2);
    await withoutData(className, object.id!).destroy();
    expect(await new Parse.Query(className).count(MASTER)).to.equal(0);
  });

  it('saveAll and destroyAll report the objects the public may not write', async () => {
    const className = uniqueClass('Mixed');
    const locked = await saveWithAcl(className, { n: 1 }, readOnlyAcl());
    const open = new Parse.Object(className);
    open.set('n', 2);
    await open.save();

    locked.set('n', 10);
    open.set('n', 20);
    await expectParseError(Parse.Object.saveAll([locked, open]), Parse.Error.OBJECT_NOT_FOUND);
    const values = (await new Parse.Query(className).ascending('createdAt').find()).map((o) => o.get('n'));
    expect(values).to.deep.equal([1, 20]);

    const error = await expectParseError(
      Parse.Object.destroyAll([withoutData(className, locked.id!), withoutData(className, open.id!)]),
      Parse.Error.AGGREGATE_ERROR,
    );
    const errors = (error.errors ?? []) as SdkError[];
    expect(errors.map((e) => [e.code, e.object?.id])).to.deep.equal([[Parse.Error.OBJECT_NOT_FOUND, locked.id]]);
    expect((await new Parse.Query(className).find()).map((o) => o.id)).to.deep.equal([locked.id]);
  });

  it('include leaves out an object hidden from the public, as parse-server does', async () => {
    const ownerClass = uniqueClass('Owner');
    const petClass = uniqueClass('Pet');
    const hiddenPet = await saveWithAcl(petClass, { name: 'ghost' }, privateAcl());
    const owner = new Parse.Object(ownerClass);
    owner.set('pet', hiddenPet);
    await owner.save();

    const publicView = await new Parse.Query(ownerClass).include('pet').get(owner.id!);
    expect(publicView.get('pet')).to.equal(undefined);
    // Without include, the pointer itself is still there.
    const plain = await new Parse.Query(ownerClass).get(owner.id!);
    expect(asParseObject(plain.get('pet')).id).to.equal(hiddenPet.id);

    const masterView = await new Parse.Query(ownerClass).include('pet').get(owner.id!, MASTER);
    expect(asParseObject(masterView.get('pet')).get('name')).to.equal('ghost');
  });

  it('a relation query shows the public only the related objects it may read', async () => {
    const teamClass = uniqueClass('Team');
    const memberClass = uniqueClass('Member');
    const shown = new Parse.Object(memberClass);
    shown.set('name', 'shown');
    await shown.save();
    const hidden = await saveWithAcl(memberClass, { name: 'hidden' }, privateAcl());
    const team = new Parse.Object(teamClass);
    team.relation('members').add([shown, hidden]);
    await team.save();
    const publicMembers = await team.relation('members').query().find();
    expect(publicMembers.map((m) => m.get('name'))).to.deep.equal(['shown']);
    const allMembers = await team.relation('members').query().ascending('name').find(MASTER);
    expect(allMembers.map((m) => m.get('name'))).to.deep.equal(['hidden', 'shown']);
  });

  it('the master key can change an ACL, after which the public sees the object', async () => {
    const className = uniqueClass('Published');
    const object = await saveWithAcl(className, { title: 'draft' }, privateAcl());
    expect(await new Parse.Query(className).count()).to.equal(0);
    const copy = withoutData(className, object.id!);
    copy.setACL(readOnlyAcl());
    await copy.save(null, MASTER);
    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.get('title')).to.equal('draft');
    expect(fetched.getACL()!.toJSON()).to.deep.equal({ '*': { read: true } });
  });
});
