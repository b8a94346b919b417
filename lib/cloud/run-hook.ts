/** Runs a hook with Parse's error semantics: `{ code, message }` keeps its code, anything else is 141. */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

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
