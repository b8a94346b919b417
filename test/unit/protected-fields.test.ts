import { expect } from 'chai';
import {
  fieldProtection,
  ownUserView,
  pointerFieldsRead,
  withDefaultProtectedFields,
  type ServerProtectedFields,
} from '../../lib/access/protected-fields.js';
import { type RequestAuth } from '../../lib/access/request-auth.js';
import { classSchema } from '../../lib/schema/class-schema.js';
import { ANN, ANON, BOB, EVE, MASTER } from './auth-fixtures.js';

type Rules = Record<string, unknown>;

/** The protection for `auth` on `className`, from the server option and the class's CLP `protectedFields`. */
function protection(auth: RequestAuth, clp: Rules = {}, className = 'Doc', server: ServerProtectedFields = {}) {
  const schema = classSchema(className, {}, { protectedFields: clp });
  return fieldProtection(withDefaultProtectedFields(server), className, schema, auth);
}

const HIDDEN: {
  name: string;
  input: { auth: RequestAuth; clp?: Rules; className?: string; server?: ServerProtectedFields };
  expected: string[];
}[] = [
  { name: 'nothing without rules', input: { auth: ANON }, expected: [] },
  { name: 'the * rule from everyone', input: { auth: ANON, clp: { '*': ['a', 'b'] } }, expected: ['a', 'b'] },
  { name: 'the * rule from users', input: { auth: ANN, clp: { '*': ['a', 'b'] } }, expected: ['a', 'b'] },
  {
    name: 'the intersection with authenticated, from users',
    input: { auth: ANN, clp: { '*': ['a', 'b'], authenticated: ['b'] } },
    expected: ['b'],
  },
  {
    name: 'the * rule only, from the public',
    input: { auth: ANON, clp: { '*': ['a', 'b'], authenticated: ['b'] } },
    expected: ['a', 'b'],
  },
  {
    name: 'the authenticated rule alone, from users',
    input: { auth: ANN, clp: { authenticated: ['a'] } },
    expected: ['a'],
  },
  {
    name: 'nothing from the public by authenticated alone',
    input: { auth: ANON, clp: { authenticated: ['a'] } },
    expected: [],
  },
  {
    name: 'what a role reveals, from its members',
    input: { auth: EVE, clp: { '*': ['a', 'b'], 'role:Editors': ['b'] } },
    expected: ['b'],
  },
  {
    name: 'what a role reveals, not from others',
    input: { auth: ANN, clp: { '*': ['a', 'b'], 'role:Editors': [] } },
    expected: ['a', 'b'],
  },
  {
    name: 'a role rule alone, from its members',
    input: { auth: EVE, clp: { 'role:Editors': ['a'] } },
    expected: ['a'],
  },
  { name: 'what a user id reveals, from that user', input: { auth: ANN, clp: { '*': ['a'], ann: [] } }, expected: [] },
  {
    name: 'what a user id reveals, not from others',
    input: { auth: BOB, clp: { '*': ['a'], ann: [] } },
    expected: ['a'],
  },
  {
    name: 'the intersection of every rule that applies',
    input: { auth: EVE, clp: { '*': ['a', 'b', 'c'], authenticated: ['a', 'b'], 'role:Editors': ['b', 'c'] } },
    expected: ['b'],
  },
  { name: 'nothing by userField rules alone', input: { auth: ANN, clp: { 'userField:owner': ['a'] } }, expected: [] },
  { name: 'nothing from the master key', input: { auth: MASTER, clp: { '*': ['a'] } }, expected: [] },
  {
    name: 'the server option and the CLP united',
    input: { auth: ANON, clp: { '*': ['b'] }, server: { Doc: { '*': ['a'] } } },
    expected: ['a', 'b'],
  },
  { name: 'a server rule for another class', input: { auth: ANON, server: { Other: { '*': ['a'] } } }, expected: [] },
  { name: 'email, by default, on _User', input: { auth: ANON, className: '_User' }, expected: ['email'] },
  { name: 'email, by default, from users too', input: { auth: ANN, className: '_User' }, expected: ['email'] },
  {
    name: 'the default and the CLP of _User united',
    input: { auth: ANN, className: '_User', clp: { '*': ['phone'] } },
    expected: ['phone', 'email'],
  },
  {
    name: 'non-array CLP entries ignored',
    input: { auth: ANN, clp: { '*': 'a', authenticated: ['b', 7] } },
    expected: ['b'],
  },
];

describe('protected fields: who sees what (lib/access/protected-fields.ts)', () => {
  describe('fieldProtection hides', () => {
    for (const { name, input, expected } of HIDDEN) {
      it(name, () => {
        const { hidden } = protection(input.auth, input.clp, input.className, input.server);
        expect([...hidden].sort()).to.deep.equal([...expected].sort());
      });
    }
  });

  describe('withDefaultProtectedFields', () => {
    const table: { name: string; input: ServerProtectedFields | undefined; expected: ServerProtectedFields }[] = [
      { name: 'no option: the default', input: undefined, expected: { _User: { '*': ['email'] } } },
      { name: 'an empty option: the default', input: {}, expected: { _User: { '*': ['email'] } } },
      {
        name: 'unites the default into _User *',
        input: { _User: { '*': ['phone'] } },
        expected: { _User: { '*': ['phone', 'email'] } },
      },
      {
        name: 'once each field',
        input: { _User: { '*': ['email', 'email'] } },
        expected: { _User: { '*': ['email'] } },
      },
      {
        name: 'keeps other principals',
        input: { _User: { authenticated: [] } },
        expected: { _User: { authenticated: [], '*': ['email'] } },
      },
      {
        name: 'keeps other classes',
        input: { Doc: { '*': ['a'] } },
        expected: { Doc: { '*': ['a'] }, _User: { '*': ['email'] } },
      },
    ];
    for (const { name, input, expected } of table) {
      it(name, () => expect(withDefaultProtectedFields(input)).to.deep.equal(expected));
    }

    it('leaves the option as it was', () => {
      const option = { _User: { '*': ['phone'] } };
      withDefaultProtectedFields(option);
      expect(option).to.deep.equal({ _User: { '*': ['phone'] } });
    });
  });

  describe('ownUserView and pointerFieldsRead', () => {
    it('shows a user its own object without the password and the session token', () => {
      const me = {
        objectId: 'ann',
        username: 'a',
        email: 'a@x',
        authData: { x: {} },
        password: 'p',
        sessionToken: 't',
      };
      expect(ownUserView(me)).to.deep.equal({ objectId: 'ann', username: 'a', email: 'a@x', authData: { x: {} } });
    });

    const table: { name: string; input: RequestAuth; expected: string[] }[] = [
      { name: 'lists the userField pointers for a user', input: ANN, expected: ['owner', 'readers'] },
      { name: 'lists none for the public', input: ANON, expected: [] },
      { name: 'lists none for the master key', input: MASTER, expected: [] },
    ];
    for (const { name, input, expected } of table) {
      it(name, () => {
        const clp = { '*': ['s'], 'userField:owner': ['s'], 'userField:readers': [] };
        expect(pointerFieldsRead(protection(input, clp))).to.deep.equal(expected);
      });
    }
  });

  it('reads the rules of each loaded schema, never of an earlier one', () => {
    const server = withDefaultProtectedFields({});
    const before = classSchema('Doc', {}, { protectedFields: { '*': ['a'] } });
    const after = classSchema('Doc', {}, { protectedFields: { '*': ['b'] } });
    expect(fieldProtection(server, 'Doc', before, ANON).hidden).to.deep.equal(['a']);
    expect(fieldProtection(server, 'Doc', after, ANON).hidden).to.deep.equal(['b']);
    expect(fieldProtection(server, 'Doc', undefined, ANON).hidden).to.deep.equal([]);
  });
});
