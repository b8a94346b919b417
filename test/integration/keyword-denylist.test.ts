/**
 * parse-server's `requestKeywordDenylist`: keys and values refused in written data, with
 * parse-server's message naming the rule, through REST, the JS SDK, hooks, config and files.
 */
import { expect } from 'chai';
import { BackendConfigError, createBackend } from 'plinth';
import { APP_ID, appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { expectParseError } from '../sdk/helpers.js';

const prohibited = (rule: object) => `Prohibited keyword in request data: ${JSON.stringify(rule)}.`;

describe('requestKeywordDenylist', () => {
  describe("parse-server's default list", () => {
    let t: TestBackend;
    before(async () => {
      t = await startTestBackend({ allowCustomObjectId: true });
    });
    after(() => t.close());

    const create = (body: object) => t.http.post('/parse/classes/PP').set(appHeaders).send(body);

    it('refuses constructor and __proto__ at any depth, also as a segment of a key path', async () => {
      for (const [body, rule] of [
        [{ obj: { constructor: { prototype: { dummy: 0 } } } }, { key: 'constructor' }],
        [{ list: [{ deep: { constructor: 1 } }] }, { key: 'constructor' }],
        [{ 'obj.__proto__.dummy': 0 }, { key: '__proto__' }],
        [JSON.parse('{"obj": {"__proto__": {"dummy": 0}}}') as object, { key: '__proto__' }],
      ] as const) {
        const res = await create(body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body).to.deep.equal({ code: 105, error: prohibited(rule) });
      }
      expect(({} as Record<string, unknown>).dummy).to.equal(undefined);
    });

    it('refuses an update through a key path that names constructor', async () => {
      const { objectId } = (await create({ obj: {} }).expect(201)).body;
      const res = await t.http
        .put(`/parse/classes/PP/${objectId}`)
        .set(appHeaders)
        .send({ 'obj.constructor.prototype.dummy': { __op: 'Increment', amount: 1 } });
      expect(res.body).to.deep.equal({ code: 105, error: prohibited({ key: 'constructor' }) });
    });

    it('names the BSON code rule with its value, and refuses any other BSON type marker too', async () => {
      const code = await create({ obj: { _bsontype: 'Code', code: 'delete Object.prototype.x' } });
      expect(code.body).to.deep.equal({ code: 105, error: prohibited({ key: '_bsontype', value: 'Code' }) });
      const other = await create({ obj: { _bsontype: 'ObjectId', id: 'x' } });
      expect(other.body).to.deep.equal({ code: 105, error: prohibited({ key: '_bsontype' }) });
    });

    it('refuses polluted data a beforeSave hook sets', async () => {
      t.backend.cloud.beforeSave('Hooked', (request) => {
        request.object.set('obj', { constructor: { prototype: { dummy: 0 } } });
      });
      const res = await t.http.post('/parse/classes/Hooked').set(appHeaders).send({ a: 1 });
      expect(res.body).to.deep.equal({ code: 105, error: prohibited({ key: 'constructor' }) });
    });

    it('refuses config parameters and file metadata carrying BSON code', async () => {
      const config = await t.http
        .put('/parse/config')
        .set(masterHeaders)
        .send({ params: { welcome: { _bsontype: 'Code', code: 'x' } } });
      expect(config.body).to.deep.equal({ code: 105, error: prohibited({ key: '_bsontype', value: 'Code' }) });
      const Parse = useBackend(t);
      const file = new Parse.File('a.txt', { base64: Buffer.from('hi').toString('base64') }, 'text/plain');
      file.setMetadata({ key: { _bsontype: 'Code', code: 'x' } });
      const error = await expectParseError(file.save() as Promise<unknown>, 105);
      expect(error.message).to.equal(prohibited({ key: '_bsontype', value: 'Code' }));
    });

    it("refuses a user whose custom objectId reads as a role principal, with parse-server's 119", async () => {
      const res = await t.http
        .post('/parse/users')
        .set(appHeaders)
        .send({ objectId: 'role:admin', username: 'poisoned', password: 'pw' });
      expect(res.body).to.deep.equal({ code: 119, error: 'Invalid object ID.' });
      const Parse = useBackend(t);
      const sdk = Parse as unknown as { allowCustomObjectId: boolean };
      sdk.allowCustomObjectId = true;
      try {
        const user = new Parse.User({ id: 'role:admin', username: 'poisoned2', password: 'pw' });
        const error = await expectParseError(user.save(), 119);
        expect(error.message).to.equal('Invalid object ID.');
      } finally {
        sdk.allowCustomObjectId = false;
      }
    });
  });

  describe('a list of its own', () => {
    let t: TestBackend;
    let Parse: ParseSdk;
    before(async () => {
      t = await startTestBackend({
        requestKeywordDenylist: [
          { key: 'a[K]ey', value: 'aValue[123]*' },
          { key: 'secretKey' },
          { value: 'forbidden' },
          { key: 'abc' },
        ],
      });
      Parse = useBackend(t);
    });
    after(() => t.close());

    const create = (body: object) => t.http.post('/parse/classes/RCE').set(appHeaders).send(body);

    it('refuses a key and value pair, a key, or a value, at any depth and inside arrays', async () => {
      const cases: [object, object][] = [
        [{ obj: { aKey: 'aValue321' } }, { key: 'a[K]ey', value: 'aValue[123]*' }],
        [{ obj: { nested: { aKey: 'aValue321' } } }, { key: 'a[K]ey', value: 'aValue[123]*' }],
        [{ list: [{ aKey: 'aValue321' }] }, { key: 'a[K]ey', value: 'aValue[123]*' }],
        [{ obj: { secretKey: 1 } }, { key: 'secretKey' }],
        [{ obj: { note: 'this is forbidden' } }, { value: 'forbidden' }],
      ];
      for (const [body, rule] of cases) {
        const res = await create(body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body).to.deep.equal({ code: 105, error: prohibited(rule) });
      }
    });

    it('lets through data that matches only part of a rule', async () => {
      await create({ obj: { aKey: 'other' } }).expect(201);
      const { objectId } = (await create({ a: { b: { c: 0 } } }).expect(201)).body;
      await t.http
        .put(`/parse/classes/RCE/${objectId}`)
        .set(appHeaders)
        .send({ 'a.b.c': { __op: 'Increment', amount: 1 } })
        .expect(200);
    });

    it('answers the SDK with a Parse.Error 105', async () => {
      const error = await expectParseError(new Parse.Object('RCE').save({ obj: { secretKey: true } }), 105);
      expect(error.message).to.equal(prohibited({ key: 'secretKey' }));
    });

    it('keeps refusing constructor and __proto__, which the list replaced', async () => {
      const res = await create({ obj: { constructor: 1 } });
      expect(res.body).to.deep.equal({ code: 105, error: prohibited({ key: 'constructor' }) });
    });
  });

  it('refuses a list that is not one, or a rule that is not a regular expression, at startup', () => {
    const base = { appId: APP_ID, masterKey: 'mk', databaseURI: 'mongodb://127.0.0.1:1/x' };
    expect(() => createBackend({ ...base, requestKeywordDenylist: 'constructor' as never })).to.throw(
      BackendConfigError,
      /requestKeywordDenylist/,
    );
    expect(() => createBackend({ ...base, requestKeywordDenylist: [{ key: '(' }] })).to.throw(
      BackendConfigError,
      /requestKeywordDenylist: \( is not a valid regular expression/,
    );
  });
});
