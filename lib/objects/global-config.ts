/**
 * The app's config (`PUT /config`, `Parse.Config.save`): its parameters, some for the master key
 * only, saved between the config's beforeSave and afterSave hooks (`Parse.Cloud.beforeSave(Parse.Config)`).
 */
import { CONFIG } from '../cloud/cloud-registry.js';
import { HookObject } from '../cloud/hook-object.js';
import { runObjectHook } from '../cloud/hook-runner.js';
import { assertFieldName } from '../schema/names.js';
import type { OperationContext } from '../services.js';
import type { Json } from '../values/json.js';
import { isOperation } from '../values/operations.js';
import { parseWriteBody } from './write-body.js';

interface ConfigChange {
  set: Record<string, unknown>;
  unset: string[];
  masterKeyOnly: Record<string, boolean>;
}

/** Checks parameters as object fields are checked; `{__op: 'Delete'}` removes one. */
function checkedChange(ctx: OperationContext, params: Json, masterKeyOnly: Record<string, boolean>): ConfigChange {
  ctx.services.config.requestKeywordDenylist.assert(params);
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (isOperation(value) && value.__op === 'Delete') unset.push(key);
    else set[key] = value;
  }
  parseWriteBody(set, { update: false });
  for (const key of [...unset, ...Object.keys(masterKeyOnly)]) assertFieldName(key);
  return { set, unset, masterKeyOnly };
}

/**
 * Saves parameters. The hooks see the parameters as an object of the class `@Config`: beforeSave
 * with the stored ones under the new (what it changes is saved; a throw refuses), afterSave with
 * the saved ones; `original` is the stored config, undefined when none was stored yet. A failing
 * afterSave reaches the caller, as parse-server answers.
 */
export async function saveGlobalConfig(
  ctx: OperationContext,
  params: Json,
  masterKeyOnly: Record<string, boolean>,
): Promise<void> {
  const { storage, cloud } = ctx.services;
  let change = checkedChange(ctx, params, masterKeyOnly);
  const before = cloud.configHook('beforeSave');
  const after = cloud.configHook('afterSave');
  let stored: Json = {};
  let original: HookObject | undefined;
  if (before || after) {
    stored = (await storage.loadGlobalConfig()).params as Json;
    if (Object.keys(stored).length > 0) original = new HookObject(CONFIG, stored);
  }
  if (before) {
    const object = new HookObject(CONFIG, stored, params);
    await runObjectHook(ctx, before, 'beforeSave', object, original);
    change = checkedChange(ctx, object.changes(), masterKeyOnly);
  }
  await storage.saveGlobalConfig(change);
  if (after) {
    const saved: Json = { ...stored, ...change.set };
    for (const key of change.unset) delete saved[key];
    await runObjectHook(ctx, after, 'afterSave', new HookObject(CONFIG, saved), original);
  }
}
