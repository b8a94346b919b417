import { expect } from 'chai';
import { assertClassAccess, classAccess, restricted, type ClassOperation } from '../../lib/access/class-access.js';
import { type RequestAuth } from '../../lib/access/request-auth.js';
import { classSchema, type ClassLevelPermissions } from '../../lib/schema/class-schema.js';
import { ANN, ANON, MASTER, userPointer as me } from './auth-fixtures.js';
import { expectOutcome, forbidden, type Outcome } from './expect-outcome.js';

type Json = Record<string, unknown>;

const notForClients = (op: string, collection: string) =>
  forbidden(`Clients aren't allowed to perform the ${op} operation on the ${collection} collection.`);
const denied = (op: string, className: string) =>
  forbidden(`Permission denied for action ${op} on class ${className}.`);

/**
 * System classes with their CLP overridden by `clp` (the default one when absent; `schema: false`:
 * the class has no schema yet). `ok` means access to every object.
 */
const SYSTEM: {
  name: string;
  input: { auth: RequestAuth; className: string; op: ClassOperation; clp?: ClassLevelPermissions; schema?: false };
  expected: Outcome;
}[] = [
  {
    name: '_Session is master-only to find',
    input: { auth: ANN, className: '_Session', op: 'find' },
    expected: notForClients('find', '_Session'),
  },
  {
    name: '_Session is master-only to count',
    input: { auth: ANON, className: '_Session', op: 'count' },
    expected: notForClients('count', '_Session'),
  },
  {
    name: 'a join table is master-only to get',
    input: { auth: ANN, className: '_Join:users:_Role', op: 'get' },
    expected: notForClients('get', '_Join:users:_Role'),
  },
  {
    name: '_GlobalConfig is master-only to find',
    input: { auth: ANN, className: '_GlobalConfig', op: 'find' },
    expected: notForClients('find', '_GlobalConfig'),
  },
  {
    name: '_Session without a schema',
    input: { auth: ANN, className: '_Session', op: 'get', schema: false },
    expected: notForClients('get', '_Session'),
  },
  { name: 'the master key reads _Session', input: { auth: MASTER, className: '_Session', op: 'find' }, expected: 'ok' },
  {
    name: 'master-only reads leave writes to the CLP',
    input: { auth: ANN, className: '_Session', op: 'create' },
    expected: 'ok',
  },
  {
    name: '_Installation cannot be listed',
    input: { auth: ANN, className: '_Installation', op: 'find' },
    expected: notForClients('find', 'installation'),
  },
  {
    name: '_Installation cannot be counted',
    input: { auth: ANON, className: '_Installation', op: 'count' },
    expected: notForClients('count', 'installation'),
  },
  {
    name: '_Installation cannot be deleted',
    input: { auth: ANN, className: '_Installation', op: 'delete' },
    expected: notForClients('delete', 'installation'),
  },
  {
    name: '_Installation without a schema',
    input: { auth: ANN, className: '_Installation', op: 'find', schema: false },
    expected: notForClients('find', 'installation'),
  },
  {
    name: '_Installation can be fetched',
    input: { auth: ANON, className: '_Installation', op: 'get' },
    expected: 'ok',
  },
  {
    name: '_Installation can be updated',
    input: { auth: ANON, className: '_Installation', op: 'update' },
    expected: 'ok',
  },
  {
    name: 'the master key lists _Installation',
    input: { auth: MASTER, className: '_Installation', op: 'find' },
    expected: 'ok',
  },
  {
    name: 'the CLP of _Installation applies',
    input: { auth: ANON, className: '_Installation', op: 'get', clp: { get: {} } },
    expected: denied('get', '_Installation'),
  },
  {
    name: 'the CLP of _User applies',
    input: { auth: ANN, className: '_User', op: 'find', clp: { find: {} } },
    expected: denied('find', '_User'),
  },
  {
    name: 'a class without a schema is open',
    input: { auth: ANON, className: 'Doc', op: 'delete', schema: false },
    expected: 'ok',
  },
];

describe('class-level permissions: system classes (lib/access/class-access.ts)', () => {
  for (const { name, input, expected } of SYSTEM) {
    it(name, () => {
      const schema = input.schema === false ? undefined : classSchema(input.className, {}, input.clp);
      const run = () => expect(classAccess(input.auth, input.className, schema, input.op)).to.equal(null);
      expectOutcome(run, expected);
    });
  }
});

describe('assertClassAccess (lib/access/class-access.ts)', () => {
  const table: { name: string; input: { clp: ClassLevelPermissions; op: ClassOperation }; expected: Outcome }[] = [
    { name: 'passes a grant', input: { clp: { create: { '*': true } }, op: 'create' }, expected: 'ok' },
    {
      name: 'refuses what pointer permissions would only limit',
      input: { clp: { create: { pointerFields: ['owner'] } }, op: 'create' },
      expected: denied('create', 'Doc'),
    },
    {
      name: 'refuses what classAccess refuses',
      input: { clp: { addField: {} }, op: 'addField' },
      expected: denied('addField', 'Doc'),
    },
  ];
  for (const { name, input, expected } of table) {
    it(name, () =>
      expectOutcome(() => assertClassAccess(ANN, 'Doc', classSchema('Doc', {}, input.clp), input.op), expected),
    );
  }
});

describe('restricted (lib/access/class-access.ts)', () => {
  const table: { name: string; input: [Json, Json | null]; expected: Json }[] = [
    { name: 'keeps a where without a restriction', input: [{ a: 1 }, null], expected: { a: 1 } },
    {
      name: 'ands a restriction in',
      input: [{ a: 1 }, { owner: me('ann') }],
      expected: { $and: [{ a: 1 }, { owner: me('ann') }] },
    },
    {
      name: 'ands into an empty where',
      input: [{}, { owner: me('ann') }],
      expected: { $and: [{}, { owner: me('ann') }] },
    },
    {
      name: 'never merges two $or',
      input: [{ $or: [{ a: 1 }] }, { $or: [{ b: 1 }] }],
      expected: { $and: [{ $or: [{ a: 1 }] }, { $or: [{ b: 1 }] }] },
    },
  ];
  for (const { name, input, expected } of table) {
    it(name, () => expect(restricted(...input)).to.deep.equal(expected));
  }

  it('returns the same where when nothing restricts it', () => {
    const where = { a: 1 };
    expect(restricted(where, null)).to.equal(where);
  });
});
