import { expect } from 'chai';
import { startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';

describe('Parse JS SDK: smoke', () => {
  let backend: TestBackend;
  before(async () => {
    backend = await startTestBackend();
  });
  after(() => backend.close());

  it('saves and fetches an object', async () => {
    const Parse = useBackend(backend);
    const score = new Parse.Object('GameScore');
    score.set('score', 1337);
    await score.save();
    expect(score.id).to.match(/^[A-Za-z0-9]{10}$/);
    const fetched = await new Parse.Query('GameScore').get(score.id!);
    expect(fetched.get('score')).to.equal(1337);
  });

  it('useMasterKey works with the default options: queries, schemas and jobs', async () => {
    const Parse = useBackend(backend);
    const secret = new Parse.Object('MasterOnly');
    secret.setACL(new Parse.ACL());
    await secret.save(null, { useMasterKey: true });
    expect(await new Parse.Query('MasterOnly').find()).to.have.length(0);
    const found = await new Parse.Query('MasterOnly').find({ useMasterKey: true });
    expect(found.map((o) => o.id)).to.deep.equal([secret.id]);
    const schemas = await Parse.Schema.all();
    expect(schemas.map((s: { className: string }) => s.className)).to.include('MasterOnly');
    backend.backend.cloud.job('smokeJob', () => 'done');
    const jobStatusId = await Parse.Cloud.startJob('smokeJob', {});
    expect(jobStatusId).to.be.a('string');
  });
});
