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
});
