/** The one place errors become Parse's REST error bodies and HTTP statuses. */
import type { Logger } from '../config/options.js';
import { AccessDeniedError, BackendError } from '../errors/backend-error.js';
import { ErrorCode, httpStatusFor } from '../errors/error-codes.js';
import type { Response } from 'express';

export function errorBody(err: unknown, logger: Required<Logger>): { status: number; body: Record<string, unknown> } {
  if (err instanceof BackendError) {
    // An error thrown with a code and no message (`new Parse.Error(141)`) reaches the client so.
    const body = err.message === '' ? { code: err.code } : { code: err.code, error: err.message };
    return { status: err.status ?? httpStatusFor(err.code), body };
  }
  if (err instanceof AccessDeniedError) return { status: err.status, body: { error: err.message } };
  logger.error('unexpected error', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return { status: 500, body: { code: ErrorCode.INTERNAL_SERVER_ERROR, error: 'Internal server error.' } };
}

/** Writes an error as Parse's JSON (or ends the response when it already started). */
export function sendError(res: Response, err: unknown, logger: Required<Logger>): void {
  const { status, body } = errorBody(err, logger);
  if (!res.headersSent) res.status(status).json(body);
  else res.destroy();
}
