/**
 * What hooks, cloud functions and jobs receive: Parse.Cloud's request shapes, plus `data`, the
 * programmatic data API, so a hook can read and write through the same permissions and hooks.
 */
import type { RequestAuth } from '../access/request-auth.js';
import type { Logger } from '../config/options.js';
import type { ByteBudget } from '../storage/storage.js';
import type { HookObject } from './hook-object.js';
import type { HookQuery } from './hook-query.js';
import type { Json } from '../values/json.js';
import type { FunctionResponse } from './function-response.js';

type Headers = Record<string, string | string[] | undefined>;

/** Who a data API call acts as. Without any of these, as an anonymous client (ACLs and CLPs apply). */
export interface DataOptions {
  /** As the master key: permissions do not apply. */
  useMasterKey?: boolean;
  /** As the user of this session (`request.user.getSessionToken()` in a hook). */
  sessionToken?: string;
  /** As the user with this objectId, with its roles. */
  user?: string;
  /** The context the hooks of this call receive. */
  context?: Json;
  /** The installation the call comes from (sessions a login or sign-up starts record it). */
  installationId?: string;
}

/** The credentials of {@link DataApi.logIn}: a username or an email, and the password. */
export interface LogInCredentials {
  username?: string;
  email?: string;
  password: string;
}

/** A query in the Parse query language: the REST `where` and find options. */
export interface DataQuery {
  where?: Json;
  order?: string | string[];
  limit?: number;
  skip?: number;
  keys?: string | string[];
  excludeKeys?: string | string[];
  include?: string | string[];
}

/**
 * The programmatic data API (`backend.data`, and `request.data` in hooks): the REST API's
 * operations without HTTP, running the same permissions and hooks. Values may be Dates and object
 * views (stored as pointers); results are object views.
 */
export interface DataApi {
  /** Runs a query: a class and a {@link DataQuery}, or a {@link HookQuery} built like a Parse.Query. */
  find(query: HookQuery, options?: DataOptions): Promise<HookObject[]>;
  find(className: string, query?: DataQuery, options?: DataOptions): Promise<HookObject[]>;
  /** The first result of a query, or undefined. */
  first(query: HookQuery, options?: DataOptions): Promise<HookObject | undefined>;
  first(className: string, query?: DataQuery, options?: DataOptions): Promise<HookObject | undefined>;
  count(query: HookQuery, options?: DataOptions): Promise<number>;
  /** One object by id; 101 when it does not exist or the caller may not read it. */
  get(
    className: string,
    objectId: string,
    options?: DataOptions & Pick<DataQuery, 'keys' | 'excludeKeys' | 'include'>,
  ): Promise<HookObject>;
  /** How many objects match (the query's `where`; order, limit and keys do not apply). */
  count(className: string, query?: DataQuery, options?: DataOptions): Promise<number>;
  /** Creates an object; returns it as stored (with the changes its beforeSave made). */
  create(className: string, values: Json, options?: DataOptions): Promise<HookObject>;
  /** Updates an object; returns it as stored. */
  update(className: string, objectId: string, values: Json, options?: DataOptions): Promise<HookObject>;
  delete(className: string, objectId: string, options?: DataOptions): Promise<void>;
  /**
   * Logs a user in, as `POST /login` does (lockout, email verification, beforeLogin and afterLogin
   * hooks): the user, whose `getSessionToken()` is the new session's token. A sign-up is
   * `create('_User', ...)`, which returns the new user with its session the same way.
   */
  logIn(credentials: LogInCredentials, options?: Pick<DataOptions, 'installationId' | 'context'>): Promise<HookObject>;
  /** Ends the session `sessionToken`, as `POST /logout` does (and runs afterLogout). */
  logOut(sessionToken: string): Promise<void>;
}

/** The request fields that come from the caller rather than the object. */
export interface HookCaller {
  auth: RequestAuth;
  context: Json;
  headers: Headers;
  ip: string | undefined;
  /** The bytes the request may still read (`maxResponseSize`), shared by every read it makes. */
  budget?: ByteBudget;
}

/** What every hook and function request carries. */
export interface CloudRequestBase {
  /** True when the request used the master key (or the read-only master key). */
  master: boolean;
  /** True when it was the read-only master key: do not write as master on its behalf. */
  isReadOnly: boolean;
  /** The calling user (with `getSessionToken()`), when logged in. */
  user: HookObject | undefined;
  /** The calling user's objectId, when logged in. */
  userId: string | null;
  installationId: string | null;
  /** Per-request context from `X-Parse-Cloud-Context` or `_context`, shared by the hooks of one request. */
  context: Json;
  headers: Headers;
  ip: string | undefined;
  /** The backend's logger. */
  log: Required<Logger>;
  /** The data API (acts as an anonymous client unless told otherwise). */
  data: DataApi;
}

/** What beforeSave, afterSave, beforeDelete and afterDelete receive. */
export interface ObjectHookRequest extends CloudRequestBase {
  /** The object: being saved (with the pending changes), saved, or being deleted. */
  object: HookObject;
  /** The object as stored before this save (undefined for a new object). */
  original: HookObject | undefined;
  triggerName: 'beforeSave' | 'afterSave' | 'beforeDelete' | 'afterDelete';
}

/** The beforeSave/afterSave request (Parse's name for it). */
export type SaveHookRequest = ObjectHookRequest;

/** What beforeFind receives: change `query` in place or return another, or return objects to answer with. */
export interface BeforeFindRequest extends CloudRequestBase {
  query: HookQuery;
  /** True for a count. */
  count: boolean;
  /** True for a get by id. */
  isGet: boolean;
  triggerName: 'beforeFind';
}

/** What afterFind receives: return an array to replace the results. */
export interface AfterFindRequest extends CloudRequestBase {
  objects: HookObject[];
  query: HookQuery;
  isGet: boolean;
  triggerName: 'afterFind';
}

/** What a cloud function receives. */
export interface FunctionRequest extends CloudRequestBase {
  functionName: string;
  /** The request body's parameters (Dates decoded). */
  params: Json;
}

/** What a job receives. Jobs run with the master key, after the request that started them was answered. */
export interface JobRequest {
  jobName: string;
  /** The `_JobStatus` objectId. */
  jobId: string;
  params: Json;
  /** Records a progress message on the job's `_JobStatus`. */
  message(text: string): Promise<void>;
  headers: Headers;
  ip: string | undefined;
  log: Required<Logger>;
  data: DataApi;
}

export type ObjectHook = (request: ObjectHookRequest) => unknown;
/** What LiveQuery's hooks share: the connection's counts and credentials. */
interface LiveRequestBase extends CloudRequestBase {
  /** Connected clients and live subscriptions of this process. */
  clients: number;
  subscriptions: number;
  sessionToken: string | undefined;
  /** True when the client connected with the master key. */
  useMasterKey: boolean;
}

/** What beforeConnect receives when a LiveQuery client connects; throw to refuse it. */
export interface LiveConnectRequest extends LiveRequestBase {
  event: 'connect';
  triggerName: 'beforeConnect';
}

/** What beforeSubscribe receives; change `query` (its `where`, keys, watch) or throw to refuse. */
export interface LiveSubscribeRequest extends LiveRequestBase {
  query: HookQuery;
  requestId: number;
  triggerName: 'beforeSubscribe';
}

/** What afterLiveQueryEvent receives before an event is sent; set `sendEvent` false to hold it back. */
export interface LiveEventRequest extends LiveRequestBase {
  event: 'create' | 'enter' | 'update' | 'leave' | 'delete';
  object: HookObject;
  original: HookObject | undefined;
  sendEvent: boolean;
  triggerName: 'afterEvent';
}

export type LiveConnectHook = (request: LiveConnectRequest) => unknown;
export type LiveSubscribeHook = (request: LiveSubscribeRequest) => unknown;
export type LiveEventHook = (request: LiveEventRequest) => unknown;

export type BeforeFindHook = (request: BeforeFindRequest) => unknown;
export type AfterFindHook = (request: AfterFindRequest) => unknown;
/**
 * A cloud function. Given two parameters (Express style, as in parse-server 9), it answers through
 * the second: `response.status(201).header('X-Id', id).success(result)`, or `response.error(...)`.
 */
export type CloudFunction = (request: FunctionRequest, response: FunctionResponse) => unknown;
export type CloudJob = (request: JobRequest) => unknown;
