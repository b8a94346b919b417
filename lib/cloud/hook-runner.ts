/**
 * The one hook runner: every trigger kind — object triggers, find triggers, login and file triggers,
 * cloud functions and jobs — runs its handler through here, with Parse's error semantics (a thrown
 * `{ code, message }` keeps its code, anything else is 141), validators first where registered.
 * An object's afterSave fails quietly (logged, never sent: `runAfterTrigger`); the other
 * after-triggers answer with their error, as parse-server does.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { Registered } from './cloud-registry.js';
import type { ValidationTarget } from './validator.js';
import { isPlainObject, type Json } from '../values/json.js';
import type { OperationContext } from '../services.js';
import { cloudRequestBase, validationTarget } from './caller-fields.js';
import type { HookObject } from './hook-object.js';
import type { ObjectHook, ObjectHookRequest } from './hook-requests.js';

/**
 * The Parse SDK's `Parse.Error` (of whichever copy of the SDK the host loaded), which cloud code
 * written for parse-server throws: its code is a Parse code.
 */
function isSdkParseError(thrown: unknown): thrown is Error & { code: number } {
  return (
    thrown instanceof Error &&
    thrown.constructor.name === 'ParseError' &&
    Number.isInteger((thrown as { code?: unknown }).code)
  );
}

/**
 * Converts whatever a hook, function or validator threw into the error the client sees: a
 * BackendError as it is; a plain `{ code, message }` with its code (Parse's `Parse.Error` shape);
 * the SDK's `Parse.Error` with its code; a string, or an Error's message, with `defaultCode`. Other errors keep only their message: their
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
  if (isSdkParseError(thrown)) return new BackendError(thrown.code, thrown.message, { cause: thrown });
  if (thrown instanceof Error) return new BackendError(defaultCode, thrown.message, { cause: thrown });
  return new BackendError(defaultCode, defaultMessage, { cause: thrown });
}

/** What a failed trigger answers when what it threw says nothing (`throw null`), as parse-server. */
export interface Failure {
  code: number;
  message: string;
}

export const TRIGGER_FAILED: Failure = { code: ErrorCode.SCRIPT_FAILED, message: 'Script failed. Unknown error.' };

/** Runs a hook that has no validator (login triggers); a throw becomes a {@link BackendError}. */
export async function runHook<R>(
  hook: (request: R) => unknown,
  request: R,
  failure: Failure = TRIGGER_FAILED,
): Promise<void> {
  try {
    await hook(request);
  } catch (err) {
    throw hookError(err, failure.code, failure.message);
  }
}

/**
 * Runs an after-trigger: what it reacts to has happened and cannot be undone, so a failure is
 * logged with `details`, never sent to the client.
 */
export async function runAfterTrigger(
  ctx: OperationContext,
  trigger: string,
  details: Json,
  run: () => Promise<unknown>,
): Promise<void> {
  try {
    await run();
  } catch (err) {
    ctx.services.config.logger.error(`${trigger} hook failed`, { ...details, error: String(err) });
  }
}

/** An object's fields without the class name, as validators check them. */
export function fieldsOf(object: HookObject): Json {
  const { className: _className, ...fields } = object.toJSON();
  return fields;
}

/** Runs a class trigger on an object (after its validator); false when the validator skipped it. */
export async function runObjectHook(
  ctx: OperationContext,
  entry: Registered<ObjectHook>,
  trigger: ObjectHookRequest['triggerName'],
  object: HookObject,
  original: HookObject | undefined,
): Promise<boolean> {
  const request: ObjectHookRequest = { ...(await cloudRequestBase(ctx)), object, original, triggerName: trigger };
  const { ran } = await runRegistered(entry, request, () =>
    validationTarget(ctx, request, fieldsOf(object), object, original),
  );
  // A context the hook replaced (`request.context = {...}`) reaches the hooks after it, as in parse-server.
  const context = ctx.caller.context;
  if (request.context !== context && isPlainObject(request.context) && isPlainObject(context))
    Object.assign(context, request.context);
  return ran;
}

/**
 * Runs a registered hook or function: its validator first (which may refuse, or skip the handler
 * for the master key), then the handler. Returns whether the handler ran and what it returned.
 */
export async function runRegistered<R>(
  entry: Registered<(request: R) => unknown>,
  request: R,
  target: () => ValidationTarget,
  failure: Failure = TRIGGER_FAILED,
): Promise<{ ran: boolean; result: unknown }> {
  if (entry.validator && (await entry.validator.run(request, target())) === 'skip')
    return { ran: false, result: undefined };
  try {
    return { ran: true, result: await entry.handler(request) };
  } catch (err) {
    throw hookError(err, failure.code, failure.message);
  }
}
