/**
 * Field options in a class's schema (`required`, `defaultValue`), as parse-server keeps and applies
 * them: declared through /schemas and the SDK's Parse.Schema, stored in `_metadata.fields_options`,
 * filled into new objects after beforeSave, and required on create and when an update clears them.
 */
import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';
import { expectParseError } from '../sdk/helpers.js';

describe('schema field options: required and defaultValue', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend();
    await t.http
      .post('/parse/schemas/Task')
      .set(masterHeaders)
      .send({
        fields: {
          title: { type: 'String', required: true },
          status: { type: 'String', defaultValue: 'open' },
          priority: { type: 'Number', required: true, defaultValue: 3 },
          owner: { type: 'Pointer', targetClass: '_User', required: false },
        },
      })
      .expect(200);
  });
  after(() => t.close());

  it('keeps the options in the schema, in REST and in the database as parse-server does', async () => {
    const schema = (await t.http.get('/parse/schemas/Task').set(masterHeaders).expect(200)).body;
    expect(schema.fields.title).to.deep.equal({ type: 'String', required: true });
    expect(schema.fields.status).to.deep.equal({ type: 'String', defaultValue: 'open' });
    expect(schema.fields.priority).to.deep.equal({ type: 'Number', required: true, defaultValue: 3 });
    const stored = await (await t.db()).collection('_SCHEMA').findOne({ _id: 'Task' as never });
    expect(stored?._metadata?.fields_options?.priority).to.deep.equal({ required: true, defaultValue: 3 });
  });

  it('fills defaults into a new object and tells the client', async () => {
    const res = await t.http.post('/parse/classes/Task').set(appHeaders).send({ title: 'a' }).expect(201);
    expect(res.body).to.include({ status: 'open', priority: 3 });
    const read = await t.http.get(`/parse/classes/Task/${res.body.objectId}`).set(appHeaders).expect(200);
    expect(read.body).to.include({ title: 'a', status: 'open', priority: 3 });
  });

  it('refuses a new object without a required field, and an update that clears one (142)', async () => {
    const missing = await t.http.post('/parse/classes/Task').set(appHeaders).send({ status: 'x' });
    expect(missing.body).to.deep.equal({ code: 142, error: 'title is required' });
    const empty = await t.http.post('/parse/classes/Task').set(appHeaders).send({ title: '' });
    expect(empty.body.code).to.equal(142);
    const { objectId } = (await t.http.post('/parse/classes/Task').set(appHeaders).send({ title: 'b' })).body;
    for (const cleared of [null, { __op: 'Delete' }]) {
      const res = await t.http.put(`/parse/classes/Task/${objectId}`).set(appHeaders).send({ title: cleared });
      expect(res.body).to.deep.equal({ code: 142, error: 'title is required' });
    }
    await t.http.put(`/parse/classes/Task/${objectId}`).set(appHeaders).send({ status: 'done' }).expect(200);
  });

  it('applies them after beforeSave', async () => {
    t.backend.cloud.beforeSave('Task', (request) => {
      if (request.object.get('title') === 'from-hook') request.object.unset('status');
      if (request.object.get('fill') === true) request.object.set('title', 'filled by the hook');
    });
    const filled = await t.http.post('/parse/classes/Task').set(appHeaders).send({ fill: true }).expect(201);
    expect(filled.body.title).to.equal('filled by the hook');
    const defaulted = await t.http
      .post('/parse/classes/Task')
      .set(appHeaders)
      .send({ title: 'from-hook', status: 'x' })
      .expect(201);
    expect(defaulted.body.status).to.equal('open');
  });

  it("refuses options a field cannot have, with parse-server's messages (111)", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { r: { type: 'Relation', targetClass: '_User', required: true } },
        "The 'required' option is not applicable for Relation<_User>",
      ],
      [
        { r: { type: 'Relation', targetClass: '_User', defaultValue: { __type: 'Relation', className: '_User' } } },
        "The 'default value' option is not applicable for Relation<_User>",
      ],
      [
        { n: { type: 'Number', defaultValue: 'ten' } },
        'schema mismatch for Bad.n default value; expected Number but got String',
      ],
    ];
    for (const [fields, error] of cases) {
      const res = await t.http.post('/parse/schemas/Bad').set(masterHeaders).send({ fields });
      expect(res.body, JSON.stringify(fields)).to.deep.equal({ code: 111, error });
    }
    const put = await t.http
      .put('/parse/schemas/Task')
      .set(masterHeaders)
      .send({ fields: { due: { type: 'Date', defaultValue: 'tomorrow' } } });
    expect(put.body.code).to.equal(111);
  });

  it('works through the JS SDK: Parse.Schema options, defaults and a required field', async () => {
    const Parse = useBackend(t);
    const schema = new Parse.Schema('Note');
    schema.addString('text', { required: true });
    schema.addBoolean('pinned', { defaultValue: false });
    await schema.save();
    const note = await new Parse.Object('Note').save({ text: 'hello' });
    expect(note.get('pinned')).to.equal(false);
    const error = await expectParseError(new Parse.Object('Note').save({ pinned: true }), Parse.Error.VALIDATION_ERROR);
    expect(error.message).to.equal('text is required');
  });
});
