/** Running the class hooks on objects (beforeSave, afterSave, beforeDelete, afterDelete). */
import type { Registered } from '../cloud/cloud-registry.js';
import type { HookObject } from '../cloud/hook-object.js';
import type { ObjectHook, ObjectHookRequest } from '../cloud/hook-requests.js';
import { runRegistered } from '../cloud/run-hook.js';
import type { OperationContext } from '../services.js';
import { cloudRequestBase, validationTarget } from '../cloud/caller-fields.js';

/** An object's fields without the class name, as validators check them. */
export function fieldsOf(object: HookObject): Record<string, unknown> {
  const { className: _className, ...fields } = object.toJSON();
  return fields;
}

/** Runs a hook (after its validator) on an object; false when the validator skipped it. */
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
  return ran;
}

/** Runs an after-hook: the write already happened and cannot be undone, so a failure is logged, not sent. */
export async function runAfterHook(
  ctx: OperationContext,
  trigger: string,
  run: () => Promise<unknown>,
  details: Record<string, unknown>,
): Promise<void> {
  try {
    await run();
  } catch (err) {
    ctx.services.config.logger.error(`${trigger} hook failed`, { ...details, error: String(err) });
  }
}
