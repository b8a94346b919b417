/**
 * Roles: which `role:<name>` principals a user acts as. A user belongs to the roles whose `users`
 * relation holds it, and to every role that lists one of those in its `roles` relation, up the
 * graph (cycles are walked once). Resolved at most once per request, cached per user for a few
 * seconds with a bound, and forgotten in this process when a role changes here.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { classSchema } from '../schema/class-schema.js';
import type { ClassRules } from '../objects/class-rules.js';
import type { SaveSteps } from '../objects/save-object.js';
import type { Storage } from '../storage/storage.js';

export const ROLE_SCHEMA = classSchema(
  '_Role',
  {
    name: { type: 'String' },
    users: { type: 'Relation', targetClass: '_User' },
    roles: { type: 'Relation', targetClass: '_Role' },
  },
  undefined,
);

/** How long a user's roles are trusted: a role change in another process applies within this. */
export const ROLE_CACHE_TTL_MS = 5000;
const ROLE_CACHE_SIZE = 10000;
/** Levels of the role graph followed; deeper hierarchies are unusual and bounded for safety. */
const MAX_ROLE_DEPTH = 20;

export class RoleResolver {
  private readonly cache = new Map<string, { names: string[]; at: number }>();

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number,
  ) {}

  /** The names of every role the user belongs to, directly or through other roles. */
  async rolesOf(userId: string): Promise<string[]> {
    const cached = this.cache.get(userId);
    if (cached && this.now() - cached.at < ROLE_CACHE_TTL_MS) return cached.names;
    const ids = new Set(await this.storage.owningIdsOf('_Role', 'users', [userId]));
    let frontier = [...ids];
    for (let depth = 0; frontier.length > 0 && depth < MAX_ROLE_DEPTH; depth++) {
      const parents = await this.storage.owningIdsOf('_Role', 'roles', frontier);
      frontier = parents.filter((id) => !ids.has(id));
      for (const id of frontier) ids.add(id);
    }
    const roles =
      ids.size === 0
        ? []
        : await this.storage.findObjects(ROLE_SCHEMA, { objectId: { $in: [...ids] } }, { keys: ['name'] }, null);
    const names = roles.map((r) => r.name).filter((n): n is string => typeof n === 'string');
    if (this.cache.size >= ROLE_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(userId, { names, at: this.now() });
    return names;
  }

  /** Forgets every cached membership (a role or its relations changed in this process). */
  invalidate(): void {
    this.cache.clear();
  }
}

const ROLE_NAME = /^[0-9A-Za-z_\- ]+$/;

/**
 * The save steps of `_Role`: a valid name that never changes, and an ACL (a role without one
 * would be writable by anyone able to reach it).
 */
export function roleSaveSteps(existingName: string | undefined, hasAcl: boolean): SaveSteps {
  return {
    async beforeStore(values) {
      const creating = existingName === undefined;
      if (creating || 'name' in values) {
        const name = values.name;
        if (typeof name !== 'string' || !ROLE_NAME.test(name)) {
          throw new BackendError(
            ErrorCode.INVALID_ROLE_NAME,
            "A role's name can only contain alphanumeric characters, _, -, and spaces.",
          );
        }
        if (!creating && name !== existingName)
          throw new BackendError(
            ErrorCode.INVALID_ROLE_NAME,
            "A role's name can only be set before it has been saved.",
          );
      }
      if (creating && !hasAcl) throw new BackendError(ErrorCode.INVALID_ACL, 'A role needs an ACL.');
      return { values };
    },
  };
}

/**
 * What `_Role` keeps on every write path: who may write it (clients under its CLP and ACLs, as in
 * parse-server, unless `allowClientRoleWrites` is off), its save steps, and role resolutions cached
 * in this process forgotten once memberships may have changed (other processes: within the cache's 5 s).
 */
export const roleRules: ClassRules = {
  assertWritable(ctx) {
    if (!ctx.services.config.allowClientRoleWrites && !ctx.caller.auth.master)
      throw new BackendError(
        ErrorCode.OPERATION_FORBIDDEN,
        "Clients aren't allowed to perform the write operation on the _Role collection.",
      );
  },
  async saveSteps(ctx, { objectId, body }) {
    const hasAcl = body !== null && typeof body === 'object' && 'ACL' in body;
    if (objectId === undefined) return roleSaveSteps(undefined, hasAcl);
    const [role] = await ctx.services.storage.findObjects(
      ROLE_SCHEMA,
      { objectId },
      { limit: 1, keys: ['name'] },
      null,
    );
    return roleSaveSteps(typeof role?.name === 'string' ? role.name : '', hasAcl);
  },
  async afterStore(ctx) {
    ctx.services.roles.invalidate();
    return undefined;
  },
  async afterDelete(ctx) {
    ctx.services.roles.invalidate();
  },
};
