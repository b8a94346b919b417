import { expect } from 'chai';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { expectParseError } from './helpers.js';

describe('Parse JS SDK: Parse.Schema', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;
  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  it('lists _User and _Role from the start, as parse-server records them at startup', async () => {
    await backend.backend.ready();
    const all = (await Parse.Schema.all()) as unknown as {
      className: string;
      fields: Record<string, unknown>;
      classLevelPermissions: Record<string, unknown>;
    }[];
    const byName = new Map(all.map((s) => [s.className, s]));
    expect(byName.get('_User')?.fields).to.deep.equal({
      objectId: { type: 'String' },
      createdAt: { type: 'Date' },
      updatedAt: { type: 'Date' },
      ACL: { type: 'ACL' },
      username: { type: 'String' },
      password: { type: 'String' },
      email: { type: 'String' },
      emailVerified: { type: 'Boolean' },
      authData: { type: 'Object' },
    });
    // The stored CLP; the answer to a PUT shows the server's protectedFields in it, as parse-server's does.
    expect(byName.get('_User')?.classLevelPermissions.protectedFields).to.deep.equal({ '*': [] });
    const updated = (await new Parse.Schema('_User').addString('nickname').update()) as unknown as {
      classLevelPermissions: Record<string, unknown>;
    };
    expect(updated.classLevelPermissions.protectedFields).to.deep.equal({ '*': ['email'] });
    expect(byName.get('_Role')?.fields).to.deep.include({
      name: { type: 'String' },
      users: { type: 'Relation', targetClass: '_User' },
      roles: { type: 'Relation', targetClass: '_Role' },
    });
    const rest = await backend.http
      .get('/parse/schemas/_Role')
      .set({ 'X-Parse-Application-Id': 'test-app', 'X-Parse-Master-Key': 'test-master-key' })
      .expect(200);
    expect(rest.body.className).to.equal('_Role');
  });

  it('creates, reads, changes and deletes a class', async () => {
    const schema = new Parse.Schema('Planet');
    schema.addString('name').addNumber('moons').addPointer('star', 'Star').addIndex('by_name', { name: 1 });
    schema.setCLP({
      find: { '*': true },
      get: { '*': true },
      count: {},
      create: {},
      update: {},
      delete: {},
      addField: {},
      protectedFields: { '*': [] },
    });
    await schema.save();

    const read = (await new Parse.Schema('Planet').get()) as unknown as {
      fields: Record<string, unknown>;
      classLevelPermissions: Record<string, unknown>;
      indexes: Record<string, unknown>;
    };
    expect(read.indexes.by_name).to.deep.equal({ name: 1 });
    expect(read.fields.star).to.deep.equal({ type: 'Pointer', targetClass: 'Star' });
    expect(read.classLevelPermissions.create).to.deep.equal({});
    const all = await Parse.Schema.all();
    expect(all.map((s: { className: string }) => s.className)).to.include('Planet');

    // The CLP closes creation to clients.
    const error = await new Parse.Object('Planet').save({ name: 'x' }).catch((e: { code: number }) => e);
    expect((error as { code: number }).code).to.equal(Parse.Error.OPERATION_FORBIDDEN);

    const update = new Parse.Schema('Planet');
    update.deleteField('moons');
    update.addBoolean('ringed');
    update.deleteIndex('by_name');
    const updated = (await update.update()) as unknown as {
      fields: Record<string, unknown>;
      indexes?: Record<string, unknown>;
    };
    expect(updated.fields).to.have.property('ringed');
    expect(updated.fields).not.to.have.property('moons');
    // Its one index gone, the class has none of its own: no `indexes` key, as parse-server answers.
    expect(updated).not.to.have.property('indexes');

    await new Parse.Schema('Planet').delete();
    const gone = await new Parse.Schema('Planet').get().catch((e: { code: number }) => e);
    expect((gone as { code: number }).code).to.equal(Parse.Error.INVALID_CLASS_NAME);
  });

  it('reports a field that already exists with 255', async () => {
    await new Parse.Schema('Moon').addString('name').save();
    const error = await new Parse.Schema('Moon')
      .addNumber('name')
      .update()
      .catch((e: { code: number }) => e);
    expect((error as { code: number }).code).to.equal(255);
  });

  it('hides CLP protectedFields from those they name, and refuses queries on them', async () => {
    const schema = new Parse.Schema('Dossier');
    schema.addString('name').addString('secret');
    schema.setCLP({
      find: { '*': true },
      get: { '*': true },
      count: { '*': true },
      create: { '*': true },
      update: { '*': true },
      delete: { '*': true },
      addField: {},
      protectedFields: { '*': ['secret'] },
    });
    await schema.save();
    const saved = await new Parse.Object('Dossier').save({ name: 'x', secret: 's3cret' });

    const fetched = await new Parse.Query('Dossier').get(saved.id!);
    expect(fetched.get('name')).to.equal('x');
    expect(fetched.has('secret')).to.equal(false);
    expect((await new Parse.Query('Dossier').get(saved.id!, { useMasterKey: true })).get('secret')).to.equal('s3cret');
    await expectParseError(
      new Parse.Query('Dossier').equalTo('secret', 's3cret').find(),
      Parse.Error.OPERATION_FORBIDDEN,
    );
    await expectParseError(new Parse.Query('Dossier').ascending('secret').find(), Parse.Error.OPERATION_FORBIDDEN);
    const [selected] = await new Parse.Query('Dossier').select('name', 'secret').find();
    expect(selected!.has('secret')).to.equal(false);

    const read = (await new Parse.Schema('Dossier').get()) as unknown as {
      classLevelPermissions: { protectedFields: unknown };
    };
    expect(read.classLevelPermissions.protectedFields).to.deep.equal({ '*': ['secret'] });
  });

  it('closes the operations a CLP leaves out to all but the master key, as parse-server reads it', async () => {
    const schema = new Parse.Schema('Ledger');
    schema.addString('entry');
    schema.setCLP({ find: { '*': true }, create: { '*': true } } as never);
    await schema.save();
    const read = (await new Parse.Schema('Ledger').get()) as unknown as { classLevelPermissions: unknown };
    expect(read.classLevelPermissions).to.deep.equal({
      find: { '*': true },
      create: { '*': true },
      get: {},
      count: {},
      update: {},
      delete: {},
      addField: {},
      protectedFields: {},
    });
    const saved = await new Parse.Object('Ledger', { entry: 'a' }).save();
    expect(await new Parse.Query('Ledger').find()).to.have.length(1);
    // The SDK's get() is a find; a GET of one object is the get operation.
    expect(await new Parse.Query('Ledger').get(saved.id!)).to.be.instanceOf(Parse.Object);
    const one = await backend.http
      .get(`/parse/classes/Ledger/${saved.id}`)
      .set({ 'X-Parse-Application-Id': 'test-app' });
    expect(one.body.code).to.equal(119);
    await expectParseError(saved.save({ entry: 'b' }), 119);
    await expectParseError(saved.destroy(), 119);
    await expectParseError(new Parse.Object('Ledger', { entry: 'c', extra: 1 }).save(), 119);
    expect((await new Parse.Query('Ledger').get(saved.id!, { useMasterKey: true })).get('entry')).to.equal('a');
    // classLevelPermissions: null removes the stored CLP: the class is open again.
    await backend.http
      .put('/parse/schemas/Ledger')
      .set({ 'X-Parse-Application-Id': 'test-app', 'X-Parse-Master-Key': 'test-master-key' })
      .send({ classLevelPermissions: null })
      .expect(200);
    expect((await saved.save({ entry: 'b' })).get('entry')).to.equal('b');
  });

  it('refuses a second GeoPoint field with parse-server’s message', async () => {
    const master = { 'X-Parse-Application-Id': 'test-app', 'X-Parse-Master-Key': 'test-master-key' };
    const two = await backend.http
      .post('/parse/schemas/Places')
      .set(master)
      .send({ fields: { here: { type: 'GeoPoint' }, there: { type: 'GeoPoint' } } });
    expect(two.status).to.equal(400);
    expect(two.body).to.deep.equal({
      code: 111,
      error: 'currently, only one GeoPoint field may exist in an object. Adding there when here already exists.',
    });
    await new Parse.Schema('Places').addGeoPoint('here').save();
    const error = await new Parse.Schema('Places')
      .addGeoPoint('there')
      .update()
      .catch((e: { code: number; message: string }) => e);
    expect(error).to.include({
      code: 111,
      message: 'currently, only one GeoPoint field may exist in an object. Adding there when here already exists.',
    });
  });
});
