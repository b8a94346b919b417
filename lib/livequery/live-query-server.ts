/**
 * LiveQuery's WebSocket endpoint: Parse's protocol for the official SDKs (`query.subscribe()`,
 * `Parse.LiveQueryClient`), served on the host's HTTP server at a path. Each connection is checked
 * as a REST request is — keys, session token, class-level permissions, protected fields — and each
 * change the core publishes is sent to the subscriptions it matches, in order, per client.
 *
 * Bounded: a message's size (`maxMessageBytes`), messages per second, subscriptions per connection,
 * and the bytes waiting to be sent to a client (past them, a slow client is disconnected rather
 * than let it hold memory). A bad frame is answered with an error and never reaches the host.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { fieldProtection, assertQueryable } from '../access/protected-fields.js';
import { MASTER_AUTH, PUBLIC_AUTH, principalsOf, type RequestAuth } from '../access/request-auth.js';
import { masterKeyAllowedFrom, secretsEqual } from '../auth/master-key.js';
import { cloudRequestBase } from '../cloud/caller-fields.js';
import { HookObject } from '../cloud/hook-object.js';
import { HookQuery } from '../cloud/hook-query.js';
import { hookError } from '../cloud/hook-runner.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { planRead, revealed, type ReadPlan } from '../objects/secure-read.js';
import { validateWhere, whereFields } from '../query/where.js';
import type { ClassSchema } from '../schema/class-schema.js';
import { assertClassName } from '../schema/names.js';
import type { OperationContext, Services } from '../services.js';
import type { RestObject, RestWhere } from '../storage/storage.js';
import type { Json } from '../values/json.js';
import type { LiveEvent } from './live-events.js';
import { LiveSubscription, type LiveEventName } from './live-subscription.js';
import {
  errorFrame,
  LiveErrorCode,
  ProtocolError,
  readMessage,
  type ConnectMessage,
  type SubscribeMessage,
} from './protocol.js';

/** Where the endpoint listens. */
export interface LiveQueryAttachOptions {
  /** The WebSocket path; default: the path of `publicServerURL` or `serverURL`, else `/parse`. */
  path?: string;
}

/** Operators that need other data than the changed object: a live query cannot keep them current. */
const NOT_LIVE = new Set(['$inQuery', '$notInQuery', '$select', '$dontSelect', '$relatedTo', '$text']);

/** What one change's delivery works out once for all its subscribers. */
interface EventMemo {
  schema: Promise<ClassSchema | undefined>;
  plans: Map<string, { plan: ReadPlan; key: string } | null>;
  seen: Map<string, [boolean, boolean]>;
  /** The `object` (and `original`) part of a frame, per caller, event name and keys. */
  sent: Map<string, string>;
}

interface LiveClient {
  readonly socket: WebSocket;
  readonly headers: IncomingMessage['headers'];
  readonly ip: string | undefined;
  id: string | null;
  master: boolean;
  sessionToken: string | undefined;
  installationId: string | undefined;
  readonly subscriptions: Map<number, LiveSubscription>;
  /** Messages and deliveries run one after the other, so a client sees them in order. */
  chain: Promise<void>;
  window: { start: number; count: number };
  alive: boolean;
}

function assertLiveWhere(where: unknown, requestId: number): void {
  if (Array.isArray(where)) {
    for (const item of where) assertLiveWhere(item, requestId);
    return;
  }
  if (where === null || typeof where !== 'object') return;
  for (const [key, value] of Object.entries(where)) {
    if (NOT_LIVE.has(key))
      throw new ProtocolError(ErrorCode.INVALID_QUERY, `${key} is not supported in a live query`, requestId);
    assertLiveWhere(value, requestId);
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url, 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  } catch {
    return '';
  }
}

export class LiveQueryServer {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<LiveClient>();
  /** Sockets holding their frames until the current burst of events has been dispatched. */
  private readonly corked = new Set<Writable>();
  private readonly attached: {
    server: HttpServer;
    listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  }[] = [];
  private readonly stopListening: () => void;
  private readonly ping: NodeJS.Timeout;

  constructor(private readonly services: Services) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: services.config.liveQuery.maxMessageBytes });
    this.stopListening = services.live.listen((event) => this.dispatch(event));
    this.ping = setInterval(() => this.checkAlive(), services.config.liveQuery.websocketTimeout);
    this.ping.unref();
  }

  /** Serves the endpoint on `server` (an `http` or `https` server) at `options.path`. */
  attach(server: HttpServer, options: LiveQueryAttachOptions = {}): void {
    const { config } = this.services;
    const path = pathOf(options.path ?? config.publicServerURL ?? config.serverURL ?? '/parse');
    const listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      // Other paths belong to the host's own WebSocket endpoints.
      if (pathOf(request.url ?? '') !== path) return;
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request));
    };
    server.on('upgrade', listener);
    this.attached.push({ server, listener });
  }

  /** Connected clients and live subscriptions. */
  counts(): { clients: number; subscriptions: number } {
    let subscriptions = 0;
    for (const client of this.clients) subscriptions += client.subscriptions.size;
    return { clients: this.clients.size, subscriptions };
  }

  /** Closes every connection and stops serving. */
  close(): void {
    this.stopListening();
    clearInterval(this.ping);
    for (const { server, listener } of this.attached) server.off('upgrade', listener);
    this.attached.length = 0;
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
    this.wss.close();
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const client: LiveClient = {
      socket,
      headers: request.headers,
      ip: request.socket.remoteAddress,
      id: null,
      master: false,
      sessionToken: undefined,
      installationId: undefined,
      subscriptions: new Map(),
      chain: Promise.resolve(),
      window: { start: Date.now(), count: 0 },
      alive: true,
    };
    this.clients.add(client);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('message', (data, isBinary) => {
      if (!this.withinRate(client)) return;
      const frame = isBinary ? '' : String(data);
      this.enqueue(client, () => this.handle(client, frame));
    });
    socket.on('close', () => this.clients.delete(client));
    // A broken connection (a bad frame, a message past maxMessageBytes) is closed by ws; nothing to throw.
    socket.on('error', () => socket.terminate());
  }

  private checkAlive(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  private withinRate(client: LiveClient): boolean {
    const now = Date.now();
    if (now - client.window.start >= 1000) client.window = { start: now, count: 0 };
    client.window.count += 1;
    const limit = this.services.config.liveQuery.maxMessagesPerSecond;
    if (client.window.count <= limit) return true;
    if (client.window.count === limit + 1)
      this.send(client, errorFrame(ErrorCode.REQUEST_LIMIT_EXCEEDED, 'Too many messages: slow down.', null));
    return false;
  }

  private enqueue(client: LiveClient, work: () => Promise<void>): void {
    client.chain = client.chain.then(work).catch((err: unknown) => {
      this.services.config.logger.error('LiveQuery: a message or event failed', { error: String(err) });
    });
  }

  /** Sends a frame; a client that lets too much pile up is disconnected. */
  private send(client: LiveClient, frame: string): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    if (client.socket.bufferedAmount > this.services.config.liveQuery.maxQueuedBytes) {
      this.services.config.logger.warn('LiveQuery: a client too slow to keep up was disconnected', {
        clientId: client.id,
      });
      client.socket.terminate();
      return;
    }
    this.cork(client.socket);
    client.socket.send(frame);
  }

  /**
   * Holds a socket's writes until the events being handled now are all dispatched, then writes them
   * at once: a burst of changes reaches a client in one system call rather than one per frame.
   * ws has no cork of its own; its `_socket` is the connection's net.Socket.
   */
  private cork(socket: WebSocket): void {
    const raw = (socket as unknown as { _socket?: Writable })._socket;
    if (!raw || this.corked.has(raw)) return;
    if (this.corked.size === 0)
      setImmediate(() => {
        for (const held of this.corked) held.uncork();
        this.corked.clear();
      });
    raw.cork();
    this.corked.add(raw);
  }

  private async handle(client: LiveClient, frame: string): Promise<void> {
    try {
      const message = readMessage(frame);
      if (message.op === 'connect') return await this.connect(client, message);
      if (!client.id)
        throw new ProtocolError(
          LiveErrorCode.NOT_CONNECTED,
          'Can not find this client, make sure you connect to server before subscribing',
          message.requestId,
        );
      if (message.op === 'unsubscribe') return this.unsubscribe(client, message.requestId, true);
      if (message.op === 'update') this.unsubscribe(client, message.requestId, false);
      return await this.subscribe(client, message);
    } catch (err) {
      const requestId = err instanceof ProtocolError ? err.requestId : null;
      const failure = err instanceof ProtocolError ? err : hookError(err);
      if (!(err instanceof ProtocolError) && !(err instanceof BackendError))
        this.services.config.logger.error('LiveQuery: a message failed', { error: String(err) });
      this.send(client, errorFrame(failure.code, failure.message, requestId));
    }
  }

  /** The caller a client (or one of its subscriptions, with its own token) acts as; null when refused. */
  private async authOf(client: LiveClient, token: string | undefined): Promise<RequestAuth | null> {
    const installationId = client.installationId ?? null;
    if (client.master) return { ...MASTER_AUTH, installationId };
    const sessionToken = token ?? client.sessionToken;
    if (!sessionToken) return { ...PUBLIC_AUTH, installationId };
    try {
      const session = await this.services.sessions.resolve(sessionToken);
      const roles = await this.services.roles.rolesOf(session.userId);
      return { master: false, userId: session.userId, sessionToken, installationId, roles };
    } catch (err) {
      if (!(err instanceof BackendError) || err.code !== ErrorCode.INVALID_SESSION_TOKEN) throw err;
      return this.services.config.liveQuery.invalidSessionToken === 'refuse'
        ? null
        : { ...PUBLIC_AUTH, installationId };
    }
  }

  private contextFor(client: LiveClient, auth: RequestAuth): OperationContext {
    return { services: this.services, caller: { auth, context: {}, headers: client.headers, ip: client.ip } };
  }

  private async liveBase(ctx: OperationContext, client: LiveClient) {
    return {
      ...(await cloudRequestBase(ctx)),
      ...this.counts(),
      sessionToken: ctx.caller.auth.sessionToken ?? undefined,
      useMasterKey: client.master,
    };
  }

  private async connect(client: LiveClient, message: ConnectMessage): Promise<void> {
    const { config } = this.services;
    const badKeys = new ProtocolError(LiveErrorCode.INVALID_KEYS, 'Key in request is not valid');
    if (message.applicationId !== config.appId) throw badKeys;
    let master = false;
    if (message.masterKey !== undefined) {
      const full = secretsEqual(message.masterKey, config.masterKey);
      const readOnly =
        config.readOnlyMasterKey !== undefined && secretsEqual(message.masterKey, config.readOnlyMasterKey);
      if ((!full && !readOnly) || !masterKeyAllowedFrom(client.ip, config.masterKeyIps)) throw badKeys;
      master = true;
    } else {
      const configured = Object.entries(config.clientKeys).filter(([, value]) => value !== undefined);
      if (
        configured.length > 0 &&
        !configured.some(
          ([name, value]) => message.keys[name] !== undefined && secretsEqual(message.keys[name]!, value!),
        )
      )
        throw badKeys;
    }
    client.master = master;
    client.installationId = message.installationId;
    client.sessionToken = message.sessionToken;
    const auth = await this.authOf(client, undefined);
    if (!auth) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
    if (!auth.userId) client.sessionToken = undefined;
    const hook = this.services.cloud.liveHook('beforeConnect');
    if (hook) {
      const ctx = this.contextFor(client, auth);
      await Promise.resolve(
        hook({ ...(await this.liveBase(ctx, client)), event: 'connect', triggerName: 'beforeConnect' }),
      ).catch((err: unknown) => {
        throw hookError(err);
      });
    }
    client.id = randomUUID();
    this.send(client, JSON.stringify({ op: 'connected', clientId: client.id }));
  }

  private async subscribe(client: LiveClient, message: SubscribeMessage): Promise<void> {
    const { requestId, query: spec } = message;
    const { config, schemas, cloud } = this.services;
    if (
      !client.subscriptions.has(requestId) &&
      client.subscriptions.size >= config.liveQuery.maxSubscriptionsPerConnection
    )
      throw new ProtocolError(
        ErrorCode.REQUEST_LIMIT_EXCEEDED,
        'Too many subscriptions on this connection.',
        requestId,
      );
    try {
      assertClassName(spec.className);
      const auth = await this.authOf(client, message.sessionToken);
      if (!auth) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
      const ctx = this.contextFor(client, auth);
      let where: Json = spec.where;
      let keys = spec.keys;
      const hook = cloud.liveHook('beforeSubscribe', spec.className);
      if (hook) {
        const query = new HookQuery(spec.className, where, keys ? { keys } : {});
        await Promise.resolve(
          hook({ ...(await this.liveBase(ctx, client)), query, requestId, triggerName: 'beforeSubscribe' }),
        ).catch((err: unknown) => {
          throw hookError(err);
        });
        const changed = query.toJSON();
        where = changed.where;
        keys = changed.keys ?? keys;
      }
      let checked: RestWhere = validateWhere(where, auth.master, config.requestComplexity);
      assertLiveWhere(checked, requestId);
      if (spec.className === '_Session') {
        // A client sees its own sessions only, as parse-server restricts them.
        if (auth.userId)
          checked = { $and: [checked, { user: { __type: 'Pointer', className: '_User', objectId: auth.userId } }] };
        else if (!auth.master) throw new BackendError(ErrorCode.INVALID_SESSION_TOKEN, 'Invalid session token');
      }
      const operation = Object.keys(checked).length === 1 && typeof checked.objectId === 'string' ? 'get' : 'find';
      const schema = await schemas.get(spec.className);
      planRead(ctx, spec.className, schema, operation);
      const protection = fieldProtection(config.protectedFields, spec.className, schema, auth);
      assertQueryable(protection, [...whereFields(checked), ...(spec.watch ?? [])]);
      const subscription = new LiveSubscription(
        requestId,
        spec.className,
        checked,
        operation,
        keys,
        spec.watch,
        message.sessionToken,
      );
      client.subscriptions.set(requestId, subscription);
      this.send(client, JSON.stringify({ op: 'subscribed', clientId: client.id, requestId }));
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      const failure = hookError(err);
      throw new ProtocolError(failure.code, failure.message, requestId);
    }
  }

  private unsubscribe(client: LiveClient, requestId: number, answer: boolean): void {
    if (!client.subscriptions.delete(requestId)) {
      if (!answer) return;
      throw new ProtocolError(
        LiveErrorCode.NOT_CONNECTED,
        `Cannot find subscription with clientId ${client.id} subscriptionId ${requestId}. Make sure you subscribe to live query server before unsubscribing.`,
        requestId,
      );
    }
    if (answer) this.send(client, JSON.stringify({ op: 'unsubscribed', clientId: client.id, requestId }));
  }

  private dispatch(event: LiveEvent): void {
    // What one change costs is shared by its subscribers: the schema, read plans, match results
    // and the objects as sent are worked out once per distinct caller and query.
    let memo: EventMemo | undefined;
    for (const client of this.clients) {
      if (!client.id) continue;
      let subscribed = false;
      for (const subscription of client.subscriptions.values())
        if (subscription.className === event.className) subscribed = true;
      if (!subscribed) continue;
      memo ??= {
        schema: this.services.schemas.get(event.className),
        plans: new Map(),
        seen: new Map(),
        sent: new Map(),
      };
      const shared = memo;
      this.enqueue(client, () => this.deliver(client, event, shared));
    }
  }

  /** A read plan for `auth`, once per event and distinct caller; null when the class-level permission refuses. */
  private planFor(
    memo: EventMemo,
    schema: ClassSchema,
    event: LiveEvent,
    auth: RequestAuth,
    operation: 'get' | 'find',
    ctx: OperationContext,
  ): { plan: ReadPlan; key: string } | null {
    const readers = principalsOf(auth);
    const callerKey = `${operation}\n${readers ? readers.join('\n') : '(master)'}`;
    let entry = memo.plans.get(callerKey);
    if (entry === undefined) {
      try {
        // The class-level permission as it is now: a change since subscribing applies at once.
        const plan = planRead(ctx, event.className, schema, operation);
        entry = { plan, key: `${callerKey}\n${JSON.stringify(plan.restriction)}` };
      } catch {
        entry = null;
      }
      memo.plans.set(callerKey, entry);
    }
    return entry;
  }

  private async deliver(client: LiveClient, event: LiveEvent, memo: EventMemo): Promise<void> {
    const { className } = event;
    const schema = await memo.schema;
    if (!schema) return;
    const hook = this.services.cloud.liveHook('afterEvent', className);
    const auths = new Map<string | undefined, RequestAuth | null>();
    for (const subscription of [...client.subscriptions.values()]) {
      if (subscription.className !== className) continue;
      let auth = auths.get(subscription.sessionToken);
      if (auth === undefined) {
        auth = await this.authOf(client, subscription.sessionToken);
        auths.set(subscription.sessionToken, auth);
      }
      if (!auth) continue;
      const ctx = this.contextFor(client, auth);
      const planned = this.planFor(memo, schema, event, auth, subscription.operation, ctx);
      if (!planned) continue;
      const name = subscription.decide(this.services, schema, planned.plan, auth, event, memo.seen, planned.key);
      if (!name) continue;
      let body: string | undefined;
      const bodyKey = `${planned.key}\n${name}\n${subscription.keys?.join(',') ?? '*'}`;
      if (!hook) body = memo.sent.get(bodyKey);
      if (body === undefined) {
        const sent = hook
          ? await this.afterEvent(ctx, client, subscription, name, event)
          : { object: event.object, original: event.original };
        if (!sent) continue;
        const [object] = revealed(ctx, planned.plan, [sent.object]);
        const original =
          sent.original && name !== 'create' && name !== 'delete'
            ? revealed(ctx, planned.plan, [sent.original])[0]
            : undefined;
        body = `"object":${JSON.stringify(subscription.selected({ className, ...object }))}`;
        if (original) body += `,"original":${JSON.stringify(subscription.selected({ className, ...original }))}`;
        if (!hook) memo.sent.set(bodyKey, body);
      }
      const installation =
        client.installationId !== undefined ? `,"installationId":${JSON.stringify(client.installationId)}` : '';
      this.send(
        client,
        `{"op":"${name}","clientId":${JSON.stringify(client.id)}${installation},"requestId":${subscription.requestId},${body}}`,
      );
    }
  }

  /** afterLiveQueryEvent: the objects to send, or null when the hook holds the event back. */
  private async afterEvent(
    ctx: OperationContext,
    client: LiveClient,
    subscription: LiveSubscription,
    name: LiveEventName,
    event: LiveEvent,
  ): Promise<{ object: RestObject; original: RestObject | null } | null> {
    const hook = this.services.cloud.liveHook('afterEvent', event.className);
    if (!hook) return { object: event.object, original: event.original };
    const request = {
      ...(await this.liveBase(ctx, client)),
      event: name,
      object: new HookObject(event.className, structuredClone(event.object)),
      original: event.original ? new HookObject(event.className, structuredClone(event.original)) : undefined,
      sendEvent: true,
      triggerName: 'afterEvent' as const,
    };
    try {
      await hook(request);
    } catch (err) {
      const failure = hookError(err);
      this.send(client, errorFrame(failure.code, failure.message, subscription.requestId));
      return null;
    }
    if (!request.sendEvent) return null;
    const { className: _object, ...object } = request.object.toJSON();
    const original = request.original ? (({ className: _original, ...rest }) => rest)(request.original.toJSON()) : null;
    return { object, original };
  }
}
