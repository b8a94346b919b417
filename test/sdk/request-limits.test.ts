/**
 * The bounds on one request (maxResponseSize, requestComplexity) as the Parse JS SDK meets them:
 * ordinary use stays inside them, and a query past them gets a Parse.Error with the code.
 */
import { expect } from 'chai';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { expectParseError } from './helpers.js';

describe('Parse JS SDK: request limits', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend({ maxResponseSize: '1mb' });
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  it('saveAll of 250 objects passes the 100-request batch bound (the SDK sends batches of 20)', async () => {
    const objects = Array.from({ length: 250 }, (_, i) => new Parse.Object('Many').set('i', i));
    await Parse.Object.saveAll(objects);
    expect(await new Parse.Query('Many').count()).to.equal(250);
  });

  it('a query whose results pass maxResponseSize fails with 116; select() gets the answer', async () => {
    const pages = Array.from({ length: 4 }, (_, i) =>
      new Parse.Object('Heavy').set({ i, text: 'z'.repeat(300 * 1024) }),
    );
    await Parse.Object.saveAll(pages);
    await expectParseError(new Parse.Query('Heavy').find(), Parse.Error.OBJECT_TOO_LARGE);
    const slim = await new Parse.Query('Heavy').select('i').find();
    expect(slim.map((o) => o.get('i')).sort()).to.deep.equal([0, 1, 2, 3]);
  });

  it('an include path deeper than 10 levels fails with 102', async () => {
    const path = Array.from({ length: 11 }, (_, i) => `p${i}`).join('.');
    const error = await expectParseError(new Parse.Query('Many').include(path).find(), Parse.Error.INVALID_QUERY);
    expect(error.message).to.equal('Include depth of 11 exceeds maximum allowed depth of 10');
  });

  it('or-queries nested deeper than 10 fail with 102', async () => {
    let query = new Parse.Query('Many').equalTo('i', 1);
    for (let depth = 0; depth < 11; depth++) query = Parse.Query.or(query, new Parse.Query('Many').equalTo('i', 2));
    await expectParseError(query.find(), Parse.Error.INVALID_QUERY);
  });
});

describe('Parse JS SDK: refuseLongPasswords', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend({ refuseLongPasswords: true });
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  it('a sign-up with a password past 72 bytes fails with 142; one of 72 bytes signs up', async () => {
    const refused = new Parse.User({ username: 'long-sdk', password: 'x'.repeat(73) });
    const error = await expectParseError(refused.signUp(), Parse.Error.VALIDATION_ERROR);
    expect(error.message).to.equal('Password must be at most 72 bytes long.');
    const accepted = await new Parse.User({ username: 'long-sdk', password: 'x'.repeat(72) }).signUp();
    expect(accepted.getSessionToken()).to.be.a('string');
  });
});

describe('Parse JS SDK: rateLimit', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend({
      rateLimit: { requestPath: '/login', requestTimeWindow: 60_000, requestCount: 2 },
    });
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  it('a third login in the window fails with a Parse.Error 100 "Too many requests."', async () => {
    await new Parse.User({ username: 'rl-sdk', password: 'pw' }).signUp();
    await Parse.User.logIn('rl-sdk', 'pw');
    await Parse.User.logIn('rl-sdk', 'pw');
    const error = await expectParseError(Parse.User.logIn('rl-sdk', 'pw'), Parse.Error.CONNECTION_FAILED);
    expect(error.message).to.equal('Too many requests.');
  });
});
