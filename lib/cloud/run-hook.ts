/** Runs a hook with Parse's error semantics: `{ code, message }` keeps its code, anything else is 141. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { Registered } from './cloud-registry.js';
import type { ValidationTarget } from './validator.js';
import { isPlainObject } from '../values/json.js';

/**
 * Converts whatever a hook, function or validator threw into the error the client sees: a
 * BackendError as it is; a plain `{ code, message }` with its code (Parse's `Parse.Error` shape);
 * a string, or an Error's message, with `defaultCode`. Other errors keep only their message: their
 * codes (a driver's, a DOMException's) are not Parse codes.
 */
export function hookError(
  thrown: unknown,
  defaultCode: number = ErrorCode.SCRIPT_FAILED,
  defaultMessage = 'Script failed.',
): BackendError {
  if (thrown instanceof BackendError) return thrown;
  if (isPlainObject(thrown)) {
    const { code, message } = thrown;
    const text = typeof message === 'string' ? message : defaultMessage;
    return new BackendError(typeof code === 'number' && Number.isInteger(code) ? code : defaultCode, text, {
      cause: thrown,
    });
  }
  if (typeof thrown === 'string') return new BackendError(defaultCode, thrown);
  if (thrown instanceof Error) return new BackendError(defaultCode, thrown.message, { cause: thrown });
  return new BackendError(defaultCode, defaultMessage, { cause: thrown });
}

/** Runs a hook; a throw becomes a {@link BackendError}. */
export async function runHook<R>(hook: (request: R) => unknown, request: R): Promise<void> {
  try {
    await hook(request);
  } catch (err) {
    throw hookError(err);
  }
}

/**
 * Runs a registered hook or function: its validator first (which may refuse, or skip the handler
 * for the master key), then the handler. Returns whether the handler ran and what it returned.
 */
export async function runRegistered<R>(
  entry: Registered<(request: R) => unknown>,
  request: R,
  target: () => ValidationTarget,
): Promise<{ ran: boolean; result: unknown }> {
  if (entry.validator && (await entry.validator.run(request, target())) === 'skip')
    return { ran: false, result: undefined };
  try {
    return { ran: true, result: await entry.handler(request) };
  } catch (err) {
    throw hookError(err);
  }
}
