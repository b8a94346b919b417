import { expect } from 'chai';
import type { Db } from 'mongodb';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe("storage: parse-server's MongoDB layout", () => {
  let t: TestBackend;
  let db: Db;
  before(async () => {
    t = await startTestBackend();
    db = await t.db();
  });
  after(async () => {
    await t.close();
  });

  it('writes objects as parse-server does', async () => {
    const { body: created } = await t.http
      .post('/parse/classes/Post')
      .set(appHeaders)
      .send({
        title: 'Hello',
        author: { __type: 'Pointer', className: '_User', objectId: 'u1' },
        at: { __type: 'Date', iso: '2024-05-06T07:08:09.010Z' },
        where: { __type: 'GeoPoint', latitude: 10, longitude: 20 },
        file: { __type: 'File', name: 'x_photo.jpg', url: 'http://ignored.test/x_photo.jpg' },
        ACL: { '*': { read: true }, u1: { read: true, write: true } },
      })
      .expect(201);
    await t.http
      .put(`/parse/classes/Post/${created.objectId}`)
      .set(masterHeaders)
      .send({
        likes: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: 'u2' }] },
      })
      .expect(200);
    const doc = await db.collection('Post').findOne({ _id: created.objectId } as never);
    expect(doc).to.not.equal(null);
    expect(doc!._id).to.equal(created.objectId);
    expect(doc!._created_at).to.be.instanceOf(Date);
    expect((doc!._created_at as Date).toISOString()).to.equal(created.createdAt);
    expect(doc!._updated_at).to.be.instanceOf(Date);
    expect(doc!._p_author).to.equal('_User$u1');
    expect(doc).to.not.have.property('author');
    expect((doc!.at as Date).toISOString()).to.equal('2024-05-06T07:08:09.010Z');
    expect(doc!.where).to.deep.equal([20, 10]);
    expect(doc!.file).to.equal('x_photo.jpg');
    expect(doc!._rperm).to.have.members(['*', 'u1']);
    expect(doc!._wperm).to.deep.equal(['u1']);
    expect(doc!._acl).to.deep.equal({ '*': { r: true }, u1: { r: true, w: true } });
    expect(doc).to.not.have.property('likes');
    const join = await db
      .collection('_Join:likes:Post')
      .find({}, { projection: { _id: 0 } })
      .toArray();
    expect(join).to.deep.equal([{ owningId: created.objectId, relatedId: 'u2' }]);
    const schema = await db.collection('_SCHEMA').findOne({ _id: 'Post' } as never);
    expect(schema).to.include({
      objectId: 'string',
      createdAt: 'string',
      updatedAt: 'string',
      title: 'string',
      author: '*_User',
      at: 'date',
      where: 'geopoint',
      file: 'file',
      likes: 'relation<_User>',
    });
  });

  it('serves a document written directly in that layout', async () => {
    await db.collection('_SCHEMA').insertOne({
      _id: 'Legacy',
      objectId: 'string',
      updatedAt: 'string',
      createdAt: 'string',
      name: 'string',
      owner: '*_User',
      spot: 'geopoint',
      photo: 'file',
      born: 'date',
      tags: 'array',
    } as never);
    await db.collection('Legacy').insertOne({
      _id: 'legacyid01',
      _created_at: new Date('2020-01-01T00:00:00.000Z'),
      _updated_at: new Date('2020-01-02T00:00:00.000Z'),
      name: 'old',
      _p_owner: '_User$abc',
      spot: [5, 6],
      photo: 'p.png',
      born: new Date('1999-09-09T00:00:00.000Z'),
      tags: ['x'],
      _rperm: ['*'],
      _wperm: [],
      _acl: { '*': { r: true } },
    } as never);
    const res = await t.http.get('/parse/classes/Legacy/legacyid01').set(appHeaders);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({
      objectId: 'legacyid01',
      createdAt: '2020-01-01T00:00:00.000Z',
      updatedAt: '2020-01-02T00:00:00.000Z',
      name: 'old',
      owner: { __type: 'Pointer', className: '_User', objectId: 'abc' },
      spot: { __type: 'GeoPoint', latitude: 6, longitude: 5 },
      photo: { __type: 'File', name: 'p.png', url: `${t.serverURL}/files/test-app/p.png` },
      born: { __type: 'Date', iso: '1999-09-09T00:00:00.000Z' },
      tags: ['x'],
      ACL: { '*': { read: true } },
    });
    // Public write is not granted by that ACL.
    expect(
      (await t.http.put('/parse/classes/Legacy/legacyid01').set(appHeaders).send({ name: 'new' })).status,
    ).to.equal(404);
    expect(
      (await t.http.put('/parse/classes/Legacy/legacyid01').set(masterHeaders).send({ name: 'new' })).status,
    ).to.equal(200);
    const where = JSON.stringify({ owner: { __type: 'Pointer', className: '_User', objectId: 'abc' } });
    expect((await t.http.get('/parse/classes/Legacy').query({ where }).set(appHeaders)).body.results).to.have.length(1);
  });

  it('creates the indexes parse-server relies on', async () => {
    await t.backend.ready();
    const names = (await db.collection('_User').listIndexes().toArray()).map((i) => i.name);
    expect(names).to.include.members(['username_1', 'email_1', 'case_insensitive_username', 'case_insensitive_email']);
  });
});
