/**
 * The job scheduler (`jobScheduler`, opt-in): runs the jobs `_JobSchedule` describes (see
 * job-schedule.ts for when one is due), across every process on the database, through MongoDB
 * alone. The rules it keeps:
 * - At most once per due time: a process runs a due time only after recording it as the
 *   schedule's `lastRun` with a compare-and-set, which one process wins.
 * - Missed due times: when every process was down past one or more due times, the latest of them
 *   runs once when a scheduler is back; earlier ones are skipped.
 * - One process scans at a time: the one holding the `jobScheduler` lease, renewed at every turn
 *   and taken over by another when its holder stops renewing it.
 * - A run cut short (its process stopped) ends as `failed` in `_JobStatus`: a running job holds the
 *   lease `job:<id>`, and a `running` status whose lease has expired is ended by the scan.
 */
import { MASTER_AUTH } from '../access/request-auth.js';
import { LeasedTurns } from '../leases/leased-turns.js';
import type { OperationContext, Services } from '../services.js';
import { isPlainObject, type Json } from '../values/json.js';
import { latestDueTime } from './job-schedule.js';
import { JOB_LEASE_TTL_MS, JOB_STATUS, jobLeaseName, startJob } from './run-cloud-code.js';
import { hookError } from './hook-runner.js';

const SCHEDULES = '_JobSchedule';
/** The most schedules and running statuses one turn looks at. */
const PAGE = 1000;
const asMaster = { useMasterKey: true } as const;

export class JobScheduler {
  private readonly turns: LeasedTurns;

  constructor(
    private readonly services: Services,
    interval: number,
  ) {
    this.turns = new LeasedTurns(
      services.storage,
      'jobScheduler',
      interval,
      services.now,
      () => this.scan(),
      (err) => services.config.logger.warn('job scheduler turn failed', { error: String(err) }),
    );
  }

  /** Starts scanning every `interval` ms (the first scan at once); idempotent. */
  start(): void {
    this.turns.start();
  }

  /** Stops scanning and hands the lease over; jobs already started run on. */
  stop(): Promise<void> {
    return this.turns.stop();
  }

  /** Runs what is due and ends runs cut short (in the process holding the scheduler's lease). */
  private async scan(): Promise<void> {
    await this.endAbandonedRuns();
    const now = this.services.now().getTime();
    const schedules = await this.services.data.find(SCHEDULES, { limit: PAGE, order: 'createdAt' }, asMaster);
    for (const schedule of schedules) {
      const timing = schedule.toJSON();
      const due = latestDueTime(timing, schedule.createdAt?.getTime() ?? now, now);
      if (due === undefined || (typeof timing.lastRun === 'number' && timing.lastRun >= due)) continue;
      if (!(await this.services.storage.claimScheduledRun(schedule.id!, due))) continue;
      await this.run(timing);
    }
  }

  /** Starts the scheduled job; a schedule that cannot run is recorded as a failed run. */
  private async run(schedule: Json): Promise<void> {
    const jobName = typeof schedule.jobName === 'string' ? schedule.jobName : '';
    const ctx: OperationContext = {
      services: this.services,
      caller: { auth: MASTER_AUTH, context: {}, headers: {}, ip: undefined },
    };
    try {
      let params: unknown = {};
      if (typeof schedule.params === 'string') params = JSON.parse(schedule.params);
      if (!isPlainObject(params)) throw new Error('the schedule params are not a JSON object');
      await startJob(ctx, jobName, params, 'schedule');
    } catch (err) {
      const message = err instanceof SyntaxError ? 'the schedule params are not JSON' : hookError(err).message;
      await this.services.data.create(
        JOB_STATUS,
        { jobName, source: 'schedule', status: 'failed', message, finishedAt: new Date(), ACL: {} },
        asMaster,
      );
    }
  }

  /** Ends as failed the runs whose process stopped: `running`, older than a job lease, lease gone. */
  private async endAbandonedRuns(): Promise<void> {
    const now = this.services.now();
    const before = new Date(now.getTime() - JOB_LEASE_TTL_MS);
    const running = await this.services.data.find(
      JOB_STATUS,
      { where: { status: 'running', createdAt: { $lt: { __type: 'Date', iso: before.toISOString() } } }, limit: PAGE },
      asMaster,
    );
    if (running.length === 0) return;
    const held = await this.services.storage.heldLeases(
      running.map((status) => jobLeaseName(status.id!)),
      now,
    );
    for (const status of running) {
      if (held.has(jobLeaseName(status.id!))) continue;
      await this.services.data.update(
        JOB_STATUS,
        status.id!,
        { status: 'failed', message: 'The process running the job stopped before the job ended.', finishedAt: now },
        asMaster,
      );
    }
  }
}
