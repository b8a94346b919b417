/**
 * What `_Installation` keeps on every write path (`/installations`, `/classes/_Installation`,
 * `/batch`, the data API), as parse-server does: a new installation names its device (`deviceType`,
 * and an `installationId` or a `deviceToken`); those never change; registering again finds the
 * installation already there (by `installationId`, else by `deviceToken`) and updates it; and a
 * device token that moves to another installation leaves the one that held it, as the host's
 * `installation` options say. Clients may create, fetch and update installations, never list or
 * delete them (class-access.ts).
 */
import { classAccess, restricted } from '../access/class-access.js';
import { principalsOf } from '../access/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { ClassRules } from '../objects/class-rules.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { OperationContext } from '../services.js';
import type { RestObject, RestWhere } from '../storage/storage.js';
import { isObject, type Json } from '../values/json.js';

const INSTALLATION = '_Installation';
/** The most installations one device token is looked up among (parse-server reads them all). */
const MATCHES = 1000;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Objects matching `where` leave their claim on a device token or installation id, as
 * `duplicateDeviceTokenAction` says: deleted, or `field` cleared. With
 * `duplicateDeviceTokenActionEnforceAuth` a client does it with its own permissions (an ACL or
 * class-level permission that refuses leaves the object as it is, with a warning).
 */
async function giveUpClaim(
  ctx: OperationContext,
  schema: ClassSchema,
  where: RestWhere,
  field: 'deviceToken' | 'installationId',
): Promise<void> {
  const { services, caller } = ctx;
  const { duplicateDeviceTokenAction: action, duplicateDeviceTokenActionEnforceAuth: enforce } =
    services.config.installation;
  const updatedAt = services.now().toISOString();
  const change: RestObject = { [field]: { __op: 'Delete' }, updatedAt };
  if (!enforce || caller.auth.master) {
    if (action === 'delete') await services.storage.deleteObjects(schema, where);
    else await services.storage.updateObjects(schema, where, change);
    return;
  }
  let restriction: RestWhere | null;
  try {
    restriction = classAccess(caller.auth, INSTALLATION, schema, action === 'delete' ? 'delete' : 'update');
  } catch {
    services.config.logger.warn(
      `Installation dedup ${action} skipped: the caller may not ${action} the installation holding the device token.`,
    );
    return;
  }
  const writers = principalsOf(caller.auth);
  const held = await services.storage.findObjects(schema, where, { limit: MATCHES, keys: ['objectId'] }, null);
  for (const { objectId } of held) {
    const one = restricted({ objectId }, restriction);
    if (action === 'delete') await services.storage.deleteObject(schema, one, writers);
    else await services.storage.updateObject(schema, one, change, writers);
  }
}

/**
 * Works out which installation a write is about, as parse-server's installation handling does, and
 * settles what other installations claim the same device. Returns the installation to update
 * (for a create, when the device is known already) and the body with its ids normalized.
 */
async function settleInstallation(
  ctx: OperationContext,
  objectId: string | undefined,
  body: Json,
): Promise<{ objectId?: string; body: Json }> {
  const { services, caller } = ctx;
  const { auth } = caller;
  const data: Json = { ...body };
  if (objectId === undefined && !text(data.deviceToken) && !text(data.installationId) && !auth.installationId)
    throw new BackendError(
      ErrorCode.MISSING_REQUIRED_FIELD,
      'at least one ID field (deviceToken, installationId) must be specified in this operation',
    );
  // An APNs token (64 hex digits) is the same token in either case; installation ids are UUIDs.
  if (typeof data.deviceToken === 'string' && data.deviceToken.length === 64)
    data.deviceToken = data.deviceToken.toLowerCase();
  if (typeof data.installationId === 'string') data.installationId = data.installationId.toLowerCase();
  const installationId = text(data.installationId) ?? (auth.master ? undefined : auth.installationId?.toLowerCase());
  const deviceToken = text(data.deviceToken);
  if (objectId !== undefined && !deviceToken && !installationId && data.deviceType === undefined) return { body: data };

  const or: RestWhere[] = [];
  if (objectId !== undefined) or.push({ objectId });
  if (installationId) or.push({ installationId });
  if (deviceToken) or.push({ deviceToken });
  const schema = await services.schemas.get(INSTALLATION);
  const found = schema ? await services.storage.findObjects(schema, { $or: or }, { limit: MATCHES }, null) : [];
  const objectIdMatch = objectId === undefined ? undefined : found.find((o) => o.objectId === objectId);
  const installationIdMatch = installationId ? found.find((o) => o.installationId === installationId) : undefined;
  const tokenMatches = deviceToken ? found.filter((o) => o.deviceToken === deviceToken) : [];

  if (objectId !== undefined) {
    if (!objectIdMatch) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'Object not found for update.');
    if (
      text(data.installationId) &&
      objectIdMatch.installationId &&
      data.installationId !== objectIdMatch.installationId
    )
      throw new BackendError(ErrorCode.CHANGED_IMMUTABLE_FIELD, 'installationId may not be changed in this operation');
    if (
      deviceToken &&
      objectIdMatch.deviceToken &&
      deviceToken !== objectIdMatch.deviceToken &&
      !text(data.installationId) &&
      !objectIdMatch.installationId
    )
      throw new BackendError(ErrorCode.CHANGED_IMMUTABLE_FIELD, 'deviceToken may not be changed in this operation');
    if (data.deviceType !== undefined && data.deviceType !== objectIdMatch.deviceType)
      throw new BackendError(ErrorCode.CHANGED_IMMUTABLE_FIELD, 'deviceType may not be changed in this operation');
  }
  const idMatch = installationIdMatch ?? objectIdMatch;
  if (objectId === undefined && data.deviceType === undefined && !idMatch)
    throw new BackendError(ErrorCode.MISSING_REQUIRED_FIELD, 'deviceType must be specified in this operation');

  const target = schema ? await settleDeviceToken(ctx, schema, data, installationId, idMatch, tokenMatches) : undefined;
  if (target === undefined || target === objectId) return { body: data };
  // A create that found its device: it updates that installation.
  const { objectId: _id, createdAt: _created, ...rest } = data;
  return { objectId: target, body: rest };
}

/** The installation the write lands on, once other claims on its device token are settled. */
async function settleDeviceToken(
  ctx: OperationContext,
  schema: ClassSchema,
  data: Json,
  installationId: string | undefined,
  idMatch: RestObject | undefined,
  tokenMatches: RestObject[],
): Promise<string | undefined> {
  const deviceToken = text(data.deviceToken);
  const sameApp = (where: RestWhere): RestWhere =>
    typeof data.appIdentifier === 'string' ? { ...where, appIdentifier: data.appIdentifier } : where;
  if (!idMatch) {
    if (tokenMatches.length === 0) return undefined;
    // One installation holds the token, and one side has no installation id: it is this device.
    if (tokenMatches.length === 1 && (!tokenMatches[0]!.installationId || !installationId))
      return String(tokenMatches[0]!.objectId);
    if (!text(data.installationId))
      throw new BackendError(
        ErrorCode.DEVICE_TOKEN_AMBIGUOUS,
        'Must specify installationId when deviceToken matches multiple Installation objects',
      );
    // The token moved to a new installation: the others let it go, and this one is created.
    await giveUpClaim(ctx, schema, sameApp({ deviceToken, installationId: { $ne: installationId } }), 'deviceToken');
    return undefined;
  }
  const matchId = String(idMatch.objectId);
  const [tokenOnly] = tokenMatches;
  if (tokenMatches.length === 1 && tokenOnly && !tokenOnly.installationId) {
    // Two records of one device: one found by its id, one holding its token alone. One survives.
    if (tokenOnly.objectId === matchId) return matchId;
    const keepToken = ctx.services.config.installation.duplicateDeviceTokenMergePriority === 'deviceToken';
    const [survivor, loser] = keepToken ? [String(tokenOnly.objectId), matchId] : [matchId, String(tokenOnly.objectId)];
    await giveUpClaim(ctx, schema, { objectId: loser }, keepToken ? 'installationId' : 'deviceToken');
    return survivor;
  }
  if (deviceToken && idMatch.deviceToken !== deviceToken) {
    // This installation takes a token others hold: they let it go.
    let where: RestWhere;
    if (text(data.installationId)) where = { deviceToken, installationId: { $ne: data.installationId } };
    else if (data.objectId !== undefined && data.objectId === matchId)
      where = { deviceToken, objectId: { $ne: matchId } };
    else return matchId;
    await giveUpClaim(ctx, schema, sameApp(where), 'deviceToken');
  }
  return matchId;
}

export const installationRules: ClassRules = {
  // Anyone may register a device and update it (its ACL decides); deletes are the master key's
  // (class-access.ts refuses them to clients, as listing).
  assertWritable() {},
  async settle(ctx, objectId, body) {
    if (!isObject(body)) return { body: body as Json };
    return settleInstallation(ctx, objectId, body);
  },
};
