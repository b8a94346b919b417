/**
 * The bytes one request may assemble from the database. Every read of the request (its results,
 * included objects, sub-queries, each read of a batch) charges the documents it loads, as it loads
 * them, so that a request asking for too much stops at the bound instead of exhausting memory.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ByteBudget } from '../storage/storage.js';

/** Thrown once a request's reads pass `maxResponseSize`; a batch answers it for the whole batch. */
export class ResponseTooLargeError extends BackendError {
  constructor(limit: number) {
    super(
      ErrorCode.OBJECT_TOO_LARGE,
      `This request reads more than ${formatBytes(limit)} (maxResponseSize): ask for fewer objects or fields, or fewer reads per batch.`,
    );
    this.name = 'ResponseTooLargeError';
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${bytes} bytes`;
}

/** A request's byte budget; `Infinity` never runs out. */
export class ResponseBudget implements ByteBudget {
  private spent = 0;

  constructor(private readonly limit: number) {}

  charge(bytes: number): void {
    this.spent += bytes;
    if (this.spent > this.limit) throw new ResponseTooLargeError(this.limit);
  }
}
