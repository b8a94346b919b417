import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('REST /schemas (read) and /purge', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
    await t.http
      .post('/parse/classes/Song')
      .set(appHeaders)
      .send({ title: 't', plays: 1, artist: { __type: 'Pointer', className: 'Artist', objectId: 'a1' } })
      .expect(201);
  });
  after(() => t.close());

  it('describes classes in Parse form, to the master key only', async () => {
    const list = await t.http.get('/parse/schemas').set(masterHeaders);
    const song = list.body.results.find((s: { className: string }) => s.className === 'Song');
    expect(song.fields).to.deep.include({
      objectId: { type: 'String' },
      createdAt: { type: 'Date' },
      updatedAt: { type: 'Date' },
      ACL: { type: 'ACL' },
      title: { type: 'String' },
      plays: { type: 'Number' },
      artist: { type: 'Pointer', targetClass: 'Artist' },
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

describe('REST /schemas (write)', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
  });
  after(() => t.close());

  it('creates a class with fields and class-level permissions, then enforces them', async () => {
    const created = await t.http
      .post('/parse/schemas/Note')
      .set(masterHeaders)
      .send({
        className: 'Note',
        fields: {
          body: { type: 'String' },
          owner: { type: 'Pointer', targetClass: '_User' },
          tags: { type: 'Relation', targetClass: 'Tag' },
        },
        classLevelPermissions: {
          find: {},
          count: {},
          get: { '*': true },
          create: { '*': true },
          update: {},
          delete: {},
          addField: {},
          protectedFields: { '*': [] },
        },
      });
    expect(created.status).to.equal(200);
    expect(created.body.fields).to.deep.include({
      body: { type: 'String' },
      owner: { type: 'Pointer', targetClass: '_User' },
      tags: { type: 'Relation', targetClass: 'Tag' },
    });
    expect(created.body.classLevelPermissions.find).to.deep.equal({});
    const note = await t.http.post('/parse/classes/Note').set(appHeaders).send({ body: 'hi' }).expect(201);
    expect((await t.http.get('/parse/classes/Note').set(appHeaders)).body.code).to.equal(119);
    expect((await t.http.get(`/parse/classes/Note/${note.body.objectId}`).set(appHeaders)).body.body).to.equal('hi');
    expect((await t.http.post('/parse/classes/Note').set(appHeaders).send({ extra: 1 })).body.code).to.equal(119);
    expect((await t.http.post('/parse/schemas/Note').set(masterHeaders).send({})).body.code).to.equal(103);
  });

  it('accepts the class name in the body, and refuses a mismatch', async () => {
    expect(
      (await t.http.post('/parse/schemas').set(masterHeaders).send({ className: 'Album' })).body.className,
    ).to.equal('Album');
    expect(
      (await t.http.post('/parse/schemas/Album2').set(masterHeaders).send({ className: 'Other' })).body.code,
    ).to.equal(103);
    expect((await t.http.post('/parse/schemas').set(masterHeaders).send({})).body).to.deep.equal({
      code: 135,
      error: 'POST /schemas needs a class name.',
    });
    const put = await t.http.put('/parse/schemas/Album').set(masterHeaders).send({ className: 'Other' });
    expect(put.body).to.deep.equal({ code: 103, error: 'Class name mismatch between Other and Album.' });
  });

  it("answers parse-server's codes and messages for bad class-level permissions", async () => {
    await t.http.post('/parse/schemas/Perms').set(masterHeaders).send({}).expect(200);
    const clp = (classLevelPermissions: unknown) =>
      t.http.put('/parse/schemas/Perms').set(masterHeaders).send({ classLevelPermissions });
    const cases: [unknown, string][] = [
      [{ dummy: {} }, 'dummy is not a valid operation for class level permissions'],
      [{ find: { ' *': true } }, "' *' is not a valid key for class level permissions"],
      [{ find: { '*': 1 } }, "'1' is not a valid value for class level permissions acl find:*"],
      [{ find: true }, "'true' is not a valid value for class level permissions find - must be an object"],
      [
        { readUserFields: 'owner' },
        "'owner' is not a valid value for class level permissions readUserFields - must be an array",
      ],
      [
        { readUserFields: ['missing'] },
        "'missing' is not a valid column for class level pointer permissions readUserFields",
      ],
      [
        { find: { pointerFields: 'owner' } },
        "'owner' is not a valid value for find[pointerFields] - expected an array.",
      ],
    ];
    for (const [rule, error] of cases)
      expect((await clp(rule)).body, JSON.stringify(rule)).to.deep.equal({ code: 107, error });
  });

  it('allows any user id in class-level permissions when objectIds may be custom', async () => {
    const custom = await startTestBackend({ allowCustomObjectId: true });
    try {
      const res = await custom.http
        .post('/parse/schemas/AClass')
        .set(masterHeaders)
        .send({ classLevelPermissions: { find: { 'set:ID+symbol$=@llowed': true, '1': true } } })
        .expect(200);
      expect(res.body.classLevelPermissions.find).to.include({ 'set:ID+symbol$=@llowed': true, '1': true });
    } finally {
      await custom.close();
    }
    const refused = await t.http
      .post('/parse/schemas/BClass')
      .set(masterHeaders)
      .send({ classLevelPermissions: { find: { 'a+b': true } } });
    expect(refused.body.code).to.equal(107);
  });

  it('refuses to drop an internal collection as a class name (103), and a system class (119)', async () => {
    const internal = await t.http.delete('/parse/schemas/_GlobalConfig').set(masterHeaders);
    expect(internal.body.code).to.equal(103);
    expect(internal.body.error).to.match(/^Invalid classname: _GlobalConfig, classnames can only have/);
    expect((await t.http.delete('/parse/schemas/_User').set(masterHeaders)).body.code).to.equal(119);
  });

  it('adds and deletes fields, removing deleted values from every object', async () => {
    await t.http.post('/parse/classes/Track').set(appHeaders).send({ title: 'a', plays: 3 }).expect(201);
    const put = await t.http
      .put('/parse/schemas/Track')
      .set(masterHeaders)
      .send({ fields: { plays: { __op: 'Delete' }, rating: { type: 'Number' } } });
    expect(put.status).to.equal(200);
    expect(put.body.fields).to.have.property('rating');
    expect(put.body.fields).not.to.have.property('plays');
    const [track] = (await t.http.get('/parse/classes/Track').set(appHeaders)).body.results;
    expect(track).not.to.have.property('plays');
    expect(track.title).to.equal('a');
    // The field can come back with another type once deleted.
    await t.http.post('/parse/classes/Track').set(appHeaders).send({ plays: 'many' }).expect(201);
  });

  it('answers bad field changes with Parse codes', async () => {
    await t.http
      .post('/parse/schemas/Bad')
      .set(masterHeaders)
      .send({ fields: { n: { type: 'Number' } } })
      .expect(200);
    const put = (fields: unknown) => t.http.put('/parse/schemas/Bad').set(masterHeaders).send({ fields });
    expect((await put({ n: { type: 'String' } })).body.code).to.equal(255);
    expect((await put({ missing: { __op: 'Delete' } })).body.code).to.equal(255);
    expect((await put({ x: { type: 'Nonsense' } })).body.code).to.equal(111);
    expect((await put({ p: { type: 'Pointer' } })).body.code).to.equal(104);
    expect((await put({ objectId: { __op: 'Delete' } })).body.code).to.equal(136);
    expect((await put({ '1bad': { type: 'String' } })).body.code).to.equal(105);
    expect((await put('nope')).body.code).to.equal(107);
    expect((await t.http.put('/parse/schemas/Nope').set(masterHeaders).send({})).body.code).to.equal(103);
    const indexes = (value: unknown) => t.http.put('/parse/schemas/Bad').set(masterHeaders).send({ indexes: value });
    expect((await indexes({ i: { missing: 1 } })).body.code).to.equal(102);
    expect((await indexes({ i: { n: 'up' } })).body.code).to.equal(107);
    expect((await indexes({ _id_: { n: 1 } })).body.code).to.equal(102);
    expect((await indexes({ i: { __op: 'Delete' } })).body.code).to.equal(102);
    expect((await indexes({ 'a.b': { n: 1 } })).body.code).to.equal(102);
    expect(
      (
        await t.http
          .put('/parse/schemas/Bad')
          .set(masterHeaders)
          .send({ classLevelPermissions: { find: { '*': 'yes' } } })
      ).body.code,
    ).to.equal(107);
    const protect = (rule: unknown) =>
      t.http
        .put('/parse/schemas/Bad')
        .set(masterHeaders)
        .send({ classLevelPermissions: { protectedFields: rule } });
    expect((await protect({ '*': ['missing'] })).body.code).to.equal(107);
    expect((await protect({ '*': ['createdAt'] })).body.code).to.equal(107);
    expect((await protect({ '*': 'n' })).body.code).to.equal(107);
    expect((await protect({ 'bad principal': ['n'] })).body.code).to.equal(107);
    expect((await protect({ 'userField:n': ['n'] })).body.code).to.equal(107);
    expect((await protect([])).body.code).to.equal(107);
    expect(
      (
        await t.http
          .post('/parse/schemas/Created')
          .set(masterHeaders)
          .send({ fields: { a: { __op: 'Delete' } } })
      ).body.code,
    ).to.equal(107);
  });

  it('answers without an indexes key for a class with no indexes of its own, as parse-server does', async () => {
    await t.http
      .post('/parse/schemas/Plain')
      .set(masterHeaders)
      .send({ fields: { a: { type: 'String' } } })
      .expect(200);
    const schema = await t.http.get('/parse/schemas/Plain').set(masterHeaders).expect(200);
    expect(schema.body).to.not.have.property('indexes');
    const listed = (await t.http.get('/parse/schemas').set(masterHeaders)).body.results as { className: string }[];
    expect(listed.find((s) => s.className === 'Plain')).to.not.have.property('indexes');
  });

  it('creates and drops indexes in Parse field names, stored as parse-server stores them', async () => {
    const created = await t.http
      .post('/parse/schemas/Indexed')
      .set(masterHeaders)
      .send({
        fields: { name: { type: 'String' }, owner: { type: 'Pointer', targetClass: '_User' } },
        indexes: { by_owner_name: { owner: 1, name: -1 } },
      });
    expect(created.body.indexes).to.deep.equal({ _id_: { _id: 1 }, by_owner_name: { owner: 1, name: -1 } });
    const db = await t.db();
    const keyOf = async (name: string) =>
      (await db.collection('Indexed').listIndexes().toArray()).find((i) => i.name === name)?.key;
    expect(await keyOf('by_owner_name')).to.deep.equal({ _p_owner: 1, name: -1 });
    expect(
      (
        await t.http
          .put('/parse/schemas/Indexed')
          .set(masterHeaders)
          .send({ indexes: { by_owner_name: { name: 1 } } })
      ).body.code,
    ).to.equal(102);
    const put = await t.http
      .put('/parse/schemas/Indexed')
      .set(masterHeaders)
      .send({ indexes: { by_owner_name: { __op: 'Delete' }, by_name: { name: 1 } } });
    expect(put.body.indexes).to.deep.equal({ _id_: { _id: 1 }, by_name: { name: 1 } });
    expect(await keyOf('by_owner_name')).to.equal(undefined);
    expect(await keyOf('by_name')).to.deep.equal({ name: 1 });
    // The same key under a second name is the database's refusal, answered as a Parse error.
    const twice = await t.http
      .put('/parse/schemas/Indexed')
      .set(masterHeaders)
      .send({ indexes: { by_name_again: { name: 1 } } });
    expect(twice.status).to.equal(400);
    expect(twice.body.code).to.equal(102);
    const stored = await db
      .collection<{ _id: string; _metadata: { indexes: unknown } }>('_SCHEMA')
      .findOne({ _id: 'Indexed' });
    expect(stored?._metadata.indexes).to.deep.equal({ by_name: { name: 1 } });
    // Deleting a field takes the indexes on it along.
    await t.http
      .put('/parse/schemas/Indexed')
      .set(masterHeaders)
      .send({ indexes: { by_owner: { owner: 1 } } })
      .expect(200);
    const dropped = await t.http
      .put('/parse/schemas/Indexed')
      .set(masterHeaders)
      .send({ fields: { owner: { __op: 'Delete' } } });
    expect(dropped.body.indexes).to.deep.equal({ _id_: { _id: 1 }, by_name: { name: 1 } });
    expect(await keyOf('by_owner')).to.equal(undefined);
  });

  it('drops empty classes only, and never system classes', async () => {
    await t.http.post('/parse/classes/Full').set(appHeaders).send({ a: 1 }).expect(201);
    expect((await t.http.delete('/parse/schemas/Full').set(masterHeaders)).body.code).to.equal(255);
    await t.http.delete('/parse/purge/Full').set(masterHeaders).expect(200);
    expect((await t.http.delete('/parse/schemas/Full').set(masterHeaders)).body).to.deep.equal({});
    expect((await t.http.get('/parse/schemas/Full').set(masterHeaders)).body.code).to.equal(103);
    expect((await t.http.delete('/parse/schemas/_User').set(masterHeaders)).body.code).to.equal(119);
  });

  it('is master-key only', async () => {
    expect((await t.http.post('/parse/schemas/Sneaky').set(appHeaders).send({})).status).to.equal(403);
    expect((await t.http.put('/parse/schemas/Bad').set(appHeaders).send({})).status).to.equal(403);
    expect((await t.http.delete('/parse/schemas/Bad').set(appHeaders)).status).to.equal(403);
  });
});
