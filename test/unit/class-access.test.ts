import { expect } from 'chai';
import { classAccess, type ClassOperation } from '../../lib/access/class-access.js';
import { type RequestAuth } from '../../lib/access/request-auth.js';
import { classSchema, type ClassLevelPermissions } from '../../lib/schema/class-schema.js';
import { ANN, ANON, BOB, EVE, MASTER, user, userPointer as me } from './auth-fixtures.js';
import { expectOutcome, forbidden, type Refusal } from './expect-outcome.js';

type Json = Record<string, unknown>;

const denied = (op: string) => forbidden(`Permission denied for action ${op} on class Doc.`);

/** `null`: every object; a where: only the objects the pointer permissions reach; or the refusal. */
type Access = null | Json | Refusal;
interface Case {
  name: string;
  /** The stored CLP; undefined: none stored (the default, open CLP). */
  input: { auth: RequestAuth; clp: ClassLevelPermissions | undefined; op: ClassOperation };
  expected: Access;
}

/** Class `Doc` with `clp` stored: operations it leaves out are closed, as parse-server reads it. */
const CLPS: Case[] = [
  { name: 'the default CLP lets the public find', input: { auth: ANON, clp: undefined, op: 'find' }, expected: null },
  {
    name: 'the default CLP lets the public add fields',
    input: { auth: ANON, clp: undefined, op: 'addField' },
    expected: null,
  },
  {
    name: 'an empty rule refuses the public',
    input: { auth: ANON, clp: { find: {} }, op: 'find' },
    expected: denied('find'),
  },
  {
    name: 'an empty rule refuses users',
    input: { auth: ANN, clp: { delete: {} }, op: 'delete' },
    expected: denied('delete'),
  },
  {
    name: 'an empty rule lets the master key in',
    input: { auth: MASTER, clp: { find: {} }, op: 'find' },
    expected: null,
  },
  {
    name: 'the read-only master key reads',
    input: { auth: { ...MASTER, readOnly: true }, clp: { get: {} }, op: 'get' },
    expected: null,
  },
  {
    name: 'a rule for one operation leaves the others',
    input: { auth: ANON, clp: { find: {}, get: { '*': true } }, op: 'get' },
    expected: null,
  },
  {
    // As parse-server reads a stored CLP: an operation it does not name is for the master key only.
    name: 'a stored CLP closes the operations it does not name',
    input: { auth: ANN, clp: { find: { '*': true } }, op: 'get' },
    expected: denied('get'),
  },
  {
    name: '* false is no grant',
    input: { auth: ANN, clp: { get: { '*': false } }, op: 'get' },
    expected: denied('get'),
  },
  {
    name: 'a rule that is not an object grants nothing',
    input: { auth: ANN, clp: { count: true }, op: 'count' },
    expected: denied('count'),
  },
  {
    name: 'requiresAuthentication refuses the public',
    input: { auth: ANON, clp: { find: { requiresAuthentication: true } }, op: 'find' },
    expected: denied('find'),
  },
  {
    name: 'requiresAuthentication lets users in',
    input: { auth: ANN, clp: { find: { requiresAuthentication: true } }, op: 'find' },
    expected: null,
  },
  {
    name: 'a user id lets that user in',
    input: { auth: BOB, clp: { update: { bob: true } }, op: 'update' },
    expected: null,
  },
  {
    name: 'a user id keeps other users out',
    input: { auth: ANN, clp: { update: { bob: true } }, op: 'update' },
    expected: denied('update'),
  },
  {
    name: 'a user id set to false is no grant',
    input: { auth: BOB, clp: { update: { bob: false } }, op: 'update' },
    expected: denied('update'),
  },
  {
    name: 'a role lets its members in',
    input: { auth: EVE, clp: { create: { 'role:Editors': true } }, op: 'create' },
    expected: null,
  },
  {
    name: 'a role keeps other users out',
    input: { auth: ANN, clp: { create: { 'role:Editors': true } }, op: 'create' },
    expected: denied('create'),
  },
  {
    name: 'a role name is not a user id',
    input: { auth: user('Editors'), clp: { create: { 'role:Editors': true } }, op: 'create' },
    expected: denied('create'),
  },
  {
    name: 'a role keeps the public out',
    input: { auth: ANON, clp: { create: { 'role:Editors': true } }, op: 'create' },
    expected: denied('create'),
  },
  {
    name: 'an addField rule',
    input: { auth: ANN, clp: { addField: { 'role:Admins': true } }, op: 'addField' },
    expected: denied('addField'),
  },
  {
    name: 'pointerFields limit get to the user',
    input: { auth: ANN, clp: { get: { pointerFields: ['owner'] } }, op: 'get' },
    expected: { owner: me('ann') },
  },
  {
    name: 'pointerFields keep the public out',
    input: { auth: ANON, clp: { get: { pointerFields: ['owner'] } }, op: 'get' },
    expected: denied('get'),
  },
  {
    name: 'pointerFields do not limit a grant',
    input: { auth: ANN, clp: { find: { '*': true, pointerFields: ['owner'] } }, op: 'find' },
    expected: null,
  },
  {
    name: 'readUserFields limit find, by $or',
    input: { auth: ANN, clp: { find: {}, readUserFields: ['owner', 'readers'] }, op: 'find' },
    expected: { $or: [{ owner: me('ann') }, { readers: me('ann') }] },
  },
  {
    name: 'readUserFields limit count',
    input: { auth: BOB, clp: { count: {}, readUserFields: ['owner'] }, op: 'count' },
    expected: { owner: me('bob') },
  },
  {
    name: 'readUserFields and pointerFields',
    input: { auth: ANN, clp: { get: { pointerFields: ['a'] }, readUserFields: ['b'] }, op: 'get' },
    expected: { $or: [{ a: me('ann') }, { b: me('ann') }] },
  },
  {
    name: 'readUserFields do not open update',
    input: { auth: ANN, clp: { update: {}, readUserFields: ['owner'] }, op: 'update' },
    expected: denied('update'),
  },
  {
    name: 'writeUserFields limit update',
    input: { auth: ANN, clp: { update: {}, writeUserFields: ['owner'] }, op: 'update' },
    expected: { owner: me('ann') },
  },
  {
    name: 'writeUserFields limit delete',
    input: { auth: ANN, clp: { delete: {}, writeUserFields: ['owner'] }, op: 'delete' },
    expected: { owner: me('ann') },
  },
  {
    name: 'writeUserFields do not open create',
    input: { auth: ANN, clp: { create: {}, writeUserFields: ['owner'] }, op: 'create' },
    expected: denied('create'),
  },
  {
    name: 'writeUserFields do not open find',
    input: { auth: ANN, clp: { find: {}, writeUserFields: ['owner'] }, op: 'find' },
    expected: denied('find'),
  },
  {
    name: 'writeUserFields keep the public out',
    input: { auth: ANON, clp: { update: {}, writeUserFields: ['owner'] }, op: 'update' },
    expected: denied('update'),
  },
  {
    name: 'non-string pointer fields are ignored',
    input: { auth: ANN, clp: { find: {}, readUserFields: [1, 'owner'] }, op: 'find' },
    expected: { owner: me('ann') },
  },
  {
    name: 'an unknown CLP key fails closed for users',
    input: { auth: ANN, clp: { ACL: {} }, op: 'get' },
    expected: denied('get'),
  },
  {
    name: 'an unknown CLP key fails closed for the public',
    input: { auth: ANON, clp: { futureRule: { '*': true } }, op: 'create' },
    expected: denied('create'),
  },
  {
    name: 'an unknown CLP key lets the master key in',
    input: { auth: MASTER, clp: { futureRule: {} }, op: 'delete' },
    expected: null,
  },
  {
    name: 'malformed protectedFields fail closed',
    input: { auth: ANN, clp: { protectedFields: { '*': 'email' } }, op: 'find' },
    expected: denied('find'),
  },
  {
    name: 'well-formed protectedFields refuse nothing',
    input: { auth: ANN, clp: { find: { '*': true }, protectedFields: { '*': ['email'] } }, op: 'find' },
    expected: null,
  },
];

describe('class-level permissions: CLPs (lib/access/class-access.ts)', () => {
  for (const { name, input, expected } of CLPS) {
    it(name, () => {
      const schema = classSchema('Doc', { owner: { type: 'Pointer', targetClass: '_User' } }, input.clp);
      const run = () => classAccess(input.auth, 'Doc', schema, input.op);
      if (Array.isArray(expected)) expectOutcome(run, expected as Refusal);
      else expect(run()).to.deep.equal(expected);
    });
  }
});
