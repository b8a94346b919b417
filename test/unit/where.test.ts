import { expect } from 'chai';
import { BackendError } from '../../lib/errors/backend-error.js';
import { validateWhere } from '../../lib/query/where.js';
import { expectOutcome, invalidJson, invalidKey, invalidQuery, type Outcome } from './expect-outcome.js';

interface Case {
  name: string;
  input: unknown;
  expected: Outcome;
}

const gp = (latitude: number, longitude: number) => ({ __type: 'GeoPoint', latitude, longitude });
const ptr = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
const polygon = (...coordinates: number[][]) => ({ __type: 'Polygon', coordinates });
const text = (search: unknown) => ({ t: { $text: { $search: search } } });
const badSub = (op: string) => invalidQuery(`improper usage of ${op}`);
const RELATIVE_OPS = '$relativeTime can only be used with the $lt, $lte, $gt, and $gte operators';
const NOT_OBJECT = invalidQuery('where must be a JSON object');

const ACCEPTED: Case[] = [
  { name: 'an empty where', input: {}, expected: 'ok' },
  { name: 'equality and the default fields', input: { name: 'a', objectId: 'x', createdAt: 'y' }, expected: 'ok' },
  { name: 'a dotted path with a hyphen inside', input: { 'stats.best-score': { $gt: 1 } }, expected: 'ok' },
  { name: 'the comparisons', input: { n: { $lt: 9, $lte: 9, $gt: 0, $gte: 0, $ne: 5, $eq: 1 } }, expected: 'ok' },
  { name: 'the list operators', input: { t: { $in: [1], $nin: [2], $all: [3], $containedBy: [4] } }, expected: 'ok' },
  { name: '$exists', input: { a: { $exists: false } }, expected: 'ok' },
  { name: '$regex with every allowed option', input: { a: { $regex: '^a.c$', $options: 'imxsu' } }, expected: 'ok' },
  {
    name: '$all of regex atoms',
    input: { a: { $all: [{ $regex: '^a' }, { $regex: '^b', $options: 'i' }] } },
    expected: 'ok',
  },
  { name: 'a pointer', input: { owner: ptr('_User', 'u1') }, expected: 'ok' },
  { name: 'a date', input: { d: { $gt: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' } } }, expected: 'ok' },
  { name: '$relativeTime with $lt', input: { d: { $lt: { $relativeTime: '3 days ago' } } }, expected: 'ok' },
  { name: '$relativeTime with $gte', input: { d: { $gte: { $relativeTime: 'in 1 hr 30 mins' } } }, expected: 'ok' },
  { name: '$relativeTime now', input: { d: { $lte: { $relativeTime: 'now' } } }, expected: 'ok' },
  {
    name: '$nearSphere and a distance',
    input: { g: { $nearSphere: gp(10, 20), $maxDistanceInKilometers: 5 } },
    expected: 'ok',
  },
  { name: '$within a box', input: { g: { $within: { $box: [gp(0, 0), gp(1, 1)] } } }, expected: 'ok' },
  {
    name: '$geoWithin GeoPoints',
    input: { g: { $geoWithin: { $polygon: [gp(0, 0), gp(0, 1), gp(1, 1)] } } },
    expected: 'ok',
  },
  {
    name: '$geoWithin pairs',
    input: {
      g: {
        $geoWithin: {
          $polygon: [
            [0, 0],
            [1, 0],
            [1, 1],
          ],
        },
      },
    },
    expected: 'ok',
  },
  {
    name: '$geoWithin a Polygon',
    input: { g: { $geoWithin: { $polygon: polygon([0, 0], [0, 1], [1, 1]) } } },
    expected: 'ok',
  },
  {
    name: '$geoWithin $centerSphere',
    input: { g: { $geoWithin: { $centerSphere: [gp(0, 0), 0.1] } } },
    expected: 'ok',
  },
  { name: '$geoIntersects', input: { p: { $geoIntersects: { $point: gp(1, 2) } } }, expected: 'ok' },
  { name: '$text', input: text({ $term: 'x', $language: 'en', $caseSensitive: true }), expected: 'ok' },
  { name: '$inQuery', input: { o: { $inQuery: { className: '_User', where: { name: 'a' } } } }, expected: 'ok' },
  { name: '$notInQuery without a where', input: { o: { $notInQuery: { className: 'Other' } } }, expected: 'ok' },
  {
    name: '$select',
    input: { a: { $select: { query: { className: 'Other', where: {} }, key: 'b.c' } } },
    expected: 'ok',
  },
  {
    name: '$dontSelect',
    input: { a: { $dontSelect: { query: { className: 'O' }, key: 'objectId' } } },
    expected: 'ok',
  },
  { name: '$relatedTo', input: { $relatedTo: { object: ptr('Team', 't1'), key: 'members' } }, expected: 'ok' },
  {
    name: '$or, $and and $nor',
    input: { $or: [{ a: 1 }, { b: 2 }], $and: [{ c: 3 }], $nor: [{ d: 4 }] },
    expected: 'ok',
  },
];

const REFUSED: Case[] = [
  { name: 'an array', input: [], expected: NOT_OBJECT },
  { name: 'null', input: null, expected: NOT_OBJECT },
  { name: 'ACL', input: { ACL: { '*': { read: true } } }, expected: invalidQuery('Cannot query on ACL.') },
  { name: 'a path into ACL', input: { 'ACL.*.read': true }, expected: invalidQuery('Cannot query on ACL.') },
  { name: 'a reserved field name', input: { length: 1 }, expected: invalidKey('length') },
  { name: 'a digit first', input: { '1a': 1 }, expected: invalidKey('1a') },
  { name: 'an empty path segment', input: { 'a..b': 1 }, expected: invalidKey('a..b') },
  { name: 'a space in a segment', input: { 'a.b c': 1 }, expected: invalidKey('a.b c') },
  { name: 'a top-level $where', input: { $where: 'true' }, expected: [105, 'Invalid key name: $where'] },
  { name: 'a field $where', input: { a: { $where: 'true' } }, expected: invalidJson('bad constraint: $where') },
  // At the top level a value mixed with operators is read as `$eq` (parse-server's replaceEquality); not below.
  {
    name: 'a field mixed into operators',
    input: { $or: [{ a: { $gt: 1, b: 2 } }] },
    expected: invalidJson('bad constraint: b'),
  },
  { name: 'an operator in an operand', input: { a: { b: { $gt: 1 } } }, expected: invalidJson('bad constraint: $gt') },
  { name: 'an operator in a list', input: { a: { $in: [{ $gt: 1 }] } }, expected: invalidJson('bad constraint: $gt') },
  { name: '$in of a string', input: { a: { $in: 'x' } }, expected: invalidJson('bad $in value') },
  { name: '$nin of an object', input: { a: { $nin: {} } }, expected: invalidJson('bad $nin value') },
  { name: '$all of a number', input: { a: { $all: 1 } }, expected: invalidJson('bad $all value') },
  {
    name: '$containedBy of null',
    input: { a: { $containedBy: null } },
    expected: invalidJson('bad $containedBy: should be an array'),
  },
  { name: '$exists of a string', input: { a: { $exists: 'true' } }, expected: invalidJson('$exists needs a boolean') },
  {
    name: 'an unknown $options flag',
    input: { a: { $regex: 'a', $options: 'g' } },
    expected: invalidQuery('bad $options value: g'),
  },
  {
    name: '$options of a number',
    input: { a: { $regex: 'a', $options: 1 } },
    expected: invalidQuery('bad $options value: 1'),
  },
  { name: 'a broken $regex', input: { a: { $regex: '(' } }, expected: invalidQuery('bad $regex: (') },
  {
    name: '$all of atoms and values',
    input: { a: { $all: [{ $regex: 'a' }, 'b'] } },
    expected: invalidJson('All $all values must be of regex type or none'),
  },
  {
    name: '$all atom with another key',
    input: { a: { $all: [{ $regex: 'a', x: 1 }] } },
    expected: invalidJson('All $all values must be of regex type or none'),
  },
  {
    name: '$all atom with bad options',
    input: { a: { $all: [{ $regex: 'a', $options: 'q' }] } },
    expected: invalidQuery('bad $options value: q'),
  },
  {
    name: '$all atom with a bad $regex',
    input: { a: { $all: [{ $regex: '[' }] } },
    expected: invalidQuery('bad $regex: ['),
  },
  {
    name: '$relativeTime with $ne',
    input: { d: { $ne: { $relativeTime: 'now' } } },
    expected: invalidJson(RELATIVE_OPS),
  },
  {
    name: '$relativeTime with $in',
    input: { d: { $in: { $relativeTime: 'now' } } },
    expected: invalidJson(RELATIVE_OPS),
  },
  {
    name: '$relativeTime neither in nor ago',
    input: { d: { $lt: { $relativeTime: 'soon' } } },
    expected: invalidJson("bad $relativeTime value: it must start with 'in' or end with 'ago'"),
  },
  {
    name: '$relativeTime with an unknown unit',
    input: { d: { $lt: { $relativeTime: 'in 2 fortnights' } } },
    expected: invalidJson("bad $relativeTime value: unknown unit 'fortnights'"),
  },
  {
    name: '$relativeTime of a non-integer',
    input: { d: { $lt: { $relativeTime: 'in 1.5 days' } } },
    expected: invalidJson("bad $relativeTime value: '1.5' is not an integer"),
  },
  {
    name: '$relativeTime of a number',
    input: { d: { $gt: { $relativeTime: 5 } } },
    expected: invalidJson('bad $relativeTime value: must be a short string'),
  },
  {
    name: '$nearSphere out of range',
    input: { g: { $nearSphere: gp(91, 0) } },
    expected: invalidJson('bad $nearSphere value'),
  },
  {
    name: '$nearSphere of a pair',
    input: { g: { $nearSphere: [0, 0] } },
    expected: invalidJson('bad $nearSphere value'),
  },
  {
    name: 'a negative $maxDistance',
    input: { g: { $nearSphere: gp(0, 0), $maxDistance: -1 } },
    expected: invalidJson('bad $maxDistance value'),
  },
  {
    name: 'a string distance',
    input: { g: { $nearSphere: gp(0, 0), $maxDistanceInMiles: '5' } },
    expected: invalidJson('bad $maxDistanceInMiles value'),
  },
  {
    name: 'a box of one point',
    input: { g: { $within: { $box: [gp(0, 0)] } } },
    expected: invalidJson('bad $within value'),
  },
  {
    name: 'a polygon of two points',
    input: { g: { $geoWithin: { $polygon: [gp(0, 0), gp(1, 1)] } } },
    expected: invalidJson('bad $geoWithin value'),
  },
  {
    name: 'a pair out of range',
    input: {
      g: {
        $geoWithin: {
          $polygon: [
            [0, 0],
            [1, 0],
            [181, 1],
          ],
        },
      },
    },
    expected: invalidJson('bad $geoWithin value'),
  },
  {
    name: 'a Polygon of two points',
    input: { g: { $geoWithin: { $polygon: polygon([0, 0], [1, 1]) } } },
    expected: invalidJson('bad $geoWithin value'),
  },
  {
    name: 'a negative radius',
    input: { g: { $geoWithin: { $centerSphere: [gp(0, 0), -1] } } },
    expected: invalidJson('bad $geoWithin value'),
  },
  { name: '$geoWithin of no shape', input: { g: { $geoWithin: {} } }, expected: invalidJson('bad $geoWithin value') },
  {
    name: '$geoIntersects of a pair',
    input: { p: { $geoIntersects: { $point: [0, 0] } } },
    expected: invalidJson('bad $geoIntersects value'),
  },
  {
    name: '$text without $search',
    input: { t: { $text: {} } },
    expected: invalidJson('bad $text: $search, should be object'),
  },
  {
    name: '$text with an empty term',
    input: text({ $term: '' }),
    expected: invalidJson('bad $text: $term, should be string'),
  },
  {
    name: '$text with a string flag',
    input: text({ $term: 'a', $caseSensitive: 'yes' }),
    expected: invalidJson('bad $text: $caseSensitive, should be boolean'),
  },
  {
    name: '$text with an unknown option',
    input: text({ $term: 'a', $foo: 1 }),
    expected: invalidJson('bad $text: unknown option $foo'),
  },
  { name: '$inQuery of a string', input: { o: { $inQuery: 'Other' } }, expected: badSub('$inQuery') },
  { name: '$inQuery without a class', input: { o: { $inQuery: { where: {} } } }, expected: badSub('$inQuery') },
  {
    name: '$inQuery of a bad class name',
    input: { o: { $inQuery: { className: 'Bad-Name' } } },
    expected: [103, 'Invalid class name: Bad-Name'],
  },
  {
    name: 'a sub-query where of a string',
    input: { o: { $inQuery: { className: 'A', where: 'x' } } },
    expected: NOT_OBJECT,
  },
  {
    name: 'ACL in a sub-query',
    input: { o: { $notInQuery: { className: 'A', where: { ACL: 1 } } } },
    expected: invalidQuery('Cannot query on ACL.'),
  },
  {
    name: '$select without a key',
    input: { a: { $select: { query: { className: 'A' } } } },
    expected: badSub('$select'),
  },
  {
    name: '$dontSelect without a query',
    input: { a: { $dontSelect: { className: 'A', key: 'b' } } },
    expected: badSub('$dontSelect'),
  },
  {
    name: '$select of a bad key',
    input: { a: { $select: { query: { className: 'A' }, key: 'a..b' } } },
    expected: invalidKey('a..b'),
  },
  {
    name: '$relatedTo without an objectId',
    input: { $relatedTo: { object: { className: 'A' }, key: 'k' } },
    expected: invalidQuery('$relatedTo needs an object pointer and a key'),
  },
  {
    name: '$relatedTo without a key',
    input: { $relatedTo: { object: ptr('A', 'x') } },
    expected: invalidQuery('$relatedTo needs an object pointer and a key'),
  },
  {
    name: '$relatedTo of a bad class name',
    input: { $relatedTo: { object: ptr('1A', 'x'), key: 'k' } },
    expected: [103, 'Invalid class name: 1A'],
  },
  { name: 'an empty $or', input: { $or: [] }, expected: invalidQuery('$or must be a non-empty array') },
  { name: '$and of an object', input: { $and: { a: 1 } }, expected: invalidQuery('$and must be a non-empty array') },
  { name: '$or of a number', input: { $or: [1] }, expected: NOT_OBJECT },
  { name: 'ACL inside $nor', input: { $nor: [{ ACL: 1 }] }, expected: invalidQuery('Cannot query on ACL.') },
];

describe('where validation: operators and operands (lib/query/where.ts)', () => {
  for (const { name, input, expected } of [...ACCEPTED, ...REFUSED]) {
    it(`${expected === 'ok' ? 'accepts' : 'refuses'} ${name}, for clients and the master key alike`, () => {
      expectOutcome(() => validateWhere(input, false), expected, 'client');
      expectOutcome(() => validateWhere(input, true), expected, 'master');
    });
  }

  // The Parse SDKs quote the text of `contains`, `startsWith` and `endsWith` as PCRE's `\Q...\E`
  // (`query.contains('name', 'a(b')` sends `\Qa(b\E`), and a pattern may open with an inline option:
  // MongoDB and parse-server accept both, so the check must too.
  const PCRE: Case[] = [
    { name: "contains('a(b')", input: { name: { $regex: '\\Qa(b\\E' } }, expected: 'ok' },
    { name: "startsWith('[x')", input: { name: { $regex: '^\\Q[x\\E' } }, expected: 'ok' },
    { name: "endsWith('x)')", input: { name: { $regex: '\\Qx)\\E$', $options: 'i' } }, expected: 'ok' },
    { name: 'an inline option', input: { name: { $regex: '(?i)abc' } }, expected: 'ok' },
  ];
  for (const { name, input, expected } of PCRE) {
    it(`accepts the PCRE pattern of ${name}, as MongoDB does`, () =>
      expectOutcome(() => validateWhere(input, false), expected));
  }

  // parse-server answers 102 "$regex value must be a string" (DatabaseController.validateQuery).
  it('refuses a $regex that is not a string with 102, as parse-server does', () => {
    expect(() => validateWhere({ a: { $regex: 1 } }, false))
      .to.throw(BackendError)
      .with.property('code', 102);
  });
});
