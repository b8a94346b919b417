import { expect } from 'chai';
import { BSONRegExp, Binary } from 'mongodb';
import { classSchema } from '../../lib/schema/class-schema.js';
import { textSearchField, whereToFilter, writableBy } from '../../lib/storage/mongo/where-filter.js';
import { expectOutcome, invalidJson } from './expect-outcome.js';

type Json = Record<string, unknown>;

const DOC = classSchema(
  'Doc',
  {
    owner: { type: 'Pointer', targetClass: '_User' },
    tags: { type: 'Array' },
    when: { type: 'Date' },
    place: { type: 'GeoPoint' },
    name: { type: 'String' },
    n: { type: 'Number' },
    pic: { type: 'File' },
    data: { type: 'Bytes' },
    meta: { type: 'Object' },
  },
  undefined,
);
const SESSION = classSchema('_Session', { sessionToken: { type: 'String' } }, undefined);

const ISO = '2024-05-06T07:08:09.010Z';
const DATE = { __type: 'Date', iso: ISO };
const ptr = (objectId: string, className = '_User') => ({ __type: 'Pointer', className, objectId });
const gp = (latitude: number, longitude: number) => ({ __type: 'GeoPoint', latitude, longitude });

/** `where` on `Doc` (or `_Session` when `session`), for the master key unless `readers` are given. */
const TABLE: { name: string; input: { where: Json; readers?: string[]; session?: true }; expected: Json }[] = [
  { name: 'an empty where', input: { where: {} }, expected: {} },
  {
    name: 'an empty where, for readers',
    input: { where: {}, readers: ['*', 'ann'] },
    expected: { _rperm: { $in: [null, '*', 'ann'] } },
  },
  { name: 'equality', input: { where: { name: 'a', n: 1 } }, expected: { name: 'a', n: 1 } },
  { name: 'objectId', input: { where: { objectId: 'x' } }, expected: { _id: 'x' } },
  { name: 'objectId $in', input: { where: { objectId: { $in: ['a', 'b'] } } }, expected: { _id: { $in: ['a', 'b'] } } },
  {
    name: 'comparisons',
    input: { where: { n: { $gt: 1, $lte: 5, $ne: 3, $eq: 2 } } },
    expected: { n: { $gt: 1, $lte: 5, $ne: 3, $eq: 2 } },
  },
  {
    name: 'createdAt as a Date',
    input: { where: { createdAt: { $gte: DATE } } },
    expected: { _created_at: { $gte: new Date(ISO) } },
  },
  {
    name: 'updatedAt as a string',
    input: { where: { updatedAt: { $lt: ISO } } },
    expected: { _updated_at: { $lt: new Date(ISO) } },
  },
  { name: 'updatedAt equality', input: { where: { updatedAt: DATE } }, expected: { _updated_at: new Date(ISO) } },
  {
    name: 'a Date field',
    input: { where: { when: { $lt: DATE, $exists: true } } },
    expected: { when: { $lt: new Date(ISO), $exists: true } },
  },
  { name: 'a pointer', input: { where: { owner: ptr('ann') } }, expected: { _p_owner: '_User$ann' } },
  {
    name: 'a pointer $in',
    input: { where: { owner: { $in: [ptr('a'), ptr('b')] } } },
    expected: { _p_owner: { $in: ['_User$a', '_User$b'] } },
  },
  {
    name: 'a pointer $nin and $ne',
    input: { where: { owner: { $nin: [ptr('a')], $ne: ptr('b') } } },
    expected: { _p_owner: { $nin: ['_User$a'], $ne: '_User$b' } },
  },
  {
    name: 'a pointer $exists',
    input: { where: { owner: { $exists: false } } },
    expected: { _p_owner: { $exists: false } },
  },
  {
    name: 'a pointer to a field not in the schema',
    input: { where: { boss: ptr('x') } },
    expected: { _p_boss: '_User$x' },
  },
  {
    name: 'a pointer in an Array field',
    input: { where: { tags: ptr('x', 'Tag') } },
    expected: { tags: { __type: 'Pointer', className: 'Tag', objectId: 'x' } },
  },
  {
    name: 'pointers $in an Array field',
    input: { where: { tags: { $in: [{ ...ptr('x'), name: 'n' }] } } },
    expected: { tags: { $in: [ptr('x')] } },
  },
  { name: '$all', input: { where: { tags: { $all: ['a', 'b'] } } }, expected: { tags: { $all: ['a', 'b'] } } },
  {
    name: '$all of regex atoms',
    input: { where: { tags: { $all: [{ $regex: '^a' }, { $regex: '^b', $options: 'i' }] } } },
    expected: { tags: { $all: [new BSONRegExp('^a', ''), new BSONRegExp('^b', 'i')] } },
  },
  {
    name: '$containedBy',
    input: { where: { tags: { $containedBy: ['a', 'b'] } } },
    expected: { tags: { $not: { $elemMatch: { $nin: ['a', 'b'] } } } },
  },
  {
    name: '$regex and $options',
    input: { where: { name: { $options: 'i', $regex: '^a' } } },
    expected: { name: { $regex: '^a', $options: 'i' } },
  },
  { name: '$regex alone', input: { where: { name: { $regex: 'a' } } }, expected: { name: { $regex: 'a' } } },
  {
    name: '$nearSphere in kilometers',
    input: { where: { place: { $nearSphere: gp(10, 20), $maxDistanceInKilometers: 6371 } } },
    expected: { place: { $nearSphere: [20, 10], $maxDistance: 1 } },
  },
  {
    name: '$nearSphere in miles',
    input: { where: { place: { $nearSphere: gp(-1, 2), $maxDistanceInMiles: 3958.8 } } },
    expected: { place: { $nearSphere: [2, -1], $maxDistance: 1 } },
  },
  {
    name: '$nearSphere in radians',
    input: { where: { place: { $nearSphere: gp(0, 0), $maxDistanceInRadians: 0.5 } } },
    expected: { place: { $nearSphere: [0, 0], $maxDistance: 0.5 } },
  },
  {
    name: '$within a box',
    input: { where: { place: { $within: { $box: [gp(1, 2), gp(3, 4)] } } } },
    expected: {
      place: {
        $geoWithin: {
          $box: [
            [2, 1],
            [4, 3],
          ],
        },
      },
    },
  },
  {
    name: '$geoWithin GeoPoints',
    input: { where: { place: { $geoWithin: { $polygon: [gp(1, 2), gp(3, 4), gp(5, 6)] } } } },
    expected: {
      place: {
        $geoWithin: {
          $polygon: [
            [2, 1],
            [4, 3],
            [6, 5],
          ],
        },
      },
    },
  },
  {
    name: '$geoWithin pairs, as given',
    input: {
      where: {
        place: {
          $geoWithin: {
            $polygon: [
              [2, 1],
              [4, 3],
              [6, 5],
            ],
          },
        },
      },
    },
    expected: {
      place: {
        $geoWithin: {
          $polygon: [
            [2, 1],
            [4, 3],
            [6, 5],
          ],
        },
      },
    },
  },
  {
    name: '$geoWithin a Polygon',
    input: {
      where: {
        place: {
          $geoWithin: {
            $polygon: {
              __type: 'Polygon',
              coordinates: [
                [1, 2],
                [3, 4],
                [5, 6],
              ],
            },
          },
        },
      },
    },
    expected: {
      place: {
        $geoWithin: {
          $polygon: [
            [2, 1],
            [4, 3],
            [6, 5],
          ],
        },
      },
    },
  },
  {
    name: '$centerSphere',
    input: { where: { place: { $geoWithin: { $centerSphere: [gp(1, 2), 0.1] } } } },
    expected: { place: { $geoWithin: { $centerSphere: [[2, 1], 0.1] } } },
  },
  {
    name: '$geoIntersects',
    input: { where: { area: { $geoIntersects: { $point: gp(1, 2) } } } },
    expected: { area: { $geoIntersects: { $geometry: { type: 'Point', coordinates: [2, 1] } } } },
  },
  {
    name: '$text, at the top',
    input: { where: { name: { $text: { $search: { $term: 'x', $language: 'en', $caseSensitive: false } } } } },
    expected: { $text: { $search: 'x', $language: 'en', $caseSensitive: false } },
  },
  {
    name: '$or, readers at the top only',
    input: { where: { $or: [{ owner: ptr('a') }, { n: 1 }] }, readers: ['*'] },
    expected: { $or: [{ _p_owner: '_User$a' }, { n: 1 }], _rperm: { $in: [null, '*'] } },
  },
  {
    name: '$and and $nor',
    input: { where: { $and: [{ objectId: 'a' }], $nor: [{ createdAt: DATE }] } },
    expected: { $and: [{ _id: 'a' }], $nor: [{ _created_at: new Date(ISO) }] },
  },
  {
    name: 'a linked identity',
    input: { where: { 'authData.facebook.id': '42' } },
    expected: { '_auth_data_facebook.id': '42' },
  },
  {
    name: 'a File by name',
    input: { where: { pic: { __type: 'File', name: 'a.png', url: 'u' } } },
    expected: { pic: 'a.png' },
  },
  {
    name: 'Bytes',
    input: { where: { data: { __type: 'Bytes', base64: 'AQID' } } },
    expected: { data: new Binary(Buffer.from([1, 2, 3])) },
  },
  {
    name: 'an object with a nested Date',
    input: { where: { meta: { at: DATE, n: 1 } } },
    expected: { meta: { at: new Date(ISO), n: 1 } },
  },
  {
    name: 'a dotted path to a Date',
    input: { where: { 'meta.at': { $gt: DATE } } },
    expected: { 'meta.at': { $gt: new Date(ISO) } },
  },
  { name: 'sessionToken of a class', input: { where: { sessionToken: 't' } }, expected: { sessionToken: 't' } },
  {
    name: 'sessionToken of _Session',
    input: { where: { sessionToken: 't' }, session: true },
    expected: { _session_token: 't' },
  },
];

describe('REST where -> MongoDB filter (lib/storage/mongo/where-filter.ts)', () => {
  describe('whereToFilter', () => {
    for (const { name, input, expected } of TABLE) {
      it(`translates ${name}`, () =>
        expect(whereToFilter(input.session ? SESSION : DOC, input.where, input.readers ?? null)).to.deep.equal(
          expected,
        ));
    }

    const refused: { name: string; input: Json }[] = [
      { name: '$inQuery', input: { owner: { $inQuery: { className: 'A' } } } },
      { name: '$select', input: { name: { $select: { query: { className: 'A' }, key: 'b' } } } },
      { name: '$where', input: { name: { $where: 'true' } } },
    ];
    for (const { name, input } of refused) {
      it(`refuses ${name}, which must be resolved before storage`, () =>
        expectOutcome(() => whereToFilter(DOC, input), invalidJson(`bad constraint: ${name}`)));
    }
  });

  describe('writableBy', () => {
    const table: { name: string; input: [Json, string[] | null]; expected: Json }[] = [
      {
        name: 'adds the writers',
        input: [{ _id: 'a' }, ['*', 'ann', 'role:R']],
        expected: { _id: 'a', _wperm: { $in: [null, '*', 'ann', 'role:R'] } },
      },
      {
        name: 'keeps the read condition',
        input: [{ _rperm: { $in: [null, '*'] } }, ['*']],
        expected: { _rperm: { $in: [null, '*'] }, _wperm: { $in: [null, '*'] } },
      },
      { name: 'adds nothing for the master key', input: [{ _id: 'a' }, null], expected: { _id: 'a' } },
    ];
    for (const { name, input, expected } of table) {
      it(name, () => expect(writableBy(...input)).to.deep.equal(expected));
    }
  });

  describe('textSearchField', () => {
    const table: { name: string; input: Json; expected: string | undefined }[] = [
      {
        name: 'names the searched field',
        input: { n: 1, body: { $text: { $search: { $term: 'x' } } } },
        expected: 'body',
      },
      { name: 'is undefined without $text', input: { body: { $regex: 'x' } }, expected: undefined },
    ];
    for (const { name, input, expected } of table) {
      it(name, () => expect(textSearchField(input)).to.equal(expected));
    }
  });
});
