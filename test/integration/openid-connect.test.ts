import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { BackendConfigError, openIdConnectProvider } from 'plinth';
import { appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('authData: the built-in OpenID Connect provider', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const issuer = 'https://id.example.test';
  const audience = 'plinth-test-app';
  let t: TestBackend;

  const token = (claims: Record<string, unknown>, options: jwt.SignOptions = {}, key: jwt.Secret = privateKey) =>
    jwt.sign({ sub: 'user-42', exp: Math.floor(Date.now() / 1000) + 600, ...claims }, key, {
      algorithm: 'RS256',
      issuer,
      audience,
      keyid: 'k1',
      ...options,
    });
  const logIn = (id: string, idToken: string) =>
    t.http
      .post('/parse/users')
      .set(appHeaders)
      .send({ authData: { oidc: { id, id_token: idToken } } });

  before(async () => {
    t = await startTestBackend({
      auth: { oidc: openIdConnectProvider({ issuer, audience, keys: { k1: publicPem } }) },
    });
  });
  after(() => t.close());

  it('signs up, then logs in, with a valid id token', async () => {
    const first = await logIn('user-42', token({}));
    expect(first.status).to.equal(201);
    const again = await logIn('user-42', token({}));
    expect(again.status).to.equal(200);
    expect(again.body.objectId).to.equal(first.body.objectId);
    expect(again.body.sessionToken).to.match(/^r:/);
  });

  it('refuses tokens with the wrong audience, issuer, algorithm, key, subject or age', async () => {
    const cases: [string, string][] = [
      ['wrong audience', token({}, { audience: 'someone-else' })],
      ['wrong issuer', token({}, { issuer: 'https://evil.test' })],
      ['expired', token({ exp: Math.floor(Date.now() / 1000) - 3600 })],
      ['signed by another key', token({}, {}, other.privateKey)],
      [
        'HS256 with the public key as secret',
        jwt.sign({ sub: 'user-42' }, publicPem, { algorithm: 'HS256', issuer, audience, expiresIn: 600, keyid: 'k1' }),
      ],
      [
        'unsigned',
        jwt.sign({ sub: 'user-42', iss: issuer, aud: audience }, '', { algorithm: 'none' as jwt.Algorithm }),
      ],
      ['another subject', token({ sub: 'user-43' })],
    ];
    for (const [name, idToken] of cases) {
      const res = await logIn('user-42', idToken);
      expect(res.status, name).to.equal(404);
      expect(res.body.code, name).to.equal(101);
      expect(res.body.sessionToken, name).to.equal(undefined);
    }
    expect((await logIn('user-42', 'not-a-jwt')).body.code).to.equal(101);
  });

  it('refuses incomplete provider options at startup', () => {
    expect(() => openIdConnectProvider({ issuer, audience, algorithms: [] })).to.throw(BackendConfigError);
    expect(() => openIdConnectProvider({ issuer: '', audience: '', keys: {} })).to.throw(BackendConfigError, /issuer/);
  });
});
