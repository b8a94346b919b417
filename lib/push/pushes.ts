/**
 * Sending pushes, as parse-server sends them: a `_PushStatus` records each push (`pending`, then
 * `running`, then `succeeded` or `failed`, with `numSent`, `numFailed`, `sentPerType` and
 * `failedPerType`); the installations are read in batches of `push.queueOptions.batchSize`
 * (default 100) ordered by objectId, each batch read after the last one's id, so no push ever holds
 * more than one batch; each batch gets its badge change, then goes to the adapter grouped by locale
 * (`alert-fr`, `title-fr`) and by badge.
 */
import { MASTER_AUTH } from '../access/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { findObjects } from '../objects/find-objects.js';
import { createObject, updateObject } from '../objects/save-object.js';
import { serverFind, type FindParams } from '../query/find-params.js';
import type { OperationContext, Services } from '../services.js';
import type { RestObject, RestWhere } from '../storage/storage.js';
import { isPlainObject, type Json } from '../values/json.js';
import { createHash } from 'node:crypto';
import type { PushAdapter, PushResult, PushSetup } from './push-adapter.js';
import { assertPushTypes, parsePushRequest, type PushRequest } from './push-request.js';

const STATUS = '_PushStatus';
const INSTALLATION = '_Installation';
/** The MD5 of nothing: parse-server's `pushHash` of a push without an alert. */
const EMPTY_HASH = 'd41d8cd98f00b204e9800998ecf8427e';

/** A read through the core with the master key: hooks and query checks apply, permissions do not. */
export function asMaster(services: Services): OperationContext {
  return { services, caller: { auth: MASTER_AUTH, context: {}, headers: {}, ip: undefined } };
}

function findParams(where: RestWhere, limit: number, extra: Partial<FindParams> = {}): FindParams {
  return serverFind(where, { order: ['objectId'], limit, ...extra });
}

/** Only installations that can be reached: parse-server's `applyDeviceTokenExists`. */
function reachable(where: RestWhere): RestWhere {
  return Object.prototype.hasOwnProperty.call(where, 'deviceToken')
    ? where
    : { ...where, deviceToken: { $exists: true } };
}

function pushHash(data: Json): string {
  const { alert } = data;
  if (typeof alert === 'string') return createHash('md5').update(alert).digest('hex');
  if (isPlainObject(alert)) return createHash('md5').update(JSON.stringify(alert)).digest('hex');
  return EMPTY_HASH;
}

/** The locales a push speaks (`alert-fr`, `title-fr`), and its body for one of them (or the default). */
function locales(data: Json): string[] {
  const found = new Set<string>();
  for (const key of Object.keys(data)) {
    const match = /^(?:alert|title)-(.+)$/.exec(key);
    if (match) found.add(match[1]!);
  }
  return [...found];
}

function bodyFor(body: Json, spoken: string[], locale: string | undefined): Json {
  const data: Json = { ...(body.data as Json) };
  if (locale !== undefined) {
    if (data[`alert-${locale}`] !== undefined) data.alert = data[`alert-${locale}`];
    if (data[`title-${locale}`] !== undefined) data.title = data[`title-${locale}`];
  }
  for (const other of spoken) {
    delete data[`alert-${other}`];
    delete data[`title-${other}`];
  }
  return { ...body, data };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** The status fields one batch's outcomes add: counts, per device type. */
function tally(results: unknown): Json {
  const update: Json = {};
  const add = (key: string) => {
    const current = update[key] as { amount: number } | undefined;
    update[key] = { __op: 'Increment', amount: (current?.amount ?? 0) + 1 };
  };
  const flat = (Array.isArray(results) ? results.flat(Infinity) : []) as PushResult[];
  for (const result of flat) {
    const type = result?.device?.deviceType;
    if (typeof type !== 'string') continue;
    add(result.transmitted ? `sentPerType.${type}` : `failedPerType.${type}`);
    add(result.transmitted ? 'numSent' : 'numFailed');
  }
  return update;
}

/** The backend's pushes: the adapter (when there is one), and the pushes being sent now. */
export class Pushes {
  private adapter: PushAdapter | undefined;
  private problem: string | undefined;
  private loading: Promise<void> | undefined;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly setup: PushSetup,
    private readonly batchSize: number,
  ) {
    this.adapter = setup.adapter;
    this.problem = setup.load ? undefined : setup.problem;
  }

  /** Whether pushes can be sent (an adapter, or settings for one). */
  get supported(): boolean {
    return this.adapter !== undefined || this.setup.load !== undefined;
  }

  /** Why pushes cannot be sent, when they cannot; loads `@parse/push-adapter` on first use. */
  private async ready(services: Services): Promise<PushAdapter> {
    if (!this.adapter && this.setup.load && !this.problem) {
      this.loading ??= this.setup.load().then(
        (adapter) => {
          this.adapter = adapter;
        },
        (err: unknown) => {
          this.problem = `The push adapter could not be loaded: ${String(err)}`;
          services.config.logger.error(this.problem);
        },
      );
      await this.loading;
    }
    if (!this.adapter)
      throw new BackendError(ErrorCode.PUSH_MISCONFIGURED, this.problem ?? 'Missing push configuration');
    return this.adapter;
  }

  /**
   * Records a push (POST /push, `Parse.Push.send`) and starts sending it, unless it is scheduled;
   * answers its `_PushStatus` id once recorded. A bad body, device type or `where` is refused here.
   */
  async send(services: Services, raw: unknown): Promise<string> {
    const adapter = await this.ready(services);
    const request = parsePushRequest(raw, services.now());
    assertPushTypes(request.where, adapter.getValidPushTypes());
    const master = asMaster(services);
    // The query is checked (and its class-level and hook rules run) before anything is recorded.
    await findObjects(master, INSTALLATION, findParams(reachable(request.where), 0, { count: true }));
    const { config } = services;
    const scheduled = request.pushTime !== undefined && config.scheduledPush;
    if (request.pushTime !== undefined && !scheduled)
      config.logger.warn('Trying to schedule a push while server is not configured. Push will be sent immediately');
    const data = (request.body.data ?? {}) as Json;
    const status: Json = {
      pushTime: scheduled ? request.pushTime : services.now().toISOString(),
      query: JSON.stringify(request.where),
      payload: JSON.stringify(data),
      source: 'rest',
      status: scheduled ? 'scheduled' : 'pending',
      numSent: 0,
      pushHash: pushHash(data),
      ACL: {},
    };
    if (typeof request.body.expiration_time === 'number') status.expiry = request.body.expiration_time;
    if (typeof request.body.expiration_interval === 'number')
      status.expiration_interval = request.body.expiration_interval;
    const { objectId } = await createObject(master, STATUS, status);
    if (typeof request.body.audience_id === 'string') this.audienceUsed(services, request.body.audience_id);
    if (!scheduled) this.start(services, objectId, request);
    return objectId;
  }

  /** Sends a scheduled push whose time has come (its status already claimed by the caller). */
  async sendScheduled(services: Services, status: RestObject): Promise<void> {
    const objectId = String(status.objectId);
    try {
      const data = JSON.parse(String(status.payload ?? '{}')) as Json;
      const where = JSON.parse(String(status.query ?? '{}')) as RestWhere;
      const body: Json = { where, data, push_time: status.pushTime ?? null };
      if (typeof status.expiry === 'number') body.expiration_time = status.expiry;
      if (typeof status.expiration_interval === 'number') {
        body.expiration_interval = status.expiration_interval;
        body.expiration_time = services.now().getTime() + status.expiration_interval * 1000;
      }
      if (typeof body.expiration_time === 'number' && body.expiration_time < services.now().getTime())
        throw new Error('The push expired before its time came.');
      const request = parsePushRequest({ where, data }, services.now());
      await this.run(services, objectId, { ...request, body });
    } catch (err) {
      await this.fail(services, objectId, err);
    }
  }

  /**
   * Waits for the pushes being sent (when the backend closes), at most `ms`: an adapter that never
   * answers must not keep the backend from closing; its push stays `running`.
   */
  async settled(ms = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
    const drained = (async () => {
      while (this.sending.size > 0) await Promise.all([...this.sending]);
    })();
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
  }

  private start(services: Services, objectId: string, request: PushRequest): void {
    const sending: Promise<void> = this.run(services, objectId, request)
      .catch((err: unknown) => this.fail(services, objectId, err))
      .finally(() => this.sending.delete(sending));
    this.sending.add(sending);
  }

  private async fail(services: Services, objectId: string, err: unknown): Promise<void> {
    services.config.logger.error(`_PushStatus ${objectId}: error while sending push`, { error: String(err) });
    const message = err instanceof Error ? err.message : String(err);
    await updateObject(asMaster(services), STATUS, objectId, {
      status: 'failed',
      errorMessage: { message },
    }).catch(() => undefined);
  }

  private audienceUsed(services: Services, audienceId: string): void {
    // As parse-server, not awaited: an audience that is gone does not hold the push up.
    void updateObject(asMaster(services), '_Audience', audienceId, {
      lastUsed: { __type: 'Date', iso: services.now().toISOString() },
      timesUsed: { __op: 'Increment', amount: 1 },
    }).catch(() => undefined);
  }

  /** Sends to every installation `request` names, batch after batch, recording the outcomes. */
  private async run(services: Services, objectId: string, request: PushRequest): Promise<void> {
    const adapter = await this.ready(services);
    const master = asMaster(services);
    const where = reachable(request.where);
    await updateObject(master, STATUS, objectId, { status: 'running' });
    const schema = await services.schemas.get(INSTALLATION);
    let after: string | undefined;
    for (;;) {
      const page = after === undefined ? where : { $and: [where, { objectId: { $gt: after } }] };
      const found = await findObjects(master, INSTALLATION, findParams(page, this.batchSize));
      const batch = found.results as RestObject[];
      if (batch.length === 0) break;
      after = String(batch[batch.length - 1]!.objectId);
      if (request.badge && schema) {
        const ids = batch.map((installation) => installation.objectId);
        const change =
          'increment' in request.badge ? { __op: 'Increment', amount: request.badge.increment } : request.badge.set;
        await services.storage.updateObjects(schema, { objectId: { $in: ids } }, { badge: change });
        for (const installation of batch)
          installation.badge =
            'increment' in request.badge
              ? (typeof installation.badge === 'number' ? installation.badge : 0) + request.badge.increment
              : request.badge.set;
      }
      const results = await this.deliver(adapter, request, batch, objectId);
      const update = tally(results);
      if (Object.keys(update).length > 0) await updateObject(master, STATUS, objectId, update);
      if (batch.length < this.batchSize) break;
    }
    await updateObject(master, STATUS, objectId, { status: 'succeeded' });
  }

  /** One batch to the adapter: one call per locale and, for badge changes, per badge. */
  private async deliver(
    adapter: PushAdapter,
    request: PushRequest,
    installations: RestObject[],
    objectId: string,
  ): Promise<unknown[]> {
    const data = (request.body.data ?? {}) as Json;
    const spoken = locales(data);
    const byLocale =
      spoken.length === 0
        ? new Map([['', installations]])
        : groupBy(installations, (installation) => {
            const identifier = typeof installation.localeIdentifier === 'string' ? installation.localeIdentifier : '';
            return spoken.find((locale) => identifier.startsWith(locale)) ?? '';
          });
    const calls: Promise<unknown>[] = [];
    for (const [locale, group] of byLocale) {
      const body = bodyFor(request.body, spoken, locale === '' ? undefined : locale);
      if (!request.badge) {
        calls.push(adapter.send(body, group, objectId));
        continue;
      }
      for (const [badge, sameBadge] of groupBy(group, (installation) => String(installation.badge))) {
        const withBadge = { ...body, data: { ...(body.data as Json), badge: Number(badge) } };
        calls.push(adapter.send(withBadge, sameBadge, objectId));
      }
    }
    return Promise.all(calls);
  }
}
