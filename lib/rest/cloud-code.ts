/** POST /functions/:name and POST /jobs/:name: thin handlers over cloud/run-cloud-code.ts. */
import { toHookValue } from '../cloud/encode.js';
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
  return { body: { result: await runFunction({ services, caller: req.caller }, name, paramsOf(req)) } };
}

/** POST /jobs/:name (or /jobs with `jobName` in the body), master key only: answers at once, runs after. */
export async function startJob(services: Services, req: ApiRequest, name?: string): Promise<ApiReply> {
  requireMaster(req);
  const params = paramsOf(req);
  const jobId = await runJob({ services, caller: req.caller }, name ?? params.jobName, params);
  return { body: {}, headers: { 'X-Parse-Job-Status-Id': jobId } };
}
