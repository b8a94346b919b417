/**
 * A push as `POST /push` (and `Parse.Push.send`) describes it, checked as parse-server checks it:
 * `channels` or a `where` over installations, `data`, `push_time`, `expiration_time` or
 * `expiration_interval`. Every refusal is 115 (PUSH_MISCONFIGURED), as parse-server answers.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { RestWhere } from '../storage/storage.js';
import { isPlainObject, type Json } from '../values/json.js';

export interface PushRequest {
  /** The installations to reach. */
  where: RestWhere;
  /** What the adapter is handed: the body with its times as parse-server normalizes them. */
  body: Json;
  /** `push_time` as stored in `_PushStatus` (UTC ISO; without `Z` when the client gave a local time). */
  pushTime: string | undefined;
  /** The badge change each installation gets, when `data.badge` asks for one. */
  badge: { increment: number } | { set: number } | undefined;
}

const misconfigured = (message: string) => new BackendError(ErrorCode.PUSH_MISCONFIGURED, message);

/** A time as a number of seconds since the epoch, or an ISO string; undefined when absent. */
function timeOf(body: Json, key: string): Date | undefined {
  if (!Object.prototype.hasOwnProperty.call(body, key)) return undefined;
  const value = body[key];
  const date =
    typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : undefined;
  if (!date || !Number.isFinite(date.getTime())) throw misconfigured(`${String(value)} is not valid time.`);
  return date;
}

/** Whether an ISO time names its offset (`Z`, `+02:00`); a time without one is the device's local time. */
function hasTimeZone(value: string): boolean {
  return value.endsWith('Z') || /.+[+-]\d\d:\d\d$/.test(value);
}

function badgeOf(data: Json): PushRequest['badge'] {
  const { badge } = data;
  if (badge === undefined || badge === null || badge === 0 || badge === '') return undefined;
  if (typeof badge === 'string' && badge.toLowerCase() === 'increment') return { increment: 1 };
  if (
    isPlainObject(badge) &&
    typeof badge.__op === 'string' &&
    badge.__op.toLowerCase() === 'increment' &&
    Number(badge.amount)
  )
    return { increment: Number(badge.amount) };
  if (Number(badge)) return { set: Number(badge) };
  throw misconfigured("Invalid value for badge, expected number or 'Increment' or {increment: number}");
}

/** The installations a push names: its `where`, or its `channels`. */
function audienceOf(body: Json): RestWhere {
  const hasWhere = body.where !== undefined;
  const hasChannels = body.channels !== undefined;
  if (hasWhere && hasChannels) throw misconfigured('Channels and query can not be set at the same time.');
  if (hasWhere) {
    if (!isPlainObject(body.where)) throw misconfigured('where must be a query object.');
    return body.where as RestWhere;
  }
  if (hasChannels) {
    if (!Array.isArray(body.channels) || !body.channels.every((c) => typeof c === 'string'))
      throw misconfigured('channels must be an array of strings.');
    return { channels: { $in: body.channels } };
  }
  throw misconfigured('Sending a push requires either "channels" or a "where" query.');
}

/** Device types a `where` names: each must be one the adapter reaches. */
export function assertPushTypes(where: RestWhere, valid: readonly string[]): void {
  const field = where.deviceType;
  const named =
    typeof field === 'string'
      ? [field]
      : isPlainObject(field) && Array.isArray(field.$in)
        ? field.$in.filter((t): t is string => typeof t === 'string')
        : [];
  for (const type of named) if (!valid.includes(type)) throw misconfigured(`${type} is not supported push type.`);
}

/** Reads and checks a `POST /push` body; `now` dates an `expiration_interval`. */
export function parsePushRequest(raw: unknown, now: Date): PushRequest {
  if (!isPlainObject(raw)) throw misconfigured('A push needs a JSON object body.');
  const body: Json = { ...raw };
  const where = audienceOf(body);
  const data = body.data === undefined ? {} : body.data;
  if (!isPlainObject(data)) throw misconfigured('data must be an object.');
  const expiration = timeOf(body, 'expiration_time');
  if (expiration) body.expiration_time = expiration.getTime();
  if (Object.prototype.hasOwnProperty.call(body, 'expiration_interval')) {
    const interval = body.expiration_interval;
    if (typeof interval !== 'number' || !(interval > 0))
      throw misconfigured('expiration_interval must be a number greater than 0');
    if (expiration) throw misconfigured('Both expiration_time and expiration_interval cannot be set');
    if (body.push_time === undefined) body.expiration_time = now.getTime() + interval * 1000;
  }
  let pushTime: string | undefined;
  const at = timeOf(body, 'push_time');
  if (at) {
    const iso = at.toISOString();
    pushTime = typeof body.push_time === 'string' && !hasTimeZone(body.push_time) ? iso.slice(0, -1) : iso;
    body.push_time = pushTime;
  }
  return { where, body, pushTime, badge: badgeOf(data) };
}
