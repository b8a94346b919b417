import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('REST /schemas (read) and /purge', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
    await t.http.post('/parse/classes/Song').set(appHeaders).send({ title: 't', plays: 1, artist: { __type: 'Pointer', className: 'Artist', objectId: 'a1' } }).expect(201);
  });
  after(() => t.close());

  it('describes classes in Parse form, to the master key only', async () => {
    const list = await t.http.get('/parse/schemas').set(masterHeaders);
    const song = list.body.results.find((s: { className: string }) => s.className === 'Song');
    expect(song.fields).to.deep.include({
      objectId: { type: 'String' }, createdAt: { type: 'Date' }, updatedAt: { type: 'Date' }, ACL: { type: 'ACL' },
      title: { type: 'String' }, plays: { type: 'Number' }, artist: { type: 'Pointer', targetClass: 'Artist' },
    });
    expect(song.classLevelPermissions.find).to.deep.equal({ '*': true });
    expect((await t.http.get('/parse/schemas/Song').set(masterHeaders)).body.className).to.equal('Song');
    expect((await t.http.get('/parse/schemas/Nope').set(masterHeaders)).body.code).to.equal(103);
    expect((await t.http.get('/parse/schemas').set(appHeaders)).status).to.equal(403);
  });

  it('purges every object of a class, keeping the class', async () => {
    await t.http.post('/parse/classes/Song').set(appHeaders).send({ title: 'u' }).expect(201);
    expect((await t.http.delete('/parse/purge/Song').set(appHeaders)).status).to.equal(403);
    expect((await t.http.delete('/parse/purge/Song').set(masterHeaders)).body).to.deep.equal({});
    expect((await t.http.get('/parse/classes/Song').set(appHeaders)).body.results).to.deep.equal([]);
    expect((await t.http.get('/parse/schemas/Song').set(masterHeaders)).status).to.equal(200);
  });
});
