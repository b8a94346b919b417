/**
 * The save pipeline, as a flat list of steps: check the body -> run beforeSave -> check the schema
 * -> write (one atomic database operation) -> relations -> response -> afterSave.
 */
import { assertClassAccess, classAccess, restricted } from '../access/class-access.js';
import { fieldProtection, visibleTo } from '../access/protected-fields.js';
import { principalsOf } from '../access/request-auth.js';
import { HookObject } from '../cloud/hook-object.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { OperationContext } from '../services.js';
import type { RestObject, UserSecretsChange } from '../storage/storage.js';
import { notWritableError, writeRulesFor, type ClassRules } from './class-rules.js';
import { runAfterTrigger, runObjectHook } from '../cloud/hook-runner.js';
import { isValidCustomObjectId, newObjectId } from '../values/object-id.js';
import { isOperation, resolveForCreate } from '../values/operations.js';
import { applyFieldOptions } from './field-options.js';
import { parseWriteBody, type RelationChange, type WriteBody } from './write-body.js';
import { isObject, type Json } from '../values/json.js';

/** What a create or update returns to the client. */
export interface SaveResult {
  /** The response body: `{objectId, createdAt}` or `{updatedAt}`, plus fields the server changed. */
  body: RestObject;
  objectId: string;
  /** The object as stored (for the data API; not sent to clients). */
  object: RestObject;
  /** Fields the class's rules added to the response (a sign-up's `sessionToken`). */
  added: Json;
  /** False when a create turned out to update an object already there (an installation registered again). */
  created: boolean;
}

/**
 * `requestKeywordDenylist` on what is about to be written. Every request's JSON was already checked
 * against parse-server's default list, so that list needs another look only at what a beforeSave
 * hook may have set; a host's own list is applied to every write.
 */
function assertNoDeniedKeywords(ctx: OperationContext, className: string, values: Json): void {
  const denylist = ctx.services.config.requestKeywordDenylist;
  if (denylist.beyondRequestCheck || ctx.services.cloud.hook('beforeSave', className)) denylist.assert(values);
}

/** Runs beforeSave, if any, and re-checks what it changed; returns the body to write. */
async function beforeSave(
  ctx: OperationContext,
  className: string,
  saved: Json,
  body: WriteBody,
): Promise<{ body: WriteBody; changedByHook: string[] }> {
  const hook = ctx.services.cloud.hook('beforeSave', className);
  if (!hook) return { body, changedByHook: [] };
  const pending: Json = { ...body.values };
  if (body.acl) pending.ACL = body.acl;
  const object = new HookObject(className, saved, pending);
  const original = saved.objectId ? new HookObject(className, saved) : undefined;
  await runObjectHook(ctx, hook, 'beforeSave', object, original);
  const changes = object.changes();
  // Keys the hook set differently, and keys it reverted: the client must learn the stored value.
  const changedByHook = [
    ...Object.keys(changes).filter((k) => JSON.stringify(changes[k]) !== JSON.stringify(pending[k])),
    ...Object.keys(pending).filter((k) => !(k in changes)),
  ];
  const rechecked = parseWriteBody(changes, { update: saved.objectId !== undefined });
  return { body: { ...rechecked, relations: [...body.relations, ...rechecked.relations] }, changedByHook };
}

/** Fields an afterSave may not show otherwise than stored. */
const SERVER_FIELDS = new Set(['objectId', 'createdAt', 'updatedAt', 'ACL', 'sessionToken']);

/**
 * What afterSave changed on its object, for the response only (nothing more is stored), as
 * parse-server answers: a removed field as `{__op: 'Delete'}`, pointers left out (the client
 * holds them already).
 */
function afterSaveChanges(object: HookObject): Json {
  const out: Json = {};
  const current = object.toJSON();
  for (const key of Object.keys(object.changes())) {
    if (SERVER_FIELDS.has(key)) continue;
    const value = current[key];
    if (value === undefined) out[key] = { __op: 'Delete' };
    else if (!(isObject(value) && value.__type === 'Pointer')) out[key] = value;
  }
  return out;
}

/** Runs afterSave (its failure is logged); returns what it changed for the response. */
async function runAfterSave(
  ctx: OperationContext,
  className: string,
  saved: Json,
  original: Json | undefined,
): Promise<Json> {
  const hook = ctx.services.cloud.hook('afterSave', className);
  if (!hook) return {};
  const object = new HookObject(className, saved);
  const before = original ? new HookObject(className, original) : undefined;
  let ran = false;
  await runAfterTrigger(ctx, 'afterSave', { className, objectId: saved.objectId }, async () => {
    ran = await runObjectHook(ctx, hook, 'afterSave', object, before);
  });
  return ran ? afterSaveChanges(object) : {};
}

/** Values for the schema check: the written fields plus the relation fields' types. */
function schemaValues(values: Json, relations: RelationChange[]): Json {
  const out: Json = { ...values };
  for (const r of relations) out[r.field] = { __type: 'Relation', className: r.targetClass };
  return out;
}

async function applyRelations(
  ctx: OperationContext,
  className: string,
  objectId: string,
  relations: RelationChange[],
): Promise<void> {
  for (const r of relations) {
    const ref = { owningClass: className, field: r.field, owningId: objectId };
    if (r.op === 'AddRelation') await ctx.services.storage.addRelations(ref, r.objectIds);
    else await ctx.services.storage.removeRelations(ref, r.objectIds);
  }
}

/** Fields the client must be told about: results of operations and changes made by hooks. */
function serverChangedFields(stored: Json, values: Json, changedByHook: string[]): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(values)) {
    const field = key.split('.')[0]!;
    if (isOperation(value) || changedByHook.includes(key)) out[field] = stored[field];
  }
  for (const key of changedByHook) if (!(key in out) && key !== 'ACL') out[key] = stored[key];
  for (const key of Object.keys(out)) {
    if (out[key] !== undefined) continue;
    // A field a hook removed is removed on the client too, as parse-server tells it.
    if (changedByHook.includes(key)) out[key] = { __op: 'Delete' };
    else delete out[key];
  }
  return out;
}

/**
 * A create or update response as the caller may see it: protected fields are left out, as in
 * results (they could come back as an operation's result or a hook's change).
 */
function visibleResponse(ctx: OperationContext, schema: ClassSchema, objectId: string, body: RestObject): RestObject {
  const protection = fieldProtection(ctx.services.config.protectedFields, schema.className, schema, ctx.caller.auth);
  if (protection.hidden.length === 0 && protection.byPointer.length === 0 && schema.className !== '_User') return body;
  const visible = visibleTo(protection, { ...body, objectId });
  return 'objectId' in body
    ? visible
    : Object.fromEntries(Object.entries(visible).filter(([key]) => key !== 'objectId'));
}

/**
 * Steps a class with rules of its own (`_User`) adds to the pipeline: after the hooks, it may
 * take values out (a password) and change secrets (its hash), and give new objects an ACL.
 */
export interface SaveSteps {
  /** Runs after beforeSave: checks values and returns what to store, and the user secrets to change. */
  beforeStore?(values: Json, objectId: string): Promise<{ values: Json; secrets?: UserSecretsChange }>;
  /** The ACL to store, given the one the write carries (if any): the class may default or amend it. */
  acl?(objectId: string, given: Json | undefined): Json | undefined;
  /**
   * Fields the write sent that are stored apart (not as values) and that afterSave still sees as
   * sent, as parse-server hands them on: a user's `authData`.
   */
  sentToAfterSave?: readonly string[];
  /** Fields the steps add to the write's response, read after the write (a user's `authDataResponse`). */
  answer?(): Json | undefined;
}

/** The saved object as afterSave sees it: with the sent fields the class stores apart. */
function afterSaveView(saved: RestObject, sent: Json, steps: SaveSteps): RestObject {
  const keep = (steps.sentToAfterSave ?? []).filter((key) => sent[key] !== undefined);
  return keep.length === 0 ? saved : { ...saved, ...Object.fromEntries(keep.map((key) => [key, sent[key]])) };
}

async function beforeStore(
  steps: SaveSteps,
  values: Json,
  objectId: string,
): Promise<{ values: Json; secrets?: UserSecretsChange }> {
  return steps.beforeStore ? steps.beforeStore(values, objectId) : { values };
}

/** Fields the class's own steps took out of the write (a password): never echoed back. */
function withheld(before: Json, after: Json): Set<string> {
  return new Set(Object.keys(before).filter((key) => !(key in after)));
}

function without(values: Json, keys: Set<string>): Json {
  return Object.fromEntries(Object.entries(values).filter(([key]) => !keys.has(key)));
}

/** Creates an object (POST /classes/:className, a sign-up, a data API create), with its class's rules. */
export async function createObject(ctx: OperationContext, className: string, sentBody: unknown): Promise<SaveResult> {
  const { services } = ctx;
  const rules = writeRulesFor(ctx, className, 'create');
  let rawBody = sentBody;
  if (rules.settle) {
    const settled = await rules.settle(ctx, undefined, sentBody);
    if (settled.objectId !== undefined) {
      const result = await saveUpdate(
        ctx,
        className,
        settled.objectId,
        settled.body,
        writeRulesFor(ctx, className, 'update'),
      );
      return { ...result, created: false };
    }
    rawBody = settled.body;
  }
  const requested = (rawBody as Json | null)?.objectId;
  let objectId = newObjectId();
  if (requested !== undefined) {
    // A user id that reads as a role principal would pass for that role in ACLs (GHSA-8xq9-g7ch-35hg).
    if (className === '_User' && typeof requested === 'string' && requested.startsWith('role:'))
      throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, 'Invalid object ID.');
    if (!services.config.allowCustomObjectId)
      throw new BackendError(ErrorCode.INVALID_KEY_NAME, 'objectId is an invalid field name.');
    if (!isValidCustomObjectId(requested))
      throw new BackendError(ErrorCode.INVALID_KEY_NAME, 'objectId must be 1 to 64 letters, digits, _ or -');
    objectId = requested;
  }
  const parsed = parseWriteBody(rawBody, { update: false });
  assertClassAccess(ctx.caller.auth, className, await services.schemas.get(className), 'create');
  const { body, changedByHook } = await beforeSave(ctx, className, {}, parsed);
  assertNoDeniedKeywords(ctx, className, body.values);
  changedByHook.push(...applyFieldOptions(await services.schemas.get(className), body.values, true));
  const resolved = resolveForCreate(body.values);
  const steps = (await rules.saveSteps?.(ctx, { body: rawBody })) ?? {};
  const { values, secrets } = await beforeStore(steps, resolved, objectId);
  const hidden = withheld(resolved, values);
  const schema = await services.schemas.prepareWrite(className, schemaValues(values, body.relations), {
    master: ctx.caller.auth.master,
    allowClientClassCreation: services.config.allowClientClassCreation,
    assertMayAddField: (existing) => assertClassAccess(ctx.caller.auth, className, existing, 'addField'),
  });
  const now = services.now().toISOString();
  const object: RestObject = { objectId, createdAt: now, updatedAt: now, ...values };
  const acl = steps.acl ? steps.acl(objectId, body.acl) : body.acl;
  if (acl) object.ACL = acl;
  await services.storage.createObject(schema, object, secrets);
  await applyRelations(ctx, className, objectId, body.relations);
  services.live.publish({ className, object, original: null, deleted: false });
  const added = await rules.afterStore?.(ctx, { creating: true, objectId, sent: body.values, stored: object });
  const shown = await runAfterSave(ctx, className, afterSaveView(object, body.values, steps), undefined);
  // Values the class's own steps added (a generated username) are the server's, like hook changes.
  const generated = Object.keys(values).filter((key) => !(key in body.values));
  const response = {
    objectId,
    createdAt: now,
    ...serverChangedFields(object, without(body.values, hidden), [
      ...changedByHook.filter((k) => !hidden.has(k)),
      ...generated,
    ]),
    ...without(shown, hidden),
  };
  return {
    objectId,
    object,
    added: added ?? {},
    created: true,
    body: { ...visibleResponse(ctx, schema, objectId, response), ...added, ...steps.answer?.() },
  };
}

/** Updates an object (PUT /classes/:className/:objectId, a data API update), with its class's rules. */
export async function updateObject(
  ctx: OperationContext,
  className: string,
  objectId: string,
  sentBody: unknown,
): Promise<SaveResult> {
  const rules = writeRulesFor(ctx, className, 'update', objectId);
  const rawBody = rules.settle ? (await rules.settle(ctx, objectId, sentBody)).body : sentBody;
  return saveUpdate(ctx, className, objectId, rawBody, rules);
}

/** The update pipeline, once the class's rules have settled what the write is about. */
async function saveUpdate(
  ctx: OperationContext,
  className: string,
  objectId: string,
  rawBody: unknown,
  rules: ClassRules,
): Promise<SaveResult> {
  const { services } = ctx;
  const parsed = parseWriteBody(rawBody, { update: true });
  const needsOriginal =
    services.cloud.hook('beforeSave', className) !== undefined ||
    services.cloud.hook('afterSave', className) !== undefined ||
    services.live.watches(className);
  const schemaBefore = await services.schemas.get(className);
  const restriction = classAccess(ctx.caller.auth, className, schemaBefore, 'update');
  if (!schemaBefore) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found.');
  let original: Json | undefined;
  if (needsOriginal) {
    // The hooks see the object the caller may write, as parse-server fetches it for them.
    [original] = await services.storage.findObjects(
      schemaBefore,
      restricted({ objectId }, restriction),
      { limit: 1, forWrite: true },
      principalsOf(ctx.caller.auth),
    );
    if (!original) throw notWritableError(ctx, rules);
  }
  const { body, changedByHook } = await beforeSave(ctx, className, original ?? { objectId }, parsed);
  assertNoDeniedKeywords(ctx, className, body.values);
  applyFieldOptions(schemaBefore, body.values, false);
  const steps = (await rules.saveSteps?.(ctx, { objectId, body: rawBody })) ?? {};
  const { values, secrets } = await beforeStore(steps, body.values, objectId);
  const hidden = withheld(body.values, values);
  const schema = await services.schemas.prepareWrite(className, schemaValues(values, body.relations), {
    master: ctx.caller.auth.master,
    allowClientClassCreation: services.config.allowClientClassCreation,
    assertMayAddField: (existing) => assertClassAccess(ctx.caller.auth, className, existing, 'addField'),
  });
  const updatedAt = services.now().toISOString();
  const update: RestObject = { ...values, updatedAt };
  const acl = body.acl && steps.acl ? steps.acl(objectId, body.acl) : body.acl;
  if (acl) update.ACL = acl;
  const stored = await services.storage.updateObject(
    schema,
    restricted({ objectId }, restriction),
    update,
    principalsOf(ctx.caller.auth),
    secrets,
  );
  if (!stored) throw notWritableError(ctx, rules);
  await applyRelations(ctx, className, objectId, body.relations);
  services.live.publish({ className, object: stored, original: original ?? null, deleted: false });
  const added = await rules.afterStore?.(ctx, { creating: false, objectId, sent: body.values, stored });
  const shown = await runAfterSave(ctx, className, afterSaveView(stored, body.values, steps), original);
  const response = {
    updatedAt,
    ...serverChangedFields(
      stored,
      without(body.values, hidden),
      changedByHook.filter((k) => !hidden.has(k)),
    ),
    ...without(shown, hidden),
  };
  return {
    objectId,
    object: stored,
    created: false,
    added: added ?? {},
    body: { ...visibleResponse(ctx, schema, objectId, response), ...added, ...steps.answer?.() },
  };
}
