/**
 * Deletes an object (DELETE /classes/:className/:objectId, a data API delete): one atomic delete,
 * limited to objects the caller may write, between the class's beforeDelete and afterDelete hooks,
 * with its class's rules.
 */
import { classAccess, restricted } from '../access/class-access.js';
import { principalsOf } from '../access/request-auth.js';
import { HookObject } from '../cloud/hook-object.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import { notWritableError, writeRulesFor } from './class-rules.js';
import { runObjectHook } from '../cloud/hook-runner.js';

export async function deleteObject(ctx: OperationContext, className: string, objectId: string): Promise<void> {
  const rules = writeRulesFor(ctx, className, 'delete', objectId);
  if (rules.delete) return rules.delete(ctx, objectId);
  const { cloud, storage } = ctx.services;
  const schema = await ctx.services.schemas.get(className);
  const restriction = classAccess(ctx.caller.auth, className, schema, 'delete');
  const before = cloud.hook('beforeDelete', className);
  const after = cloud.hook('afterDelete', className);
  let object: HookObject | undefined;
  let last: RestObject | undefined;
  if (schema && (before || after || ctx.services.live.watches(className))) {
    // The hooks see the object the caller may delete, as parse-server fetches it for them.
    const [stored] = await storage.findObjects(
      schema,
      restricted({ objectId }, restriction),
      { limit: 1, forWrite: true },
      principalsOf(ctx.caller.auth),
    );
    if (!stored) throw notWritableError(ctx, rules);
    last = stored;
    object = new HookObject(className, stored);
    if (before) await runObjectHook(ctx, before, 'beforeDelete', object, undefined);
  }
  const deleted = schema
    ? await storage.deleteObject(schema, restricted({ objectId }, restriction), principalsOf(ctx.caller.auth))
    : false;
  if (!deleted) throw notWritableError(ctx, rules);
  await rules.afterDelete?.(ctx, objectId);
  if (last) ctx.services.live.publish({ className, object: last, original: null, deleted: true });
  // The object is gone; afterDelete's failure still reaches the client, as parse-server answers.
  if (after && object) await runObjectHook(ctx, after, 'afterDelete', object, undefined);
}
