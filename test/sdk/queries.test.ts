/**
 * Parse.Query through the SDK against one fixed data set: constraints, compound queries, ordering,
 * paging, counting, field selection, include, sub-queries, geo queries and the SDK's iteration
 * helpers.
 */
import { expect } from 'chai';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { asParseObject, uniqueClass, type SdkObject } from './helpers.js';

type Query = InstanceType<ParseSdk['Query']>;

describe('Parse JS SDK: queries', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;
  const ITEM = uniqueClass('Item');
  const PERSON = uniqueClass('Person');
  const TEAM = uniqueClass('Team');
  let alice: SdkObject;
  let bob: SdkObject;
  let carol: SdkObject;
  const byName = new Map<string, SdkObject>();

  const ROWS = [
    {
      name: 'apple',
      n: 1,
      tags: ['red', 'fruit'],
      category: 'fruit',
      when: '2020-01-01T00:00:00.000Z',
      owner: 'alice',
      note: 'x',
    },
    {
      name: 'Avocado',
      n: 2,
      tags: ['green', 'fruit'],
      category: 'fruit',
      when: '2020-06-01T00:00:00.000Z',
      owner: 'bob',
    },
    {
      name: 'banana',
      n: 3,
      tags: ['yellow', 'fruit'],
      category: 'fruit',
      when: '2021-01-01T00:00:00.000Z',
      owner: 'alice',
      note: 'y',
    },
    { name: 'broccoli', n: 4, tags: ['green', 'veg'], category: 'veg', when: '2021-06-01T00:00:00.000Z', owner: 'bob' },
    {
      name: 'carrot',
      n: 5,
      tags: ['orange', 'veg'],
      category: 'veg',
      when: '2022-01-01T00:00:00.000Z',
      owner: 'carol',
    },
    { name: 'cherry', n: 6, tags: ['red', 'fruit'], category: 'fruit', when: '2022-06-01T00:00:00.000Z', note: 'z' },
  ] as const;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
    const red = new Parse.Object(TEAM);
    red.set('name', 'red');
    const blue = new Parse.Object(TEAM);
    blue.set('name', 'blue');
    await Parse.Object.saveAll([red, blue]);
    const person = (name: string, team: SdkObject | undefined): SdkObject => {
      const p = new Parse.Object(PERSON);
      p.set('name', name);
      if (team) p.set('team', team);
      return p;
    };
    alice = person('alice', red);
    bob = person('bob', blue);
    carol = person('carol', undefined);
    await Parse.Object.saveAll([alice, bob, carol]);
    const owners: Record<string, SdkObject> = { alice, bob, carol };
    // Saved one by one so that createdAt follows the table's order.
    for (const row of ROWS) {
      const item = new Parse.Object(ITEM);
      item.set({ name: row.name, n: row.n, tags: [...row.tags], category: row.category, when: new Date(row.when) });
      if ('owner' in row) item.set('owner', owners[row.owner]);
      if ('note' in row) item.set('note', row.note);
      await item.save();
      byName.set(row.name, item);
    }
  });
  after(() => backend.close());

  const query = (): Query => new Parse.Query(ITEM);

  /** Names of the results, in the order the server returned them. */
  async function namesInOrder(q: Query): Promise<string[]> {
    return (await q.find()).map((o) => String(o.get('name')));
  }

  /** Names of the results, sorted (for queries without an order). */
  async function names(q: Query): Promise<string[]> {
    return (await namesInOrder(q)).sort();
  }

  describe('constraints', () => {
    it('finds everything without constraints', async () => {
      expect(await names(query())).to.deep.equal(['Avocado', 'apple', 'banana', 'broccoli', 'carrot', 'cherry']);
    });

    it('equalTo and notEqualTo', async () => {
      expect(await names(query().equalTo('category', 'veg'))).to.deep.equal(['broccoli', 'carrot']);
      expect(await names(query().equalTo('n', 3))).to.deep.equal(['banana']);
      expect(await names(query().notEqualTo('category', 'fruit'))).to.deep.equal(['broccoli', 'carrot']);
      expect(await names(query().equalTo('category', 'meat'))).to.deep.equal([]);
    });

    it('equalTo on an array field matches arrays holding the value', async () => {
      expect(await names(query().equalTo('tags', 'red'))).to.deep.equal(['apple', 'cherry']);
    });

    it('equalTo on objectId', async () => {
      expect(await names(query().equalTo('objectId', byName.get('carrot')!.id))).to.deep.equal(['carrot']);
    });

    it('lessThan, lessThanOrEqualTo, greaterThan, greaterThanOrEqualTo and ranges', async () => {
      expect(await names(query().lessThan('n', 3))).to.deep.equal(['Avocado', 'apple']);
      expect(await names(query().lessThanOrEqualTo('n', 3))).to.deep.equal(['Avocado', 'apple', 'banana']);
      expect(await names(query().greaterThan('n', 4))).to.deep.equal(['carrot', 'cherry']);
      expect(await names(query().greaterThanOrEqualTo('n', 4))).to.deep.equal(['broccoli', 'carrot', 'cherry']);
      expect(await names(query().greaterThan('n', 2).lessThan('n', 5))).to.deep.equal(['banana', 'broccoli']);
      expect(await names(query().greaterThan('name', 'c'))).to.deep.equal(['carrot', 'cherry']);
    });

    it('compares Dates', async () => {
      const q = query()
        .greaterThanOrEqualTo('when', new Date('2021-01-01T00:00:00.000Z'))
        .lessThan('when', new Date('2022-01-01T00:00:00.000Z'));
      expect(await names(q)).to.deep.equal(['banana', 'broccoli']);
      expect(await names(query().lessThan('when', new Date('2020-01-01T00:00:00.001Z')))).to.deep.equal(['apple']);
    });

    it('compares createdAt', async () => {
      const banana = byName.get('banana')!;
      const created = banana.createdAt!;
      const notAfter = await names(query().lessThanOrEqualTo('createdAt', created));
      expect(notAfter).to.include('banana');
      expect(notAfter).to.include('apple');
      expect(notAfter).not.to.include('cherry');
      expect(
        await query()
          .greaterThan('createdAt', new Date(created.getTime() + 3_600_000))
          .count(),
      ).to.equal(0);
      expect(
        await query()
          .lessThan('createdAt', new Date(created.getTime() + 3_600_000))
          .count(),
      ).to.equal(6);
    });

    it('containedIn and notContainedIn', async () => {
      expect(await names(query().containedIn('name', ['apple', 'carrot', 'nothing']))).to.deep.equal([
        'apple',
        'carrot',
      ]);
      expect(await names(query().notContainedIn('category', ['fruit']))).to.deep.equal(['broccoli', 'carrot']);
      expect(await names(query().containedIn('n', [1, 6]))).to.deep.equal(['apple', 'cherry']);
      expect(await names(query().containedIn('tags', ['orange', 'yellow']))).to.deep.equal(['banana', 'carrot']);
    });

    it('containedIn on a pointer field', async () => {
      expect(await names(query().containedIn('owner', [alice, carol]))).to.deep.equal(['apple', 'banana', 'carrot']);
    });

    it('containsAll', async () => {
      expect(await names(query().containsAll('tags', ['green', 'veg']))).to.deep.equal(['broccoli']);
      expect(await names(query().containsAll('tags', ['red']))).to.deep.equal(['apple', 'cherry']);
      expect(await names(query().containsAll('tags', ['red', 'veg']))).to.deep.equal([]);
    });

    it('exists and doesNotExist, on plain and pointer fields', async () => {
      expect(await names(query().exists('note'))).to.deep.equal(['apple', 'banana', 'cherry']);
      expect(await names(query().doesNotExist('note'))).to.deep.equal(['Avocado', 'broccoli', 'carrot']);
      expect(await names(query().doesNotExist('owner'))).to.deep.equal(['cherry']);
      expect(await query().exists('owner').count()).to.equal(5);
    });

    it('matches a regular expression, with modifiers', async () => {
      expect(await names(query().matches('name', /^a/))).to.deep.equal(['apple']);
      expect(await names(query().matches('name', /^a/i))).to.deep.equal(['Avocado', 'apple']);
      expect(await names(query().matches('name', 'an', ''))).to.deep.equal(['banana']);
      expect(await names(query().matches('name', 'RR', 'i'))).to.deep.equal(['carrot', 'cherry']);
    });

    it('equalTo and notEqualTo on a pointer', async () => {
      expect(await names(query().equalTo('owner', alice))).to.deep.equal(['apple', 'banana']);
      expect(await names(query().equalTo('owner', bob))).to.deep.equal(['Avocado', 'broccoli']);
      expect(await names(query().notEqualTo('owner', alice))).to.deep.equal([
        'Avocado',
        'broccoli',
        'carrot',
        'cherry',
      ]);
    });

    it('several constraints on different fields are and-ed', async () => {
      expect(await names(query().equalTo('category', 'fruit').greaterThan('n', 2).exists('note'))).to.deep.equal([
        'banana',
        'cherry',
      ]);
    });
  });

  describe('nested keys, arrays and geo', () => {
    const NESTED = uniqueClass('Doc');
    const PLACE = uniqueClass('Place');

    before(async () => {
      const docs = [
        { profile: { name: 'ann', level: 1 }, scores: [1, 2] },
        { profile: { name: 'ben', level: 5 }, scores: [2, 3, 4] },
        { profile: { name: 'cat', level: 9 }, scores: [9] },
      ].map((values) => {
        const d = new Parse.Object(NESTED);
        d.set(values);
        return d;
      });
      const places = [
        ['paris', 48.8566, 2.3522],
        ['london', 51.5074, -0.1278],
        ['berlin', 52.52, 13.405],
        ['sydney', -33.8688, 151.2093],
      ].map(([name, lat, lng]) => {
        const p = new Parse.Object(PLACE);
        p.set({ name, location: new Parse.GeoPoint(lat as number, lng as number) });
        return p;
      });
      await Parse.Object.saveAll([...docs, ...places]);
    });

    async function docNames(q: Query): Promise<string[]> {
      return (await q.find()).map((o) => String((o.get('profile') as { name: string }).name)).sort();
    }

    async function placeNames(q: Query): Promise<string[]> {
      return (await q.find()).map((o) => String(o.get('name')));
    }

    it('queries keys inside an Object field', async () => {
      expect(await docNames(new Parse.Query(NESTED).equalTo('profile.name', 'ben'))).to.deep.equal(['ben']);
      expect(await docNames(new Parse.Query(NESTED).greaterThan('profile.level', 2))).to.deep.equal(['ben', 'cat']);
    });

    it('containedBy: arrays whose every element is in the list', async () => {
      expect(await docNames(new Parse.Query(NESTED).containedBy('scores', [1, 2, 3, 4]))).to.deep.equal(['ann', 'ben']);
    });

    it('near() sorts by distance', async () => {
      const q = new Parse.Query(PLACE).near('location', new Parse.GeoPoint(50.85, 4.35));
      expect(await placeNames(q)).to.deep.equal(['paris', 'london', 'berlin', 'sydney']);
    });

    it('withinKilometers() and withinMiles() keep places within the distance, nearest first', async () => {
      const q = new Parse.Query(PLACE).withinKilometers('location', new Parse.GeoPoint(48.8566, 2.3522), 400);
      expect(await placeNames(q)).to.deep.equal(['paris', 'london']);
      const wide = new Parse.Query(PLACE).withinMiles('location', new Parse.GeoPoint(48.8566, 2.3522), 700);
      expect(await placeNames(wide)).to.deep.equal(['paris', 'london', 'berlin']);
    });

    it('withinGeoBox() and withinPolygon() of GeoPoints', async () => {
      const box = new Parse.Query(PLACE).withinGeoBox(
        'location',
        new Parse.GeoPoint(45, -5),
        new Parse.GeoPoint(55, 5),
      );
      expect((await placeNames(box)).sort()).to.deep.equal(['london', 'paris']);
      const corners = [
        [45, 0],
        [55, 0],
        [55, 20],
        [45, 20],
      ].map(([lat, lng]) => new Parse.GeoPoint(lat!, lng!));
      // The typings say number[][], the SDK documents "Coordinates / GeoPoints"; GeoPoints are unambiguous.
      const polygon = new Parse.Query(PLACE).withinPolygon('location', corners as unknown as number[][]);
      expect((await placeNames(polygon)).sort()).to.deep.equal(['berlin', 'paris']);
    });

    it('polygonContains() finds the polygons holding a point', async () => {
      const ZONE = uniqueClass('Zone');
      const zone = (name: string, c: [number, number][]): InstanceType<typeof Parse.Object> => {
        const z = new Parse.Object(ZONE);
        z.set({ name, area: new Parse.Polygon(c) });
        return z;
      };
      await Parse.Object.saveAll([
        zone('south', [
          [0, 0],
          [0, 10],
          [10, 10],
          [10, 0],
        ]),
        zone('north', [
          [20, 20],
          [20, 30],
          [30, 30],
          [30, 20],
        ]),
      ]);
      const found = await new Parse.Query(ZONE).polygonContains('area', new Parse.GeoPoint(5, 5)).find();
      expect(found.map((z) => z.get('name'))).to.deep.equal(['south']);
    });
  });

  describe('compound queries', () => {
    it('Parse.Query.or', async () => {
      const q = Parse.Query.or(query().lessThan('n', 2), query().equalTo('category', 'veg'));
      expect(await names(q)).to.deep.equal(['apple', 'broccoli', 'carrot']);
    });

    it('Parse.Query.and', async () => {
      const q = Parse.Query.and(query().equalTo('category', 'fruit'), query().greaterThan('n', 2));
      expect(await names(q)).to.deep.equal(['banana', 'cherry']);
    });

    it('Parse.Query.nor', async () => {
      const q = Parse.Query.nor(query().equalTo('category', 'fruit'), query().equalTo('n', 5));
      expect(await names(q)).to.deep.equal(['broccoli']);
    });

    it('or of ands, with a further constraint', async () => {
      const fruitWithNote = Parse.Query.and(query().equalTo('category', 'fruit'), query().exists('note'));
      const q = Parse.Query.or(fruitWithNote, query().equalTo('name', 'carrot'));
      q.lessThan('n', 6);
      expect(await names(q)).to.deep.equal(['apple', 'banana', 'carrot']);
    });
  });

  describe('sub-queries', () => {
    it('matchesQuery() and doesNotMatchQuery() on a pointer', async () => {
      const people = new Parse.Query(PERSON).containedIn('name', ['alice', 'carol']);
      expect(await names(query().matchesQuery('owner', people))).to.deep.equal(['apple', 'banana', 'carrot']);
      const aliceOnly = new Parse.Query(PERSON).equalTo('name', 'alice');
      expect(await names(query().doesNotMatchQuery('owner', aliceOnly))).to.deep.equal([
        'Avocado',
        'broccoli',
        'carrot',
        'cherry',
      ]);
    });

    it('matchesQuery() through a nested pointer', async () => {
      const redTeam = new Parse.Query(TEAM).equalTo('name', 'red');
      const redPeople = new Parse.Query(PERSON).matchesQuery('team', redTeam);
      expect(await names(query().matchesQuery('owner', redPeople))).to.deep.equal(['apple', 'banana']);
    });

    it('matchesKeyInQuery() and doesNotMatchKeyInQuery()', async () => {
      const FAVORITE = uniqueClass('Favorite');
      const favorites = ['apple', 'carrot', 'durian'].map((fav) => {
        const f = new Parse.Object(FAVORITE);
        f.set('fav', fav);
        return f;
      });
      await Parse.Object.saveAll(favorites);
      const favs = new Parse.Query(FAVORITE);
      expect(await names(query().matchesKeyInQuery('name', 'fav', favs))).to.deep.equal(['apple', 'carrot']);
      expect(await names(query().doesNotMatchKeyInQuery('name', 'fav', favs))).to.deep.equal([
        'Avocado',
        'banana',
        'broccoli',
        'cherry',
      ]);
    });
  });

  describe('ordering and paging', () => {
    it('ascending and descending on one key', async () => {
      expect(await namesInOrder(query().ascending('n'))).to.deep.equal([
        'apple',
        'Avocado',
        'banana',
        'broccoli',
        'carrot',
        'cherry',
      ]);
      expect(await namesInOrder(query().descending('when'))).to.deep.equal([
        'cherry',
        'carrot',
        'broccoli',
        'banana',
        'Avocado',
        'apple',
      ]);
    });

    it('orders on several keys', async () => {
      expect(await namesInOrder(query().ascending('category').addDescending('n'))).to.deep.equal([
        'cherry',
        'banana',
        'Avocado',
        'apple',
        'carrot',
        'broccoli',
      ]);
      expect(await namesInOrder(query().descending('category').addAscending('name'))).to.deep.equal([
        'broccoli',
        'carrot',
        'Avocado',
        'apple',
        'banana',
        'cherry',
      ]);
      expect(await namesInOrder(query().ascending('category', 'name'))).to.deep.equal([
        'Avocado',
        'apple',
        'banana',
        'cherry',
        'broccoli',
        'carrot',
      ]);
    });

    it('orders on createdAt', async () => {
      expect(await namesInOrder(query().ascending('createdAt').addAscending('n'))).to.deep.equal(
        ROWS.map((r) => r.name),
      );
    });

    it('limit and skip', async () => {
      expect(await namesInOrder(query().ascending('n').limit(2))).to.deep.equal(['apple', 'Avocado']);
      expect(await namesInOrder(query().ascending('n').skip(2).limit(3))).to.deep.equal([
        'banana',
        'broccoli',
        'carrot',
      ]);
      expect(await namesInOrder(query().ascending('n').skip(5))).to.deep.equal(['cherry']);
      expect(await namesInOrder(query().ascending('n').skip(10))).to.deep.equal([]);
    });

    it('returns 100 results unless a limit says otherwise', async () => {
      const MANY = uniqueClass('Many');
      const objects = Array.from({ length: 130 }, (_, n) => {
        const o = new Parse.Object(MANY);
        o.set('n', n);
        return o;
      });
      await Parse.Object.saveAll(objects, { batchSize: 50 });
      expect(await new Parse.Query(MANY).find()).to.have.length(100);
      const all = await new Parse.Query(MANY).limit(130).ascending('n').find();
      expect(all.map((o) => o.get('n'))).to.deep.equal(Array.from({ length: 130 }, (_, n) => n));
      expect(await new Parse.Query(MANY).count()).to.equal(130);
    });

    it('first() returns the first match, or undefined', async () => {
      const first = await query().descending('n').first();
      expect(first?.get('name')).to.equal('cherry');
      expect(await query().equalTo('name', 'nothing').first()).to.equal(undefined);
    });
  });

  describe('counting', () => {
    it('count()', async () => {
      expect(await query().count()).to.equal(6);
      expect(await query().equalTo('category', 'fruit').count()).to.equal(4);
      expect(await query().equalTo('category', 'meat').count()).to.equal(0);
    });

    it('count() ignores limit and skip', async () => {
      expect(await query().limit(1).skip(1).count()).to.equal(6);
    });

    it('withCount() returns the results and the total', async () => {
      const found = await query().ascending('n').limit(2).withCount().find();
      const { results, count } = found as unknown as { results: SdkObject[]; count: number };
      expect(count).to.equal(6);
      expect(results.map((o) => o.get('name'))).to.deep.equal(['apple', 'Avocado']);
    });

    it('counts a class that does not exist as 0', async () => {
      expect(await new Parse.Query(uniqueClass('Nothing')).count()).to.equal(0);
      expect(await new Parse.Query(uniqueClass('Nothing')).find()).to.deep.equal([]);
    });
  });

  describe('selecting fields', () => {
    it('select() returns only the chosen fields', async () => {
      const found = await query().select('name', 'n').ascending('n').find();
      expect(found).to.have.length(6);
      const [apple] = found as [SdkObject];
      expect(apple.get('name')).to.equal('apple');
      expect(apple.get('n')).to.equal(1);
      expect(apple.has('tags')).to.equal(false);
      expect(apple.has('category')).to.equal(false);
      expect(apple.has('owner')).to.equal(false);
      expect(apple.id).to.equal(byName.get('apple')!.id);
      expect(apple.createdAt).to.be.instanceOf(Date);
    });

    it('select() on Query#get', async () => {
      const got = await query().select('category').get(byName.get('carrot')!.id!);
      expect(got.get('category')).to.equal('veg');
      expect(got.has('name')).to.equal(false);
    });

    it('exclude() leaves out the chosen fields', async () => {
      const found = await query().exclude('tags', 'note').equalTo('name', 'apple').find();
      expect(found).to.have.length(1);
      const [apple] = found as [SdkObject];
      expect(apple.has('tags')).to.equal(false);
      expect(apple.has('note')).to.equal(false);
      expect(apple.get('name')).to.equal('apple');
      expect(apple.get('category')).to.equal('fruit');
    });
  });

  describe('include', () => {
    it('include() of a pointer returns the pointed-to object', async () => {
      const found = await query().include('owner').ascending('n').find();
      const owners = found.map((o) => {
        const owner: unknown = o.get('owner');
        return owner === undefined ? null : (asParseObject(owner).get('name') as unknown);
      });
      expect(owners).to.deep.equal(['alice', 'bob', 'alice', 'bob', 'carol', null]);
    });

    it('without include, a pointer carries no data', async () => {
      const apple = await query().get(byName.get('apple')!.id!);
      const owner = asParseObject(apple.get('owner'));
      expect(owner.id).to.equal(alice.id);
      expect(owner.isDataAvailable()).to.equal(false);
    });

    it('include() of a nested pointer', async () => {
      const found = await query().include('owner.team').ascending('n').limit(5).find();
      const teams = found.map((o) => {
        const owner = asParseObject(o.get('owner'));
        const team: unknown = owner.get('team');
        return team === undefined ? null : (asParseObject(team).get('name') as unknown);
      });
      expect(teams).to.deep.equal(['red', 'blue', 'red', 'blue', null]);
    });

    it('include() together with select()', async () => {
      const found = await query().select('name', 'owner').include('owner').equalTo('name', 'carrot').find();
      const [carrot] = found as [SdkObject];
      expect(carrot.has('n')).to.equal(false);
      expect(asParseObject(carrot.get('owner')).get('name')).to.equal('carol');
    });

    it('includeAll() includes every pointer field', async () => {
      const got = await query().includeAll().get(byName.get('broccoli')!.id!);
      expect(asParseObject(got.get('owner')).get('name')).to.equal('bob');
    });
  });

  describe('iteration', () => {
    it('each() visits every match across several batches', async () => {
      const seen: string[] = [];
      await query().each(
        (o) => {
          seen.push(String(o.get('name')));
        },
        { batchSize: 2 },
      );
      expect(seen.sort()).to.deep.equal(['Avocado', 'apple', 'banana', 'broccoli', 'carrot', 'cherry']);
    });

    it('eachBatch() hands out batches of the requested size', async () => {
      const sizes: number[] = [];
      const seen = new Set<string>();
      await query()
        .equalTo('category', 'fruit')
        .eachBatch(
          (batch) => {
            sizes.push(batch.length);
            for (const o of batch) seen.add(o.id!);
          },
          { batchSize: 3 },
        );
      expect(sizes).to.deep.equal([3, 1]);
      expect(seen.size).to.equal(4);
    });

    it('findAll() returns every match', async () => {
      const all = await query().findAll({ batchSize: 4 });
      expect(all).to.have.length(6);
    });
  });
});
