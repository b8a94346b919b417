/**
 * The SDK's atomic operations (increment, add, addUnique, remove, unset, relation add/remove):
 * each is sent as an `__op` and applied on the server, so two clients holding stale copies of the
 * same object both see their changes land.
 */
import { expect } from 'chai';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { asArray, asDate, asParseObject, uniqueClass, withoutData, type SdkObject } from './helpers.js';

describe('Parse JS SDK: atomic operations', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  /** Saves a new object of a fresh class with `values`; returns it. */
  async function create(prefix: string, values: Record<string, unknown>): Promise<SdkObject> {
    const object = new Parse.Object(uniqueClass(prefix));
    object.set(values);
    await object.save();
    return object;
  }

  /** Two independent, stale copies of a stored object (the SDK in Node keeps one state per instance). */
  async function twoCopies(object: SdkObject): Promise<[SdkObject, SdkObject]> {
    const query = new Parse.Query(object.className);
    return [await query.get(object.id!), await query.get(object.id!)];
  }

  async function reload(object: SdkObject): Promise<SdkObject> {
    return new Parse.Query(object.className).get(object.id!);
  }

  it('increments and decrements atomically, and the SDK object gets the server total', async () => {
    const object = await create('Counter', { score: 10 });
    const [a, b] = await twoCopies(object);
    a.increment('score', 5);
    await a.save();
    expect(a.get('score')).to.equal(15);
    b.increment('score', 3);
    await b.save();
    // b started from 10 locally; the server's answer carries the real total.
    expect(b.get('score')).to.equal(18);
    a.decrement('score', 20);
    await a.save();
    expect(a.get('score')).to.equal(-2);
    expect((await reload(object)).get('score')).to.equal(-2);
  });

  it('increments by fractions and increments a field that does not exist yet', async () => {
    const object = await create('Counter', { label: 'x' });
    object.increment('ratio', 0.25);
    object.increment('hits');
    await object.save();
    const fetched = await reload(object);
    expect(fetched.get('ratio')).to.equal(0.25);
    expect(fetched.get('hits')).to.equal(1);
    fetched.increment('ratio', 0.5);
    await fetched.save();
    expect((await reload(object)).get('ratio')).to.equal(0.75);
  });

  it('increments a field of an array item by its index (items.0.count), padding a missing index with null', async () => {
    const obj = new Parse.Object(uniqueClass('ArrayPath'));
    obj.set('items', [
      { value: 'a', count: 5 },
      { value: 'b', count: 1 },
    ]);
    obj.set('empty', []);
    await obj.save();
    obj.increment('items.0.count', 15);
    obj.increment('items.1.count', 4);
    obj.increment('empty.1.count', 15);
    await obj.save();
    const fetched = await new Parse.Query(obj.className).get(obj.id!);
    expect(fetched.get('items')).to.deep.equal([
      { value: 'a', count: 20 },
      { value: 'b', count: 5 },
    ]);
    expect(fetched.get('empty')).to.deep.equal([null, { count: 15 }]);
    expect(obj.get('items')).to.deep.equal(fetched.get('items'));
  });

  it('increments on create', async () => {
    const object = new Parse.Object(uniqueClass('Counter'));
    object.increment('count', 7);
    await object.save();
    expect((await reload(object)).get('count')).to.equal(7);
  });

  it('adds to an array, keeping duplicates and order, from two clients', async () => {
    const object = await create('Listy', { tags: ['a'] });
    const [a, b] = await twoCopies(object);
    a.add('tags', 'b');
    a.add('tags', 'a');
    await a.save();
    b.addAll('tags', ['c', 'd']);
    await b.save();
    expect(b.get('tags')).to.deep.equal(['a', 'b', 'a', 'c', 'd']);
    expect((await reload(object)).get('tags')).to.deep.equal(['a', 'b', 'a', 'c', 'd']);
  });

  it('adds Dates and pointers to an array and reads them back as such', async () => {
    const friend = await create('Friend', { name: 'f' });
    const object = await create('Listy', { things: [] });
    const when = new Date('2022-03-04T05:06:07.089Z');
    object.add('things', when);
    object.add('things', friend);
    await object.save();
    const things = asArray((await reload(object)).get('things'));
    expect(things).to.have.length(2);
    expect(asDate(things[0]).toISOString()).to.equal(when.toISOString());
    expect(asParseObject(things[1]).id).to.equal(friend.id);
  });

  it('adds unique values only once, from two clients', async () => {
    const object = await create('Uniq', { tags: ['a', 'b'] });
    const [a, b] = await twoCopies(object);
    a.addUnique('tags', 'c');
    await a.save();
    b.addAllUnique('tags', ['a', 'c', 'd']);
    await b.save();
    expect(b.get('tags')).to.deep.equal(['a', 'b', 'c', 'd']);
    expect((await reload(object)).get('tags')).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('adds unique objects (compared by value) only once', async () => {
    const object = await create('Uniq', { items: [{ k: 1 }] });
    object.addUnique('items', { k: 1 });
    object.addUnique('items', { k: 2 });
    await object.save();
    expect((await reload(object)).get('items')).to.deep.equal([{ k: 1 }, { k: 2 }]);
  });

  it('removes every occurrence of a value, from two clients', async () => {
    const object = await create('Removal', { tags: ['a', 'b', 'a', 'c', 'd'] });
    const [a, b] = await twoCopies(object);
    a.remove('tags', 'a');
    await a.save();
    expect(a.get('tags')).to.deep.equal(['b', 'c', 'd']);
    b.removeAll('tags', ['c', 'missing']);
    await b.save();
    expect(b.get('tags')).to.deep.equal(['b', 'd']);
    expect((await reload(object)).get('tags')).to.deep.equal(['b', 'd']);
  });

  it('removes a pointer from an array', async () => {
    const [p1, p2] = [await create('Item', { n: 1 }), await create('Item', { n: 2 })];
    const object = await create('Holder', { items: [] });
    object.set('items', [p1, p2]);
    await object.save();
    const copy = await reload(object);
    copy.remove('items', p1);
    await copy.save();
    const items = asArray((await reload(object)).get('items'));
    expect(items.map((i) => asParseObject(i).id)).to.deep.equal([p2.id]);
  });

  it('unsets fields of every kind', async () => {
    const target = await create('Target', {});
    const object = await create('Unset', {
      text: 'x',
      count: 1,
      when: new Date(),
      ptr: target,
      data: { a: 1 },
      list: [1],
      keep: 'kept',
    });
    const copy = await reload(object);
    for (const key of ['text', 'count', 'when', 'ptr', 'data', 'list']) copy.unset(key);
    await copy.save();
    expect(copy.has('text')).to.equal(false);
    const fetched = await reload(object);
    for (const key of ['text', 'count', 'when', 'ptr', 'data', 'list']) expect(fetched.has(key), key).to.equal(false);
    expect(fetched.get('keep')).to.equal('kept');
    expect(Object.keys(fetched.attributes).sort()).to.deep.equal(['createdAt', 'keep', 'updatedAt']);
  });

  it('unsets a field that was never set without failing', async () => {
    const object = await create('Unset', { a: 1 });
    object.unset('never');
    await object.save();
    expect((await reload(object)).get('a')).to.equal(1);
  });

  it('adds to and removes from a relation, and queries it', async () => {
    const memberClass = uniqueClass('Member');
    const members = ['ann', 'bob', 'cid', 'dee'].map((name) => {
      const m = new Parse.Object(memberClass);
      m.set('name', name);
      return m;
    });
    await Parse.Object.saveAll(members);
    const [ann, bob, cid, dee] = members as [SdkObject, SdkObject, SdkObject, SdkObject];
    const team = await create('Team', { name: 'red' });
    team.relation('members').add([ann, bob, cid]);
    await team.save();

    const names = async (): Promise<string[]> => {
      const fresh = await reload(team);
      const found = await fresh.relation('members').query().ascending('name').find();
      return found.map((m) => String(m.get('name')));
    };
    expect(await names()).to.deep.equal(['ann', 'bob', 'cid']);

    // Adding one already there is harmless; removal takes effect.
    team.relation('members').add([ann, dee]);
    await team.save();
    team.relation('members').remove(bob);
    await team.save();
    expect(await names()).to.deep.equal(['ann', 'cid', 'dee']);

    // Both in one save (the SDK sends a Batch op).
    const relation = team.relation('members');
    relation.add(bob);
    relation.remove(ann);
    await team.save();
    expect(await names()).to.deep.equal(['bob', 'cid', 'dee']);
  });

  it('constrains a relation query and keeps relations of different objects apart', async () => {
    const memberClass = uniqueClass('Player');
    const players = [1, 2, 3, 4].map((n) => {
      const p = new Parse.Object(memberClass);
      p.set('n', n);
      return p;
    });
    await Parse.Object.saveAll(players);
    const teamClass = uniqueClass('Squad');
    const red = new Parse.Object(teamClass);
    const blue = new Parse.Object(teamClass);
    red.relation('players').add(players.slice(0, 3));
    blue.relation('players').add(players.slice(2));
    await Parse.Object.saveAll([red, blue]);

    const big = await red.relation('players').query().greaterThan('n', 1).ascending('n').find();
    expect(big.map((p) => p.get('n'))).to.deep.equal([2, 3]);
    const blueOnes = await blue.relation('players').query().ascending('n').find();
    expect(blueOnes.map((p) => p.get('n'))).to.deep.equal([3, 4]);
    expect(await red.relation('players').query().count()).to.equal(3);
  });

  it('applies several operations on different fields in one save', async () => {
    const object = await create('Multi', { n: 1, tags: ['x'], gone: true });
    const copy = withoutData(object.className, object.id!);
    copy.increment('n', 2);
    copy.add('tags', 'y');
    copy.unset('gone');
    copy.set('label', 'set');
    await copy.save();
    expect(copy.get('n')).to.equal(3);
    expect(copy.get('tags')).to.deep.equal(['x', 'y']);
    const fetched = await reload(object);
    expect(fetched.get('n')).to.equal(3);
    expect(fetched.get('tags')).to.deep.equal(['x', 'y']);
    expect(fetched.has('gone')).to.equal(false);
    expect(fetched.get('label')).to.equal('set');
  });
});
