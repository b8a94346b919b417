/** Driver errors, turned into the Parse errors a client should see. Part of the MongoDB storage. */
import { BackendError } from '../../errors/backend-error.js';
import { ErrorCode } from '../../errors/error-codes.js';

const UNREACHABLE_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClearedError',
]);

/**
 * MongoDB's codes for a request it cannot run as asked, by the Parse code a client gets: a bad
 * query (BadValue, FailedToParse, IndexNotFound, NoQueryExecutionPlans, a $meta sort without
 * $text, bad regexes), a type clash in an update (TypeMismatch, PathNotViable), or conflicting
 * update paths.
 */
const CLIENT_ERROR_CODES = new Map<number, number>([
  [2, ErrorCode.INVALID_QUERY],
  [9, ErrorCode.INVALID_QUERY],
  [27, ErrorCode.INVALID_QUERY],
  [291, ErrorCode.INVALID_QUERY],
  [40218, ErrorCode.INVALID_QUERY],
  [51091, ErrorCode.INVALID_QUERY],
  [51108, ErrorCode.INVALID_QUERY],
  [14, ErrorCode.INCORRECT_TYPE],
  [28, ErrorCode.INCORRECT_TYPE],
  [40, ErrorCode.INVALID_JSON],
  // An index the database refuses: same key under another name, a name reused, a bad spec.
  [67, ErrorCode.INVALID_QUERY],
  [85, ErrorCode.INVALID_QUERY],
  [86, ErrorCode.INVALID_QUERY],
]);

/** Network failures the driver reports in a message rather than a type. */
const NETWORK_MESSAGE = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|socket|connection .*closed/i;

interface DriverError {
  name?: string;
  message?: string;
  code?: number;
  cause?: unknown;
  writeErrors?: unknown;
  errorResponse?: { reason?: unknown };
  hasErrorLabel?: (label: string) => boolean;
}

/**
 * Whether the database could not be reached, however the driver wraps it: its unreachable error
 * types; a write the driver marks retryable (it failed on the network); a bulk write that failed
 * as a whole before any document was written (it carries the failed server selection, or the
 * network error, instead of per-document errors); or a cause that is one of these.
 */
function isUnreachable(err: unknown, depth = 0): boolean {
  const e = err as DriverError | null;
  if (!e || typeof e !== 'object' || depth > 4) return false;
  if (e.name && UNREACHABLE_ERRORS.has(e.name)) return true;
  if (typeof e.hasErrorLabel === 'function' && e.hasErrorLabel('RetryableWriteError')) return true;
  if (e.name === 'MongoBulkWriteError') {
    const perDocument = Array.isArray(e.writeErrors) ? e.writeErrors.length > 0 : e.writeErrors !== undefined;
    if (!perDocument && (e.errorResponse?.reason !== undefined || NETWORK_MESSAGE.test(e.message ?? ''))) return true;
  }
  return isUnreachable(e.cause, depth + 1);
}

/** The `_User` index a duplicate-key error names (real MongoDB and the built-in one say it alike). */
const USER_INDEX = /collection: \S*\._User index: (\S+)/;

/**
 * A duplicate key: on a user's username or email index, the taken name or address (202, 203), as
 * the application check answers, so that the loser of a race learns the same; otherwise 137.
 */
function duplicateError(err: unknown): BackendError {
  const index = USER_INDEX.exec((err as Error).message ?? '')?.[1] ?? '';
  if (index.includes('username')) {
    return new BackendError(ErrorCode.USERNAME_TAKEN, 'Account already exists for this username.', { cause: err });
  }
  if (index.includes('email')) {
    return new BackendError(ErrorCode.EMAIL_TAKEN, 'Account already exists for this email address.', { cause: err });
  }
  return new BackendError(ErrorCode.DUPLICATE_VALUE, 'A duplicate value for a field with unique values was provided', {
    cause: err,
  });
}

/** Translates a driver error into the Parse error a client should see. */
export function toBackendError(err: unknown): unknown {
  if (err instanceof BackendError) return err;
  const e = err as { name?: string; code?: number; errorLabels?: string[] } | null;
  if (e?.code === 11000) return duplicateError(err);
  const clientCode =
    e?.name === 'MongoServerError' && e.code !== undefined ? CLIENT_ERROR_CODES.get(e.code) : undefined;
  if (clientCode !== undefined) return new BackendError(clientCode, (err as Error).message, { cause: err });
  if (e?.name === 'MongoOperationTimeoutError') {
    return new BackendError(ErrorCode.TIMEOUT, 'The database did not answer in time.', { cause: err });
  }
  // MaxTimeMSExpired: a query past `databaseOptions.maxTimeMS` (parse-server answers 500 here).
  if (e?.name === 'MongoServerError' && e.code === 50) {
    return new BackendError(ErrorCode.TIMEOUT, 'The query took longer than the database time limit (maxTimeMS).', {
      cause: err,
    });
  }
  if (e?.name === 'MongoServerError' && e.code === 59) {
    return new BackendError(ErrorCode.COMMAND_UNAVAILABLE, 'The database does not support this operation.', {
      cause: err,
    });
  }
  if (isUnreachable(err)) {
    return new BackendError(ErrorCode.CONNECTION_FAILED, 'The database is unavailable; try again shortly.', {
      cause: err,
    });
  }
  return err;
}
