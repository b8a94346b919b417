import { expect } from 'chai';
import { isValidCustomObjectId, newObjectId } from '../../lib/values/object-id.js';
import { applyOperation, isOperation, resolveForCreate } from '../../lib/values/operations.js';

type Json = Record<string, unknown>;

const ptr = (objectId: string) => ({ __type: 'Pointer', className: 'Tag', objectId });

const IS_OPERATION: { name: string; input: unknown; expected: boolean }[] = [
  { name: 'an __op object', input: { __op: 'Delete' }, expected: true },
  { name: 'an __op object with operands', input: { __op: 'Add', objects: [1] }, expected: true },
  { name: 'a non-string __op', input: { __op: 1 }, expected: false },
  { name: 'a typed value', input: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' }, expected: false },
  { name: 'an array with an __op property', input: Object.assign([], { __op: 'Delete' }), expected: false },
  { name: 'null', input: null, expected: false },
  { name: 'a string', input: 'Delete', expected: false },
];

/** `op` applied to the value `current` (undefined: the field is unset). */
const APPLY: { name: string; input: { current: unknown; op: Json }; expected: unknown }[] = [
  {
    name: 'Increment of an unset field',
    input: { current: undefined, op: { __op: 'Increment', amount: 3 } },
    expected: 3,
  },
  { name: 'Increment of a number', input: { current: 2, op: { __op: 'Increment', amount: -5 } }, expected: -3 },
  { name: 'Increment by a fraction', input: { current: 1, op: { __op: 'Increment', amount: 0.5 } }, expected: 1.5 },
  {
    name: 'Add to an unset field',
    input: { current: undefined, op: { __op: 'Add', objects: ['a'] } },
    expected: ['a'],
  },
  {
    name: 'Add, duplicates kept',
    input: { current: ['a'], op: { __op: 'Add', objects: ['a', 'b'] } },
    expected: ['a', 'a', 'b'],
  },
  {
    name: 'AddUnique, duplicates dropped',
    input: { current: ['a'], op: { __op: 'AddUnique', objects: ['a', 'b'] } },
    expected: ['a', 'b'],
  },
  {
    name: 'AddUnique, duplicates among its objects dropped',
    input: { current: undefined, op: { __op: 'AddUnique', objects: [1, 1, 2] } },
    expected: [1, 2],
  },
  {
    name: 'AddUnique of objects, by value',
    input: { current: [{ x: 1 }], op: { __op: 'AddUnique', objects: [{ x: 1 }, { x: 2 }] } },
    expected: [{ x: 1 }, { x: 2 }],
  },
  {
    name: 'AddUnique of pointers, by value',
    input: { current: [ptr('a')], op: { __op: 'AddUnique', objects: [ptr('a'), ptr('b')] } },
    expected: [ptr('a'), ptr('b')],
  },
  {
    name: 'Remove, every copy',
    input: { current: ['a', 'b', 'a'], op: { __op: 'Remove', objects: ['a'] } },
    expected: ['b'],
  },
  {
    name: 'Remove of objects, by value',
    input: { current: [{ x: 1 }, { x: 2 }], op: { __op: 'Remove', objects: [{ x: 1 }] } },
    expected: [{ x: 2 }],
  },
  {
    name: 'Remove of pointers, by value',
    input: { current: [ptr('a'), ptr('b')], op: { __op: 'Remove', objects: [ptr('b')] } },
    expected: [ptr('a')],
  },
  {
    name: 'Remove from an unset field',
    input: { current: undefined, op: { __op: 'Remove', objects: ['a'] } },
    expected: [],
  },
  {
    name: 'Remove of what is not there',
    input: { current: [1, 2], op: { __op: 'Remove', objects: ['1'] } },
    expected: [1, 2],
  },
  { name: 'Delete', input: { current: 'x', op: { __op: 'Delete' } }, expected: undefined },
  {
    name: 'SetOnInsert of an unset field',
    input: { current: undefined, op: { __op: 'SetOnInsert', amount: 'first' } },
    expected: 'first',
  },
  {
    name: 'SetOnInsert of a set field',
    input: { current: 'kept', op: { __op: 'SetOnInsert', amount: 'first' } },
    expected: 'kept',
  },
  {
    name: 'an operation it does not apply',
    input: { current: ['r'], op: { __op: 'AddRelation', objects: [ptr('a')] } },
    expected: ['r'],
  },
];

const CREATE: { name: string; input: Json; expected: Json }[] = [
  {
    name: 'plain values as they are',
    input: { a: 1, b: 'x', c: null, d: [1] },
    expected: { a: 1, b: 'x', c: null, d: [1] },
  },
  { name: 'Increment to its amount', input: { n: { __op: 'Increment', amount: 2 } }, expected: { n: 2 } },
  {
    name: 'Add and AddUnique to their objects',
    input: { a: { __op: 'Add', objects: [1, 1] }, u: { __op: 'AddUnique', objects: [1, 1] } },
    expected: { a: [1, 1], u: [1] },
  },
  { name: 'Remove to an empty list', input: { r: { __op: 'Remove', objects: [1] } }, expected: { r: [] } },
  { name: 'Delete to no field', input: { a: 1, gone: { __op: 'Delete' } }, expected: { a: 1 } },
  {
    name: 'SetOnInsert to its amount',
    input: { s: { __op: 'SetOnInsert', amount: 'first' } },
    expected: { s: 'first' },
  },
  {
    name: 'relation operations to no field (they are applied apart)',
    input: { r: { __op: 'AddRelation', objects: [ptr('a')] } },
    expected: {},
  },
  {
    name: 'typed values as they are',
    input: { p: ptr('a'), d: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' } },
    expected: { p: ptr('a'), d: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' } },
  },
];

const CUSTOM_IDS: { name: string; input: unknown; expected: boolean }[] = [
  { name: 'letters and digits', input: 'abcXYZ0189', expected: true },
  { name: 'hyphens and underscores', input: 'a-b_c', expected: true },
  { name: 'one character', input: 'a', expected: true },
  { name: '64 characters', input: 'x'.repeat(64), expected: true },
  { name: '65 characters', input: 'x'.repeat(65), expected: false },
  { name: 'the empty string', input: '', expected: false },
  { name: 'the public principal', input: '*', expected: false },
  { name: 'a role principal', input: 'role:Admins', expected: false },
  { name: 'a space', input: 'a b', expected: false },
  { name: 'a non-ASCII letter', input: 'é', expected: false },
  { name: 'a path', input: '../x', expected: false },
  { name: 'a number', input: 12, expected: false },
  { name: 'null', input: null, expected: false },
];

describe('field operations (lib/values/operations.ts)', () => {
  describe('isOperation', () => {
    for (const { name, input, expected } of IS_OPERATION) {
      it(`${expected ? 'is' : 'is not'} true of ${name}`, () => expect(isOperation(input)).to.equal(expected));
    }
  });

  describe('applyOperation', () => {
    for (const { name, input, expected } of APPLY) {
      it(`applies ${name}`, () => expect(applyOperation(input.current, input.op)).to.deep.equal(expected));
    }

    it('leaves the current value as it was', () => {
      const current = ['a', 'b'];
      applyOperation(current, { __op: 'Add', objects: ['c'] });
      applyOperation(current, { __op: 'Remove', objects: ['a'] });
      expect(current).to.deep.equal(['a', 'b']);
    });
  });

  describe('resolveForCreate', () => {
    for (const { name, input, expected } of CREATE) {
      it(`resolves ${name}`, () => expect(resolveForCreate(input)).to.deep.equal(expected));
    }
  });
});

describe('object ids (lib/values/object-id.ts)', () => {
  const sizes: { name: string; input: number | undefined; expected: number }[] = [
    { name: 'ten characters by default', input: undefined, expected: 10 },
    { name: 'the size asked for', input: 24, expected: 24 },
    { name: 'one character', input: 1, expected: 1 },
  ];
  for (const { name, input, expected } of sizes) {
    it(`newObjectId makes ${name}, alphanumeric`, () =>
      expect(newObjectId(input)).to.match(new RegExp(`^[A-Za-z0-9]{${expected}}$`)));
  }

  it('newObjectId uses every alphanumeric character and repeats no id', () => {
    const ids = Array.from({ length: 1000 }, () => newObjectId());
    expect(new Set(ids).size).to.equal(1000);
    // 10,000 draws leave each of the 62 characters out with a chance of about e^-161.
    expect(new Set(ids.join('')).size).to.equal(62);
    expect(ids.every((id) => isValidCustomObjectId(id))).to.equal(true);
  });

  for (const { name, input, expected } of CUSTOM_IDS) {
    it(`isValidCustomObjectId ${expected ? 'accepts' : 'refuses'} ${name}`, () =>
      expect(isValidCustomObjectId(input)).to.equal(expected));
  }
});
