import { expect } from 'chai';
import { validateWhere, whereFields, type WhereLimits } from '../../lib/query/where.js';
import { expectOutcome, invalidKey, invalidQuery, type Outcome } from './expect-outcome.js';

type Json = Record<string, unknown>;

const ptr = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
/** `{a: [[...[1]...]]}` with `depth` arrays around the 1. */
function nestedArrays(depth: number): Json {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return { a: value };
}
/** `depth` levels of `$or`, the innermost holding `{a: 1}`. */
function nestedOr(depth: number): Json {
  let where: Json = { a: 1 };
  for (let i = 0; i < depth; i++) where = { $or: [where] };
  return where;
}
/** `{a: {$inQuery: ...}}` sub-queries `depth` deep. */
function nestedInQuery(depth: number): Json {
  let where: Json = { b: 1 };
  for (let i = 0; i < depth; i++) where = { a: { $inQuery: { className: 'Other', where } } };
  return where;
}
const limits = (over: Partial<WhereLimits>): WhereLimits => ({
  queryDepth: 10,
  subqueryDepth: 10,
  allowRegex: true,
  ...over,
});
const depthOf = (n: number) => invalidQuery(`Query condition nesting depth exceeds maximum allowed depth of ${n}`);
const subDepthOf = (n: number) => invalidQuery(`Subquery nesting depth exceeds maximum allowed depth of ${n}`);
const NO_REGEX = invalidQuery('$regex operator is not allowed');
const TOO_DEEP = invalidQuery('query is nested too deeply');
const select = (key: string) => ({ a: { $select: { query: { className: 'A' }, key } } });

/** Internal (`_`) fields: only the master key may query them, and never the ACL columns or the password hash. */
const INTERNAL: { name: string; input: Json; expected: { master: Outcome; client: Outcome } }[] = [
  {
    name: '_email_verify_token',
    input: { _email_verify_token: 't' },
    expected: { master: 'ok', client: invalidKey('_email_verify_token') },
  },
  { name: '_p_owner', input: { _p_owner: '_User$x' }, expected: { master: 'ok', client: invalidKey('_p_owner') } },
  { name: '_rperm', input: { _rperm: 'x' }, expected: { master: invalidKey('_rperm'), client: invalidKey('_rperm') } },
  { name: '_wperm', input: { _wperm: 'x' }, expected: { master: invalidKey('_wperm'), client: invalidKey('_wperm') } },
  { name: '_acl', input: { _acl: 'x' }, expected: { master: invalidKey('_acl'), client: invalidKey('_acl') } },
  {
    name: '_hashed_password',
    input: { _hashed_password: 'x' },
    expected: { master: invalidKey('_hashed_password'), client: invalidKey('_hashed_password') },
  },
  { name: '_1 (not a name)', input: { _1: 'x' }, expected: { master: invalidKey('_1'), client: invalidKey('_1') } },
  {
    name: '_rperm in $or',
    input: { $or: [{ _rperm: 'x' }] },
    expected: { master: invalidKey('_rperm'), client: invalidKey('_rperm') },
  },
  {
    name: 'a $select key',
    input: select('_email_verify_token'),
    expected: { master: 'ok', client: invalidKey('_email_verify_token') },
  },
  {
    name: 'the $select key _acl',
    input: select('_acl'),
    expected: { master: invalidKey('_acl'), client: invalidKey('_acl') },
  },
  {
    name: 'a $relatedTo key',
    input: { $relatedTo: { object: ptr('A', 'x'), key: '_k' } },
    expected: { master: invalidKey('_k'), client: invalidKey('_k') },
  },
  {
    name: 'a sub-query field',
    input: { a: { $inQuery: { className: 'A', where: { _p_b: 'B$x' } } } },
    expected: { master: 'ok', client: invalidKey('_p_b') },
  },
];

/** Limits hold for clients; the master key is exempt from `WhereLimits`, not from the fixed bounds. */
const LIMITED: {
  name: string;
  input: { where: Json; limits: WhereLimits };
  expected: { master: Outcome; client: Outcome };
}[] = [
  {
    name: 'one $or under queryDepth 1',
    input: { where: nestedOr(1), limits: limits({ queryDepth: 1 }) },
    expected: { master: 'ok', client: 'ok' },
  },
  {
    name: 'two $or under queryDepth 1',
    input: { where: nestedOr(2), limits: limits({ queryDepth: 1 }) },
    expected: { master: 'ok', client: depthOf(1) },
  },
  {
    name: '$and under queryDepth 0',
    input: { where: { $and: [{ a: 1 }] }, limits: limits({ queryDepth: 0 }) },
    expected: { master: 'ok', client: depthOf(0) },
  },
  {
    name: '$nor in $or under queryDepth 1',
    input: { where: { $or: [{ $nor: [{ a: 1 }] }] }, limits: limits({ queryDepth: 1 }) },
    expected: { master: 'ok', client: depthOf(1) },
  },
  {
    name: 'one sub-query under subqueryDepth 1',
    input: { where: nestedInQuery(1), limits: limits({ subqueryDepth: 1 }) },
    expected: { master: 'ok', client: 'ok' },
  },
  {
    name: 'two sub-queries under subqueryDepth 1',
    input: { where: nestedInQuery(2), limits: limits({ subqueryDepth: 1 }) },
    expected: { master: 'ok', client: subDepthOf(1) },
  },
  {
    name: '$select under subqueryDepth 0',
    input: { where: select('b'), limits: limits({ subqueryDepth: 0 }) },
    expected: { master: 'ok', client: subDepthOf(0) },
  },
  {
    name: '$regex without allowRegex',
    input: { where: { a: { $regex: 'x' } }, limits: limits({ allowRegex: false }) },
    expected: { master: 'ok', client: NO_REGEX },
  },
  {
    name: '$regex in $or without allowRegex',
    input: { where: { $or: [{ a: { $regex: 'x' } }] }, limits: limits({ allowRegex: false }) },
    expected: { master: 'ok', client: NO_REGEX },
  },
  {
    name: '$all atoms without allowRegex',
    input: { where: { a: { $all: [{ $regex: '^x' }] } }, limits: limits({ allowRegex: false }) },
    expected: { master: 'ok', client: NO_REGEX },
  },
  {
    name: '$regex in a sub-query without allowRegex',
    input: {
      where: { a: { $inQuery: { className: 'A', where: { b: { $regex: 'x' } } } } },
      limits: limits({ allowRegex: false }),
    },
    expected: { master: 'ok', client: NO_REGEX },
  },
  {
    name: 'plain $all without allowRegex',
    input: { where: { a: { $all: ['x'] } }, limits: limits({ allowRegex: false }) },
    expected: { master: 'ok', client: 'ok' },
  },
  {
    name: 'operand values ten deep',
    input: { where: nestedArrays(10), limits: limits({}) },
    expected: { master: 'ok', client: 'ok' },
  },
  {
    name: 'operand values eleven deep',
    input: { where: nestedArrays(11), limits: limits({}) },
    expected: { master: TOO_DEEP, client: TOO_DEEP },
  },
  {
    name: '64 levels of $or without limits',
    input: { where: nestedOr(64), limits: limits({ queryDepth: Infinity }) },
    expected: { master: 'ok', client: 'ok' },
  },
  {
    name: '65 levels of $or without limits',
    input: { where: nestedOr(65), limits: limits({ queryDepth: Infinity }) },
    expected: { master: TOO_DEEP, client: TOO_DEEP },
  },
  {
    name: '65 sub-queries without limits',
    input: { where: nestedInQuery(65), limits: limits({ subqueryDepth: Infinity }) },
    expected: { master: TOO_DEEP, client: TOO_DEEP },
  },
];

describe('where validation: internal fields and limits (lib/query/where.ts)', () => {
  for (const { name, input, expected } of INTERNAL) {
    it(`internal field ${name}: master ${expected.master === 'ok' ? 'may' : 'may not'} query it, clients may not`, () => {
      expectOutcome(() => validateWhere(input, true), expected.master, 'master');
      expectOutcome(() => validateWhere(input, false), expected.client, 'client');
    });
  }

  for (const { name, input, expected } of LIMITED) {
    it(`${name}: client ${expected.client === 'ok' ? 'ok' : 'refused'}, master ${expected.master === 'ok' ? 'ok' : 'refused'}`, () => {
      expectOutcome(() => validateWhere(input.where, false, input.limits), expected.client, 'client');
      expectOutcome(() => validateWhere(input.where, true, input.limits), expected.master, 'master');
    });
  }

  it('returns the where it was given', () => {
    const where = { a: { $gt: 1 } };
    expect(validateWhere(where, false)).to.equal(where);
  });

  // parse-server runs each sub-query as a query of its own, whose `$or` depth counts from 0.
  it('counts queryDepth afresh inside a sub-query, as parse-server does', () => {
    const where = { $or: [{ a: { $inQuery: { className: 'B', where: { $or: [{ b: 1 }] } } } }] };
    expectOutcome(() => validateWhere(where, false, limits({ queryDepth: 1 })), 'ok');
  });
});

describe('whereFields (lib/query/where.ts)', () => {
  const table: { name: string; input: Json; expected: string[] }[] = [
    { name: 'top-level fields', input: { a: 1, b: { $gt: 1 } }, expected: ['a', 'b'] },
    { name: 'fields under $or', input: { $or: [{ a: 1 }, { b: 1 }], c: 1 }, expected: ['a', 'b', 'c'] },
    { name: 'fields under nested $and/$nor', input: { $and: [{ $nor: [{ d: 1 }] }] }, expected: ['d'] },
    { name: 'not into sub-queries', input: { a: { $inQuery: { className: 'X', where: { z: 1 } } } }, expected: ['a'] },
    { name: 'not $relatedTo', input: { $relatedTo: { object: ptr('A', 'x'), key: 'k' } }, expected: [] },
    { name: 'paths as written', input: { 'a.b': 1, c: 1 }, expected: ['a.b', 'c'] },
    { name: 'not a malformed $or', input: { $or: { a: 1 } }, expected: [] },
    { name: 'repeated fields, once each time', input: { a: 1, $or: [{ a: 2 }] }, expected: ['a', 'a'] },
  ];
  for (const { name, input, expected } of table) {
    it(`lists ${name}`, () => expect(whereFields(input)).to.deep.equal(expected));
  }
});
