/**
 * POST /functions/:name, POST /jobs/:name and the scheduled jobs of `/cloud_code/jobs`: thin
 * handlers over cloud/run-cloud-code.ts and cloud/job-schedule.ts.
 */
import { toHookValue } from '../cloud/encode.js';
import { checkedJobSchedule } from '../cloud/job-schedule.js';
import { runFunction, startJob as runJob } from '../cloud/run-cloud-code.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import type { Services } from '../services.js';
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
        // parse-server hands a Date that still reads as its JSON (`__type`, `iso`): functions
        // written against either form keep working.
        return Object.assign(date, { __type: 'Date', iso: date.toISOString() });
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
    }
    return value;
  };
  return decode({ ...body, ...req.params }) as Json;
}

/** POST /functions/:name */
export async function callFunction(services: Services, req: ApiRequest, name: string): Promise<ApiReply> {
  const { result, status, headers } = await runFunction({ services, caller: req.caller }, name, paramsOf(req));
  return { body: { result }, ...(status ? { status } : {}), ...(headers ? { headers } : {}) };
}

/** POST /jobs/:name (or /jobs with `jobName` in the body), master key only: answers at once, runs after. */
export async function startJob(services: Services, req: ApiRequest, name?: string): Promise<ApiReply> {
  requireMaster(req);
  const params = paramsOf(req);
  const jobId = await runJob({ services, caller: req.caller }, name ?? params.jobName, params);
  return { body: {}, headers: { 'X-Parse-Job-Status-Id': jobId } };
}

const SCHEDULES = '_JobSchedule';
const asMaster = { useMasterKey: true } as const;

function scheduleOf(services: Services, req: ApiRequest): Json {
  const body = req.body !== null && typeof req.body === 'object' ? (req.body as Json) : {};
  const jobs = new Set(services.cloud.jobNames());
  return checkedJobSchedule(body.job_schedule, (name) => jobs.has(name), services.now());
}

/** GET /cloud_code/jobs (master): the scheduled jobs. */
export async function listSchedules(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  const schedules = await services.data.find(SCHEDULES, { limit: 1000, order: 'createdAt' }, asMaster);
  return { body: schedules.map((schedule) => schedule.toJSON()) };
}

/** GET /cloud_code/jobs/data (master): the jobs defined and those scheduled, as the Dashboard reads them. */
export async function jobsData(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  const schedules = await services.data.find(SCHEDULES, { limit: 1000, keys: 'jobName' }, asMaster);
  return { body: { in_use: schedules.map((schedule) => schedule.get('jobName')), jobs: services.cloud.jobNames() } };
}

/** POST /cloud_code/jobs (master): schedules a job (`{ job_schedule }`); `startAfter` defaults to now. */
export async function createSchedule(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  const created = await services.data.create(SCHEDULES, scheduleOf(services, req), asMaster);
  return { status: 201, body: { objectId: created.id, createdAt: created.createdAt?.toISOString() } };
}

/** PUT /cloud_code/jobs/:objectId (master): changes a schedule. */
export async function updateSchedule(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  requireMaster(req);
  const updated = await services.data.update(SCHEDULES, objectId, scheduleOf(services, req), asMaster);
  return { body: { updatedAt: updated.updatedAt?.toISOString() } };
}

/** DELETE /cloud_code/jobs/:objectId (master): removes a schedule. */
export async function deleteSchedule(services: Services, req: ApiRequest, objectId: string): Promise<ApiReply> {
  requireMaster(req);
  await services.data.delete(SCHEDULES, objectId, asMaster);
  return { body: {} };
}
