/**
 * The backend's one change feed on the database: LiveQuery's events from every process, and the
 * caches (schemas, sessions, roles) told at once of changes made by other processes. Without change
 * streams (a standalone MongoDB), LiveQuery sees this process's writes and the caches expire as
 * before, with one warning.
 */
import type { Services } from '../services.js';
import type { ChangeFeed, StoredChange } from '../storage/storage.js';

/** Internal collections whose changes invalidate a cache. */
const CACHED = ['_SCHEMA', '_Session', '_Role', '_Join:users:_Role', '_Join:roles:_Role'];

function invalidateCaches(services: Services, change: StoredChange): void {
  if (change.className === '_SCHEMA') services.schemas.invalidate();
  // A new session is in no cache yet (the feed leaves their inserts out): only a changed or deleted one is forgotten.
  else if (change.className === '_Session') {
    if (change.kind !== 'insert') services.sessions.forgetSession(change.objectId);
  } else services.roles.invalidate();
}

/** Opens the feed; null (after a warning when LiveQuery is on) when the database has none. */
export async function followDatabaseChanges(services: Services): Promise<ChangeFeed | null> {
  const { config } = services;
  const live = [...config.liveQuery.classNames];
  const feed = await services.storage
    .watchChanges({
      classNames: [...new Set([...live, ...CACHED])],
      preImagesOf: config.liveQuery.preImages ? live : [],
      // A new session is in no cache yet: unless LiveQuery sends sessions, logins cost the feed nothing.
      insertsIgnoredOf: config.liveQuery.classNames.has('_Session') ? [] : ['_Session'],
      schemaOf: (className) =>
        config.liveQuery.classNames.has(className) ? services.schemas.get(className) : Promise.resolve(undefined),
      onChange: (change) => {
        if (CACHED.includes(change.className)) invalidateCaches(services, change);
        if (config.liveQuery.classNames.has(change.className)) services.live.fromDatabase(change);
      },
      onProblem: (message, details) => config.logger.warn(message, details),
    })
    .catch((err: unknown) => {
      config.logger.warn('The database change feed could not be opened', { error: String(err) });
      return null;
    });
  if (feed) services.live.useDatabaseFeed();
  else if (live.length > 0)
    config.logger.warn(
      'The database has no change streams (a standalone MongoDB): LiveQuery sends the writes of this process only, and caches expire after 5 s',
    );
  return feed;
}
