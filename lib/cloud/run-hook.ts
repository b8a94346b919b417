/** Runs a hook with Parse's error semantics: `{ code, message }` keeps its code, anything else is 141. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { Registered } from './cloud-registry.js';
import type { ValidationTarget } from './validator.js';

/** Converts whatever a hook threw into the error the client sees. */
export function hookError(thrown: unknown): BackendError {
  if (thrown instanceof BackendError) return thrown;
  if (thrown !== null && typeof thrown === 'object') {
    const { code, message } = thrown as { code?: unknown; message?: unknown };
    if (typeof code === 'number' && Number.isInteger(code)) return new BackendError(code, typeof message === 'string' ? message : 'Script failed.', { cause: thrown });
    if (typeof message === 'string') return new BackendError(ErrorCode.SCRIPT_FAILED, message, { cause: thrown });
  }
  if (typeof thrown === 'string') return new BackendError(ErrorCode.SCRIPT_FAILED, thrown);
  return new BackendError(ErrorCode.SCRIPT_FAILED, 'Script failed.', { cause: thrown });
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
export async function runRegistered<R>(entry: Registered<(request: R) => unknown>, request: R, target: () => ValidationTarget): Promise<{ ran: boolean; result: unknown }> {
  if (entry.validator && (await entry.validator.run(request, target())) === 'skip') return { ran: false, result: undefined };
  try {
    return { ran: true, result: await entry.handler(request) };
  } catch (err) {
    throw hookError(err);
  }
}
