/**
 * The `_User` records the auth code needs beyond plain objects: password hashes and lockout
 * counters, one-time tokens, identity indexes. Part of the MongoDB storage (see mongo-storage.ts).
 */
import type { ClientSession, Db, Document } from 'mongodb';
import { classSchema, type ClassSchema } from '../../schema/class-schema.js';
import type { RestObject, RestWhere, UserSecrets, UserSecretsChange, UserTokenKind } from '../storage.js';
import { documentToObject, storedKey, type FileUrl } from './codec.js';
import { updateToMongo } from './update-document.js';
import { whereToFilter } from './where-filter.js';

/** Runs one operation with the storage's connection, session and error mapping. */
export type MongoRunner = <T>(operation: (db: Db, session: ClientSession | undefined) => Promise<T>) => Promise<T>;

/** parse-server's fields for one-time user tokens and their expiry. */
const TOKEN_FIELDS: Record<UserTokenKind, [string, string]> = {
  verifyEmail: ['_email_verify_token', '_email_verify_token_expires_at'],
  resetPassword: ['_perishable_token', '_perishable_token_expires_at'],
};
/** `_User` with its token expiries known as dates, so they are stored and compared as BSON dates. */
const USER_TOKEN_SCHEMA = classSchema(
  '_User',
  {
    _email_verify_token_expires_at: { type: 'Date' },
    _perishable_token_expires_at: { type: 'Date' },
    _password_changed_at: { type: 'Date' },
    emailVerified: { type: 'Boolean' },
  },
  undefined,
);

const DELETE = { __op: 'Delete' } as const;
const asDate = (date: Date) => ({ __type: 'Date', iso: date.toISOString() });

/** A change to a user's secrets, as the fields parse-server keeps them in (for a create or an update). */
export function secretFields(change: UserSecretsChange | undefined): RestObject {
  if (!change) return {};
  const out: RestObject = {};
  if (change.password) {
    out._hashed_password = change.password.hash;
    out._password_changed_at = asDate(change.password.changedAt);
    if (change.password.history) out._password_history = [...change.password.history];
  }
  const tokens: [UserTokenKind, UserSecretsChange['resetToken']][] = [
    ['resetPassword', change.resetToken],
    ['verifyEmail', change.emailVerifyToken],
  ];
  for (const [kind, value] of tokens) {
    if (value === undefined) continue;
    const [field, expires] = TOKEN_FIELDS[kind];
    out[field] = value === null ? DELETE : value.token;
    out[expires] = value === null ? DELETE : asDate(value.expiresAt);
  }
  if (change.clearLockout) {
    out._failed_login_count = DELETE;
    out._account_lockout_expires_at = DELETE;
  }
  for (const [provider, data] of Object.entries(change.authData ?? {})) {
    out[`_auth_data_${provider}`] = data === null ? DELETE : data;
  }
  if (change.clearLegacySessionToken) out._session_token = DELETE;
  return out;
}

/** The one-time tokens a user document holds; an expiry parse-server did not set is null. */
function storedTokens(doc: Document): UserSecrets['tokens'] {
  const tokens: UserSecrets['tokens'] = {};
  for (const kind of Object.keys(TOKEN_FIELDS) as UserTokenKind[]) {
    const [field, expires] = TOKEN_FIELDS[kind];
    const token: unknown = doc[field];
    const expiresAt: unknown = doc[expires];
    if (typeof token === 'string') tokens[kind] = { token, expiresAt: expiresAt instanceof Date ? expiresAt : null };
  }
  return tokens;
}

export class MongoUserRecords {
  /** Providers whose identity ids are known to have their unique index. */
  private readonly authDataIndexed = new Set<string>();

  constructor(
    private readonly run: MongoRunner,
    private readonly fileUrl: FileUrl,
    private readonly located: (objects: RestObject[]) => Promise<RestObject[]>,
  ) {}

  async findUserSecrets(schema: ClassSchema, where: RestWhere, preferUsername?: string): Promise<UserSecrets | null> {
    const filter = whereToFilter(schema, where);
    const docs = await this.run((db, session) =>
      db.collection(schema.className).find(filter, { limit: 2, session }).toArray(),
    );
    // Two users answering to one name (a username equal to another's email): the one whose
    // username it is, when the caller names one (parse-server's rule for logins); else no one.
    const preferred = preferUsername === undefined ? [] : docs.filter((d) => d.username === preferUsername);
    const doc = docs.length === 1 ? docs[0]! : preferred.length === 1 ? preferred[0]! : undefined;
    if (!doc) return null;
    return {
      user: (await this.located([documentToObject(schema, doc, this.fileUrl)]))[0]!,
      hashedPassword: typeof doc._hashed_password === 'string' ? doc._hashed_password : null,
      failedLogins: typeof doc._failed_login_count === 'number' ? doc._failed_login_count : 0,
      lockedUntil: doc._account_lockout_expires_at instanceof Date ? doc._account_lockout_expires_at : null,
      passwordChangedAt: doc._password_changed_at instanceof Date ? doc._password_changed_at : null,
      passwordHistory: Array.isArray(doc._password_history)
        ? doc._password_history.filter((h): h is string => typeof h === 'string')
        : [],
      tokens: storedTokens(doc),
    };
  }

  async reserveLoginAttempt(userId: string, now: Date): Promise<number | null> {
    const after = await this.run((db, session) =>
      db.collection<Document>('_User').findOneAndUpdate(
        {
          _id: userId,
          $or: [{ _account_lockout_expires_at: { $exists: false } }, { _account_lockout_expires_at: { $lte: now } }],
        } as Document,
        { $inc: { _failed_login_count: 1 }, $unset: { _account_lockout_expires_at: '' } },
        { returnDocument: 'after', session },
      ),
    );
    return after ? Number(after._failed_login_count) : null;
  }

  async lockAccount(userId: string, lockUntil: Date): Promise<void> {
    await this.run((db, session) =>
      db
        .collection<Document>('_User')
        .updateOne(
          { _id: userId } as Document,
          { $set: { _account_lockout_expires_at: lockUntil, _failed_login_count: 0 } },
          { session },
        ),
    );
  }

  async userWithLegacySessionToken(token: string): Promise<RestObject | null> {
    const found = await this.findUserSecrets(USER_TOKEN_SCHEMA, { _session_token: token });
    return found ? found.user : null;
  }

  async consumeUserToken(
    kind: UserTokenKind,
    token: string,
    now: Date,
    set: RestObject,
    secrets?: UserSecretsChange,
  ): Promise<RestObject | null> {
    const [field, expires] = TOKEN_FIELDS[kind];
    const update = updateToMongo(USER_TOKEN_SCHEMA, { ...set, ...secretFields(secrets) });
    update.$unset = { ...(update.$unset as Document | undefined), [field]: '', [expires]: '' };
    const doc = await this.run((db, session) =>
      db
        .collection<Document>('_User')
        .findOneAndUpdate({ [field]: token, [expires]: { $gt: now } }, update, { returnDocument: 'after', session }),
    );
    return doc ? (await this.located([documentToObject(USER_TOKEN_SCHEMA, doc, this.fileUrl)]))[0]! : null;
  }

  async userWithToken(kind: UserTokenKind, token: string, now: Date): Promise<UserSecrets | null> {
    const [field, expires] = TOKEN_FIELDS[kind];
    return this.findUserSecrets(USER_TOKEN_SCHEMA, {
      [field]: token,
      [expires]: { $gt: { __type: 'Date', iso: now.toISOString() } },
    });
  }

  async clearFailedLogins(userId: string): Promise<void> {
    await this.run((db, session) =>
      db
        .collection<Document>('_User')
        .updateOne(
          { _id: userId } as Document,
          { $unset: { _failed_login_count: '', _account_lockout_expires_at: '' } },
          { session },
        ),
    );
  }

  async existsIgnoringCase(
    schema: ClassSchema,
    field: string,
    value: string,
    exceptObjectId?: string,
  ): Promise<boolean> {
    const filter: Document = { [storedKey(schema, field)]: value };
    if (exceptObjectId) filter._id = { $ne: exceptObjectId };
    const found = await this.run((db, session) =>
      db
        .collection(schema.className)
        .findOne(filter, { collation: { locale: 'en_US', strength: 2 }, projection: { _id: 1 }, session }),
    );
    return found !== null;
  }

  async ensureAuthDataIndex(provider: string): Promise<void> {
    if (this.authDataIndexed.has(provider)) return;
    const field = `_auth_data_${provider}.id`;
    await this.run((db) =>
      db.collection('_User').createIndex({ [field]: 1 }, { name: `${field}_1`, unique: true, sparse: true }),
    );
    this.authDataIndexed.add(provider);
  }

  async authProvidersOf(userId: string): Promise<string[]> {
    const user = await this.run((db, session) =>
      db.collection<Document>('_User').findOne({ _id: userId } as Document, { session }),
    );
    if (!user) return [];
    return Object.keys(user)
      .filter((k) => k.startsWith('_auth_data_') && user[k] !== null && user[k] !== undefined)
      .map((k) => k.slice('_auth_data_'.length));
  }
}
