/**
 * The `auth` option in parse-server's forms: a module path, `{ module, options }`, a factory or a
 * class, `appIds` with `validateAppId`, `enabled: false` for any provider, `enableAnonymousUsers`,
 * and an adapter's Parse.Error passed through — over REST and through the JS SDK.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BackendConfigError, createBackend } from 'plinth';
import { APP_ID, appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';
import { expectParseError } from '../sdk/helpers.js';

/** A CommonJS auth module as parse-server apps ship them: accepts id 'ok1' with token 'secret'. */
const MODULE_SOURCE = `
const calls = [];
module.exports = {
  calls,
  validateAppId(appIds, authData, options) {
    calls.push({ appIds, options });
    if (!appIds.includes('my-app')) throw { code: 101, message: 'wrong app' };
  },
  validateAuthData(authData) {
    if (authData.id === 'ok1' && authData.access_token === 'secret') return Promise.resolve();
    return Promise.reject();
  },
};
`;

/** A module exporting a factory, as `{ module, options }` configs load them. */
const FACTORY_SOURCE = `
module.exports = function (options) {
  return {
    validateAuthData(authData) {
      if (authData.access_token !== options.expected) {
        const error = new Error('token refused by the factory adapter');
        error.code = 141;
        throw error;
      }
    },
  };
};
`;

describe('auth providers in parse-server forms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-auth-'));
  const modulePath = join(dir, 'myoauth.cjs');
  const factoryPath = join(dir, 'factory.cjs');
  writeFileSync(modulePath, MODULE_SOURCE);
  writeFileSync(factoryPath, FACTORY_SOURCE);

  let t: TestBackend;
  before(async () => {
    t = await startTestBackend({
      auth: {
        myoauth: { module: modulePath, appIds: ['my-app'] },
        otherApp: { module: modulePath, appIds: ['another-app'] },
        factory: { module: factoryPath, options: { expected: 'from-options' } },
        sdkError: {
          validateAuthData: () => {
            throw Object.assign(new Error('not validated'), { code: 101 });
          },
        },
        retired: { module: modulePath, enabled: false },
      },
      enableAnonymousUsers: false,
    });
  });
  after(() => t.close());

  const signUpWith = (authData: Record<string, unknown>) =>
    t.http.post('/parse/users').set(appHeaders).send({ authData });

  it('loads a module by path, runs validateAppId with appIds first, then validateAuthData', async () => {
    const res = await signUpWith({ myoauth: { id: 'ok1', access_token: 'secret' } });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.sessionToken).to.be.a('string');
    const refused = await signUpWith({ myoauth: { id: 'ok1', access_token: 'wrong' } });
    expect(refused.status).to.equal(404);
    expect(refused.body.code).to.equal(101);
    const otherApp = await signUpWith({ otherApp: { id: 'ok1', access_token: 'secret' } });
    expect(otherApp.body).to.deep.equal({ code: 101, error: 'wrong app' });
  });

  it('calls a factory module with its options', async () => {
    await signUpWith({ factory: { id: 'f1', access_token: 'from-options' } }).expect(201);
    const refused = await signUpWith({ factory: { id: 'f2', access_token: 'other' } });
    expect(refused.body).to.deep.equal({ code: 141, error: 'token refused by the factory adapter' });
  });

  it("passes an adapter's Parse error through with its code", async () => {
    const res = await signUpWith({ sdkError: { id: 'x' } });
    expect(res.body).to.deep.equal({ code: 101, error: 'not validated' });
  });

  it('refuses a provider turned off with enabled: false, and anonymous users with enableAnonymousUsers: false', async () => {
    const retired = await signUpWith({ retired: { id: 'ok1', access_token: 'secret' } });
    expect(retired.body.code).to.equal(252);
    const anonymous = await signUpWith({ anonymous: { id: 'a1' } });
    expect(anonymous.body.code).to.equal(252);
  });

  it('logs in through the JS SDK with a provider loaded from a module', async () => {
    const Parse = useBackend(t);
    const user = await Parse.User.logInWith('myoauth', { authData: { id: 'ok1', access_token: 'secret' } });
    expect(user.getSessionToken()).to.be.a('string');
    await expectParseError(
      Parse.User.logInWith('myoauth', { authData: { id: 'ok1', access_token: 'nope' } }),
      Parse.Error.OBJECT_NOT_FOUND,
    );
  });

  it('refuses at startup a module that cannot be loaded, or exports no validateAuthData', () => {
    const base = { appId: APP_ID, masterKey: 'mk', databaseURI: 'mongodb://127.0.0.1:1/x' };
    expect(() => createBackend({ ...base, auth: { broken: { module: join(dir, 'missing.cjs') } } })).to.throw(
      BackendConfigError,
      /auth\.broken: its module could not be loaded/,
    );
    expect(() => createBackend({ ...base, auth: { empty: { module: { nothing: true } } } })).to.throw(
      BackendConfigError,
      /auth\.empty: Adapter is not configured\. Implement either validateAuthData or all of the following: validateSetUp, validateLogin and validateUpdate/,
    );
  });
});
