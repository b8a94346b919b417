/**
 * Regression tests for server fixes found through the SDK: a field a beforeSave unsets, the
 * reserved `className` field, dotted `keys`/`excludeKeys`, unsorted distance queries (the SDK's
 * `$centerSphere`), `withinPolygon` with coordinate pairs and Parse.Polygon, the error code
 * of an invalid sort key, and an aggregate sent with the read-only master key.
 */
import { expect } from 'chai';
import type { SaveHookRequest } from 'plinth';
import { APP_ID, MASTER_KEY, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { asParseObject, expectParseError, uniqueClass, type SdkObject } from './helpers.js';

type Query = InstanceType<ParseSdk['Query']>;

const READ_ONLY_KEY = 'sdk-read-only-key';

describe('Parse JS SDK: regressions', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend({ readOnlyMasterKey: READ_ONLY_KEY });
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  function make(className: string, values: Record<string, unknown>): SdkObject {
    const object = new Parse.Object(className);
    object.set(values);
    return object;
  }

  describe('a field a beforeSave unsets', () => {
    const unregister: (() => void)[] = [];
    afterEach(() => {
      for (const off of unregister.splice(0)) off();
    });

    function beforeSave(className: string, handler: (request: SaveHookRequest) => unknown): void {
      unregister.push(backend.backend.cloud.beforeSave(className, handler));
    }

    it('on create, is gone from the SDK object after save(), and from the stored object', async () => {
      const className = uniqueClass('Scrubbed');
      beforeSave(className, (request) => {
        request.object.unset('secret');
      });
      const object = make(className, { name: 'kept', secret: 's3cret' });
      await object.save();
      expect(object.id).to.be.a('string');
      expect(object.has('secret')).to.equal(false);
      expect(object.get('secret')).to.equal(undefined);
      expect(object.get('name')).to.equal('kept');
      expect(object.dirty()).to.equal(false);

      const fetched = await new Parse.Query(className).get(object.id!);
      expect(fetched.has('secret')).to.equal(false);
      expect(fetched.get('name')).to.equal('kept');
    });

    it('on update, is gone from the SDK object after save(), and from the stored object', async () => {
      const className = uniqueClass('Rescrubbed');
      const object = make(className, { name: 'kept', secret: 'old' });
      await object.save();
      beforeSave(className, (request) => {
        request.object.unset('secret');
      });
      object.set('secret', 'new');
      await object.save();
      expect(object.has('secret')).to.equal(false);
      expect(object.get('name')).to.equal('kept');

      const fetched = await new Parse.Query(className).get(object.id!);
      expect(fetched.has('secret')).to.equal(false);
      expect(fetched.get('name')).to.equal('kept');
    });
  });

  describe('className is a reserved field name', () => {
    it('creating an object with a className field is refused with 105 and stores nothing', async () => {
      const className = uniqueClass('Named');
      await make(className, { n: 1 }).save();
      // The SDK's own key check accepts the name, so the request reaches the server.
      const object = make(className, { n: 2 });
      object.set('className', 'Other');
      await expectParseError(object.save(), Parse.Error.INVALID_KEY_NAME);
      expect(object.id).to.equal(undefined);
      const stored = await new Parse.Query(className).find();
      expect(stored.map((o) => o.get('n'))).to.deep.equal([1]);
    });

    it('setting className on an existing object is refused with 105 and changes nothing', async () => {
      const className = uniqueClass('Renamed');
      const object = make(className, { n: 1 });
      await object.save();
      object.set('className', 'Other');
      object.set('n', 2);
      await expectParseError(object.save(), Parse.Error.INVALID_KEY_NAME);
      const fetched = await new Parse.Query(className).get(object.id!);
      expect(fetched.get('n')).to.equal(1);
      expect(Object.keys(fetched.attributes).sort()).to.deep.equal(['createdAt', 'n', 'updatedAt']);
    });
  });

  describe('dotted keys and excludeKeys', () => {
    const PERSON = uniqueClass('Owner');
    const THING = uniqueClass('Owned');
    let ann: SdkObject;
    let lamp: SdkObject;

    before(async () => {
      ann = make(PERSON, { name: 'ann', age: 30, city: 'Oslo' });
      await ann.save();
      lamp = make(THING, { name: 'lamp', price: 10, owner: ann });
      await lamp.save();
    });

    const things = (): Query => new Parse.Query(THING);

    it("select('name', 'owner.name') returns owner included, with only its name", async () => {
      const [found, ...rest] = await things().select('name', 'owner.name').find();
      expect(rest).to.have.length(0);
      expect(found!.get('name')).to.equal('lamp');
      expect(found!.has('price')).to.equal(false);
      const owner = asParseObject(found!.get('owner'));
      expect(owner.id).to.equal(ann.id);
      expect(owner.className).to.equal(PERSON);
      expect(owner.get('name')).to.equal('ann');
      expect(owner.createdAt).to.be.instanceOf(Date);
      expect(owner.updatedAt).to.be.instanceOf(Date);
      expect(Object.keys(owner.attributes).sort()).to.deep.equal(['createdAt', 'name', 'updatedAt']);
    });

    it("select('owner.name') on Query#get trims the included owner too", async () => {
      const got = await things().select('name', 'owner.name').get(lamp.id!);
      const owner = asParseObject(got.get('owner'));
      expect(owner.get('name')).to.equal('ann');
      expect(owner.has('age')).to.equal(false);
      expect(owner.has('city')).to.equal(false);
      expect(got.has('price')).to.equal(false);
    });

    it("exclude('owner.age') without include returns owner included, without age", async () => {
      const [found] = await things().exclude('owner.age').find();
      expect(found!.get('price')).to.equal(10);
      const owner = asParseObject(found!.get('owner'));
      expect(owner.id).to.equal(ann.id);
      expect(Object.keys(owner.attributes).sort()).to.deep.equal(['city', 'createdAt', 'name', 'updatedAt']);
      expect(owner.get('city')).to.equal('Oslo');
    });

    it("include('owner') with exclude('owner.age') returns owner without age", async () => {
      const [found] = await things().include('owner').exclude('owner.age').find();
      expect(found!.get('name')).to.equal('lamp');
      expect(found!.get('price')).to.equal(10);
      const owner = asParseObject(found!.get('owner'));
      expect(owner.get('name')).to.equal('ann');
      expect(owner.get('city')).to.equal('Oslo');
      expect(owner.has('age')).to.equal(false);
    });
  });

  describe('geo queries the SDK sends as coordinate pairs', () => {
    const PLACE = uniqueClass('Spot');
    // Distances from Paris: Brussels ~264 km, London ~344 km, Berlin ~878 km, Sydney ~16,960 km.
    const CITIES: [string, number, number][] = [
      ['paris', 48.8566, 2.3522],
      ['brussels', 50.8503, 4.3517],
      ['london', 51.5074, -0.1278],
      ['berlin', 52.52, 13.405],
      ['sydney', -33.8688, 151.2093],
    ];
    let paris: InstanceType<ParseSdk['GeoPoint']>;

    before(async () => {
      paris = new Parse.GeoPoint(48.8566, 2.3522);
      await Parse.Object.saveAll(
        CITIES.map(([name, lat, lng]) => make(PLACE, { name, location: new Parse.GeoPoint(lat, lng) })),
      );
    });

    const places = (): Query => new Parse.Query(PLACE);
    async function sortedNames(q: Query): Promise<string[]> {
      return (await q.find()).map((o) => String(o.get('name'))).sort();
    }

    it('withinKilometers(..., false) ($centerSphere) keeps the places within the distance', async () => {
      expect(await sortedNames(places().withinKilometers('location', paris, 300, false))).to.deep.equal([
        'brussels',
        'paris',
      ]);
      expect(await sortedNames(places().withinKilometers('location', paris, 400, false))).to.deep.equal([
        'brussels',
        'london',
        'paris',
      ]);
    });

    it('withinMiles(..., false) keeps the places within the distance', async () => {
      // 600 miles is ~966 km: Berlin is in, Sydney is not.
      expect(await sortedNames(places().withinMiles('location', paris, 600, false))).to.deep.equal([
        'berlin',
        'brussels',
        'london',
        'paris',
      ]);
      // 200 miles is ~322 km: London is out.
      expect(await sortedNames(places().withinMiles('location', paris, 200, false))).to.deep.equal([
        'brussels',
        'paris',
      ]);
    });

    it('withinRadians(..., false) keeps the places within the distance', async () => {
      // 0.05 rad is ~319 km, 0.06 rad ~382 km.
      expect(await sortedNames(places().withinRadians('location', paris, 0.05, false))).to.deep.equal([
        'brussels',
        'paris',
      ]);
      expect(await sortedNames(places().withinRadians('location', paris, 0.06, false))).to.deep.equal([
        'brussels',
        'london',
        'paris',
      ]);
      expect(await places().withinRadians('location', paris, 0.001, false).count()).to.equal(1);
    });

    it('withinPolygon() of [longitude, latitude] pairs', async () => {
      // Longitudes 1..6, latitudes 47..52: Paris and Brussels (read as [lat, lng] it would hold nothing).
      const pairs = [
        [1, 47],
        [6, 47],
        [6, 52],
        [1, 52],
      ];
      expect(await sortedNames(places().withinPolygon('location', pairs))).to.deep.equal(['brussels', 'paris']);
      const wider = [
        [-1, 47],
        [14, 47],
        [14, 53],
        [-1, 53],
      ];
      expect(await sortedNames(places().withinPolygon('location', wider))).to.deep.equal([
        'berlin',
        'brussels',
        'london',
        'paris',
      ]);
    });

    it('withinPolygon() of a Parse.Polygon', async () => {
      // Symmetric in latitude and longitude (0..60 on both axes): London (longitude < 0) and Sydney are outside.
      const square = new Parse.Polygon([
        [0, 0],
        [0, 60],
        [60, 60],
        [60, 0],
      ]);
      // The typings only name number[][]; the SDK sends a Parse.Polygon as {"__type": "Polygon", ...}.
      const found = await sortedNames(places().withinPolygon('location', square as unknown as number[][]));
      expect(found).to.deep.equal(['berlin', 'brussels', 'paris']);
    });
  });

  describe('text searches with regex characters (the SDK quotes them as \\Q...\\E)', () => {
    it('contains, startsWith and endsWith find text with ( [ and ) in it', async () => {
      const className = uniqueClass('Quoted');
      await Parse.Object.saveAll([make(className, { name: 'xa(by' }), make(className, { name: '[x] y)' })]);
      const names = async (query: Query) => (await query.find()).map((o) => o.get('name') as string).sort();
      expect(await names(new Parse.Query(className).contains('name', 'a(b'))).to.deep.equal(['xa(by']);
      expect(await names(new Parse.Query(className).startsWith('name', '[x]'))).to.deep.equal(['[x] y)']);
      expect(await names(new Parse.Query(className).endsWith('name', 'y)'))).to.deep.equal(['[x] y)']);
    });
  });

  describe('invalid sort keys', () => {
    it("ascending('bad-key') is refused with 105", async () => {
      const className = uniqueClass('Sorted');
      await make(className, { n: 1 }).save();
      await expectParseError(new Parse.Query(className).ascending('bad-key').find(), Parse.Error.INVALID_KEY_NAME);
      await expectParseError(new Parse.Query(className).descending('bad-key').find(), Parse.Error.INVALID_KEY_NAME);
      await expectParseError(
        new Parse.Query(className).ascending('n').addAscending('bad-key').find(),
        Parse.Error.INVALID_KEY_NAME,
      );
      // A valid key still sorts.
      expect((await new Parse.Query(className).ascending('n').find()).map((o) => o.get('n'))).to.deep.equal([1]);
    });
  });

  describe('aggregate with the read-only master key', () => {
    // The SDK sends aggregates with `useMasterKey`, i.e. whatever key it was given: here the read-only one.
    afterEach(() => {
      Parse.initialize(APP_ID, undefined, MASTER_KEY);
    });

    it('is refused (119) when the pipeline reads _User through a nested $lookup, and runs plain stages', async () => {
      const className = uniqueClass('Note');
      await make(className, { text: 'n' }).save();
      Parse.initialize(APP_ID, undefined, READ_ONLY_KEY);
      const attack = [
        { $limit: 1 },
        { $facet: { a: [{ $lookup: { from: '_User', pipeline: [{ $project: { _hashed_password: 1 } }], as: 'u' } }] } },
      ];
      const error = await expectParseError(new Parse.Query(className).aggregate(attack), 119);
      expect(error.message).to.match(/\$lookup/);
      expect(await new Parse.Query(className).aggregate([{ $group: { _id: '$text', n: { $sum: 1 } } }])).to.deep.equal([
        { objectId: 'n', n: 1 },
      ]);
    });
  });
});
