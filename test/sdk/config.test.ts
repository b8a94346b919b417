/**
 * Parse.Config through the SDK, with parameters set by the master key over REST (PUT /config) or
 * through Parse.Config.save(); master-key-only parameters stay hidden from other callers.
 */
import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';
import { asDate, asParseObject } from './helpers.js';

describe('Parse JS SDK: Parse.Config', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;

  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  async function putConfig(body: Record<string, unknown>): Promise<void> {
    const res = await backend.http.put('/parse/config').set(masterHeaders).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.equal({ result: true });
  }

  it('returns an empty config before anything was set', async () => {
    const config = await Parse.Config.get();
    expect(config.get('anything')).to.equal(undefined);
    expect(config.attributes).to.deep.equal({});
  });

  it('Parse.Config.get() returns the parameters set with PUT /config, with Parse types decoded', async () => {
    await putConfig({
      params: {
        greeting: 'hello',
        maxItems: 25,
        ratio: 0.5,
        enabled: true,
        colors: ['red', 'green'],
        limits: { daily: 10, nested: { deep: [1, 2] } },
        launch: { __type: 'Date', iso: '2025-07-01T12:34:56.789Z' },
        office: { __type: 'GeoPoint', latitude: 52.52, longitude: 13.405 },
        home: { __type: 'Pointer', className: 'Page', objectId: 'homePage01' },
        nothing: null,
      },
    });
    const config = await Parse.Config.get();
    expect(config.get('greeting')).to.equal('hello');
    expect(config.get('maxItems')).to.equal(25);
    expect(config.get('ratio')).to.equal(0.5);
    expect(config.get('enabled')).to.equal(true);
    expect(config.get('colors')).to.deep.equal(['red', 'green']);
    expect(config.get('limits')).to.deep.equal({ daily: 10, nested: { deep: [1, 2] } });
    expect(asDate(config.get('launch')).toISOString()).to.equal('2025-07-01T12:34:56.789Z');
    const office: unknown = config.get('office');
    expect(office).to.be.instanceOf(Parse.GeoPoint);
    expect((office as InstanceType<typeof Parse.GeoPoint>).toJSON()).to.deep.equal({
      __type: 'GeoPoint',
      latitude: 52.52,
      longitude: 13.405,
    });
    const home = asParseObject(config.get('home'));
    expect([home.className, home.id]).to.deep.equal(['Page', 'homePage01']);
    expect(config.get('nothing')).to.equal(null);
    // The SDK keeps the last fetched config.
    expect((await Parse.Config.current()).get('greeting')).to.equal('hello');
  });

  it('updates and deletes single parameters, keeping the others', async () => {
    await putConfig({ params: { keep: 'kept', change: 1, drop: 'dropped' } });
    await putConfig({ params: { change: 2, drop: { __op: 'Delete' } } });
    const config = await Parse.Config.get();
    expect(config.get('keep')).to.equal('kept');
    expect(config.get('change')).to.equal(2);
    expect(config.get('drop')).to.equal(undefined);
  });

  it('hides master-key-only parameters from Parse.Config.get() without the master key', async () => {
    await putConfig({ params: { publicValue: 'shown', secretValue: 's3cret' }, masterKeyOnly: { secretValue: true } });
    const publicConfig = await Parse.Config.get();
    expect(publicConfig.get('publicValue')).to.equal('shown');
    expect(publicConfig.get('secretValue')).to.equal(undefined);
    const masterConfig = await Parse.Config.get({ useMasterKey: true });
    expect(masterConfig.get('publicValue')).to.equal('shown');
    expect(masterConfig.get('secretValue')).to.equal('s3cret');
  });

  it('Parse.Config.save() (master key) stores parameters the SDK and REST both read back', async () => {
    const when = new Date('2024-12-24T18:00:00.000Z');
    const saved = await Parse.Config.save({ savedBySdk: 'yes', when, internal: 42 }, { internal: true });
    expect(saved.get('savedBySdk')).to.equal('yes');
    const config = await Parse.Config.get();
    expect(config.get('savedBySdk')).to.equal('yes');
    expect(asDate(config.get('when')).getTime()).to.equal(when.getTime());
    expect(config.get('internal')).to.equal(undefined);
    const res = await backend.http.get('/parse/config').set(masterHeaders);
    expect(res.status).to.equal(200);
    expect(res.body.params.savedBySdk).to.equal('yes');
    expect(res.body.params.when).to.deep.equal({ __type: 'Date', iso: '2024-12-24T18:00:00.000Z' });
    expect(res.body.params.internal).to.equal(42);
    expect(res.body.masterKeyOnly.internal).to.equal(true);
  });

  it('refuses PUT /config without the master key', async () => {
    const res = await backend.http
      .put('/parse/config')
      .set(appHeaders)
      .send({ params: { hacked: true } });
    expect(res.status).to.equal(403);
    expect(res.body).to.deep.equal({ error: 'unauthorized: master key is required' });
    expect((await Parse.Config.get()).get('hacked')).to.equal(undefined);
  });
});
