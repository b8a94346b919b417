/**
 * Time limits on the part of a command that evaluates documents (filters, pipelines, sorts).
 *
 * A command's `maxTimeMS` bounds it as in MongoDB: past it the command fails with
 * MaxTimeMSExpired (50). A command that evaluates regular expressions and sets no limit of its own
 * gets the server's regex limit instead, since one catastrophic pattern (`^(a+)+$` on a long
 * almost-matching string) can backtrack for minutes inside a single `RegExp#exec` that no loop
 * check can reach.
 *
 * The evaluation runs through `vm` with a timeout: V8 stops the running script from a watchdog
 * thread, also in the middle of a regex match, and the command fails cleanly. Only evaluation
 * runs this way, never a write: the stored documents and indexes are untouched when it is ended.
 * The watchdog costs a thread start (tens of microseconds), so commands without a limit and
 * without a regex run directly.
 */
import { createContext, Script } from 'node:vm';
import { commandError, ErrorCode } from '../engine/command-error.js';
import { isPlainObject, type Doc } from '../engine/values.js';

/** Runs the evaluating part of a command, within the command's time limit if it has one. */
export type Evaluate = <T>(evaluation: () => T) => T;

/** The fields of a command that hold filters or pipelines, by command name (lower case). */
const EVALUATED_FIELDS: Record<string, readonly string[]> = {
  find: ['filter'],
  count: ['query'],
  distinct: ['query'],
  aggregate: ['pipeline'],
  update: ['updates'],
  delete: ['deletes'],
  findandmodify: ['query'],
};

const REGEX_OPERATORS = new Set(['$regex', '$regexMatch', '$regexFind', '$regexFindAll']);

/** Deep enough for any real filter; a deeper one is treated as holding a regex (the safe answer). */
const MAX_DEPTH = 100;

function holdsRegex(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return true;
  if (value instanceof RegExp) return true;
  if (Array.isArray(value)) return value.some((item) => holdsRegex(item, depth + 1));
  if (!isPlainObject(value)) return false;
  for (const [key, item] of Object.entries(value)) {
    if (REGEX_OPERATORS.has(key) || holdsRegex(item, depth + 1)) return true;
  }
  return false;
}

/** The `maxTimeMS` a command sets (0: none); MongoDB's BadValue for a negative or fractional one. */
function maxTimeOf(cmd: Doc): number {
  const value = cmd.maxTimeMS;
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1)
    throw commandError(ErrorCode.BadValue, `${String(value)} value for maxTimeMS is out of range [0, 2147483647]`);
  return value;
}

const watchdogContext = createContext({ evaluation: null as (() => unknown) | null });
const runEvaluation = new Script('evaluation()');

function timedOut(): Error {
  return commandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit');
}

/** Runs `evaluation` and ends it with MaxTimeMSExpired if it is still running after `ms`. */
function withWatchdog<T>(evaluation: () => T, ms: number): T {
  watchdogContext.evaluation = evaluation;
  try {
    return runEvaluation.runInContext(watchdogContext, { timeout: ms, breakOnSigint: false }) as T;
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw timedOut();
    throw err;
  } finally {
    watchdogContext.evaluation = null;
  }
}

const direct: Evaluate = (evaluation) => evaluation();

/**
 * How the command `name` evaluates documents: directly, or under a watchdog whose limit is the
 * command's `maxTimeMS`, else `regexLimitMs` when the command holds a regex. The limit counts from
 * this call, and is shared by every evaluation the command makes.
 */
export function evaluatorFor(name: string, cmd: Doc, regexLimitMs: number): Evaluate {
  const fields = EVALUATED_FIELDS[name];
  if (!fields) return direct;
  let limit = maxTimeOf(cmd);
  if (limit === 0 && regexLimitMs > 0 && fields.some((field) => holdsRegex(cmd[field], 0))) limit = regexLimitMs;
  if (limit === 0) return direct;
  const deadline = performance.now() + limit;
  return (evaluation) => {
    const left = Math.ceil(deadline - performance.now());
    if (left <= 0) throw timedOut();
    return withWatchdog(evaluation, left);
  };
}
