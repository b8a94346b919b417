/**
 * Protected fields: fields of a class that some callers may not see or query, as parse-server
 * defines them. Rules map a principal (`*`, `authenticated`, `role:<name>`, a user id, or
 * `userField:<pointer field>`) to field names; they come from the server option `protectedFields`
 * (which always protects `_User.email` for `*`) and the class's CLP `protectedFields`, united per
 * principal. A caller's hidden fields are those every rule that applies to it hides (an
 * intersection, so a more specific rule can reveal fields); a `userField:` rule applies on the
 * objects whose pointer field points to the caller. The master key sees everything, a user sees
 * all of its own `_User` object, and no read ever returns a password, a session token, or
 * another user's `authData`.
 */
import type { RequestAuth } from './request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { Json } from '../values/json.js';

/** Principal → field names. */
export type ProtectedFieldRules = Readonly<Record<string, readonly string[]>>;
/** The server option: class name → rules. */
export type ServerProtectedFields = Readonly<Record<string, ProtectedFieldRules>>;

/** parse-server's default, always merged into the server option. */
export const DEFAULT_PROTECTED_FIELDS: ServerProtectedFields = { _User: { '*': ['email'] } };

const NEVER_RETURNED = ['password', 'sessionToken'];
const USER_FIELD = 'userField:';

/** What one caller may not see of one class, worked out once per read. */
export interface FieldProtection {
  readonly className: string;
  /** Hidden on every object. */
  readonly hidden: readonly string[];
  /** `userField:` rules: on an object whose `field` points to the caller, `fields` also bound what is hidden. */
  readonly byPointer: readonly { readonly field: string; readonly fields: readonly string[] }[];
  readonly userId: string | null;
  readonly master: boolean;
}

/** Merges the default into the server option, per class and principal. */
export function withDefaultProtectedFields(option: ServerProtectedFields | undefined): ServerProtectedFields {
  const merged: Record<string, Record<string, readonly string[]>> = {};
  for (const source of [option ?? {}, DEFAULT_PROTECTED_FIELDS]) {
    for (const [className, rules] of Object.entries(source)) {
      const target = (merged[className] ??= {});
      for (const [principal, fields] of Object.entries(rules))
        target[principal] = [...new Set([...(target[principal] ?? []), ...fields])];
    }
  }
  return merged;
}

/** Merged rules per backend option and loaded schema (schemas are replaced, never changed, on reload). */
const mergedRules = new WeakMap<ServerProtectedFields, WeakMap<ClassSchema, Record<string, readonly string[]>>>();

function classRules(
  server: ServerProtectedFields,
  className: string,
  schema: ClassSchema | undefined,
): Record<string, readonly string[]> {
  if (!schema) return mergeRules(server, className, undefined);
  let bySchema = mergedRules.get(server);
  if (!bySchema) mergedRules.set(server, (bySchema = new WeakMap()));
  let rules = bySchema.get(schema);
  if (!rules) bySchema.set(schema, (rules = mergeRules(server, className, schema)));
  return rules;
}

/** A class's protected fields per principal: the server option's, with the class's CLP ones. */
export function protectedFieldRules(
  server: ServerProtectedFields,
  schema: ClassSchema,
): Record<string, readonly string[]> {
  return classRules(server, schema.className, schema);
}

function mergeRules(
  server: ServerProtectedFields,
  className: string,
  schema: ClassSchema | undefined,
): Record<string, readonly string[]> {
  const rules: Record<string, readonly string[]> = { ...server[className] };
  const stored = schema?.classLevelPermissions.protectedFields;
  if (stored !== null && typeof stored === 'object' && !Array.isArray(stored)) {
    for (const [principal, fields] of Object.entries(stored as Json)) {
      if (!Array.isArray(fields)) continue;
      const names = fields.filter((f): f is string => typeof f === 'string');
      rules[principal] = [...new Set([...(rules[principal] ?? []), ...names])];
    }
  }
  return rules;
}

function intersection(sets: readonly (readonly string[])[]): string[] {
  if (sets.length === 0) return [];
  return sets[0]!.filter((field) => sets.every((set) => set.includes(field)));
}

/** The protection of `className` for the caller `auth`. */
export function fieldProtection(
  server: ServerProtectedFields,
  className: string,
  schema: ClassSchema | undefined,
  auth: RequestAuth,
): FieldProtection {
  const base = { className, userId: auth.userId, master: auth.master };
  if (auth.master) return { ...base, hidden: [], byPointer: [] };
  const rules = classRules(server, className, schema);
  const applicable: (readonly string[])[] = [];
  const byPointer: { field: string; fields: readonly string[] }[] = [];
  for (const [principal, fields] of Object.entries(rules)) {
    if (principal.startsWith(USER_FIELD)) {
      if (auth.userId) byPointer.push({ field: principal.slice(USER_FIELD.length), fields });
    } else if (principal === '*') {
      applicable.push(fields);
    } else if (
      auth.userId &&
      (principal === 'authenticated' ||
        principal === auth.userId ||
        (principal.startsWith('role:') && auth.roles.includes(principal.slice(5))))
    ) {
      applicable.push(fields);
    }
  }
  return { ...base, hidden: intersection(applicable), byPointer };
}

/** Throws 119 when the caller names a field it may not see in a query or a sort (dot paths included). */
export function assertQueryable(protection: FieldProtection, fields: readonly string[]): void {
  if (protection.master) return;
  const guarded =
    protection.className === '_User' ? [...protection.hidden, 'authData', ...NEVER_RETURNED] : protection.hidden;
  for (const field of fields) {
    const head = field.replace(/^-/, '').split('.')[0]!;
    if (guarded.includes(head)) {
      throw new BackendError(
        ErrorCode.OPERATION_FORBIDDEN,
        `This user is not allowed to query ${head} on class ${protection.className}`,
      );
    }
  }
}

function pointsTo(value: unknown, userId: string): boolean {
  if (Array.isArray(value)) return value.some((item) => pointsTo(item, userId));
  return value !== null && typeof value === 'object' && (value as Json).objectId === userId;
}

/** The pointer fields the `userField:` rules read, which a selection of keys must still fetch. */
export function pointerFieldsRead(protection: FieldProtection): string[] {
  return protection.byPointer.map((rule) => rule.field);
}

/** An object as the caller may see it (a copy when something is hidden). */
export function visibleTo(protection: FieldProtection, object: Json): Json {
  const { className, userId } = protection;
  const isUser = className === '_User';
  const secrets = isUser || className === '_Session' ? NEVER_RETURNED : [];
  let hidden: readonly string[] = [];
  if (!protection.master && !(isUser && userId !== null && object.objectId === userId)) {
    const matched = userId === null ? [] : protection.byPointer.filter((rule) => pointsTo(object[rule.field], userId));
    hidden =
      matched.length > 0 ? intersection([protection.hidden, ...matched.map((rule) => rule.fields)]) : protection.hidden;
    if (isUser) hidden = [...hidden, 'authData'];
  }
  if (![...secrets, ...hidden].some((field) => field in object)) return object;
  const copy = { ...object };
  for (const field of [...secrets, ...hidden]) delete copy[field];
  return copy;
}

/** A user's own `_User` object as returned to it (login, sign-up, /users/me): secrets removed. */
export function ownUserView(user: Json): Json {
  return visibleTo(
    { className: '_User', hidden: [], byPointer: [], userId: String(user.objectId), master: false },
    user,
  );
}
