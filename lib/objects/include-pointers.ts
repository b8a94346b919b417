/**
 * `include`: replaces pointers in results by the objects they point to, one query per class and
 * level (`objectId $in [...]`), the classes of one level fetched in parallel, with the caller's
 * read permissions applied to the included objects too.
 */
import { readRestriction, restricted } from '../access/class-access.js';
import { fieldProtection, visibleTo } from '../access/protected-fields.js';
import { principalsOf } from '../access/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';
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

async function includeOne(ctx: OperationContext, results: Json[], path: string[]): Promise<void> {
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
  await Promise.all(
    [...wanted].map(async ([className, ids]) => {
      const schema = await ctx.services.schemas.get(className);
      // Classes the caller may not read stay pointers, exactly as objects its ACLs hide do.
      const restriction = schema ? readRestriction(ctx.caller.auth, className, schema) : undefined;
      if (!schema || restriction === undefined) return;
      const objects = await ctx.services.storage.findObjects(
        schema,
        restricted({ objectId: { $in: [...ids] } }, restriction),
        { budget: ctx.caller.budget },
        principalsOf(ctx.caller.auth),
      );
      const protection = fieldProtection(ctx.services.config.protectedFields, className, schema, ctx.caller.auth);
      for (const object of objects) {
        fetched.set(`${className}$${String(object.objectId)}`, {
          ...visibleTo(protection, object),
          __type: 'Object',
          className,
        });
      }
    }),
  );
  const replace = (item: unknown): unknown =>
    isPointer(item) ? (fetched.get(`${item.className}$${item.objectId}`) ?? item) : item;
  for (const parent of parents) {
    const value = parent[field];
    parent[field] = Array.isArray(value) ? value.map(replace) : replace(value);
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

/** Resolves the `include` paths on `results` in place. */
export async function includePointers(
  ctx: OperationContext,
  results: RestObject[],
  paths: string[],
  topLevelPointers: string[],
): Promise<void> {
  for (const path of expandPaths(paths, topLevelPointers)) await includeOne(ctx, results, path);
}
