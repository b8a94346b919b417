/**
 * Usernames and emails unique ignoring case, held by the database itself. parse-server checks
 * case-insensitive uniqueness in application code only (its case-insensitive indexes are not
 * unique), so two sign-ups racing as `ann` and `ANN` both succeed; a unique index with a
 * strength-2 collation closes that race. A database that already holds case variants cannot have
 * the unique index: it keeps parse-server's non-unique one, and the variants are named in a warning
 * (the application-level check still refuses new ones). Part of the MongoDB storage.
 */
import type { Db, Document } from 'mongodb';

const COLLATION = { locale: 'en_US', strength: 2 };
/** MongoDB's codes for an index that exists with other options. */
const INDEX_CONFLICTS = new Set([85, 86]);

type Warn = (message: string, details: Record<string, unknown>) => void;

function codeOf(err: unknown): number | undefined {
  return (err as { code?: number } | null)?.code;
}

/** Up to ten groups of values of `field` that differ only in case. */
async function caseVariants(db: Db, field: string): Promise<string[][]> {
  const groups = await db
    .collection('_User')
    .aggregate([
      { $match: { [field]: { $type: 'string' } } },
      { $group: { _id: { $toLower: `$${field}` }, values: { $push: `$${field}` }, count: { $sum: 1 } } },
      { $match: { count: { $gt: 1 } } },
      { $limit: 10 },
    ])
    .toArray();
  return groups.map((group: Document) => group.values as string[]);
}

/** Makes `case_insensitive_<field>` unique where the data allows it; warns naming the variants where not. */
export async function ensureCaseInsensitiveUnique(db: Db, field: 'username' | 'email', warn: Warn): Promise<void> {
  const users = db.collection('_User');
  const name = `case_insensitive_${field}`;
  // Email is optional: only users that have one take part.
  const unique = { name, collation: COLLATION, unique: true, ...(field === 'email' ? { sparse: true } : {}) };
  try {
    await users.createIndex({ [field]: 1 }, unique);
    return;
  } catch (err) {
    if (!INDEX_CONFLICTS.has(codeOf(err) ?? 0) && codeOf(err) !== 11000) throw err;
  }
  // parse-server's non-unique index is there, or case variants are: try to replace it.
  await users.dropIndex(name).catch(() => undefined);
  try {
    await users.createIndex({ [field]: 1 }, unique);
  } catch (err) {
    if (codeOf(err) !== 11000) throw err;
    await users.createIndex({ [field]: 1 }, { name, collation: COLLATION });
    warn(
      `_User holds ${field}s that differ only in case; they stay, and new ones are refused by the application check only`,
      {
        field,
        variants: await caseVariants(db, field),
      },
    );
  }
}
