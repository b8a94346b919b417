/** GET /scriptlog (master): past log lines, as the Dashboard's Logs page reads them. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import type { LogQuery } from '../logs/log-levels.js';
import type { Services } from '../services.js';
import { requireMaster } from './server.js';

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
/** No single request reads more lines than this. */
const MAX_LINES = 1000;

function dateParam(value: unknown): Date | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** parse-server's reading of the query: `from`/`until` (default the last week), `size` or `n` (10), `order`, `level`. */
function logQuery(params: Record<string, unknown>, now: Date): LogQuery {
  const size = Number(params.n ?? params.size);
  const order = params.order;
  if (order !== undefined && order !== 'asc' && order !== 'desc')
    throw new BackendError(ErrorCode.INVALID_QUERY, 'order must be asc or desc');
  return {
    from: dateParam(params.from) ?? new Date(now.getTime() - WEEK_MS),
    until: dateParam(params.until) ?? now,
    size: Number.isInteger(size) && size > 0 ? Math.min(size, MAX_LINES) : 10,
    order: order ?? 'desc',
    level: typeof params.level === 'string' && params.level !== '' ? params.level : 'info',
  };
}

export async function scriptLog(services: Services, req: ApiRequest): Promise<ApiReply> {
  requireMaster(req);
  const { logs } = services.config;
  if (!logs) throw new BackendError(ErrorCode.PUSH_MISCONFIGURED, 'Querying logs is not supported with this adapter');
  const query = logQuery(req.params, services.now());
  let lines: unknown[];
  try {
    lines = await logs.query(query);
  } catch (err) {
    services.config.logger.error('loggerAdapter.query failed', { error: String(err) });
    throw new BackendError(ErrorCode.INTERNAL_SERVER_ERROR, 'Could not read the logs.');
  }
  return { body: lines.slice(0, query.size) };
}
