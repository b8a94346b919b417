/**
 * Scheduled jobs: `/cloud_code/jobs` as the Dashboard calls it (and the SDK's
 * `Parse.Cloud.getJobsData`), and the opt-in scheduler that runs `_JobSchedule` across processes:
 * each due time once, the scan handed over through a lease, runs cut short ended as failed.
 */
import { expect } from 'chai';
import type { Backend } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend } from '../support/parse-sdk.js';

/** Polls `check` until it holds (at most `tries` times, 25 ms apart); fails the test otherwise. */
async function eventually(check: () => Promise<boolean>, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect.fail(`never happened: ${what}`);
}

function defineJobs(backend: Backend, runs: string[]): void {
  backend.cloud.job('cleanup', (request) => {
    runs.push(`cleanup ${JSON.stringify(request.params)}`);
    return 'cleaned';
  });
}

describe('scheduled jobs (/cloud_code/jobs)', () => {
  let t: TestBackend;
  const runs: string[] = [];
  before(async () => {
    t = await startTestBackend();
    defineJobs(t.backend, runs);
  });
  after(() => t.close());

  const jobs = () => t.http.get('/parse/cloud_code/jobs').set(masterHeaders);

  it('creates, lists, changes and deletes schedules as the Dashboard sends them, with the master key', async () => {
    const schedule = {
      jobName: 'cleanup',
      description: 'nightly',
      params: '{"days":30}',
      daysOfWeek: [1, 1, 1, 1, 1, 1, 1],
      timeOfDay: '03:00:00.000Z',
      repeatMinutes: 1440,
    };
    const created = await t.http.post('/parse/cloud_code/jobs').set(masterHeaders).send({ job_schedule: schedule });
    expect(created.status).to.equal(201);
    const { objectId } = created.body as { objectId: string };
    const [listed] = (await jobs()).body as Record<string, unknown>[];
    expect(listed).to.include({ objectId, jobName: 'cleanup', description: 'nightly', params: '{"days":30}' });
    expect(listed!.startAfter).to.be.a('string');
    const data = await t.http.get('/parse/cloud_code/jobs/data').set(masterHeaders);
    expect(data.body).to.deep.equal({ in_use: ['cleanup'], jobs: ['cleanup'] });
    await t.http
      .put(`/parse/cloud_code/jobs/${objectId}`)
      .set(masterHeaders)
      .send({ job_schedule: { ...schedule, description: 'weekly' } })
      .expect(200);
    expect(((await jobs()).body as Record<string, unknown>[])[0]!.description).to.equal('weekly');
    await t.http.delete(`/parse/cloud_code/jobs/${objectId}`).set(masterHeaders).expect(200);
    expect((await jobs()).body).to.deep.equal([]);
    // without a scheduler, nothing ran
    expect(runs).to.deep.equal([]);
  });

  it('refuses clients, bad schedules (107) and jobs that are not defined (1)', async () => {
    expect((await t.http.get('/parse/cloud_code/jobs').set(appHeaders)).status).to.equal(403);
    const post = (body: unknown) =>
      t.http
        .post('/parse/cloud_code/jobs')
        .set(masterHeaders)
        .send(body as object);
    expect((await post({})).body.code).to.equal(107);
    expect((await post({ job_schedule: { jobName: 'cleanup', params: 'nope' } })).body.code).to.equal(107);
    expect((await post({ job_schedule: { jobName: 'cleanup', timeOfDay: 'noon' } })).body.code).to.equal(107);
    const missing = await post({ job_schedule: { jobName: 'notDeployed' } });
    expect(missing.status).to.equal(400);
    expect(missing.body).to.deep.equal({ code: 1, error: 'Cannot Schedule a job that is not deployed' });
    expect(
      (await t.http.put('/parse/cloud_code/jobs/missing1').set(masterHeaders).send({ job_schedule: {} })).body.code,
    ).to.equal(101);
  });

  it("the SDK's Parse.Cloud.getJobsData reads the jobs", async () => {
    const Parse = useBackend(t);
    expect(await Parse.Cloud.getJobsData()).to.deep.equal({ in_use: [], jobs: ['cleanup'] });
  });
});

describe('the job scheduler (jobScheduler)', () => {
  const runs: string[] = [];
  let a: TestBackend;
  let b: TestBackend;
  before(async () => {
    a = await startTestBackend({ jobScheduler: { interval: 30 } });
    b = await startTestBackend({ databaseURI: a.databaseURI, jobScheduler: { interval: 30 } });
    defineJobs(a.backend, runs);
    defineJobs(b.backend, runs);
    await Promise.all([a.backend.ready(), b.backend.ready()]);
  });
  after(async () => {
    // the last test closes both backends already
    await a.close().catch(() => undefined);
    await b.close().catch(() => undefined);
  });
  beforeEach(() => {
    runs.length = 0;
  });

  const statuses = async (jobName: string) =>
    (
      await a.http
        .get('/parse/classes/_JobStatus')
        .set(masterHeaders)
        .query({ where: JSON.stringify({ jobName }), order: 'createdAt' })
    ).body.results as Record<string, unknown>[];

  it('runs a due schedule once, in one of the processes, with its params; it stays run', async () => {
    const created = await a.http
      .post('/parse/cloud_code/jobs')
      .set(masterHeaders)
      .send({ job_schedule: { jobName: 'cleanup', params: '{"days":7}', startAfter: '2026-01-01T00:00:00.000Z' } });
    await eventually(async () => (await statuses('cleanup')).some((s) => s.status === 'succeeded'), 'a run');
    // several more scans of both processes run nothing more
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runs).to.deep.equal(['cleanup {"days":7}']);
    const [status] = await statuses('cleanup');
    expect(status).to.include({ source: 'schedule', status: 'succeeded', message: 'cleaned' });
    const [schedule] = (await a.http.get('/parse/cloud_code/jobs').set(masterHeaders)).body as Record<
      string,
      unknown
    >[];
    expect(schedule!.lastRun).to.equal(Date.parse('2026-01-01T00:00:00.000Z'));
    await a.http.delete(`/parse/cloud_code/jobs/${created.body.objectId as string}`).set(masterHeaders);
  });

  it('records a schedule that cannot run as a failed run', async () => {
    const db = await a.db();
    // written past the route's checks, as another tool might
    await db.collection('_JobSchedule').insertOne({
      _id: 'badParams1' as never,
      jobName: 'cleanup',
      params: 'not json',
      startAfter: '2026-01-01T00:00:00.000Z',
      _created_at: new Date(),
      _updated_at: new Date(),
    });
    await eventually(async () => (await statuses('cleanup')).some((s) => s.status === 'failed'), 'a failed run');
    const failed = (await statuses('cleanup')).find((s) => s.status === 'failed');
    expect(failed).to.include({ source: 'schedule', message: 'the schedule params are not JSON' });
    expect(runs).to.deep.equal([]);
    await db.collection('_JobSchedule').deleteOne({ _id: 'badParams1' as never });
  });

  it('ends as failed a run whose process stopped (its lease gone), and leaves live runs alone', async () => {
    const db = await a.db();
    const old = new Date(Date.now() - 10 * 60_000);
    await db.collection('_JobStatus').insertOne({
      _id: 'crashed1' as never,
      jobName: 'crashedJob',
      source: 'api',
      status: 'running',
      _created_at: old,
      _updated_at: old,
    });
    await db.collection('_JobStatus').insertOne({
      _id: 'alive1' as never,
      jobName: 'crashedJob',
      source: 'api',
      status: 'running',
      _created_at: old,
      _updated_at: old,
    });
    await db
      .collection('_Leases')
      .insertOne({ _id: 'job:alive1' as never, holder: 'elsewhere', expiresAt: new Date(Date.now() + 60_000) });
    await eventually(
      async () => (await statuses('crashedJob')).some((s) => s.status === 'failed'),
      'the crashed run ended',
    );
    const byId = Object.fromEntries((await statuses('crashedJob')).map((s) => [s.objectId, s]));
    expect(byId.crashed1).to.include({
      status: 'failed',
      message: 'The process running the job stopped before the job ended.',
    });
    expect(byId.alive1!.status).to.equal('running');
  });

  it('hands the scan over when the process holding the lease stops', async () => {
    const c = await startTestBackend({ databaseURI: a.databaseURI, jobScheduler: { interval: 30 } });
    defineJobs(c.backend, runs);
    await c.backend.ready();
    // a and b stop scanning; c goes on alone
    await a.backend.close();
    await b.backend.close();
    try {
      await c.http
        .post('/parse/cloud_code/jobs')
        .set(masterHeaders)
        .send({ job_schedule: { jobName: 'cleanup', params: '{"by":"c"}', startAfter: '2026-01-01T00:00:00.000Z' } });
      await eventually(async () => runs.includes('cleanup {"by":"c"}'), 'the run in the remaining process');
    } finally {
      await c.close();
    }
  });
});
