/** DELETE /classes/:className/:objectId: one atomic delete, limited to objects the caller may write. */
import { classAccess, restricted } from '../access/class-access.js';
import { principalsOf } from '../auth/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertClassName } from '../schema/names.js';
import type { OperationContext } from '../services.js';

export async function deleteObject(ctx: OperationContext, className: string, objectId: string): Promise<void> {
  assertClassName(className);
  const schema = await ctx.services.schemas.get(className);
  const restriction = classAccess(ctx.caller.auth, className, schema, 'delete');
  const deleted = schema ? await ctx.services.storage.deleteObject(schema, restricted({ objectId }, restriction), principalsOf(ctx.caller.auth)) : false;
  if (!deleted) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
}
