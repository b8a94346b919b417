/**
 * The save steps of `_User`: a hashed password that is never returned, unique usernames and emails
 * (ignoring case), linked identities, private by default.
 */
import { ownUserView } from '../access/protected-fields.js';
import { cloudRequestBase } from '../cloud/caller-fields.js';
import { HookObject } from '../cloud/hook-object.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { newObjectId } from '../values/object-id.js';
import type { SaveSteps } from '../objects/save-object.js';
import { classSchema, type ClassSchema } from '../schema/class-schema.js';
import type { OperationContext } from '../services.js';
import type { RestObject, UserSecretsChange } from '../storage/storage.js';
import {
  authDataAsSeen,
  parseAuthData,
  validateAuthData,
  type AuthDataChange,
  type AuthRequest,
} from '../auth/auth-data.js';
import { checkNewPassword, nextHistory } from '../auth/password-policy.js';
import { isObject, type Json } from '../values/json.js';

/** The `_User` fields parse-server defines for every app. */
export const USER_SCHEMA = classSchema(
  '_User',
  {
    username: { type: 'String' },
    email: { type: 'String' },
    emailVerified: { type: 'Boolean' },
    authData: { type: 'Object' },
  },
  undefined,
);

/**
 * `_User` as the app defines it: the stored schema (the app's own fields, such as a `File`, are
 * decoded to their REST form) or, before the class exists, parse-server's fields. Read it for any
 * user document answered to a client; the schema cache makes it free.
 */
export async function userSchema(ctx: OperationContext): Promise<ClassSchema> {
  return (await ctx.services.schemas.get('_User')) ?? USER_SCHEMA;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkUsername(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new BackendError(ErrorCode.USERNAME_MISSING, 'bad or missing username');
  return value;
}

function checkPassword(value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new BackendError(ErrorCode.PASSWORD_MISSING, 'password is required.');
  return value;
}

function checkEmail(value: unknown): string {
  if (typeof value !== 'string' || !EMAIL.test(value))
    throw new BackendError(ErrorCode.INVALID_EMAIL_ADDRESS, 'Email address format is invalid.');
  return value;
}

async function assertAvailable(
  ctx: OperationContext,
  field: 'username' | 'email',
  value: string,
  exceptObjectId?: string,
): Promise<void> {
  if (await ctx.services.storage.existsIgnoringCase(USER_SCHEMA, field, value, exceptObjectId)) {
    throw field === 'username'
      ? new BackendError(ErrorCode.USERNAME_TAKEN, 'Account already exists for this username.')
      : new BackendError(ErrorCode.EMAIL_TAKEN, 'Account already exists for this email address.');
  }
}

/** `_User` fields with rules of their own. */
const GUARDED_FIELDS = new Set(['authData', 'emailVerified', 'password', 'username', 'email', 'sessionToken']);

/**
 * What an identity provider's steps are told about the request (parse-server's `request`): the
 * user being written or logged in (`object`; `creatingId` for a sign-up), as stored (`original`),
 * and the calling user (`user`), in the form hook handlers get them.
 */
export async function authRequest(
  ctx: OperationContext,
  original?: RestObject,
  creatingId?: string,
): Promise<AuthRequest> {
  const { auth, ip, headers } = ctx.caller;
  const { cloud } = ctx.services;
  const stored = original ? ownUserView(original) : {};
  const object =
    original || creatingId ? new HookObject('_User', stored, creatingId ? { objectId: creatingId } : {}) : undefined;
  const { user } = await cloudRequestBase(ctx);
  return {
    master: auth.master,
    userId: original ? String(original.objectId) : null,
    ip,
    headers,
    ...(object ? { object: cloud.asRequestObject(object) } : {}),
    ...(original ? { original: cloud.asRequestObject(new HookObject('_User', stored)) } : {}),
    ...(user ? { user: cloud.asRequestObject(user) } : {}),
  };
}

/**
 * A user's identities as a reader (`readerId`; the master key by the caller's key) sees them: each
 * provider's `afterFind` applied, as parse-server shows them on every read and login.
 */
export function identitiesAsSeen(ctx: OperationContext, user: RestObject, readerId: string | null): RestObject {
  const { auth: checks } = ctx.services.config;
  if (user.authData === undefined || Object.keys(checks).length === 0) return user;
  const { auth, ip } = ctx.caller;
  return { ...user, authData: authDataAsSeen(user.authData, checks, { ip, userId: readerId, master: auth.master }) };
}

/** The user already linked to one of these identities, if any (data without an id names none). */
export async function findUserByAuthData(ctx: OperationContext, change: AuthDataChange): Promise<RestObject | null> {
  for (const [provider, data] of Object.entries(change.link)) {
    if (data.id === undefined) continue;
    const [user] = await ctx.services.storage.findObjects(
      await userSchema(ctx),
      { [`authData.${provider}.id`]: data.id },
      { limit: 1 },
      null,
    );
    if (user) return user;
  }
  return null;
}

function isEmptyObject(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}

/**
 * An update that sends again an identity the user already has leaves it as it is, without asking
 * the provider again, as parse-server checks only changed authData: an SDK re-sends its stored,
 * possibly expired, token with other changes, and must not be refused for it.
 */
function withoutLinkedAlready(change: AuthDataChange, stored: Json | undefined): AuthDataChange {
  if (!stored || Object.keys(change.link).length === 0) return change;
  const link = Object.fromEntries(
    Object.entries(change.link).filter(([provider, data]) => {
      const current = stored[provider];
      // Data without an id names no identity to compare: it is checked every time, as parse-server does.
      return !(isObject(current) && data.id !== undefined && current.id === data.id);
    }),
  );
  return { ...change, link };
}

/** Checks an `authData` change and turns it into the identities to link and unlink, and the providers' answers. */
async function authDataChange(
  ctx: OperationContext,
  value: unknown,
  objectId: string,
  creating: boolean,
): Promise<{ authData: Record<string, Json | null>; linked: boolean; responses: Record<string, unknown> | undefined }> {
  const { auth } = ctx.services.config;
  const [user] = creating ? [] : await ctx.services.storage.findObjects(USER_SCHEMA, { objectId }, { limit: 1 }, null);
  const stored = isObject(user?.authData) ? user.authData : undefined;
  const parsed = parseAuthData(value, auth);
  const change = withoutLinkedAlready(parsed, stored);
  const { master, userId } = ctx.caller.auth;
  const validated = Object.keys(change.link).length > 0;
  const outcome = await validateAuthData(change, auth, {
    userId: creating ? null : objectId,
    stored,
    ownerOrMaster: !creating && (master || userId === objectId),
    request: await authRequest(ctx, user, creating ? objectId : undefined),
  });
  const other = await findUserByAuthData(ctx, change);
  if (other && other.objectId !== objectId)
    throw new BackendError(ErrorCode.ACCOUNT_ALREADY_LINKED, 'this auth is already used');
  const authData: Record<string, Json | null> = {};
  for (const [provider, data] of Object.entries(outcome.store)) {
    if (data.id !== undefined) await ctx.services.storage.ensureAuthDataIndex(provider);
    authData[provider] = data;
  }
  for (const provider of change.unlink) authData[provider] = null;
  return {
    authData,
    linked: Object.keys(parsed.link).some((provider) => parsed.link[provider]!.id !== undefined),
    // parse-server answers authDataResponse whenever the providers' steps ran
    responses: validated ? outcome.responses : undefined,
  };
}

/** A new password's hash and history, after the password policy accepted it. */
async function newPassword(
  ctx: OperationContext,
  password: string,
  username: string | undefined,
  userId: string | null,
): Promise<NonNullable<UserSecretsChange['password']>> {
  const { passwordPolicy: policy } = ctx.services.config;
  const secrets =
    userId && policy ? await ctx.services.storage.findUserSecrets(USER_SCHEMA, { objectId: userId }) : null;
  await checkNewPassword(policy, password, {
    username: username ?? (secrets?.user.username as string | undefined),
    history: secrets ? [...(secrets.hashedPassword ? [secrets.hashedPassword] : []), ...secrets.passwordHistory] : [],
    verify: (candidate, hash) => ctx.services.passwords.verify(candidate, hash),
    refuseLongPasswords: ctx.services.config.refuseLongPasswords,
  });
  const history = nextHistory(policy, secrets?.hashedPassword ?? null, secrets?.passwordHistory ?? []);
  const hash = await ctx.services.passwords.hash(password);
  return history ? { hash, changedAt: ctx.services.now(), history } : { hash, changedAt: ctx.services.now() };
}

/** The save steps of `_User`: checks, uniqueness, linked identities, and the password moved into its hash. */
export function userSaveSteps(ctx: OperationContext, creating: boolean): SaveSteps {
  let answered: Json | undefined;
  return {
    sentToAfterSave: ['authData'],
    answer: () => answered,
    async beforeStore(values, objectId) {
      for (const key of Object.keys(values)) {
        // These fields have rules of their own; a dotted path must not write around them.
        if (key.includes('.') && GUARDED_FIELDS.has(key.split('.')[0]!))
          throw new BackendError(ErrorCode.INVALID_KEY_NAME, `Invalid field name: ${key}.`);
      }
      // Sessions live in _Session; a token written on a user would only be a value others could probe.
      if ('sessionToken' in values)
        throw new BackendError(ErrorCode.INVALID_KEY_NAME, 'Invalid field name: sessionToken.');
      const { password, authData, ...rest } = values;
      if ('emailVerified' in rest && !ctx.caller.auth.master) {
        throw new BackendError(
          ErrorCode.OPERATION_FORBIDDEN,
          "Clients aren't allowed to manually update email verification.",
        );
      }
      const secrets: UserSecretsChange = {};
      let linked = false;
      // An empty authData (the Android SDK sends one with a username and password) says nothing, as in parse-server.
      if (authData !== undefined && !isEmptyObject(authData)) {
        let responses: Record<string, unknown> | undefined;
        ({ authData: secrets.authData, linked, responses } = await authDataChange(ctx, authData, objectId, creating));
        if (responses) answered = { authDataResponse: responses as Json };
      }
      // A user signing up with another identity gets a random username, as parse-server does.
      if (creating && linked && rest.username === undefined) rest.username = newObjectId(25);
      if (creating || 'username' in rest) {
        rest.username = checkUsername(rest.username);
        await assertAvailable(ctx, 'username', rest.username as string, creating ? undefined : objectId);
      }
      if (
        rest.email !== undefined &&
        rest.email !== null &&
        !(typeof rest.email === 'object' && (rest.email as Json).__op === 'Delete')
      ) {
        rest.email = checkEmail(rest.email);
        await assertAvailable(ctx, 'email', rest.email as string, creating ? undefined : objectId);
      }
      if (password !== undefined || (creating && !linked)) {
        const username = rest.username as string | undefined;
        secrets.password = await newPassword(ctx, checkPassword(password), username, creating ? null : objectId);
      }
      // A reset link mailed before the change must not undo it.
      if (!creating && (password !== undefined || 'email' in rest)) secrets.resetToken = null;
      if (!creating && 'email' in rest) secrets.emailVerifyToken = null;
      return { values: rest, secrets };
    },
    // As parse-server: a new user can always read and write itself, whatever ACL it signs up with,
    // and a client changing a user's ACL cannot lock the user out of itself.
    acl(objectId, given) {
      const self = { [objectId]: { read: true, write: true } };
      if (!creating) return given && !ctx.caller.auth.master ? { ...given, ...self } : given;
      if (given) return { ...given, ...self };
      return ctx.services.config.enforcePrivateUsers ? self : { '*': { read: true }, ...self };
    },
  };
}
