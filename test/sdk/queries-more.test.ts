/**
 * More of the query language through Parse.Query, beyond queries.test.ts: missing values, dates,
 * arrays, regex modifiers, full-text search, geo ordering, include of arrays and '*', ordering of
 * missing values, map/reduce/filter, relation queries, distinct, aggregate, $relativeTime and the
 * server's answers to bad input. Expected results are worked out by hand from the seeded rows.
 */
import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { asArray, asParseObject, asRecord, expectParseError, uniqueClass, type SdkObject } from './helpers.js';

type Query = InstanceType<ParseSdk['Query']>;

const DAY = 86_400_000;

describe('Parse JS SDK: more queries', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;
  const THING = uniqueClass('Thing');
  const PERSON = uniqueClass('Member');
  const byName = new Map<string, SdkObject>();
  const people = new Map<string, SdkObject>();
  let seededAt: number;

  /**
   * name | n  | when       | tags      | owner | flag  | friends      | due (from now) | bio
   * ant  | 10 | 2020-03-01 | [a, b]    | pia   | true  | [pia, quinn] | -3 days        | two lines
   * bee  | 20 | 2020-09-01 | [b, c]    | quinn | false | []           | -1 day         | -
   * cat  | 30 | 2021-03-01 | [c]       | pia   | -     | [rex]        | +1 day         | -
   * dog  | 40 | 2021-09-01 | []        | -     | true  | -            | +3 days        | -
   * eel  | 50 | 2022-03-01 | [a, b, c] | rex   | false | -            | -              | -
   * Members: pia (age 31), quinn (42), rex (25).
   */
  const ROWS = [
    {
      name: 'ant',
      n: 10,
      when: '2020-03-01T00:00:00.000Z',
      tags: ['a', 'b'],
      owner: 'pia',
      flag: true,
      friends: ['pia', 'quinn'],
      due: -3,
      bio: 'first line\nsecond line',
    },
    {
      name: 'bee',
      n: 20,
      when: '2020-09-01T00:00:00.000Z',
      tags: ['b', 'c'],
      owner: 'quinn',
      flag: false,
      friends: [],
      due: -1,
    },
    { name: 'cat', n: 30, when: '2021-03-01T00:00:00.000Z', tags: ['c'], owner: 'pia', friends: ['rex'], due: 1 },
    { name: 'dog', n: 40, when: '2021-09-01T00:00:00.000Z', tags: [], flag: true, due: 3 },
    { name: 'eel', n: 50, when: '2022-03-01T00:00:00.000Z', tags: ['a', 'b', 'c'], owner: 'rex', flag: false },
  ] as const;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
    for (const [name, age] of [
      ['pia', 31],
      ['quinn', 42],
      ['rex', 25],
    ] as const) {
      const p = new Parse.Object(PERSON);
      p.set({ name, age });
      people.set(name, p);
    }
    await Parse.Object.saveAll([...people.values()]);
    seededAt = Date.now();
    for (const row of ROWS) {
      const thing = new Parse.Object(THING);
      thing.set({ name: row.name, n: row.n, when: new Date(row.when), tags: [...row.tags] });
      if ('owner' in row) thing.set('owner', people.get(row.owner));
      if ('flag' in row) thing.set('flag', row.flag);
      if ('friends' in row)
        thing.set(
          'friends',
          row.friends.map((f) => people.get(f)!),
        );
      if ('due' in row) thing.set('due', new Date(seededAt + row.due * DAY));
      if ('bio' in row) thing.set('bio', row.bio);
      await thing.save();
      byName.set(row.name, thing);
    }
  });
  after(() => backend.close());

  const things = (): Query => new Parse.Query(THING);

  async function names(q: Query): Promise<string[]> {
    return (await q.find()).map((o) => String(o.get('name'))).sort();
  }

  async function namesInOrder(q: Query): Promise<string[]> {
    return (await q.find()).map((o) => String(o.get('name')));
  }

  describe('equality and missing values', () => {
    it('notEqualTo matches objects without the field', async () => {
      expect(await names(things().notEqualTo('flag', true))).to.deep.equal(['bee', 'cat', 'eel']);
      expect(await names(things().notEqualTo('flag', false))).to.deep.equal(['ant', 'cat', 'dog']);
    });

    it('equalTo on a boolean and on a Date', async () => {
      expect(await names(things().equalTo('flag', false))).to.deep.equal(['bee', 'eel']);
      expect(await names(things().equalTo('when', new Date('2021-03-01T00:00:00.000Z')))).to.deep.equal(['cat']);
      expect(await names(things().notEqualTo('when', new Date('2021-03-01T00:00:00.000Z')))).to.deep.equal([
        'ant',
        'bee',
        'dog',
        'eel',
      ]);
    });

    it('exists counts false and empty arrays as present', async () => {
      expect(await names(things().exists('flag'))).to.deep.equal(['ant', 'bee', 'dog', 'eel']);
      expect(await names(things().exists('tags'))).to.deep.equal(['ant', 'bee', 'cat', 'dog', 'eel']);
      expect(await names(things().doesNotExist('friends'))).to.deep.equal(['dog', 'eel']);
    });
  });

  describe('comparisons on dates', () => {
    const date = (iso: string): Date => new Date(iso);

    it('lessThanOrEqualTo and greaterThan include or exclude the boundary', async () => {
      expect(await names(things().lessThanOrEqualTo('when', date('2021-03-01T00:00:00.000Z')))).to.deep.equal([
        'ant',
        'bee',
        'cat',
      ]);
      expect(await names(things().lessThan('when', date('2021-03-01T00:00:00.000Z')))).to.deep.equal(['ant', 'bee']);
      expect(await names(things().greaterThan('when', date('2021-03-01T00:00:00.000Z')))).to.deep.equal(['dog', 'eel']);
      expect(await names(things().greaterThanOrEqualTo('when', date('2021-03-01T00:00:00.000Z')))).to.deep.equal([
        'cat',
        'dog',
        'eel',
      ]);
    });

    it('a date range, and a range that holds nothing', async () => {
      const q = things()
        .greaterThan('when', date('2020-03-01T00:00:00.000Z'))
        .lessThanOrEqualTo('when', date('2021-09-01T00:00:00.000Z'));
      expect(await names(q)).to.deep.equal(['bee', 'cat', 'dog']);
      expect(await things().greaterThan('when', date('2022-03-01T00:00:00.000Z')).count()).to.equal(0);
    });

    it('updatedAt comparisons', async () => {
      const eel = byName.get('eel')!;
      expect(await names(things().greaterThanOrEqualTo('updatedAt', eel.updatedAt!))).to.deep.equal(['eel']);
      expect(
        await things()
          .lessThan('updatedAt', new Date(seededAt - DAY))
          .count(),
      ).to.equal(0);
    });

    it('containedIn and notContainedIn of Dates', async () => {
      const some = [
        date('2020-09-01T00:00:00.000Z'),
        date('2022-03-01T00:00:00.000Z'),
        date('1999-01-01T00:00:00.000Z'),
      ];
      expect(await names(things().containedIn('when', some))).to.deep.equal(['bee', 'eel']);
      expect(await names(things().notContainedIn('when', some))).to.deep.equal(['ant', 'cat', 'dog']);
    });
  });

  describe('arrays', () => {
    it('notContainedIn on an array field: no element in the list', async () => {
      expect(await names(things().notContainedIn('tags', ['a']))).to.deep.equal(['bee', 'cat', 'dog']);
      expect(await names(things().notContainedIn('tags', ['a', 'c']))).to.deep.equal(['dog']);
    });

    it('containedBy on strings: every element in the list (an empty array qualifies)', async () => {
      expect(await names(things().containedBy('tags', ['a', 'b']))).to.deep.equal(['ant', 'dog']);
      expect(await names(things().containedBy('tags', ['a', 'b', 'c']))).to.deep.equal([
        'ant',
        'bee',
        'cat',
        'dog',
        'eel',
      ]);
      expect(await names(things().containedBy('tags', ['z']))).to.deep.equal(['dog']);
    });

    it('containsAll combined with notContainedIn', async () => {
      expect(await names(things().containsAll('tags', ['b']).notContainedIn('tags', ['a']))).to.deep.equal(['bee']);
    });

    it('containsAll, containedIn and notEqualTo on an array of pointers', async () => {
      const pia = people.get('pia')!;
      const quinn = people.get('quinn')!;
      expect(await names(things().containsAll('friends', [pia, quinn]))).to.deep.equal(['ant']);
      expect(await names(things().containsAll('friends', [quinn]))).to.deep.equal(['ant']);
      // Objects without the field match $ne too.
      expect(await names(things().notEqualTo('friends', pia))).to.deep.equal(['bee', 'cat', 'dog', 'eel']);
      expect(await names(things().containedIn('friends', [quinn, people.get('rex')!]))).to.deep.equal(['ant', 'cat']);
    });
  });

  describe('regular expressions', () => {
    it("'m' lets ^ match at a line start", async () => {
      expect(await names(things().matches('bio', '^second', 'm'))).to.deep.equal(['ant']);
      expect(await names(things().matches('bio', '^second'))).to.deep.equal([]);
    });

    it("'s' lets . match a newline", async () => {
      expect(await names(things().matches('bio', 'line.second', 's'))).to.deep.equal(['ant']);
      expect(await names(things().matches('bio', 'line.second'))).to.deep.equal([]);
    });

    it("'x' ignores whitespace and comments in the pattern", async () => {
      expect(await names(things().matches('name', '^ b e e $ # a comment', 'x'))).to.deep.equal(['bee']);
      expect(await names(things().matches('name', ' e e ', 'x'))).to.deep.equal(['bee', 'eel']);
      expect(await names(things().matches('name', 'e e', ''))).to.deep.equal([]);
    });

    it('a RegExp with flags, combined with another constraint', async () => {
      expect(
        await names(
          things()
            .matches('name', /^[A-C]/i)
            .greaterThan('n', 10),
        ),
      ).to.deep.equal(['bee', 'cat']);
    });
  });

  describe('full-text search', () => {
    const ARTICLE = uniqueClass('Article');
    const articles = new Map<string, string>();

    before(async () => {
      const rows: [string, string][] = [
        ['fox', 'The quick brown fox jumps over the lazy dog'],
        ['cake', 'Coffee and cake: a café guide'],
        ['beans', 'The coffee shop sells coffee beans and coffee cups'],
        ['hunt', 'Foxes were hunted here'],
        ['tea', 'Green tea'],
      ];
      for (const [title, body] of rows) {
        const a = new Parse.Object(ARTICLE);
        a.set({ title, body });
        await a.save();
        articles.set(a.id!, title);
      }
    });

    const search = (term: string, options?: Parameters<Query['fullText']>[2]): Query =>
      new Parse.Query(ARTICLE).fullText('body', term, options);
    async function titles(q: Query): Promise<string[]> {
      return (await q.find()).map((o) => String(o.get('title'))).sort();
    }

    it('finds words, with stemming', async () => {
      expect(await titles(search('fox'))).to.deep.equal(['fox', 'hunt']);
      expect(await titles(search('coffee'))).to.deep.equal(['beans', 'cake']);
      expect(await titles(search('tea coffee'))).to.deep.equal(['beans', 'cake', 'tea']);
      expect(await new Parse.Query(ARTICLE).fullText('body', 'nothing').count()).to.equal(0);
    });

    it('caseSensitive', async () => {
      expect(await titles(search('Coffee', { caseSensitive: true }))).to.deep.equal(['cake']);
      expect(await titles(search('coffee', { caseSensitive: true }))).to.deep.equal(['beans']);
      expect(await titles(search('COFFEE', { caseSensitive: false }))).to.deep.equal(['beans', 'cake']);
    });

    it('diacriticSensitive', async () => {
      expect(await titles(search('cafe'))).to.deep.equal(['cake']);
      expect(await titles(search('cafe', { diacriticSensitive: false }))).to.deep.equal(['cake']);
      expect(await titles(search('cafe', { diacriticSensitive: true }))).to.deep.equal([]);
      expect(await titles(search('café', { diacriticSensitive: true }))).to.deep.equal(['cake']);
    });

    it("language: 'none' searches stop words and does not stem", async () => {
      // 'the' is an English stop word: the default language finds nothing for it.
      expect(await titles(search('the'))).to.deep.equal([]);
      expect(await titles(search('the', { language: 'none' }))).to.deep.equal(['beans', 'fox']);
      expect(await titles(search('fox', { language: 'none' }))).to.deep.equal(['fox']);
    });

    it("ascending('$score') orders by relevance and select('$score') returns the score", async () => {
      const found = await search('coffee').ascending('$score').select('$score').find();
      expect(found.map((o) => articles.get(o.id!))).to.deep.equal(['beans', 'cake']);
      const [best, next] = found.map((o) => o.get('score') as unknown);
      expect(best).to.be.a('number');
      expect(next).to.be.a('number');
      expect(best as number).to.be.greaterThan(next as number);
      expect(found[0]!.has('title')).to.equal(false);
    });

    it('sortByTextScore() does the same', async () => {
      const found = await search('coffee').sortByTextScore().find();
      expect(found.map((o) => articles.get(o.id!))).to.deep.equal(['beans', 'cake']);
      expect(found[1]!.get('score')).to.be.a('number');
    });
  });

  describe('geo', () => {
    const PLACE = uniqueClass('Venue');

    before(async () => {
      const rows: [string, number, number, string][] = [
        ['paris', 48.8566, 2.3522, 'fr'],
        ['lyon', 45.764, 4.8357, 'fr'],
        ['london', 51.5074, -0.1278, 'uk'],
        ['berlin', 52.52, 13.405, 'de'],
        ['madrid', 40.4168, -3.7038, 'es'],
      ];
      await Parse.Object.saveAll(
        rows.map(([name, lat, lng, country]) => {
          const p = new Parse.Object(PLACE);
          p.set({ name, country, location: new Parse.GeoPoint(lat, lng) });
          return p;
        }),
      );
    });

    const places = (): Query => new Parse.Query(PLACE);
    // From Brussels: Paris ~264 km, London ~320 km, Lyon ~560 km, Berlin ~650 km, Madrid ~1,315 km.
    const brussels = (): InstanceType<ParseSdk['GeoPoint']> => new Parse.GeoPoint(50.8503, 4.3517);

    it('near() with a limit returns the nearest', async () => {
      expect(await namesInOrder(places().near('location', brussels()).limit(3))).to.deep.equal([
        'paris',
        'london',
        'lyon',
      ]);
    });

    it('near() with another constraint keeps the distance order', async () => {
      expect(await namesInOrder(places().near('location', brussels()).equalTo('country', 'fr'))).to.deep.equal([
        'paris',
        'lyon',
      ]);
      expect(
        await namesInOrder(places().near('location', new Parse.GeoPoint(40, -4)).notEqualTo('country', 'es')),
      ).to.deep.equal(['lyon', 'paris', 'london', 'berlin']);
    });

    it('an explicit order takes precedence over the distance', async () => {
      expect(await namesInOrder(places().near('location', brussels()).ascending('name'))).to.deep.equal([
        'berlin',
        'london',
        'lyon',
        'madrid',
        'paris',
      ]);
    });

    it('withinRadians() sorted returns the nearest first', async () => {
      // 0.1 rad is ~637 km: Berlin (~650 km) and Madrid are out.
      expect(await namesInOrder(places().withinRadians('location', brussels(), 0.1))).to.deep.equal([
        'paris',
        'london',
        'lyon',
      ]);
      expect(await namesInOrder(places().withinKilometers('location', brussels(), 700, true))).to.deep.equal([
        'paris',
        'london',
        'lyon',
        'berlin',
      ]);
    });

    it('withinGeoBox() combined with another constraint', async () => {
      const box = places().withinGeoBox('location', new Parse.GeoPoint(40, -5), new Parse.GeoPoint(50, 5));
      expect(await names(box)).to.deep.equal(['lyon', 'madrid', 'paris']);
      const french = places()
        .withinGeoBox('location', new Parse.GeoPoint(40, -5), new Parse.GeoPoint(50, 5))
        .equalTo('country', 'fr');
      expect(await names(french)).to.deep.equal(['lyon', 'paris']);
    });

    it('polygonContains() finds every polygon holding the point', async () => {
      const ZONE = uniqueClass('Area');
      const zone = (name: string, coordinates: [number, number][]): SdkObject => {
        const z = new Parse.Object(ZONE);
        z.set({ name, area: new Parse.Polygon(coordinates) });
        return z;
      };
      await Parse.Object.saveAll([
        zone('big', [
          [0, 0],
          [0, 20],
          [20, 20],
          [20, 0],
        ]),
        zone('small', [
          [4, 4],
          [4, 6],
          [6, 6],
          [6, 4],
        ]),
        zone('far', [
          [40, 40],
          [40, 50],
          [50, 50],
          [50, 40],
        ]),
      ]);
      const holding = async (lat: number, lng: number): Promise<string[]> =>
        (await new Parse.Query(ZONE).polygonContains('area', new Parse.GeoPoint(lat, lng)).find())
          .map((z) => String(z.get('name')))
          .sort();
      expect(await holding(5, 5)).to.deep.equal(['big', 'small']);
      expect(await holding(15, 15)).to.deep.equal(['big']);
      expect(await holding(30, 30)).to.deep.equal([]);
    });
  });

  describe('include', () => {
    it("include('*') includes every pointer field", async () => {
      const got = await things().include('*').get(byName.get('ant')!.id!);
      expect(asParseObject(got.get('owner')).get('name')).to.equal('pia');
    });

    it('include() of an array of pointers', async () => {
      const got = await things().include('friends').get(byName.get('ant')!.id!);
      const friends = asArray(got.get('friends')).map((f) => asParseObject(f));
      expect(friends.map((f) => [f.get('name'), f.get('age')])).to.deep.equal([
        ['pia', 31],
        ['quinn', 42],
      ]);
    });

    it('without include, an array of pointers carries no data', async () => {
      const got = await things().get(byName.get('ant')!.id!);
      const friends = asArray(got.get('friends')).map((f) => asParseObject(f));
      expect(friends.map((f) => f.id)).to.deep.equal([people.get('pia')!.id, people.get('quinn')!.id]);
      expect(friends.every((f) => !f.isDataAvailable())).to.equal(true);
    });

    it('include() together with a constraint on the pointer', async () => {
      const found = await things().include('owner').equalTo('owner', people.get('pia')!).ascending('n').find();
      expect(found.map((o) => [o.get('name'), asParseObject(o.get('owner')).get('age')])).to.deep.equal([
        ['ant', 31],
        ['cat', 31],
      ]);
    });
  });

  describe('ordering', () => {
    it('missing values sort first ascending and last descending', async () => {
      expect(await namesInOrder(things().ascending('flag').addAscending('n'))).to.deep.equal([
        'cat',
        'bee',
        'eel',
        'ant',
        'dog',
      ]);
      expect(await namesInOrder(things().descending('flag').addDescending('n'))).to.deep.equal([
        'dog',
        'ant',
        'eel',
        'bee',
        'cat',
      ]);
    });

    it('descending on a Date with addAscending as a tie-breaker', async () => {
      expect(await namesInOrder(things().descending('when'))).to.deep.equal(['eel', 'dog', 'cat', 'bee', 'ant']);
      expect(await namesInOrder(things().descending('flag').addAscending('when'))).to.deep.equal([
        'ant',
        'dog',
        'bee',
        'eel',
        'cat',
      ]);
    });

    it('skip and limit after an order', async () => {
      expect(await namesInOrder(things().descending('n').skip(1).limit(2))).to.deep.equal(['dog', 'cat']);
    });
  });

  describe('iteration helpers', () => {
    it('map() maps every match', async () => {
      const mapped = await things()
        .lessThan('n', 40)
        .map((o) => `${String(o.get('name'))}:${String(o.get('n'))}`, { batchSize: 2 });
      expect((mapped as string[]).sort()).to.deep.equal(['ant:10', 'bee:20', 'cat:30']);
    });

    it('reduce() folds every match', async () => {
      const total: unknown = await things().reduce((sum: number, o) => sum + (o.get('n') as number), 0, {
        batchSize: 2,
      });
      expect(total).to.equal(150);
    });

    it('filter() keeps the matches the callback accepts', async () => {
      const kept = await things()
        .greaterThan('n', 10)
        .filter((o) => (o.get('tags') as string[]).includes('c'), { batchSize: 2 });
      expect(kept.map((o) => String(o.get('name'))).sort()).to.deep.equal(['bee', 'cat', 'eel']);
    });
  });

  describe('compound queries', () => {
    it('or() with an order and a limit', async () => {
      const q = Parse.Query.or(things().lessThan('n', 20), things().equalTo('flag', false)).descending('n').limit(2);
      expect(await namesInOrder(q)).to.deep.equal(['eel', 'bee']);
    });

    it('or() of sub-queries on a pointer', async () => {
      const young = new Parse.Query(PERSON).lessThan('age', 30);
      const q = Parse.Query.or(things().matchesQuery('owner', young), things().doesNotExist('owner'));
      expect(await names(q)).to.deep.equal(['dog', 'eel']);
    });

    it('nor() and and() with regexes and arrays', async () => {
      expect(
        await names(Parse.Query.nor(things().containsAll('tags', ['c']), things().matches('name', '^a'))),
      ).to.deep.equal(['dog']);
      expect(
        await names(Parse.Query.and(things().containedIn('tags', ['a']), things().greaterThan('n', 10))),
      ).to.deep.equal(['eel']);
    });

    it('matchesKeyInQuery() and doesNotMatchKeyInQuery() on numbers, with a constrained sub-query', async () => {
      const TARGET = uniqueClass('Target');
      await Parse.Object.saveAll(
        [20, 40, 60].map((v) => {
          const t = new Parse.Object(TARGET);
          t.set('v', v);
          return t;
        }),
      );
      const targets = (): Query => new Parse.Query(TARGET);
      expect(await names(things().matchesKeyInQuery('n', 'v', targets()))).to.deep.equal(['bee', 'dog']);
      expect(await names(things().doesNotMatchKeyInQuery('n', 'v', targets()))).to.deep.equal(['ant', 'cat', 'eel']);
      expect(await names(things().matchesKeyInQuery('n', 'v', targets().greaterThan('v', 30)))).to.deep.equal(['dog']);
    });
  });

  describe('relation.query()', () => {
    it('queries the related objects with further constraints', async () => {
      const CLUB = uniqueClass('Club');
      const club = new Parse.Object(CLUB);
      club.set('name', 'club');
      club.relation('items').add(['ant', 'cat', 'eel'].map((n) => byName.get(n)!));
      await club.save();
      const related = club.relation('items').query();
      expect(await names(related)).to.deep.equal(['ant', 'cat', 'eel']);
      expect(await namesInOrder(club.relation('items').query().greaterThan('n', 10).descending('n'))).to.deep.equal([
        'eel',
        'cat',
      ]);
      expect(await club.relation('items').query().containsAll('tags', ['a']).count()).to.equal(2);
      expect(await names(club.relation('items').query().matches('name', '^[ab]'))).to.deep.equal(['ant']);
    });
  });

  describe('distinct and aggregate', () => {
    it('distinct() returns the distinct values of a field', async () => {
      expect(((await things().distinct('n')) as number[]).sort((a, b) => a - b)).to.deep.equal([10, 20, 30, 40, 50]);
      expect(((await things().greaterThan('n', 30).distinct('n')) as number[]).sort((a, b) => a - b)).to.deep.equal([
        40, 50,
      ]);
      expect((await things().distinct('flag')).sort()).to.deep.equal([false, true]);
    });

    it('distinct() unwinds arrays and honours the query', async () => {
      expect(((await things().distinct('tags')) as string[]).sort()).to.deep.equal(['a', 'b', 'c']);
      expect(((await things().lessThan('n', 30).distinct('tags')) as string[]).sort()).to.deep.equal(['a', 'b', 'c']);
      expect(((await things().equalTo('name', 'cat').distinct('tags')) as string[]).sort()).to.deep.equal(['c']);
    });

    it('distinct() of a pointer field returns pointers', async () => {
      const owners = (await things().distinct('owner')).map((p) => asRecord(p));
      const ids = owners.map((p) => p.objectId as string).sort();
      expect(ids).to.deep.equal(['pia', 'quinn', 'rex'].map((n) => people.get(n)!.id!).sort());
      expect(owners.every((p) => p.__type === 'Pointer' && p.className === PERSON)).to.equal(true);
    });

    it('aggregate() groups, with the $match the query adds', async () => {
      const grouped = (await things().aggregate(
        [{ $group: { _id: '$flag', total: { $sum: '$n' }, count: { $sum: 1 } } }],
        { useMasterKey: true },
      )) as unknown[];
      const rows = grouped.map((r) => asRecord(r)).sort((a, b) => String(a.objectId).localeCompare(String(b.objectId)));
      // cat has no flag: its group is null.
      expect(rows).to.deep.equal([
        { objectId: false, total: 70, count: 2 },
        { objectId: null, total: 30, count: 1 },
        { objectId: true, total: 50, count: 2 },
      ]);
      const matched = (await things()
        .greaterThan('n', 20)
        .aggregate([{ $group: { _id: null, total: { $sum: '$n' } } }], { useMasterKey: true })) as unknown[];
      expect(matched).to.deep.equal([{ objectId: null, total: 120 }]);
    });

    it('aggregate() $match takes a Date and a pointer id as the SDK sends them (JSON dates, bare ids)', async () => {
      const tomorrow = new Date(Date.now() + 86_400_000);
      const created = (await things().aggregate([{ $match: { createdAt: { $lt: tomorrow } } }, { $count: 'n' }], {
        useMasterKey: true,
      })) as unknown[];
      expect(created).to.deep.equal([{ n: 5 }]);
      const pia = people.get('pia')!.id!;
      const owned = (await things().aggregate([{ $match: { owner: pia } }, { $project: { name: 1 } }], {
        useMasterKey: true,
      })) as unknown[];
      const names = owned.map((r) => asRecord(r).name);
      expect(names.length).to.be.greaterThan(0);
      const direct = await things().equalTo('owner', people.get('pia')!).find();
      expect(names.sort()).to.deep.equal(direct.map((o) => o.get('name')).sort());
    });

    it('aggregate() with $match, $sort, $project and $limit stages', async () => {
      const pipeline = [
        { $match: { n: { $gte: 20 } } },
        { $sort: { n: -1 } },
        { $project: { name: 1, double: { $multiply: ['$n', 2] } } },
        { $limit: 2 },
      ];
      const results = ((await things().aggregate(pipeline, { useMasterKey: true })) as unknown[]).map((r) =>
        asRecord(r),
      );
      expect(results.map((r) => [r.name, r.double])).to.deep.equal([
        ['eel', 100],
        ['dog', 80],
      ]);
      expect(results.map((r) => r.objectId)).to.deep.equal([byName.get('eel')!.id, byName.get('dog')!.id]);
    });

    it('aggregate() groups by the year of a Date field', async () => {
      const pipeline = [{ $group: { _id: { $year: '$when' }, count: { $sum: 1 } } }, { $sort: { _id: 1 } }];
      expect(await things().aggregate(pipeline, { useMasterKey: true })).to.deep.equal([
        { objectId: 2020, count: 2 },
        { objectId: 2021, count: 2 },
        { objectId: 2022, count: 1 },
      ]);
    });

    it('distinct and aggregate need the master key', async () => {
      const distinct = await backend.http.get(`/parse/aggregate/${THING}`).set(appHeaders).query({ distinct: 'n' });
      expect(distinct.status).to.equal(403);
      expect(distinct.body).to.deep.equal({ error: 'unauthorized: master key is required' });
      const pipeline = await backend.http
        .get(`/parse/aggregate/${THING}`)
        .set(appHeaders)
        .query({ pipeline: JSON.stringify([{ $count: 'c' }]) });
      expect(pipeline.status).to.equal(403);
      const withMaster = await backend.http
        .get(`/parse/aggregate/${THING}`)
        .set(masterHeaders)
        .query({ pipeline: JSON.stringify([{ $count: 'c' }]) });
      expect(withMaster.status).to.equal(200);
      expect(withMaster.body).to.deep.equal({ results: [{ c: 5 }] });
    });
  });

  describe('$relativeTime', () => {
    // The SDK has no lessThanRelativeTime(); it sends a {$relativeTime} operand as given.
    const relative = (text: string): Date => ({ $relativeTime: text }) as unknown as Date;

    it('compares a date field with a time relative to now', async () => {
      expect(await names(things().lessThan('due', relative('2 days ago')))).to.deep.equal(['ant']);
      expect(await names(things().lessThan('due', relative('now')))).to.deep.equal(['ant', 'bee']);
      expect(await names(things().greaterThan('due', relative('in 2 days')))).to.deep.equal(['dog']);
      expect(
        await names(
          things()
            .greaterThanOrEqualTo('due', relative('12 hours ago'))
            .lessThanOrEqualTo('due', relative('in 1 day 12 hours')),
        ),
      ).to.deep.equal(['cat']);
    });

    it('an unreadable relative time is refused with 107', async () => {
      await expectParseError(things().lessThan('due', relative('sometime soon')).find(), Parse.Error.INVALID_JSON);
    });
  });

  describe('bad input', () => {
    it('an invalid regular expression is refused with 102', async () => {
      await expectParseError(things().matches('name', '(unclosed').find(), Parse.Error.INVALID_QUERY);
      await expectParseError(things().matches('name', '[z-a]').find(), Parse.Error.INVALID_QUERY);
    });

    it('a query on a field of another type matches nothing, as in parse-server', async () => {
      expect(await names(things().equalTo('n', '10'))).to.deep.equal([]);
      expect(await names(things().lessThan('name', 100))).to.deep.equal([]);
      expect(await names(things().greaterThan('when', 0))).to.deep.equal([]);
      expect(await names(things().matches('n', '1'))).to.deep.equal([]);
      expect(await names(things().containedIn('flag', ['true', 1]))).to.deep.equal([]);
      // The same constraints with the right types do match.
      expect(await names(things().equalTo('n', 10))).to.deep.equal(['ant']);
      expect(await names(things().lessThan('name', 'b'))).to.deep.equal(['ant']);
      expect(await names(things().greaterThan('when', new Date(0)))).to.deep.equal(['ant', 'bee', 'cat', 'dog', 'eel']);
      expect(await names(things().matches('name', '^e'))).to.deep.equal(['eel']);
      expect(await names(things().containedIn('flag', [true]))).to.deep.equal(['ant', 'dog']);
    });

    it('a query nested too deeply is refused with 102', async () => {
      const nested = (levels: number): Query => {
        let q = things().equalTo('name', 'ant');
        for (let i = 0; i < levels; i++) q = Parse.Query.or(q);
        return q;
      };
      expect(await names(nested(10))).to.deep.equal(['ant']);
      await expectParseError(nested(11).find(), Parse.Error.INVALID_QUERY);
      await expectParseError(nested(30).count(), Parse.Error.INVALID_QUERY);
    });
  });
});
