/**
 * Installations through HTTP (`/installations`, `/classes/_Installation`) and the JS SDK
 * (`Parse.Installation`): parse-server's rules for registering devices, finding the installation
 * already there, device tokens moving between installations, and what clients may not do.
 */
import { expect } from 'chai';
import { ErrorCode } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { Parse, useBackend } from '../support/parse-sdk.js';

const TOKEN_A = 'A'.repeat(64);
const token = (c: string) => c.repeat(64);

describe('installations', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
    t.backend.cloud.beforeSave('_Installation', (request) => {
      // A hook of the app's: sees every registration, and may add to it.
      if (request.object.get('deviceType') === 'web') request.object.set('hooked', true);
    });
  });
  after(() => t.close());

  const all = async (where: Record<string, unknown> = {}) =>
    (
      await t.http
        .get('/parse/installations')
        .set(masterHeaders)
        .query({ where: JSON.stringify(where) })
    ).body.results as Record<string, unknown>[];

  describe('registering', () => {
    it('needs a device type and an installation id or a device token (135)', async () => {
      const noType = await t.http.post('/parse/installations').set(appHeaders).send({ installationId: 'no-type-1' });
      expect(noType.status).to.equal(400);
      expect(noType.body).to.deep.equal({
        code: ErrorCode.MISSING_REQUIRED_FIELD,
        error: 'deviceType must be specified in this operation',
      });
      const noId = await t.http.post('/parse/installations').set(appHeaders).send({ deviceType: 'ios' });
      expect(noId.body.code).to.equal(ErrorCode.MISSING_REQUIRED_FIELD);
      expect(noId.body.error).to.match(/at least one ID field/);
    });

    it('finds the installation already there when a device registers again (200, same object)', async () => {
      const first = await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ installationId: 'Again-1', deviceType: 'android', channels: ['a'] });
      expect(first.status).to.equal(201);
      expect(first.headers.location).to.match(/\/installations\/|\/classes\/_Installation\//);
      const again = await t.http
        .post('/parse/classes/_Installation')
        .set(appHeaders)
        .send({ installationId: 'again-1', deviceType: 'android', channels: ['b'] });
      expect(again.status).to.equal(200);
      expect(again.body).to.have.property('updatedAt');
      const stored = await all({ installationId: 'again-1' });
      expect(stored).to.have.length(1);
      expect(stored[0]).to.include({ objectId: first.body.objectId, installationId: 'again-1' });
      expect(stored[0]!.channels).to.deep.equal(['b']);
    });

    it('never changes a device type or an installation id (136)', async () => {
      const { body } = await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ installationId: 'fixed-1', deviceType: 'ios' });
      const type = await t.http
        .put(`/parse/installations/${body.objectId}`)
        .set(appHeaders)
        .send({ deviceType: 'android' });
      expect(type.body).to.deep.equal({
        code: ErrorCode.CHANGED_IMMUTABLE_FIELD,
        error: 'deviceType may not be changed in this operation',
      });
      const id = await t.http
        .put(`/parse/installations/${body.objectId}`)
        .set(appHeaders)
        .send({ installationId: 'fixed-2' });
      expect(id.body.code).to.equal(ErrorCode.CHANGED_IMMUTABLE_FIELD);
      const missing = await t.http.put('/parse/installations/nope').set(appHeaders).send({ deviceType: 'ios' });
      expect(missing.body.code).to.equal(ErrorCode.OBJECT_NOT_FOUND);
    });

    it('lowercases an APNs token and the installation id, and takes the id from the header', async () => {
      const created = await t.http
        .post('/parse/installations')
        .set({ ...appHeaders, 'X-Parse-Installation-Id': 'HEADER-ID-1' })
        .send({ deviceType: 'ios', deviceToken: TOKEN_A });
      expect(created.status).to.equal(201);
      const [stored] = await all({ objectId: created.body.objectId });
      expect(stored).to.include({ deviceToken: TOKEN_A.toLowerCase() });
      // Registering again from that device (the header names it) finds it by its token.
      const again = await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ deviceType: 'ios', deviceToken: TOKEN_A.toLowerCase(), badge: 4 });
      expect(again.status).to.equal(200);
      expect(await all({ deviceToken: TOKEN_A.toLowerCase() })).to.have.length(1);
    });

    it('applies badge increments and channel operations, and runs beforeSave', async () => {
      const { body } = await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ installationId: 'ops-1', deviceType: 'web', badge: 1, channels: ['x'] });
      await t.http
        .put(`/parse/installations/${body.objectId}`)
        .set(appHeaders)
        .send({ badge: { __op: 'Increment', amount: 2 }, channels: { __op: 'AddUnique', objects: ['x', 'y'] } })
        .expect(200);
      const [stored] = await all({ objectId: body.objectId });
      expect(stored).to.include({ badge: 3, hooked: true });
      expect(stored!.channels).to.deep.equal(['x', 'y']);
    });
  });

  describe('a device token that moves', () => {
    it('leaves the installation that held it: deleted by default', async () => {
      const old = await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ installationId: 'move-old', deviceType: 'ios', deviceToken: token('c') });
      const moved = await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ installationId: 'move-new', deviceType: 'ios', deviceToken: token('c') });
      expect(moved.status).to.equal(201);
      expect(moved.body.objectId).not.to.equal(old.body.objectId);
      const holders = await all({ deviceToken: token('c') });
      expect(holders.map((i) => i.installationId)).to.deep.equal(['move-new']);
      expect(await all({ installationId: 'move-old' })).to.deep.equal([]);
    });

    it('merges an installation known by its token alone into the one registering it', async () => {
      const tokenOnly = await t.http
        .post('/parse/installations')
        .set(masterHeaders)
        .send({ deviceType: 'ios', deviceToken: token('d') });
      await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ installationId: 'merge-1', deviceType: 'ios' })
        .expect(201);
      // The default priority keeps the token's installation; the other one goes.
      const merged = await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ installationId: 'merge-1', deviceType: 'ios', deviceToken: token('d') });
      expect(merged.status).to.equal(200);
      const left = await all({ $or: [{ installationId: 'merge-1' }, { deviceToken: token('d') }] });
      expect(left).to.have.length(1);
      expect(left[0]).to.include({ objectId: tokenOnly.body.objectId, deviceToken: token('d') });
    });

    it('asks for an installation id when several installations hold the token (132)', async () => {
      for (const id of ['many-1', 'many-2'])
        await t.http
          .post('/parse/installations')
          .set(masterHeaders)
          .send({ installationId: id, deviceType: 'android', deviceToken: 'shared-token' });
      // Each registration above took the token from the one before: make two holders by hand.
      const db = await t.db();
      await db
        .collection('_Installation')
        .updateMany({ installationId: 'many-1' }, { $set: { deviceToken: 'shared-token' } });
      await db.collection('_Installation').insertOne({
        _id: 'manyThird' as never,
        installationId: 'many-3',
        deviceType: 'android',
        deviceToken: 'shared-token',
      });
      const res = await t.http
        .post('/parse/installations')
        .set({ ...masterHeaders })
        .send({ deviceType: 'android', deviceToken: 'shared-token' });
      expect(res.body.code).to.equal(ErrorCode.DEVICE_TOKEN_AMBIGUOUS);
    });

    it("clears the token instead, with duplicateDeviceTokenAction 'update', and keeps the id's installation with merge priority 'installationId'", async () => {
      const u = await startTestBackend({
        installation: { duplicateDeviceTokenAction: 'update', duplicateDeviceTokenMergePriority: 'installationId' },
      });
      try {
        const old = await u.http
          .post('/parse/installations')
          .set(appHeaders)
          .send({ installationId: 'u-old', deviceType: 'ios', deviceToken: token('e'), channels: ['keep'] });
        await u.http
          .post('/parse/installations')
          .set(appHeaders)
          .send({ installationId: 'u-new', deviceType: 'ios', deviceToken: token('e') })
          .expect(201);
        const kept = await u.http.get(`/parse/installations/${old.body.objectId}`).set(masterHeaders);
        expect(kept.body).to.include({ installationId: 'u-old' });
        expect(kept.body).not.to.have.property('deviceToken');
        expect(kept.body.channels).to.deep.equal(['keep']);

        const tokenOnly = await u.http
          .post('/parse/installations')
          .set(masterHeaders)
          .send({ deviceType: 'ios', deviceToken: token('f') });
        const byId = await u.http
          .post('/parse/installations')
          .set(appHeaders)
          .send({ installationId: 'u-merge', deviceType: 'ios' });
        await u.http
          .post('/parse/installations')
          .set(appHeaders)
          .send({ installationId: 'u-merge', deviceType: 'ios', deviceToken: token('f') })
          .expect(200);
        const survivor = await u.http.get(`/parse/installations/${byId.body.objectId}`).set(masterHeaders);
        expect(survivor.body).to.include({ installationId: 'u-merge', deviceToken: token('f') });
        const loser = await u.http.get(`/parse/installations/${tokenOnly.body.objectId}`).set(masterHeaders);
        expect(loser.body).not.to.have.property('deviceToken');
      } finally {
        await u.close();
      }
    });

    it('with duplicateDeviceTokenActionEnforceAuth, leaves an installation the client may not delete', async () => {
      const e = await startTestBackend({ installation: { duplicateDeviceTokenActionEnforceAuth: true } });
      try {
        const old = await e.http
          .post('/parse/installations')
          .set(appHeaders)
          .send({ installationId: 'e-old', deviceType: 'ios', deviceToken: token('g') });
        await e.http
          .post('/parse/installations')
          .set(appHeaders)
          .send({ installationId: 'e-new', deviceType: 'ios', deviceToken: token('g') })
          .expect(201);
        // Clients never delete installations: the old one stays, token and all.
        const kept = await e.http.get(`/parse/installations/${old.body.objectId}`).set(masterHeaders);
        expect(kept.body).to.include({ installationId: 'e-old', deviceToken: token('g') });
      } finally {
        await e.close();
      }
    });
  });

  describe('what clients may not do', () => {
    it('lists, counts or deletes installations (119); fetching one by its id is allowed', async () => {
      const { body } = await t.http
        .post('/parse/installations')
        .set(appHeaders)
        .send({ installationId: 'mine-1', deviceType: 'ios' });
      for (const path of ['/parse/installations', '/parse/classes/_Installation']) {
        const list = await t.http.get(path).set(appHeaders);
        expect(list.body.code).to.equal(ErrorCode.OPERATION_FORBIDDEN);
      }
      const removal = await t.http.delete(`/parse/installations/${body.objectId}`).set(appHeaders);
      expect(removal.body.code).to.equal(ErrorCode.OPERATION_FORBIDDEN);
      const one = await t.http.get(`/parse/installations/${body.objectId}`).set(appHeaders);
      expect(one.body).to.include({ installationId: 'mine-1' });
      await t.http.delete(`/parse/installations/${body.objectId}`).set(masterHeaders).expect(200);
    });

    it('links the session of a login to the installation id it came from', async () => {
      const signUp = await t.http
        .post('/parse/users')
        .set({ ...appHeaders, 'X-Parse-Installation-Id': 'device-of-ann' })
        .send({ username: 'ann', password: 'pw-ann-1' });
      const me = await t.http
        .get('/parse/sessions/me')
        .set({ ...appHeaders, 'X-Parse-Session-Token': signUp.body.sessionToken });
      expect(me.body).to.include({ installationId: 'device-of-ann' });
    });
  });

  describe('through the SDK', () => {
    it('saves a Parse.Installation, updates it, and finds it with the master key', async () => {
      useBackend(t);
      const installation = new Parse.Installation();
      installation.set({ installationId: 'sdk-device-1', deviceType: 'android', channels: ['news'] });
      await installation.save();
      expect(installation.id).to.be.a('string');
      installation.increment('badge');
      installation.addUnique('channels', 'sports');
      await installation.save();
      const found = await new Parse.Query(Parse.Installation)
        .equalTo('installationId', 'sdk-device-1')
        .find({ useMasterKey: true });
      expect(found).to.have.length(1);
      expect(found[0]!.get('channels')).to.deep.equal(['news', 'sports']);
      expect(found[0]!.get('badge')).to.equal(1);
      const refused = await new Parse.Query(Parse.Installation).find().catch((err: { code: number }) => err);
      expect(refused).to.include({ code: ErrorCode.OPERATION_FORBIDDEN });
      // The same device registering again lands on its installation.
      const again = new Parse.Installation();
      again.set({ installationId: 'sdk-device-1', deviceType: 'android', appVersion: '2.0' });
      await again.save();
      const stored = await new Parse.Query(Parse.Installation)
        .equalTo('installationId', 'sdk-device-1')
        .find({ useMasterKey: true });
      expect(stored.map((i) => [i.id, i.get('appVersion')])).to.deep.equal([[installation.id, '2.0']]);
      installation.set('deviceType', 'ios');
      const changed = await installation.save().catch((err: { code: number }) => err);
      expect(changed).to.include({ code: ErrorCode.CHANGED_IMMUTABLE_FIELD });
    });
  });
});
