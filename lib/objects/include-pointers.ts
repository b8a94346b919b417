/**
 * `include`: replaces pointers in results by the objects they point to, one query per class and
 * level (`objectId $in [...]`), the classes of one level fetched in parallel, with the caller's
 * read permissions and the class's find hooks applied to the included objects too.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { OperationContext } from '../services.js';
import { planRead, readObjects, revealed, type ReadPlan } from './secure-read.js';
import type { RestObject, RestWhere } from '../storage/storage.js';
import { serverFind, type FindParams } from '../query/find-params.js';
import { validateWhere } from '../query/where.js';
import { afterFind, beforeFind } from './find-hooks.js';
import type { Json } from '../values/json.js';

function isPointer(value: unknown): value is Json & { className: string; objectId: string } {
  return value !== null && typeof value === 'object' && (value as Json).__type === 'Pointer';
}

/** Expands `a.b.c` into `a`, `a.b`, `a.b.c`, deduplicated, shallowest first. */
function expandPaths(paths: string[], topLevelPointers: string[]): string[][] {
  const seen = new Set<string>();
  for (const path of paths) {
    const segments = path === '*' ? null : path.split('.');
    if (!segments) {
      topLevelPointers.forEach((p) => seen.add(p));
      continue;
    }
    for (let i = 1; i <= segments.length; i++) seen.add(segments.slice(0, i).join('.'));
  }
  return [...seen].map((p) => p.split('.')).sort((a, b) => a.length - b.length);
}

/** Objects reached by following `path` from the results (through included objects and arrays). */
function objectsAt(roots: Json[], path: string[]): Json[] {
  let level: unknown[] = roots;
  for (const segment of path) {
    const next: unknown[] = [];
    for (const holder of level) {
      const value = (holder as Json)[segment];
      if (Array.isArray(value)) next.push(...value);
      else if (value !== undefined) next.push(value);
    }
    level = next;
  }
  return level.filter((v): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v) && !isPointer(v));
}

/** The plan to read a class's objects one by one, or undefined when the caller may not. */
function readableBy(ctx: OperationContext, className: string, schema: ClassSchema): ReadPlan | undefined {
  try {
    return planRead(ctx, className, schema, 'get');
  } catch {
    // Classes the caller may not read stay pointers, exactly as objects its ACLs hide do.
    return undefined;
  }
}

/** The find an include runs on a class: its ids, no other option (the hooks may add constraints). */
function includeQuery(ids: string[]): FindParams {
  return serverFind(ids.length === 1 ? { objectId: ids[0] } : { objectId: { $in: ids } }, { limit: ids.length });
}

/**
 * The objects of one class an include fetches, as the caller may see them, through the class's
 * beforeFind and afterFind as parse-server runs them (a get for one id): what beforeFind adds to
 * the query narrows it, never widens it past the ids.
 */
async function includedObjects(
  ctx: OperationContext,
  className: string,
  read: ReadPlan,
  ids: string[],
  readPreference: FindParams['readPreference'],
): Promise<RestObject[]> {
  const query = includeQuery(ids);
  const isGet = ids.length === 1;
  const hooks = await beforeFind(ctx, className, query, isGet);
  let objects: RestObject[];
  if (hooks.answered) objects = hooks.answered.filter((object) => ids.includes(String(object.objectId)));
  else {
    const where =
      hooks.params.where === query.where
        ? query.where
        : {
            $and: [
              validateWhere(hooks.params.where, ctx.caller.auth.master, ctx.services.config.requestComplexity),
              query.where,
            ],
          };
    objects = (await readObjects(ctx, read, where as RestWhere, readPreference ? { readPreference } : {})).objects;
  }
  return afterFind(ctx, className, revealed(ctx, read, objects), hooks, isGet);
}

async function includeOne(
  ctx: OperationContext,
  results: Json[],
  path: string[],
  readPreference: FindParams['readPreference'],
): Promise<void> {
  const parents = objectsAt(results, path.slice(0, -1));
  const field = path[path.length - 1]!;
  const wanted = new Map<string, Set<string>>();
  for (const parent of parents) {
    const value = parent[field];
    for (const item of Array.isArray(value) ? value : [value]) {
      if (!isPointer(item)) continue;
      let ids = wanted.get(item.className);
      if (!ids) wanted.set(item.className, (ids = new Set()));
      ids.add(item.objectId);
    }
  }
  const fetched = new Map<string, RestObject>();
  /** Classes whose objects were looked for: a pointer to one not found there is left out. */
  const searched = new Set<string>();
  await Promise.all(
    [...wanted].map(async ([className, ids]) => {
      const schema = await ctx.services.schemas.get(className);
      const read = schema ? readableBy(ctx, className, schema) : undefined;
      if (!read) return;
      searched.add(className);
      for (const object of await includedObjects(ctx, className, read, [...ids], readPreference)) {
        fetched.set(`${className}$${String(object.objectId)}`, { ...object, __type: 'Object', className });
      }
    }),
  );
  // As parse-server: an included object that is gone, or that the caller may not see, is left out
  // (the key, or the array item); pointers to classes the caller may not read at all stay pointers.
  const replace = (item: unknown): unknown => {
    if (!isPointer(item)) return item;
    const found = fetched.get(`${item.className}$${item.objectId}`);
    if (found) return found;
    return searched.has(item.className) ? undefined : item;
  };
  for (const parent of parents) {
    const value = parent[field];
    const replaced = Array.isArray(value) ? value.map(replace).filter((item) => item !== undefined) : replace(value);
    if (replaced === undefined) delete parent[field];
    else parent[field] = replaced;
  }
}

/**
 * Refuses, for callers without the master key, more include paths (counting each level of
 * `a.b.c`, as parse-server does) or deeper ones than `requestComplexity` allows, with 102.
 */
export function assertIncludeComplexity(ctx: OperationContext, paths: readonly string[]): void {
  if (ctx.caller.auth.master || paths.length === 0) return;
  const { includeDepth, includeCount } = ctx.services.config.requestComplexity;
  const levels = new Set<string>();
  let depth = 0;
  for (const path of paths) {
    const segments = path.split('.');
    depth = Math.max(depth, segments.length);
    for (let i = 1; i <= segments.length; i++) levels.add(segments.slice(0, i).join('.'));
  }
  if (depth > includeDepth)
    throw new BackendError(
      ErrorCode.INVALID_QUERY,
      `Include depth of ${depth} exceeds maximum allowed depth of ${includeDepth}`,
    );
  if (levels.size > includeCount) {
    throw new BackendError(
      ErrorCode.INVALID_QUERY,
      `Number of include fields (${levels.size}) exceeds maximum allowed (${includeCount})`,
    );
  }
}

/** Resolves the `include` paths on `results` in place (`readPreference`: the query's `includeReadPreference`). */
export async function includePointers(
  ctx: OperationContext,
  results: RestObject[],
  paths: string[],
  topLevelPointers: string[],
  readPreference?: FindParams['readPreference'],
): Promise<void> {
  for (const path of expandPaths(paths, topLevelPointers)) await includeOne(ctx, results, path, readPreference);
}
