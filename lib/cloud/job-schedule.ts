/**
 * `_JobSchedule` objects, as the Parse Dashboard writes them (`/cloud_code/jobs`): the checks a
 * schedule passes before it is stored, and when it is due.
 *
 * When a schedule is due (all times UTC):
 * - without `repeatMinutes`: once, at `startAfter` (when it was created, without one);
 * - with `repeatMinutes` and `timeOfDay` (`'HH:MM:SS.sssZ'`): each day whose `daysOfWeek` flag is
 *   set (seven flags, Sunday first; every day without them), at `timeOfDay`, then every
 *   `repeatMinutes` until the next day's `timeOfDay` — once a day for 1440 or more;
 * - with `repeatMinutes` alone: at `startAfter`, then every `repeatMinutes`;
 * never before `startAfter`.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { isPlainObject, type Json } from '../values/json.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const TIME_OF_DAY = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$/;

/** The timing fields of a `_JobSchedule` object. */
export interface JobTiming {
  startAfter?: unknown;
  timeOfDay?: unknown;
  daysOfWeek?: unknown;
  repeatMinutes?: unknown;
}

/** `'HH:MM[:SS[.sss]][Z]'` as ms after midnight, or undefined when it is not a time of day. */
export function timeOfDayMs(value: unknown): number | undefined {
  const match = typeof value === 'string' ? TIME_OF_DAY.exec(value) : null;
  if (!match) return undefined;
  const [hours, minutes, seconds, millis] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
}

function runsOn(daysOfWeek: unknown, dayStart: number): boolean {
  if (!Array.isArray(daysOfWeek) || daysOfWeek.length !== 7) return true;
  const flag: unknown = daysOfWeek[new Date(dayStart).getUTCDay()];
  return flag === 1 || flag === true || flag === '1';
}

/**
 * The latest time at or before `now` (ms) the schedule was due, or undefined when it was not due
 * yet. `createdAt` stands for a missing `startAfter`.
 */
export function latestDueTime(timing: JobTiming, createdAt: number, now: number): number | undefined {
  const start = typeof timing.startAfter === 'string' ? Date.parse(timing.startAfter) : createdAt;
  if (Number.isNaN(start) || now < start) return undefined;
  const repeat = typeof timing.repeatMinutes === 'number' ? timing.repeatMinutes : 0;
  if (!(repeat > 0)) return start;
  const tod = timeOfDayMs(timing.timeOfDay);
  if (tod === undefined) return start + Math.floor((now - start) / (repeat * MINUTE)) * repeat * MINUTE;
  const period = Math.min(repeat * MINUTE, DAY);
  const today = now - (now % DAY);
  // The most recent day that ran: its latest slot up to now is the due time.
  for (let day = today; day >= today - 8 * DAY; day -= DAY) {
    const anchor = day + tod;
    if (anchor > now || !runsOn(timing.daysOfWeek, day)) continue;
    const slot = anchor + Math.floor((Math.min(now, anchor + DAY - 1) - anchor) / period) * period;
    return slot >= start ? slot : undefined;
  }
  return undefined;
}

function refuse(message: string): BackendError {
  return new BackendError(ErrorCode.INVALID_JSON, message);
}

/**
 * A `job_schedule` body checked as the scheduler reads it: 107 for a field it could not use, and
 * 1 (as parse-server answers) for a job this backend does not define. `startAfter` defaults to now.
 */
export function checkedJobSchedule(body: unknown, jobDefined: (name: string) => boolean, now: Date): Json {
  if (!isPlainObject(body)) throw refuse('job_schedule must be an object');
  const schedule: Json = { ...body };
  const { jobName, description, params, startAfter, timeOfDay, daysOfWeek, repeatMinutes } = schedule;
  if (jobName !== undefined) {
    if (typeof jobName !== 'string') throw refuse('job_schedule.jobName must be a string');
    if (!jobDefined(jobName))
      // parse-server's code and words; a 400, as for any bad request (parse-server sends 500)
      throw new BackendError(ErrorCode.INTERNAL_SERVER_ERROR, 'Cannot Schedule a job that is not deployed', {
        status: 400,
      });
  }
  if (description !== undefined && typeof description !== 'string')
    throw refuse('job_schedule.description must be a string');
  if (params !== undefined) {
    let parsed: unknown;
    try {
      parsed = typeof params === 'string' ? JSON.parse(params) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!isPlainObject(parsed)) throw refuse('job_schedule.params must be a JSON object, as a string');
  }
  if (startAfter === undefined) schedule.startAfter = now.toISOString();
  else if (typeof startAfter !== 'string' || Number.isNaN(Date.parse(startAfter)))
    throw refuse('job_schedule.startAfter must be a date string');
  if (timeOfDay !== undefined && timeOfDayMs(timeOfDay) === undefined)
    throw refuse("job_schedule.timeOfDay must be a time of day ('HH:MM:SS.000Z')");
  if (
    daysOfWeek !== undefined &&
    !(Array.isArray(daysOfWeek) && daysOfWeek.length === 7 && daysOfWeek.every((d) => [0, 1, true, false].includes(d)))
  )
    throw refuse('job_schedule.daysOfWeek must be seven flags (0 or 1), Sunday first');
  if (
    repeatMinutes !== undefined &&
    !(typeof repeatMinutes === 'number' && Number.isInteger(repeatMinutes) && repeatMinutes >= 0)
  )
    throw refuse('job_schedule.repeatMinutes must be a whole number of minutes');
  for (const key of ['lastRun', 'objectId', 'createdAt', 'updatedAt', 'ACL'])
    if (key in schedule) throw refuse(`job_schedule.${key} cannot be set`);
  return schedule;
}
