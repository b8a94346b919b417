/**
 * Parse's `$relativeTime` ("in 2 days", "3 hours ago", "now") for date constraints, parsed in
 * linear time (no regex backtracking on client input).
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

const SECONDS: Record<string, number> = {
  yr: 31536000,
  yrs: 31536000,
  year: 31536000,
  years: 31536000,
  wk: 604800,
  wks: 604800,
  week: 604800,
  weeks: 604800,
  d: 86400,
  day: 86400,
  days: 86400,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
};

function invalid(reason: string): BackendError {
  return new BackendError(ErrorCode.INVALID_JSON, `bad $relativeTime value: ${reason}`);
}

/** The date `text` names, relative to `now`. Throws 107 for text it cannot read. */
export function relativeTimeToDate(text: unknown, now: Date): Date {
  if (typeof text !== 'string' || text.length > 200) throw invalid('must be a short string');
  const words = text
    .toLowerCase()
    .split(' ')
    .filter((w) => w !== '');
  if (words.length === 1 && words[0] === 'now') return new Date(now.getTime());
  const future = words[0] === 'in';
  const past = words[words.length - 1] === 'ago';
  if (future === past) throw invalid("it must start with 'in' or end with 'ago'");
  const parts = future ? words.slice(1) : words.slice(0, -1);
  if (parts.length === 0 || parts.length % 2 !== 0) throw invalid('expected pairs of a number and a unit');
  let seconds = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const amount = Number(parts[i]);
    const unit = SECONDS[parts[i + 1]!];
    if (!Number.isInteger(amount)) throw invalid(`'${parts[i]}' is not an integer`);
    if (unit === undefined) throw invalid(`unknown unit '${parts[i + 1]}'`);
    seconds += amount * unit;
  }
  const date = new Date(now.getTime() + (future ? 1 : -1) * seconds * 1000);
  if (Number.isNaN(date.getTime())) throw invalid('the date is out of range');
  return date;
}
