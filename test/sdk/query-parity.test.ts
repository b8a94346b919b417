/**
 * Query forms parse-server reads in its own way, through Parse.Query and over HTTP: the storage names
 * of the dates in `order`, objectIds standing for pointers, an equality mixed with operators,
 * `$select` on an Array key, `includeAll` with `keys`, `explain`, and the errors of bad operands.
 */
import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { expectParseError, uniqueClass } from './helpers.js';

describe('Parse JS SDK: query forms as parse-server reads them', () => {
  let t: TestBackend;
  let Parse: ParseSdk;
  const BOX = uniqueClass('Box');

  before(async () => {
    t = await startTestBackend();
    Parse = useBackend(t);
  });
  after(() => t.close());

  const find = (className: string, query: Record<string, unknown>, headers: Record<string, string> = appHeaders) =>
    t.http
      .get(`/parse/classes/${className}`)
      .set(headers)
      .query(
        Object.fromEntries(Object.entries(query).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
      );

  it('orders by _created_at and _updated_at as by createdAt and updatedAt', async () => {
    const boxes = [];
    for (const n of [3, 1, 2]) boxes.push(await new Parse.Object(BOX, { n }).save());
    await boxes[1]!.save({ n: 4 });
    const ns = async (key: string, descending = false) => {
      const q = new Parse.Query(BOX);
      if (descending) q.descending(key);
      else q.ascending(key);
      return (await q.find()).map((b) => b.get('n') as number);
    };
    expect(await ns('_created_at')).to.deep.equal([3, 4, 2]);
    expect(await ns('_updated_at')).to.deep.equal([3, 2, 4]);
    expect(await ns('_updated_at', true)).to.deep.equal([4, 2, 3]);
    const res = await find(BOX, { order: '-_created_at' }).expect(200);
    expect(res.body.results.map((b: { n: number }) => b.n)).to.deep.equal([2, 4, 3]);
  });

  it('reads an objectId as a pointer to the field’s class, in containedIn and equality', async () => {
    const holder = uniqueClass('Holder');
    const child = await new Parse.Object(uniqueClass('Child')).save();
    const other = await new Parse.Object(child.className).save();
    await new Parse.Object(holder, { child }).save();
    await new Parse.Object(holder, { child: other }).save();
    await new Parse.Object(holder).save();
    expect(await new Parse.Query(holder).containedIn('child', [child.id]).count()).to.equal(1);
    expect(await new Parse.Query(holder).containedIn('child', [child.id, other.id]).count()).to.equal(2);
    expect(await new Parse.Query(holder).notContainedIn('child', [child.id]).count()).to.equal(2);
    const res = await find(holder, { where: { child: other.id } }).expect(200);
    expect(res.body.results).to.have.length(1);
  });

  it('matches a pointer nested in an Object field by its dotted key, after a dotted set', async () => {
    const className = uniqueClass('Nest');
    const [first, second] = await Promise.all([new Parse.Object(className).save(), new Parse.Object(className).save()]);
    const holder: InstanceType<ParseSdk['Object']> = await new Parse.Object(className, { data: { ptr: first } }).save();
    holder.set('data.ptr', second);
    await holder.save();
    const found = await new Parse.Query(className).equalTo('data.ptr', second).find();
    expect(found.map((o) => o.id)).to.deep.equal([holder.id]);
    expect((found[0]!.get('data') as { ptr: { id: string } }).ptr.id).to.equal(second.id);
    expect(await new Parse.Query(className).equalTo('data.ptr', first).count()).to.equal(0);
    expect(await new Parse.Query(className).notEqualTo('data.ptr', second).count()).to.equal(2);
    const pointer = { __type: 'Pointer', className, objectId: second.id };
    const overHttp = await find(className, { where: { 'data.ptr': pointer } });
    expect(overHttp.body.results.map((o: { objectId: string }) => o.objectId)).to.deep.equal([holder.id]);
    const within = await find(className, { where: { 'data.ptr': { $in: [pointer] } } });
    expect(within.body.results).to.have.length(1);
  });

  it('keeps an equality and a $dontSelect on the same key both in force', async () => {
    const author = uniqueClass('Author');
    const post = uniqueClass('Post');
    const blocked = uniqueClass('Blocked');
    const julius = await new Parse.Object(author, { name: 'Julius' }).save();
    const bob = await new Parse.Object(author, { name: 'Bob' }).save();
    await Parse.Object.saveAll([
      new Parse.Object(post, { author: julius, title: 'a' }),
      new Parse.Object(post, { author: bob, title: 'b' }),
      new Parse.Object(blocked, { by: julius, user: bob }),
    ]);
    const bans = new Parse.Query(blocked).equalTo('user', bob);
    const byJulius = () => new Parse.Query(post).equalTo('author', julius);
    expect(await byJulius().count()).to.equal(1);
    expect(await byJulius().doesNotMatchKeyInQuery('author', 'by', bans).count()).to.equal(0);
    expect(
      await new Parse.Query(post).equalTo('author', bob).doesNotMatchKeyInQuery('author', 'by', bans).count(),
    ).to.equal(1);
    expect(await byJulius().matchesKeyInQuery('author', 'by', bans).count()).to.equal(1);
  });

  it('matches a key against the items of an Array key of a sub-query', async () => {
    const member = await new Parse.Object(uniqueClass('Member')).save();
    const outsider = await new Parse.Object(member.className).save();
    const post = uniqueClass('Post');
    const group = uniqueClass('Group');
    const mine = await new Parse.Object(post, { author: member }).save();
    await new Parse.Object(post, { author: outsider }).save();
    await new Parse.Object(group, { members: [member] }).save();
    const found = await new Parse.Query(post).matchesKeyInQuery('author', 'members', new Parse.Query(group)).find();
    expect(found.map((p) => p.id)).to.deep.equal([mine.id]);
    const rest = await new Parse.Query(post).doesNotMatchKeyInQuery('author', 'members', new Parse.Query(group)).find();
    expect(rest.map((p) => (p.get('author') as { id: string }).id)).to.deep.equal([outsider.id]);
  });

  it('includeAll includes arrays of pointers, and with keys keeps the included fields', async () => {
    const item = uniqueClass('Item');
    const [one, two] = await Parse.Object.saveAll([
      new Parse.Object(item, { foo: 'bar' }),
      new Parse.Object(item, { hello: 'world' }),
    ]);
    const box = uniqueClass('Container');
    const saved = await new Parse.Object(box, { child: one, list: [two], note: 'n', other: 'o' }).save();
    const [found] = await new Parse.Query(box).includeAll().find();
    expect((found!.get('child') as InstanceType<ParseSdk['Object']>).get('foo')).to.equal('bar');
    expect((found!.get('list') as InstanceType<ParseSdk['Object']>[])[0]!.get('hello')).to.equal('world');
    const res = await find(box, { where: { objectId: saved.id }, includeAll: 'true', keys: 'note' }).expect(200);
    const [row] = res.body.results;
    expect(row.note).to.equal('n');
    expect(row.other).to.equal(undefined);
    expect(row.child.foo).to.equal('bar');
    expect(row.list[0].hello).to.equal('world');
  });

  it('matches nothing for an $all item that is an operator object, as MongoDB does', async () => {
    const cls = uniqueClass('Words');
    await new Parse.Object(cls, { strings: ['the', 'lazy', 'fox'] }).save();
    const res = await find(cls, { where: { strings: { $all: [{ $unknown: '^\\Qlazy\\E' }] } } }).expect(200);
    expect(res.body.results).to.deep.equal([]);
    const plain = await find(cls, { where: { strings: { $all: ['lazy', 'fox'] } } }).expect(200);
    expect(plain.body.results).to.have.length(1);
  });

  it('answers bad operands with parse-server’s codes and messages', async () => {
    const cls = uniqueClass('Dated');
    await new Parse.Object(cls, { text: 'abcd', when: new Date() }).save();
    const contained = await find(cls, { where: { text: { $containedBy: 1234 } } }, masterHeaders);
    expect(contained.status).to.equal(400);
    expect(contained.body).to.deep.equal({ code: 107, error: 'bad $containedBy: should be an array' });
    const relative = new Parse.Query(cls).greaterThan('text', { $relativeTime: '1 day ago' });
    await expectParseError(relative.find({ useMasterKey: true }), 107);
    const res = await find(cls, { where: { text: { $gt: { $relativeTime: '1 day ago' } } } });
    expect(res.body).to.deep.equal({ code: 107, error: '$relativeTime can only be used with Date field' });
    const onDates = new Parse.Query(cls).greaterThan('when', { $relativeTime: '1 day ago' });
    expect(await onDates.count()).to.equal(1);
  });

  describe('explain', () => {
    it('gives the master key the plan, at each verbosity MongoDB has', async () => {
      const cls = uniqueClass('Planned');
      await new Parse.Object(cls, { n: 1 }).save();
      for (const value of ['true', 'queryPlanner', 'executionStats', 'allPlansExecution']) {
        const res = await find(cls, { explain: value, where: { n: 1 } }, masterHeaders).expect(200);
        expect(res.body.results.ok, value).to.equal(1);
        expect(res.body.results.queryPlanner.namespace, value).to.match(new RegExp(`\\.${cls}$`));
        if (value !== 'queryPlanner') expect(res.body.results.executionStats.nReturned, value).to.equal(1);
      }
      const plain = await find(cls, { explain: 'false' }, masterHeaders).expect(200);
      expect(plain.body.results).to.have.length(1);
      const q = new Parse.Query(cls);
      q.explain();
      const plan = (await q.find({ useMasterKey: true })) as unknown as { executionStats?: unknown };
      expect(plan.executionStats).to.not.equal(undefined);
    });

    it('refuses other values with 102', async () => {
      for (const value of ['1', 'yolo', '{"a":1}', '[1,2,3]']) {
        const res = await find('_User', { explain: value }, masterHeaders);
        expect(res.status, value).to.equal(400);
        expect(res.body, value).to.deep.equal({ code: 102, error: 'Invalid value for explain' });
      }
    });

    it('needs the master key unless databaseOptions.allowPublicExplain is set', async () => {
      const q = new Parse.Query(BOX);
      q.explain();
      const error = await expectParseError(q.find(), 102);
      expect(error.message).to.equal('Using the explain query parameter requires the master key');
      const open = await startTestBackend({ databaseOptions: { allowPublicExplain: true } });
      try {
        await open.http.post('/parse/classes/Thing').set(appHeaders).send({ n: 1 }).expect(201);
        const res = await open.http.get('/parse/classes/Thing').set(appHeaders).query({ explain: 'true' }).expect(200);
        expect(res.body.results.ok).to.equal(1);
      } finally {
        await open.close();
        useBackend(t);
      }
    });
  });
});
