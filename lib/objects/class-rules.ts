/**
 * Rules a class keeps on every write, whoever writes it. REST (`/classes`, `/users`, `/roles`,
 * `/sessions`), `/batch`, `backend.data` and `request.data` all enter the same save and delete
 * pipelines, which ask the written class's rules; so a rule written here holds on every path.
 * The system classes' rules (`_User`, `_Session`, `_Role`) are given by the composition root.
 */
import type { RequestAuth } from '../access/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { assertClassName, isWritableThroughClasses } from '../schema/names.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
import type { Json } from '../values/json.js';
import type { SaveSteps } from './save-object.js';

export type WriteAction = 'create' | 'update' | 'delete';

/** A write that has just been stored. */
export interface StoredWrite {
  creating: boolean;
  objectId: string;
  /** The values the caller sent, after beforeSave (operations included). */
  sent: Json;
  /** The object as stored (after an update: the whole object). */
  stored: RestObject;
}

export interface ClassRules {
  /** Shows some fields of objects read from the class its own way (after the caller's field rules). */
  shown?(ctx: OperationContext, objects: RestObject[]): RestObject[];
  /** Refuses a write the caller may not make to this class at all, before anything is read. */
  assertWritable?(ctx: OperationContext, action: WriteAction, objectId?: string): void;
  /**
   * Runs first in a create or update, before beforeSave: works out which object the write is about
   * and normalizes its body. A create may turn out to be an update of `objectId` (an installation
   * registered again); an update returns no `objectId`.
   */
  settle?(
    ctx: OperationContext,
    objectId: string | undefined,
    body: unknown,
  ): Promise<{ objectId?: string; body: Json }>;
  /** Steps inside the save pipeline: checks, internal fields, a new object's default ACL. */
  saveSteps?(ctx: OperationContext, write: { objectId?: string; body: unknown }): SaveSteps | Promise<SaveSteps>;
  /**
   * Runs once the object is stored, before the afterSave hooks: the class's side effects (a
   * sign-up's session, sessions ended by a password change). Returns fields the response adds.
   */
  afterStore?(ctx: OperationContext, write: StoredWrite): Promise<Json | undefined>;
  /** Replaces the generic delete, for classes whose objects end through a flow of their own. */
  delete?(ctx: OperationContext, objectId: string): Promise<void>;
  /** Runs once the object is deleted, before the afterDelete hooks. */
  afterDelete?(ctx: OperationContext, objectId: string): Promise<void>;
  /**
   * The error for an update or delete of an object the caller cannot see or write; `undefined`
   * (or no rule) keeps the default, 101.
   */
  notWritable?(ctx: OperationContext): BackendError | undefined;
}

/** The error for an update or delete that found nothing the caller may write. */
export function notWritableError(ctx: OperationContext, rules: ClassRules): BackendError {
  return rules.notWritable?.(ctx) ?? new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
}

/** The rules of the classes that have some, by class name. */
export type ClassRuleBook = ReadonlyMap<string, ClassRules>;

/**
 * Who may write a class that has no rule of its own: anyone its permissions allow, for app
 * classes; the master key only, for system classes; nobody, for join and session collections,
 * which keep invariants of their own.
 */
export function assertGenericWritable(auth: RequestAuth, className: string): void {
  if (!isWritableThroughClasses(className) && !auth.master) {
    throw new BackendError(
      ErrorCode.OPERATION_FORBIDDEN,
      `Clients aren't allowed to perform the write operation on the ${className} collection.`,
    );
  }
  if (className.startsWith('_Join:') || className === '_Session') {
    throw new BackendError(
      ErrorCode.OPERATION_FORBIDDEN,
      `The ${className} collection cannot be written through /classes.`,
    );
  }
}

/** The rules of `className` (none for most classes), after checking that the caller may write it. */
export function writeRulesFor(
  ctx: OperationContext,
  className: string,
  action: WriteAction,
  objectId?: string,
): ClassRules {
  assertClassName(className);
  const rules = ctx.services.classRules.get(className) ?? {};
  if (rules.assertWritable) rules.assertWritable(ctx, action, objectId);
  else assertGenericWritable(ctx.caller.auth, className);
  return rules;
}
