/**
 * The response object of an Express-style cloud function (`(request, response) => ...`), as
 * parse-server 9 hands it: `response.status(code)` and `response.header(name, value)` shape the
 * HTTP answer, `response.success(result)` or `response.error(message)` give it.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { hookError } from './hook-runner.js';

/** What an Express-style function answers with. */
export interface FunctionResponse {
  /** Sets the HTTP status of the answer (a success's or an error's). */
  status(code: number): FunctionResponse;
  /** Adds a header to the answer. */
  header(name: string, value: string): FunctionResponse;
  success(result?: unknown): void;
  error(message?: unknown): void;
}

/** How long an Express-style function may take to call success() or error() after returning nothing. */
export const ANSWER_WAIT_MS = 30_000;

/** A function's answer: its result, and the status and headers it chose. */
export interface FunctionAnswer {
  result: unknown;
  status?: number;
  headers?: Record<string, string>;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/** A response object, and the answer it gives once success() or error() is called. */
export function functionResponse(): { response: FunctionResponse; answered: Promise<FunctionAnswer>; sent(): boolean } {
  let status: number | undefined;
  const headers: Record<string, string> = {};
  let sent = false;
  let resolve!: (answer: FunctionAnswer) => void;
  let reject!: (err: unknown) => void;
  const answered = new Promise<FunctionAnswer>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A function that answers and then fails is not a second answer.
  answered.catch(() => undefined);
  const once = (): void => {
    if (sent) throw new Error('success() or error() was already called for this cloud function');
    sent = true;
  };
  const response: FunctionResponse = {
    status(code) {
      if (!Number.isInteger(code) || code < 100 || code > 599)
        throw new TypeError(`response.status: ${code} is not an HTTP status`);
      status = code;
      return response;
    },
    header(name, value) {
      // A name or value that could split the header block is refused here, not sent.
      if (!HEADER_NAME.test(name) || /[\r\n]/.test(String(value)))
        throw new TypeError(`response.header: ${name} is not a header a response can carry`);
      headers[name] = String(value);
      return response;
    },
    success(result) {
      once();
      resolve({ result, ...(status ? { status } : {}), ...(Object.keys(headers).length ? { headers } : {}) });
    },
    error(message) {
      once();
      const error = hookError(message, ErrorCode.SCRIPT_FAILED, 'Script failed.');
      reject(status ? new BackendError(error.code, error.message, { cause: error, status }) : error);
    },
  };
  return { response, answered, sent: () => sent };
}
