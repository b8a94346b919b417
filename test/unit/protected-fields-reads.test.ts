import { expect } from 'chai';
import {
  assertQueryable,
  fieldProtection,
  visibleTo,
  withDefaultProtectedFields,
  type ServerProtectedFields,
} from '../../lib/access/protected-fields.js';
import { type RequestAuth } from '../../lib/access/request-auth.js';
import { classSchema } from '../../lib/schema/class-schema.js';
import { ANN, ANON, BOB, MASTER, userPointer as ptr } from './auth-fixtures.js';
import { expectOutcome, forbidden, type Outcome } from './expect-outcome.js';

type Json = Record<string, unknown>;
type Rules = Record<string, unknown>;

/** The protection for `auth` on `className`, from the server option and the class's CLP `protectedFields`. */
function protection(auth: RequestAuth, clp: Rules = {}, className = 'Doc', server: ServerProtectedFields = {}) {
  const schema = classSchema(className, {}, { protectedFields: clp });
  return fieldProtection(withDefaultProtectedFields(server), className, schema, auth);
}
const notQueryable = (field: string, className = 'Doc') =>
  forbidden(`This user is not allowed to query ${field} on class ${className}`);

const VISIBLE: {
  name: string;
  input: { auth: RequestAuth; clp?: Rules; className?: string; object: Json };
  expected: Json;
}[] = [
  {
    name: 'the public, without * fields',
    input: { auth: ANON, clp: { '*': ['secret'] }, object: { objectId: 'd', secret: 1, open: 2 } },
    expected: { objectId: 'd', open: 2 },
  },
  {
    name: 'the master key, everything',
    input: { auth: MASTER, clp: { '*': ['secret'] }, object: { objectId: 'd', secret: 1 } },
    expected: { objectId: 'd', secret: 1 },
  },
  {
    name: 'the owner, what its userField rule reveals',
    input: { auth: ANN, clp: { '*': ['s', 't'], 'userField:owner': ['s'] }, object: { owner: ptr('ann'), s: 1, t: 2 } },
    expected: { owner: ptr('ann'), t: 2 },
  },
  {
    name: 'another user, not that',
    input: { auth: BOB, clp: { '*': ['s', 't'], 'userField:owner': ['s'] }, object: { owner: ptr('ann'), s: 1, t: 2 } },
    expected: { owner: ptr('ann') },
  },
  {
    name: 'a user in an array of pointers',
    input: {
      auth: ANN,
      clp: { '*': ['s', 't'], 'userField:readers': [] },
      object: { readers: [ptr('bob'), ptr('ann')], s: 1, t: 2 },
    },
    expected: { readers: [ptr('bob'), ptr('ann')], s: 1, t: 2 },
  },
  {
    name: 'the public, not a userField rule',
    input: { auth: ANON, clp: { '*': ['s'], 'userField:owner': [] }, object: { owner: ptr('ann'), s: 1 } },
    expected: { owner: ptr('ann') },
  },
  {
    name: 'two matching userField rules intersected',
    input: {
      auth: ANN,
      clp: { '*': ['s', 't', 'u'], 'userField:a': ['s', 't'], 'userField:b': ['t', 'u'] },
      object: { a: ptr('ann'), b: ptr('ann'), s: 1, t: 2, u: 3 },
    },
    expected: { a: ptr('ann'), b: ptr('ann'), s: 1, u: 3 },
  },
  {
    name: 'another user, no email or authData',
    input: { auth: ANN, className: '_User', object: { objectId: 'bob', username: 'b', email: 'b@x', authData: {} } },
    expected: { objectId: 'bob', username: 'b' },
  },
  {
    name: 'the public, no email or authData',
    input: { auth: ANON, className: '_User', object: { objectId: 'bob', email: 'b@x', authData: {} } },
    expected: { objectId: 'bob' },
  },
  {
    name: 'a user, all of its own _User but secrets',
    input: {
      auth: ANN,
      className: '_User',
      clp: { '*': ['phone'] },
      object: { objectId: 'ann', email: 'a@x', phone: '1', authData: {}, password: 'p', sessionToken: 'r:t' },
    },
    expected: { objectId: 'ann', email: 'a@x', phone: '1', authData: {} },
  },
  {
    name: 'the master key, _User without secrets',
    input: {
      auth: MASTER,
      className: '_User',
      object: { objectId: 'bob', email: 'b@x', authData: {}, password: 'p', sessionToken: 'r:t' },
    },
    expected: { objectId: 'bob', email: 'b@x', authData: {} },
  },
  {
    name: 'the master key, no session token',
    input: { auth: MASTER, className: '_Session', object: { objectId: 's', sessionToken: 'r:t', user: ptr('ann') } },
    expected: { objectId: 's', user: ptr('ann') },
  },
  {
    name: 'a user, a password field of another class',
    input: { auth: ANN, object: { password: 'x', sessionToken: 'y' } },
    expected: { password: 'x', sessionToken: 'y' },
  },
];

const QUERYABLE: {
  name: string;
  input: { auth: RequestAuth; clp?: Rules; className?: string; fields: string[] };
  expected: Outcome;
}[] = [
  {
    name: 'open fields',
    input: { auth: ANON, clp: { '*': ['secret'] }, fields: ['open', 'objectId'] },
    expected: 'ok',
  },
  {
    name: 'a hidden field',
    input: { auth: ANON, clp: { '*': ['secret'] }, fields: ['open', 'secret'] },
    expected: notQueryable('secret'),
  },
  {
    name: 'a path into a hidden field',
    input: { auth: ANON, clp: { '*': ['secret'] }, fields: ['secret.inner'] },
    expected: notQueryable('secret'),
  },
  {
    name: 'a descending sort on a hidden field',
    input: { auth: ANN, clp: { '*': ['secret'] }, fields: ['-secret'] },
    expected: notQueryable('secret'),
  },
  {
    name: 'a field a rule reveals',
    input: { auth: ANN, clp: { '*': ['secret'], ann: [] }, fields: ['secret'] },
    expected: 'ok',
  },
  {
    name: 'a field hidden only by userField rules',
    input: { auth: ANN, clp: { 'userField:owner': ['secret'] }, fields: ['secret'] },
    expected: 'ok',
  },
  {
    name: 'a hidden field, by the master key',
    input: { auth: MASTER, clp: { '*': ['secret'] }, fields: ['secret'] },
    expected: 'ok',
  },
  {
    name: '_User email',
    input: { auth: ANN, className: '_User', fields: ['email'] },
    expected: notQueryable('email', '_User'),
  },
  {
    name: '_User authData',
    input: { auth: ANN, className: '_User', fields: ['authData.facebook.id'] },
    expected: notQueryable('authData', '_User'),
  },
  {
    name: '_User password',
    input: { auth: ANON, className: '_User', fields: ['password'] },
    expected: notQueryable('password', '_User'),
  },
  {
    name: '_User sessionToken',
    input: { auth: ANN, className: '_User', fields: ['sessionToken'] },
    expected: notQueryable('sessionToken', '_User'),
  },
  { name: '_User username', input: { auth: ANON, className: '_User', fields: ['username'] }, expected: 'ok' },
  {
    name: '_User email, by the master key',
    input: { auth: MASTER, className: '_User', fields: ['email', 'authData'] },
    expected: 'ok',
  },
  { name: 'authData of another class', input: { auth: ANN, fields: ['authData', 'password'] }, expected: 'ok' },
];
describe('protected fields: reads and queries (lib/access/protected-fields.ts)', () => {
  describe('visibleTo shows', () => {
    for (const { name, input, expected } of VISIBLE) {
      it(name, () =>
        expect(visibleTo(protection(input.auth, input.clp, input.className), input.object)).to.deep.equal(expected),
      );
    }

    it('returns the object itself when nothing is hidden, and a copy otherwise', () => {
      const object = { objectId: 'd', secret: 1 };
      expect(visibleTo(protection(ANON), object)).to.equal(object);
      expect(visibleTo(protection(ANON, { '*': ['secret'] }), object)).to.not.equal(object);
      expect(object).to.deep.equal({ objectId: 'd', secret: 1 });
    });
  });

  describe('assertQueryable', () => {
    for (const { name, input, expected } of QUERYABLE) {
      it(`${expected === 'ok' ? 'allows' : 'refuses'} ${name}`, () =>
        expectOutcome(
          () => assertQueryable(protection(input.auth, input.clp, input.className), input.fields),
          expected,
        ));
    }
  });
});
