import { expect } from 'chai';
import { Binary } from 'mongodb';
import { classSchema } from '../../lib/schema/class-schema.js';
import {
  aclToMongo,
  documentToObject,
  interiorFromMongo,
  interiorToMongo,
  pointerFromStored,
  storedKey,
} from '../../lib/storage/mongo/codec.js';

type Json = Record<string, unknown>;

const DOC = classSchema(
  'Doc',
  { owner: { type: 'Pointer', targetClass: '_User' }, data: { type: 'Bytes' } },
  undefined,
);
const TEAM = classSchema('Team', { members: { type: 'Relation', targetClass: '_User' } }, undefined);
const USER = classSchema('_User', { username: { type: 'String' } }, undefined);
const SCHEMAS = { Doc: DOC, Team: TEAM, _User: USER };
const fileUrl = (name: string) => `https://files.test/${name}`;

const ISO = '2024-05-06T07:08:09.010Z';
const DATE = { __type: 'Date', iso: ISO };
const BYTES = { __type: 'Bytes', base64: 'AQID' };
const binary = () => new Binary(Buffer.from([1, 2, 3]));
const ptr = (objectId: string, className = '_User') => ({ __type: 'Pointer', className, objectId });

/** Stored documents of `Doc` (or the named class) read back as REST objects. */
const DOCUMENTS: { name: string; input: { doc: Json; className?: keyof typeof SCHEMAS }; expected: Json }[] = [
  {
    name: 'the default fields',
    input: { doc: { _id: 'd', _created_at: new Date(ISO), _updated_at: new Date(ISO) } },
    expected: { objectId: 'd', createdAt: ISO, updatedAt: ISO },
  },
  {
    name: 'a legacy string date, as stored',
    input: { doc: { _id: 'd', _created_at: ISO } },
    expected: { objectId: 'd', createdAt: ISO },
  },
  {
    name: 'the ACL from _rperm and _wperm',
    input: { doc: { _id: 'd', _rperm: ['*', 'ann'], _wperm: ['ann'], _acl: { x: {} } } },
    expected: { objectId: 'd', ACL: { '*': { read: true }, ann: { read: true, write: true } } },
  },
  {
    name: 'an empty ACL: master only',
    input: { doc: { _id: 'd', _rperm: [], _wperm: [] } },
    expected: { objectId: 'd', ACL: {} },
  },
  {
    name: 'a write-only principal',
    input: { doc: { _id: 'd', _wperm: ['role:Admins'] } },
    expected: { objectId: 'd', ACL: { 'role:Admins': { write: true } } },
  },
  {
    name: 'no ACL when neither is stored',
    input: { doc: { _id: 'd', _acl: { '*': { r: true } } } },
    expected: { objectId: 'd' },
  },
  {
    name: 'internal fields dropped',
    input: { doc: { _id: 'd', _hashed_password: 'h', _email_verify_token: 't', _p_owner: null } },
    expected: { objectId: 'd' },
  },
  { name: 'Bytes stored as base64', input: { doc: { data: 'AQID' } }, expected: { data: BYTES } },
  {
    name: 'a relation, always',
    input: { doc: { _id: 't' }, className: 'Team' },
    expected: { objectId: 't', members: { __type: 'Relation', className: '_User' } },
  },
  {
    name: 'linked identities as authData',
    input: { doc: { _id: 'u', _auth_data_facebook: { id: '1' }, _auth_data_gone: null }, className: '_User' },
    expected: { objectId: 'u', authData: { facebook: { id: '1' } } },
  },
  {
    name: 'a plain authData of _User ignored',
    input: { doc: { _id: 'u', authData: { fake: { id: '1' } } }, className: '_User' },
    expected: { objectId: 'u' },
  },
  {
    name: 'a plain authData of a class kept',
    input: { doc: { _id: 'd', authData: { a: 1 }, _auth_data_x: { id: '1' } } },
    expected: { objectId: 'd', authData: { a: 1 } },
  },
];

describe('MongoDB documents -> REST objects (lib/storage/mongo/codec.ts)', () => {
  describe('documentToObject', () => {
    for (const { name, input, expected } of DOCUMENTS) {
      it(`reads ${name}`, () =>
        expect(documentToObject(SCHEMAS[input.className ?? 'Doc'], input.doc, fileUrl)).to.deep.equal(expected));
    }
  });

  describe('aclToMongo', () => {
    const table: { name: string; input: Json; expected: Json }[] = [
      {
        name: 'public read, owner write',
        input: { '*': { read: true }, ann: { read: true, write: true } },
        expected: { _rperm: ['*', 'ann'], _wperm: ['ann'], _acl: { '*': { r: true }, ann: { r: true, w: true } } },
      },
      {
        name: 'a role that writes',
        input: { 'role:Admins': { write: true } },
        expected: { _rperm: [], _wperm: ['role:Admins'], _acl: { 'role:Admins': { w: true } } },
      },
      {
        name: 'false flags dropped',
        input: { bob: { read: false, write: false } },
        expected: { _rperm: [], _wperm: [], _acl: {} },
      },
      { name: 'an empty ACL', input: {}, expected: { _rperm: [], _wperm: [], _acl: {} } },
    ];
    for (const { name, input, expected } of table) {
      it(`stores ${name}`, () => expect(aclToMongo(input)).to.deep.equal(expected));
    }

    it('reads back the ACL it stores', () => {
      const acl = { '*': { read: true }, ann: { read: true, write: true }, 'role:Admins': { write: true } };
      expect(documentToObject(DOC, { ...aclToMongo(acl) }, fileUrl)).to.deep.equal({ ACL: acl });
    });
  });

  describe('stored keys and pointers', () => {
    const keys: { name: string; input: { className: 'Doc' | '_Session'; field: string }; expected: string }[] = [
      { name: 'objectId', input: { className: 'Doc', field: 'objectId' }, expected: '_id' },
      { name: 'createdAt', input: { className: 'Doc', field: 'createdAt' }, expected: '_created_at' },
      { name: 'updatedAt', input: { className: 'Doc', field: 'updatedAt' }, expected: '_updated_at' },
      { name: 'a pointer field', input: { className: 'Doc', field: 'owner' }, expected: '_p_owner' },
      { name: 'another field', input: { className: 'Doc', field: 'when' }, expected: 'when' },
      { name: 'sessionToken of a class', input: { className: 'Doc', field: 'sessionToken' }, expected: 'sessionToken' },
      {
        name: 'sessionToken of _Session',
        input: { className: '_Session', field: 'sessionToken' },
        expected: '_session_token',
      },
    ];
    for (const { name, input, expected } of keys) {
      it(`stores ${name} as ${expected}`, () =>
        expect(
          storedKey(input.className === 'Doc' ? DOC : classSchema('_Session', {}, undefined), input.field),
        ).to.equal(expected));
    }

    const pointers: { name: string; input: string; expected: Json }[] = [
      { name: 'a pointer', input: '_User$ann', expected: ptr('ann') },
      { name: 'at the first $', input: 'A$b$c', expected: ptr('b$c', 'A') },
    ];
    for (const { name, input, expected } of pointers) {
      it(`reads ${name}`, () => expect(pointerFromStored(input)).to.deep.equal(expected));
    }
  });

  describe('interior values', () => {
    const table: { name: string; input: unknown; expected: unknown }[] = [
      { name: 'plain JSON', input: { a: [1, 'x', null, { b: true }] }, expected: { a: [1, 'x', null, { b: true }] } },
      {
        name: 'Dates and Bytes deep inside',
        input: { a: [{ b: DATE }], c: BYTES },
        expected: { a: [{ b: new Date(ISO) }], c: binary() },
      },
    ];
    for (const { name, input, expected } of table) {
      it(`stores ${name} and reads it back`, () => {
        expect(interiorToMongo(input)).to.deep.equal(expected);
        expect(interiorFromMongo(interiorToMongo(input))).to.deep.equal(input);
      });
    }
  });
});
