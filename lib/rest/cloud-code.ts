/** POST /functions/:name and POST /jobs/:name: cloud functions and jobs defined in host code. */
import { encodeResult, toHookValue } from '../cloud/encode.js';
import type { FunctionRequest, JobRequest } from '../cloud/hook-requests.js';
import { hookError, runRegistered } from '../cloud/run-hook.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { cloudRequestBase, validationTarget } from '../cloud/caller-fields.js';
import type { OperationContext, Services } from '../services.js';
import { requireMaster } from './server.js';
import type { Json } from '../values/json.js';

/** Parameters from the body and the query string, with Dates decoded as Parse does for functions. */
function paramsOf(req: ApiRequest): Json {
  const body = req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Json) : {};
  const decode = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(decode);
    if (value !== null && typeof value === 'object') {
      const date = toHookValue(value);
      if (date instanceof Date) {
        if (Number.isNaN(date.getTime()))
          throw new BackendError(ErrorCode.INCORRECT_TYPE, 'a Date parameter needs an ISO 8601 iso string');
        return date;
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
    }
    return value;
  };
  return decode({ ...body, ...req.params }) as Json;
}

/** POST /functions/:name */
export async function callFunction(services: Services, req: ApiRequest, name: string): Promise<ApiReply> {
  const entry = services.cloud.cloudFunction(name);
  if (!entry) throw new BackendError(ErrorCode.SCRIPT_FAILED, `Invalid function: "${name}"`);
  const ctx: OperationContext = { services, caller: req.caller };
  const params = paramsOf(req);
  const request: FunctionRequest = { ...(await cloudRequestBase(ctx)), functionName: name, params };
  const { result } = await runRegistered(entry, request, () => validationTarget(ctx, request, params));
  try {
    return { body: { result: encodeResult(result) } };
  } catch (err) {
    throw new BackendError(ErrorCode.SCRIPT_FAILED, `the result of ${name} cannot be sent: ${(err as Error).message}`);
  }
}

const JOB_STATUS = '_JobStatus';

/** POST /jobs/:name (or /jobs with `jobName` in the body), master key only: answers at once, runs after. */
export async function startJob(services: Services, req: ApiRequest, name?: string): Promise<ApiReply> {
  requireMaster(req);
  const params = paramsOf(req);
  const jobName = name ?? params.jobName;
  const job = typeof jobName === 'string' ? services.cloud.cloudJob(jobName) : undefined;
  if (!job || typeof jobName !== 'string') throw new BackendError(ErrorCode.SCRIPT_FAILED, 'Invalid job.');
  const asMaster = { useMasterKey: true } as const;
  const status = await services.data.create(
    JOB_STATUS,
    { jobName, source: 'api', status: 'running', params: encodeResult(params), ACL: {} },
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
    headers: req.caller.headers,
    ip: req.caller.ip,
    log: services.config.logger,
    data: services.data,
  };
  // The job outlives the request; its outcome is recorded on its _JobStatus, never thrown.
  setImmediate(() => {
    void (async () => {
      let outcome: Json;
      try {
        const result = await job(request);
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
  return { body: {}, headers: { 'X-Parse-Job-Status-Id': jobId } };
}
