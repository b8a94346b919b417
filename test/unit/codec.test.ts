import { expect } from 'chai';
import { Binary } from 'mongodb';
import { classSchema } from '../../lib/schema/class-schema.js';
import { documentToObject, fieldToMongo } from '../../lib/storage/mongo/codec.js';
import { expectOutcome, invalidJson } from './expect-outcome.js';

const DOC = classSchema(
  'Doc',
  {
    owner: { type: 'Pointer', targetClass: '_User' },
    when: { type: 'Date' },
    place: { type: 'GeoPoint' },
    area: { type: 'Polygon' },
    pic: { type: 'File' },
    data: { type: 'Bytes' },
    meta: { type: 'Object' },
    tags: { type: 'Array' },
  },
  undefined,
);
const fileUrl = (name: string) => `https://files.test/${name}`;

const ISO = '2024-05-06T07:08:09.010Z';
const DATE = { __type: 'Date', iso: ISO };
const BYTES = { __type: 'Bytes', base64: 'AQID' };
const binary = () => new Binary(Buffer.from([1, 2, 3]));
const ptr = (objectId: string, className = '_User') => ({ __type: 'Pointer', className, objectId });

/** A top-level REST value of `Doc`, how it is stored, and what reading it back gives. */
const ROUND_TRIPS: {
  name: string;
  input: { field: string; value: unknown };
  expected: { stored: { key: string; value: unknown }; read: unknown };
}[] = [
  {
    name: 'a string',
    input: { field: 'title', value: 'x' },
    expected: { stored: { key: 'title', value: 'x' }, read: 'x' },
  },
  {
    name: 'null',
    input: { field: 'title', value: null },
    expected: { stored: { key: 'title', value: null }, read: null },
  },
  {
    name: 'a pointer',
    input: { field: 'owner', value: ptr('ann') },
    expected: { stored: { key: '_p_owner', value: '_User$ann' }, read: ptr('ann') },
  },
  {
    name: 'a Date',
    input: { field: 'when', value: DATE },
    expected: { stored: { key: 'when', value: new Date(ISO) }, read: DATE },
  },
  {
    name: 'Bytes',
    input: { field: 'data', value: BYTES },
    expected: { stored: { key: 'data', value: binary() }, read: BYTES },
  },
  {
    name: 'a GeoPoint',
    input: { field: 'place', value: { __type: 'GeoPoint', latitude: 10, longitude: -20 } },
    expected: {
      stored: { key: 'place', value: [-20, 10] },
      read: { __type: 'GeoPoint', latitude: 10, longitude: -20 },
    },
  },
  {
    name: 'a Polygon, closed',
    input: {
      field: 'area',
      value: {
        __type: 'Polygon',
        coordinates: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
    },
    expected: {
      stored: {
        key: 'area',
        value: {
          type: 'Polygon',
          coordinates: [
            [
              [2, 1],
              [4, 3],
              [6, 5],
              [2, 1],
            ],
          ],
        },
      },
      read: {
        __type: 'Polygon',
        coordinates: [
          [1, 2],
          [3, 4],
          [5, 6],
          [1, 2],
        ],
      },
    },
  },
  {
    name: 'a closed Polygon',
    input: {
      field: 'area',
      value: {
        __type: 'Polygon',
        coordinates: [
          [1, 2],
          [3, 4],
          [5, 6],
          [1, 2],
        ],
      },
    },
    expected: {
      stored: {
        key: 'area',
        value: {
          type: 'Polygon',
          coordinates: [
            [
              [2, 1],
              [4, 3],
              [6, 5],
              [2, 1],
            ],
          ],
        },
      },
      read: {
        __type: 'Polygon',
        coordinates: [
          [1, 2],
          [3, 4],
          [5, 6],
          [1, 2],
        ],
      },
    },
  },
  {
    name: 'a File',
    input: { field: 'pic', value: { __type: 'File', name: 'a.png', url: 'old' } },
    expected: {
      stored: { key: 'pic', value: 'a.png' },
      read: { __type: 'File', name: 'a.png', url: 'https://files.test/a.png' },
    },
  },
  {
    name: 'an Object with typed values',
    input: {
      field: 'meta',
      value: { at: DATE, raw: BYTES, p: ptr('b'), g: { __type: 'GeoPoint', latitude: 1, longitude: 2 } },
    },
    expected: {
      stored: {
        key: 'meta',
        value: { at: new Date(ISO), raw: binary(), p: ptr('b'), g: { __type: 'GeoPoint', latitude: 1, longitude: 2 } },
      },
      read: { at: DATE, raw: BYTES, p: ptr('b'), g: { __type: 'GeoPoint', latitude: 1, longitude: 2 } },
    },
  },
  {
    name: 'an Array of pointers, trimmed',
    input: { field: 'tags', value: [{ ...ptr('a', 'Tag'), name: 'n' }, 'x'] },
    expected: { stored: { key: 'tags', value: [ptr('a', 'Tag'), 'x'] }, read: [ptr('a', 'Tag'), 'x'] },
  },
  {
    name: 'an Array of Dates',
    input: { field: 'tags', value: [DATE, [DATE]] },
    expected: { stored: { key: 'tags', value: [new Date(ISO), [new Date(ISO)]] }, read: [DATE, [DATE]] },
  },
];

const REFUSED: { name: string; input: { field: string; value: unknown }; expected: string }[] = [
  {
    name: 'a latitude out of range',
    input: { field: 'place', value: { __type: 'GeoPoint', latitude: 91, longitude: 0 } },
    expected: 'GeoPoint needs latitude in [-90, 90] and longitude in [-180, 180]',
  },
  {
    name: 'a longitude not a number',
    input: { field: 'place', value: { __type: 'GeoPoint', latitude: 0, longitude: '1' } },
    expected: 'GeoPoint needs latitude in [-90, 90] and longitude in [-180, 180]',
  },
  {
    name: 'a bad date',
    input: { field: 'when', value: { __type: 'Date', iso: 'nope' } },
    expected: 'invalid date: "nope"',
  },
  {
    name: 'a nested bad date',
    input: { field: 'meta', value: { at: { __type: 'Date', iso: 5 } } },
    expected: 'invalid date: 5',
  },
  {
    name: 'Bytes without base64',
    input: { field: 'data', value: { __type: 'Bytes' } },
    expected: 'Bytes need a base64 string',
  },
  {
    name: 'a Polygon of two points',
    input: {
      field: 'area',
      value: {
        __type: 'Polygon',
        coordinates: [
          [0, 0],
          [1, 1],
        ],
      },
    },
    expected: 'Polygon must have at least 3 coordinates',
  },
  {
    name: 'a Polygon of a bad pair',
    input: { field: 'area', value: { __type: 'Polygon', coordinates: [[0, 0], [1], [1, 1]] } },
    expected: 'Polygon coordinates must be [latitude, longitude] pairs',
  },
];

describe('REST values <-> MongoDB values (lib/storage/mongo/codec.ts)', () => {
  describe('fieldToMongo and documentToObject', () => {
    for (const { name, input, expected } of ROUND_TRIPS) {
      it(`stores and reads back ${name}`, () => {
        const stored = fieldToMongo(input.field, input.value);
        expect(stored).to.deep.equal(expected.stored);
        const read = documentToObject(DOC, { _id: 'd', [stored.key]: stored.value }, fileUrl);
        expect(read).to.deep.equal({ objectId: 'd', [input.field]: expected.read });
      });
    }
    for (const { name, input, expected } of REFUSED) {
      it(`refuses ${name}`, () => expectOutcome(() => fieldToMongo(input.field, input.value), invalidJson(expected)));
    }
  });
});
