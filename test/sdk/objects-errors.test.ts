/**
 * The Parse errors the SDK surfaces for refused object requests: the code (and, where Parse Server's
 * wording is fixed, the message) reach the caller as a Parse.Error.
 */
import { expect } from 'chai';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { expectParseError, uniqueClass, withoutData } from './helpers.js';

describe('Parse JS SDK: object errors', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  async function stored(
    className: string,
    values: Record<string, unknown>,
  ): Promise<InstanceType<typeof Parse.Object>> {
    const object = new Parse.Object(className);
    object.set(values);
    await object.save();
    return object;
  }

  it('fetching a missing object fails with 101 "Object not found."', async () => {
    const className = uniqueClass('Missing');
    await stored(className, { n: 1 });
    const error = await expectParseError(withoutData(className, 'noSuchId00').fetch(), Parse.Error.OBJECT_NOT_FOUND);
    expect(error.message).to.equal('Object not found.');
  });

  it('fetching from a class that does not exist fails with 101', async () => {
    await expectParseError(
      withoutData(uniqueClass('NeverCreated'), 'noSuchId00').fetch(),
      Parse.Error.OBJECT_NOT_FOUND,
    );
  });

  it('Query#get of a missing id fails with 101', async () => {
    const className = uniqueClass('Missing');
    await stored(className, { n: 1 });
    await expectParseError(new Parse.Query(className).get('noSuchId00'), Parse.Error.OBJECT_NOT_FOUND);
  });

  it('updating or destroying a missing object fails with 101', async () => {
    const className = uniqueClass('Missing');
    await stored(className, { n: 1 });
    const ghost = withoutData(className, 'noSuchId00');
    ghost.set('n', 2);
    await expectParseError(ghost.save(), Parse.Error.OBJECT_NOT_FOUND);
    await expectParseError(withoutData(className, 'noSuchId00').destroy(), Parse.Error.OBJECT_NOT_FOUND);
  });

  it('a value of the wrong type for an existing field fails with 111 and changes nothing', async () => {
    const className = uniqueClass('Typed');
    const object = await stored(className, { n: 1 });
    const copy = withoutData(className, object.id!);
    copy.set('n', 'one');
    const error = await expectParseError(copy.save(), Parse.Error.INCORRECT_TYPE);
    expect(error.message).to.equal(`schema mismatch for ${className}.n; expected Number but got String`);
    expect((await new Parse.Query(className).get(object.id!)).get('n')).to.equal(1);

    const other = new Parse.Object(className);
    other.set('n', { not: 'a number' });
    await expectParseError(other.save(), Parse.Error.INCORRECT_TYPE);
    expect(await new Parse.Query(className).count()).to.equal(1);
  });

  it('each type conflicts with the others (111)', async () => {
    const className = uniqueClass('Kinds');
    const target = await stored(uniqueClass('Target'), {});
    const values: Record<string, unknown> = {
      str: 's',
      num: 1,
      bool: true,
      date: new Date(),
      arr: [1],
      obj: { a: 1 },
      ptr: target,
      geo: new Parse.GeoPoint(1, 1),
    };
    await stored(className, values);
    const wrong: Record<string, unknown> = {
      str: 1,
      num: 's',
      bool: 'true',
      date: '2020-01-01',
      arr: { a: 1 },
      obj: [1],
      ptr: 'id',
      geo: [1, 1],
    };
    for (const [key, value] of Object.entries(wrong)) {
      const object = new Parse.Object(className);
      object.set(key, value);
      await expectParseError(object.save(), Parse.Error.INCORRECT_TYPE);
    }
  });

  it("a pointer to another class than the field's fails with 111", async () => {
    const className = uniqueClass('Owner');
    await stored(className, { pet: await stored(uniqueClass('Dog'), {}) });
    const object = new Parse.Object(className);
    object.set('pet', await stored(uniqueClass('Cat'), {}));
    await expectParseError(object.save(), Parse.Error.INCORRECT_TYPE);
  });

  it('incrementing a String field fails with 111', async () => {
    const className = uniqueClass('Typed');
    const object = await stored(className, { label: 'x' });
    // A copy without data, since the SDK refuses to increment a String it knows about.
    const copy = withoutData(className, object.id!);
    copy.increment('label');
    await expectParseError(copy.save(), Parse.Error.INCORRECT_TYPE);
    expect((await new Parse.Query(className).get(object.id!)).get('label')).to.equal('x');
  });

  it('a second GeoPoint field in a class fails with 111', async () => {
    const className = uniqueClass('Geo');
    await stored(className, { home: new Parse.GeoPoint(1, 1) });
    const object = new Parse.Object(className);
    object.set('work', new Parse.GeoPoint(2, 2));
    await expectParseError(object.save(), Parse.Error.INCORRECT_TYPE);
  });

  it('an invalid field name fails with 105', async () => {
    const className = uniqueClass('Named');
    const object = new Parse.Object(className);
    // The SDK checks names itself; ignoreValidation sends the name as given.
    object.set('bad-name', 1, { ignoreValidation: true });
    const error = await expectParseError(object.save(), Parse.Error.INVALID_KEY_NAME);
    expect(error.message).to.equal('Invalid field name: bad-name.');
    expect(await new Parse.Query(className).count()).to.equal(0);
  });

  it('an invalid field name on update fails with 105', async () => {
    const className = uniqueClass('Named');
    const object = await stored(className, { ok: 1 });
    object.set('_private', 1, { ignoreValidation: true });
    await expectParseError(object.save(), Parse.Error.INVALID_KEY_NAME);
  });

  it('an invalid class name fails with 103', async () => {
    const object = new Parse.Object('Bad-Class');
    object.set('n', 1);
    await expectParseError(object.save(), Parse.Error.INVALID_CLASS_NAME);
    const underscored = new Parse.Object('_NotASystemClass');
    await expectParseError(underscored.save(), Parse.Error.INVALID_CLASS_NAME);
  });

  it('a query on an invalid key fails with 105', async () => {
    const className = uniqueClass('Queried');
    await stored(className, { n: 1 });
    await expectParseError(new Parse.Query(className).equalTo('bad-key', 1).find(), Parse.Error.INVALID_KEY_NAME);
  });

  it('a malformed query value fails without crashing the server', async () => {
    const className = uniqueClass('Queried');
    await stored(className, { n: 1 });
    const query = new Parse.Query(className);
    query._addCondition('n', '$bogus', 1);
    const error = await expectParseError(query.find(), Parse.Error.INVALID_JSON);
    expect(error.message).to.match(/bogus/);
    // The backend still answers afterwards.
    expect(await new Parse.Query(className).count()).to.equal(1);
  });
});
