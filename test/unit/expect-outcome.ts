/** Table-driven checks of functions that either return or throw a Parse error. */
import { expect } from 'chai';
import { BackendError } from '../../lib/errors/backend-error.js';
import { ErrorCode } from '../../lib/errors/error-codes.js';

/** A `BackendError` expected with this code and exact message. */
export type Refusal = readonly [code: number, message: string];
/** What a call is expected to do: return (`ok`), or throw. */
export type Outcome = 'ok' | Refusal;

export const invalidQuery = (message: string): Refusal => [ErrorCode.INVALID_QUERY, message];
export const invalidKey = (key: string): Refusal => [ErrorCode.INVALID_KEY_NAME, `Invalid key name: ${key}`];
export const invalidJson = (message: string): Refusal => [ErrorCode.INVALID_JSON, message];
export const forbidden = (message: string): Refusal => [ErrorCode.OPERATION_FORBIDDEN, message];

/** Runs `run` and checks it returned, or threw exactly the expected Parse error. */
export function expectOutcome(run: () => unknown, expected: Outcome, label = ''): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  if (expected === 'ok') {
    expect(thrown, label).to.equal(undefined);
    return;
  }
  expect(thrown, label).to.be.instanceOf(BackendError);
  const { code, message } = thrown as BackendError;
  expect([code, message], label).to.deep.equal(expected);
}
