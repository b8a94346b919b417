/**
 * Cloud functions and jobs, as every entry point runs them: a function with its validator and its
 * result in Parse encoding; a job that answers at once with its `_JobStatus` id and records its
 * outcome there when it ends.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext } from '../services.js';
import type { Json } from '../values/json.js';
import { cloudRequestBase, validationTarget } from './caller-fields.js';
import { encodeResult } from './encode.js';
import type { FunctionRequest, JobRequest } from './hook-requests.js';
import { hookError, runRegistered } from './hook-runner.js';
import type { Registered } from './cloud-registry.js';
import { Lease, newHolderId } from '../leases/lease.js';
import { ANSWER_WAIT_MS, functionResponse, type FunctionAnswer } from './function-response.js';

/**
 * Runs the cloud function `name`: its result in Parse's REST encoding, and the HTTP status and
 * headers an Express-style function (`(request, response) => ...`) chose.
 */
export async function runFunction(ctx: OperationContext, name: string, params: Json): Promise<FunctionAnswer> {
  const entry = ctx.services.cloud.cloudFunction(name);
  if (!entry) throw new BackendError(ErrorCode.SCRIPT_FAILED, `Invalid function: "${name}"`);
  const request: FunctionRequest = { ...(await cloudRequestBase(ctx)), functionName: name, params };
  const failure = { code: ErrorCode.SCRIPT_FAILED, message: 'Script failed.' };
  const target = () => validationTarget(ctx, request, params);
  let answer: FunctionAnswer;
  if (entry.handler.length >= 2) {
    // Express style, as parse-server 9 calls it: the response object gives the answer.
    const { response, answered, sent } = functionResponse();
    const { result } = await runRegistered(
      { handler: (req: FunctionRequest) => entry.handler(req, response), validator: entry.validator },
      request,
      target,
      failure,
    );
    if (!sent() && result !== undefined) response.success(result);
    answer = await (sent() ? answered : withinAnswerWait(answered, name));
  } else {
    // One parameter: the function answers with what it returns.
    const oneParameter = entry as Registered<(req: FunctionRequest) => unknown>;
    answer = { result: (await runRegistered(oneParameter, request, target, failure)).result };
  }
  try {
    return { ...answer, result: encodeResult(answer.result) };
  } catch (err) {
    throw new BackendError(ErrorCode.SCRIPT_FAILED, `the result of ${name} cannot be sent: ${(err as Error).message}`);
  }
}

/** An Express-style function that returned nothing still has {@link ANSWER_WAIT_MS} to answer. */
function withinAnswerWait(answered: Promise<FunctionAnswer>, name: string): Promise<FunctionAnswer> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BackendError(ErrorCode.SCRIPT_FAILED, `${name} called neither success() nor error()`)),
      ANSWER_WAIT_MS,
    );
    timer.unref();
  });
  return Promise.race([answered, late]).finally(() => clearTimeout(timer));
}

export const JOB_STATUS = '_JobStatus';

/**
 * How long a running job's lease (`job:<jobStatusId>`) lasts without renewal: its process renews it
 * every third of that while the job runs, so a `running` status whose lease is gone belongs to a
 * process that stopped (see the job scheduler).
 */
export const JOB_LEASE_TTL_MS = 60_000;

/** The lease a running job holds, by its `_JobStatus` id. */
export function jobLeaseName(jobId: string): string {
  return `job:${jobId}`;
}

/**
 * Starts the job `jobName` (the caller must hold the master key); returns its `_JobStatus` id.
 * `source` is recorded on the status: `'api'` (POST /jobs) or `'schedule'` (the job scheduler).
 */
export async function startJob(
  ctx: OperationContext,
  jobName: unknown,
  params: Json,
  source: 'api' | 'schedule' = 'api',
): Promise<string> {
  const { services, caller } = ctx;
  const job = typeof jobName === 'string' ? services.cloud.cloudJob(jobName) : undefined;
  if (!job || typeof jobName !== 'string') throw new BackendError(ErrorCode.SCRIPT_FAILED, 'Invalid job.');
  const asMaster = { useMasterKey: true } as const;
  const status = await services.data.create(
    JOB_STATUS,
    { jobName, source, status: 'running', params: encodeResult(params), ACL: {} },
    asMaster,
  );
  const jobId = status.id!;
  const update = (values: Json): Promise<unknown> => services.data.update(JOB_STATUS, jobId, values, asMaster);
  const request: JobRequest = {
    jobName,
    jobId,
    params,
    message: async (text) => {
      if (typeof text === 'string' && text !== '') await update({ message: text });
    },
    headers: caller.headers,
    ip: caller.ip,
    log: services.config.logger,
    data: services.data,
  };
  const lease = new Lease(services.storage, jobLeaseName(jobId), newHolderId(), JOB_LEASE_TTL_MS, services.now);
  const leaseTrouble = (err: unknown): void =>
    services.config.logger.warn('could not renew a running job lease', { jobName, jobId, error: String(err) });
  // The job outlives the call that started it; its outcome is recorded on its _JobStatus, never thrown.
  // While it runs it holds its lease: a process that stops mid-job leaves a status the scheduler ends.
  setImmediate(() => {
    void (async () => {
      let outcome: Json;
      try {
        const result = await lease.holdWhile(async () => job(request), leaseTrouble);
        outcome = { status: 'succeeded', ...(typeof result === 'string' ? { message: result } : {}) };
      } catch (err) {
        const { message } = hookError(err);
        outcome = { status: 'failed', message };
        services.config.logger.error('job failed', { jobName, jobId, error: message });
      }
      await update({ ...outcome, finishedAt: new Date() });
    })().catch((err: unknown) => {
      services.config.logger.error('could not record a job outcome', { jobName, jobId, error: hookError(err).message });
    });
  });
  return jobId;
}
