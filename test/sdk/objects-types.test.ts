/**
 * Parse.Object save/fetch/destroy through the official SDK, with every Parse value type: what the
 * SDK writes must come back exactly (Dates to the millisecond, nested values included).
 */
import { expect } from 'chai';
import { APP_ID, appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { asArray, asDate, asParseObject, asRecord, expectParseError, uniqueClass, withoutData } from './helpers.js';

describe('Parse JS SDK: object values', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  it('saves a new object and reports its id and timestamps', async () => {
    const className = uniqueClass('Created');
    const before = Date.now();
    const object = new Parse.Object(className);
    object.set('title', 'first');
    await object.save();
    expect(object.id).to.match(/^[A-Za-z0-9]{10}$/);
    const createdAt = asDate(object.createdAt);
    expect(createdAt.getTime()).to.be.within(before - 1000, Date.now() + 1000);
    expect(asDate(object.updatedAt).getTime()).to.equal(createdAt.getTime());
    expect(object.isNew()).to.equal(false);
    expect(object.dirty()).to.equal(false);

    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.get('title')).to.equal('first');
    expect(asDate(fetched.createdAt).toISOString()).to.equal(createdAt.toISOString());
  });

  it('round-trips strings, numbers, booleans and null', async () => {
    const className = uniqueClass('Scalars');
    const object = new Parse.Object(className);
    object.set({
      text: 'héllo ✓ "quoted" \\ back\nline',
      empty: '',
      integer: -7,
      fraction: 3.141592653589793,
      big: 9007199254740991,
      zero: 0,
      yes: true,
      no: false,
      nothing: null,
    });
    await object.save();
    const fetched = await withoutData(className, object.id!).fetch();
    expect(fetched.get('text')).to.equal('héllo ✓ "quoted" \\ back\nline');
    expect(fetched.get('empty')).to.equal('');
    expect(fetched.get('integer')).to.equal(-7);
    expect(fetched.get('fraction')).to.equal(3.141592653589793);
    expect(fetched.get('big')).to.equal(9007199254740991);
    expect(fetched.get('zero')).to.equal(0);
    expect(fetched.get('yes')).to.equal(true);
    expect(fetched.get('no')).to.equal(false);
    expect(fetched.has('nothing')).to.equal(false);
    expect(fetched.get('nothing')).to.equal(null);
  });

  it('round-trips Dates to the millisecond', async () => {
    const className = uniqueClass('Dated');
    const when = new Date('2024-02-29T23:59:59.123Z');
    const epoch = new Date(0);
    const early = new Date('1969-07-20T20:17:40.001Z');
    const object = new Parse.Object(className);
    object.set({ when, epoch, early });
    await object.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    expect(asDate(fetched.get('when')).toISOString()).to.equal('2024-02-29T23:59:59.123Z');
    expect(asDate(fetched.get('epoch')).getTime()).to.equal(0);
    expect(asDate(fetched.get('early')).toISOString()).to.equal('1969-07-20T20:17:40.001Z');
  });

  it('round-trips a GeoPoint', async () => {
    const className = uniqueClass('Placed');
    const object = new Parse.Object(className);
    object.set('location', new Parse.GeoPoint(40.689247, -74.044502));
    await object.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    const location: unknown = fetched.get('location');
    expect(location).to.be.instanceOf(Parse.GeoPoint);
    const point = location as InstanceType<typeof Parse.GeoPoint>;
    expect(point.latitude).to.equal(40.689247);
    expect(point.longitude).to.equal(-74.044502);
  });

  it('round-trips a closed Polygon exactly and closes an open one, as Parse Server does', async () => {
    const className = uniqueClass('Shaped');
    const closed: [number, number][] = [
      [0, 0],
      [0, 1.5],
      [1.25, 1.5],
      [1.25, 0],
      [0, 0],
    ];
    const open: [number, number][] = [
      [10, 10],
      [10, 20],
      [20, 20],
    ];
    const object = new Parse.Object(className);
    object.set('area', new Parse.Polygon(closed));
    object.set('triangle', new Parse.Polygon(open));
    await object.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    const area: unknown = fetched.get('area');
    expect(area).to.be.instanceOf(Parse.Polygon);
    expect((area as InstanceType<typeof Parse.Polygon>).coordinates).to.deep.equal(closed);
    const triangle = fetched.get('triangle') as InstanceType<typeof Parse.Polygon>;
    expect(triangle.coordinates).to.deep.equal([
      [10, 10],
      [10, 20],
      [20, 20],
      [10, 10],
    ]);
  });

  it('refuses a Polygon with fewer than three different vertices, or with vertices out of range (107)', async () => {
    const className = uniqueClass('Shaped');
    const degenerate = new Parse.Object(className, {
      area: new Parse.Polygon([
        [0, 0],
        [0, 1],
        [0, 0],
      ]),
    });
    const error = await expectParseError(degenerate.save(), 107);
    expect(error.message).to.equal('GeoJSON: Loop must have at least 3 different vertices');
    const far = await backend.http
      .post(`/parse/classes/${className}`)
      .set(appHeaders)
      .send({
        area: {
          __type: 'Polygon',
          coordinates: [
            [0, 0],
            [0, 1],
            [95, 1],
          ],
        },
      });
    expect(far.body.code).to.equal(107);
    const loose = await backend.http
      .post(`/parse/classes/${className}`)
      .set(appHeaders)
      .send({ area: { __type: 'Polygon', coordinates: [[0, 0], [0, 1], 'x'] } });
    expect(loose.body.code).to.equal(107);
  });

  it('stores a reference to a File and returns its name and URL', async () => {
    const className = uniqueClass('Filed');
    const file = Parse.File.fromJSON({ __type: 'File', name: 'report.txt', url: 'http://example.invalid/report.txt' });
    const object = new Parse.Object(className);
    object.set('attachment', file);
    await object.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    const attachment: unknown = fetched.get('attachment');
    expect(attachment).to.be.instanceOf(Parse.File);
    const got = attachment as InstanceType<typeof Parse.File>;
    expect(got.name()).to.equal('report.txt');
    expect(got.url()).to.equal(`${backend.serverURL}/files/${APP_ID}/report.txt`);
  });

  it('round-trips Bytes, top-level and nested', async () => {
    const className = uniqueClass('Binary');
    const base64 = Buffer.from([0, 1, 2, 3, 254, 255]).toString('base64');
    const object = new Parse.Object(className);
    object.set('blob', { __type: 'Bytes', base64 });
    object.set('holder', { inner: { __type: 'Bytes', base64: 'aGVsbG8=' } });
    await object.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.get('blob')).to.deep.equal({ __type: 'Bytes', base64 });
    expect(fetched.get('holder')).to.deep.equal({ inner: { __type: 'Bytes', base64: 'aGVsbG8=' } });
  });

  it('round-trips a pointer, and fetches the object it points to', async () => {
    const className = uniqueClass('Pointing');
    const targetClass = uniqueClass('Target');
    const target = new Parse.Object(targetClass);
    target.set('name', 'the target');
    await target.save();
    const object = new Parse.Object(className);
    object.set('target', target);
    await object.save();

    const fetched = await new Parse.Query(className).get(object.id!);
    const pointer = asParseObject(fetched.get('target'));
    expect(pointer.className).to.equal(targetClass);
    expect(pointer.id).to.equal(target.id);
    expect(pointer.isDataAvailable()).to.equal(false);
    await pointer.fetch();
    expect(pointer.get('name')).to.equal('the target');
  });

  it('round-trips nested objects and arrays with nested Dates, pointers and GeoPoints', async () => {
    const className = uniqueClass('Nested');
    const friend = new Parse.Object(uniqueClass('Friend'));
    await friend.save();
    const d1 = new Date('2021-05-06T07:08:09.010Z');
    const d2 = new Date('1999-12-31T23:59:59.999Z');
    const object = new Parse.Object(className);
    object.set('profile', {
      name: 'Ada',
      age: 36,
      flags: { admin: true, tags: ['a', 'b'] },
      born: d1,
      history: [{ at: d2, with: friend }, [1, [2, [3]]]],
      friend,
      spot: new Parse.GeoPoint(1, 2),
      blank: {},
      none: [],
    });
    object.set('list', [1, 'two', true, null, { three: 3 }, d1, friend, [d2, ['deep']]]);
    await object.save();

    const fetched = await new Parse.Query(className).get(object.id!);
    const profile = asRecord(fetched.get('profile'));
    expect(profile.name).to.equal('Ada');
    expect(profile.age).to.equal(36);
    expect(profile.flags).to.deep.equal({ admin: true, tags: ['a', 'b'] });
    expect(asDate(profile.born).toISOString()).to.equal(d1.toISOString());
    const history = asArray(profile.history);
    const first = asRecord(history[0]);
    expect(asDate(first.at).toISOString()).to.equal(d2.toISOString());
    const nestedFriend = asParseObject(first.with);
    expect([nestedFriend.className, nestedFriend.id]).to.deep.equal([friend.className, friend.id]);
    expect(history[1]).to.deep.equal([1, [2, [3]]]);
    const topFriend = asParseObject(profile.friend);
    expect(topFriend.id).to.equal(friend.id);
    expect(profile.spot).to.be.instanceOf(Parse.GeoPoint);
    expect((profile.spot as InstanceType<typeof Parse.GeoPoint>).toJSON()).to.deep.equal({
      __type: 'GeoPoint',
      latitude: 1,
      longitude: 2,
    });
    expect(profile.blank).to.deep.equal({});
    expect(profile.none).to.deep.equal([]);

    const list = asArray(fetched.get('list'));
    expect(list).to.have.length(8);
    expect(list.slice(0, 5)).to.deep.equal([1, 'two', true, null, { three: 3 }]);
    expect(asDate(list[5]).toISOString()).to.equal(d1.toISOString());
    const listFriend = asParseObject(list[6]);
    expect([listFriend.className, listFriend.id]).to.deep.equal([friend.className, friend.id]);
    const inner = asArray(list[7]);
    expect(asDate(inner[0]).toISOString()).to.equal(d2.toISOString());
    expect(inner[1]).to.deep.equal(['deep']);
  });

  it('round-trips a Relation field, which reads back as a Relation to the same class', async () => {
    const className = uniqueClass('Team');
    const memberClass = uniqueClass('Member');
    const members = [new Parse.Object(memberClass), new Parse.Object(memberClass)];
    await Parse.Object.saveAll(members);
    const team = new Parse.Object(className);
    team.relation('members').add(members);
    await team.save();
    const fetched = await new Parse.Query(className).get(team.id!);
    const relation = fetched.relation('members');
    expect(relation.targetClassName).to.equal(memberClass);
    const related = await relation.query().ascending('createdAt').find();
    expect(related.map((o) => o.id).sort()).to.deep.equal(members.map((o) => o.id).sort());
  });

  it('updates every type of field and fetches the new values', async () => {
    const className = uniqueClass('Updated');
    const targetClass = uniqueClass('Pointee');
    const [a, b] = [new Parse.Object(targetClass), new Parse.Object(targetClass)];
    await Parse.Object.saveAll([a, b]);
    const object = new Parse.Object(className);
    object.set({
      text: 'old',
      count: 1,
      flag: false,
      when: new Date('2020-01-01T00:00:00.000Z'),
      where: new Parse.GeoPoint(0, 0),
      ptr: a,
      data: { x: 1 },
      items: [1],
      area: new Parse.Polygon([
        [0, 0],
        [0, 1],
        [1, 1],
        [0, 0],
      ]),
    });
    await object.save();
    const createdAt = asDate(object.createdAt);

    const copy = await new Parse.Query(className).get(object.id!);
    copy.set({
      text: 'new',
      count: 2,
      flag: true,
      when: new Date('2030-06-15T12:30:45.678Z'),
      where: new Parse.GeoPoint(-45.5, 170.25),
      ptr: b,
      data: { x: 2, y: [new Date('2001-01-01T00:00:00.001Z')] },
      items: ['a', 'b'],
      area: new Parse.Polygon([
        [5, 5],
        [5, 6],
        [6, 6],
        [5, 5],
      ]),
    });
    await copy.save();
    expect(asDate(copy.updatedAt).getTime()).to.be.at.least(createdAt.getTime());

    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.get('text')).to.equal('new');
    expect(fetched.get('count')).to.equal(2);
    expect(fetched.get('flag')).to.equal(true);
    expect(asDate(fetched.get('when')).toISOString()).to.equal('2030-06-15T12:30:45.678Z');
    expect((fetched.get('where') as InstanceType<typeof Parse.GeoPoint>).toJSON()).to.deep.equal({
      __type: 'GeoPoint',
      latitude: -45.5,
      longitude: 170.25,
    });
    expect(asParseObject(fetched.get('ptr')).id).to.equal(b.id);
    const data = asRecord(fetched.get('data'));
    expect(data.x).to.equal(2);
    expect(asDate(asArray(data.y)[0]).toISOString()).to.equal('2001-01-01T00:00:00.001Z');
    expect(fetched.get('items')).to.deep.equal(['a', 'b']);
    expect((fetched.get('area') as InstanceType<typeof Parse.Polygon>).coordinates).to.deep.equal([
      [5, 5],
      [5, 6],
      [6, 6],
      [5, 5],
    ]);
    expect(asDate(fetched.createdAt).toISOString()).to.equal(createdAt.toISOString());
  });

  it('sets a field to null, and a pointer to null (which reads back unset, as in Parse Server)', async () => {
    const className = uniqueClass('Nulled');
    const target = new Parse.Object(uniqueClass('Target'));
    await target.save();
    const object = new Parse.Object(className);
    object.set({ text: 'here', ptr: target });
    await object.save();
    object.set('text', null);
    object.set('ptr', null);
    await object.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.get('text')).to.equal(null);
    expect(fetched.has('ptr')).to.equal(false);
    expect(fetched.get('ptr')).to.equal(undefined);
    expect(object.get('ptr')).to.equal(null);
  });

  it('updates a key inside an Object field with a dotted path', async () => {
    const className = uniqueClass('Dotted');
    const object = new Parse.Object(className);
    object.set('settings', { theme: 'dark', size: 12 });
    await object.save();
    const copy = withoutData(className, object.id!);
    copy.set('settings.size', 14);
    await copy.save();
    const fetched = await new Parse.Query(className).get(object.id!);
    expect(fetched.get('settings')).to.deep.equal({ theme: 'dark', size: 14 });
  });

  it('destroys an object, after which fetching it fails with 101', async () => {
    const className = uniqueClass('Doomed');
    const object = new Parse.Object(className);
    object.set('n', 1);
    await object.save();
    const other = new Parse.Object(className);
    await other.save();
    await object.destroy();
    await expectParseError(withoutData(className, object.id!).fetch(), Parse.Error.OBJECT_NOT_FOUND);
    const remaining = await new Parse.Query(className).find();
    expect(remaining.map((o) => o.id)).to.deep.equal([other.id]);
    await expectParseError(object.destroy(), Parse.Error.OBJECT_NOT_FOUND);
  });

  it('fetches with include through Parse.Object#fetchWithInclude', async () => {
    const className = uniqueClass('Owner');
    const pet = new Parse.Object(uniqueClass('Pet'));
    pet.set('name', 'Rex');
    await pet.save();
    const owner = new Parse.Object(className);
    owner.set('pet', pet);
    await owner.save();
    const fetched = await withoutData(className, owner.id!).fetchWithInclude('pet');
    const included = asParseObject(fetched.get('pet'));
    expect(included.isDataAvailable()).to.equal(true);
    expect(included.get('name')).to.equal('Rex');
  });
});
