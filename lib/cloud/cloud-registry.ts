/**
 * `backend.cloud`: hooks registered in host code, mirroring Parse.Cloud's names. One registry per
 * backend (no global state); registering returns a function that unregisters.
 */
import { BackendConfigError } from '../errors/backend-error.js';
import type { HookObject } from './hook-object.js';
import type { Logger } from '../config/options.js';
import type {
  AfterFindHook,
  BeforeFindHook,
  LiveConnectHook,
  LiveEventHook,
  LiveSubscribeHook,
  CloudFunction,
  CloudJob,
  CloudRequestBase,
  DataApi,
  ObjectHook,
} from './hook-requests.js';
import { prepareValidator, type PreparedValidator, type Validator } from './validator.js';
import { httpRequest, type HttpRequestLimits, type HttpRequestOptions, type HttpResponse } from './http-request.js';

export type { HookCaller, SaveHookRequest } from './hook-requests.js';
/** A beforeSave/afterSave hook (Parse's name for it). */
export type SaveHook = ObjectHook;

/** A class given by name or as a Parse.Object subclass (anything with a `className`). */
export type ClassRef = string | { className: string };

/**
 * Files in hooks: `'@File'`, or the Parse SDK's `Parse.File` class itself, so that Parse 8's
 * `Parse.Cloud.beforeSave(Parse.File, ...)` ports as `backend.cloud.beforeSave(Parse.File, ...)`.
 */
export const FILE = '@File';
export type FileRef = typeof FILE | (abstract new (...args: never[]) => unknown);

/**
 * The app's config (`/config`) in hooks: `'@Config'`, or the Parse SDK's `Parse.Config` class, as
 * parse-server takes `Parse.Cloud.beforeSave(Parse.Config, ...)`. Only beforeSave and afterSave.
 */
export const CONFIG = '@Config';
export type ConfigRef = typeof CONFIG | (abstract new (...args: never[]) => unknown);

/** What a file hook receives. */
export interface FileHookRequest extends CloudRequestBase {
  /**
   * The file. In beforeSave, set `name`, `data`, `contentType`, `metadata` or `tags` to change what
   * is stored, or `url` to answer with a file stored elsewhere (nothing is stored then).
   */
  file: HookFile;
  /**
   * Size in bytes of the file's data (beforeSave, afterSave, afterFind); null where there is none
   * to hand (deletes, and afterSave of a file a beforeSave answered with).
   */
  fileSize: number | null;
  triggerName: FileTriggerName;
}

/** A file as file hooks see it. */
export interface HookFile {
  name: string;
  /** The bytes: present in beforeSave and afterFind (where setting it replaces what is served). */
  data?: Buffer;
  contentType: string;
  metadata: Record<string, unknown>;
  tags: Record<string, unknown>;
  /** The file's URL (once stored; set in beforeSave for a file already stored elsewhere). */
  url?: string;
}

export type FileHook = (request: FileHookRequest) => unknown;
export type FileTriggerName = 'beforeSave' | 'afterSave' | 'beforeDelete' | 'afterDelete' | 'beforeFind' | 'afterFind';

/** The triggers a class (and a file) has. */
export const CLASS_TRIGGERS = [
  'beforeSave',
  'afterSave',
  'beforeDelete',
  'afterDelete',
  'beforeFind',
  'afterFind',
] as const;
type ClassTrigger = (typeof CLASS_TRIGGERS)[number];
type ConfigTrigger = 'beforeSave' | 'afterSave';
type ClassHook = ObjectHook | BeforeFindHook | AfterFindHook;
type AnyHook = ClassHook | FileHook;

/** A registered handler and its validator. */
export interface Registered<H> {
  readonly handler: H;
  readonly validator: PreparedValidator | undefined;
}

/** Function and job names: plain identifiers, looked up in maps (never on an object's prototype chain). */
const CLOUD_NAME = /^[A-Za-z_$][A-Za-z0-9_$.:-]{0,127}$/;

/** Whether `name` can name a cloud function or job (what `define` and `job` take). */
export function isCloudName(name: unknown): name is string {
  return typeof name === 'string' && CLOUD_NAME.test(name);
}

function isFileRef(ref: unknown): boolean {
  return ref === FILE || (typeof ref === 'function' && ref.name === 'ParseFile');
}

function isConfigRef(ref: unknown): boolean {
  return ref === CONFIG || (typeof ref === 'function' && ref.name === 'ParseConfig');
}

function classNameOf(ref: ClassRef | FileRef | ConfigRef): string {
  if (isFileRef(ref)) return FILE;
  if (isConfigRef(ref)) return CONFIG;
  const name = typeof ref === 'string' ? ref : (ref as { className?: unknown } | null)?.className;
  if (typeof name !== 'string' || name === '')
    throw new BackendConfigError(['hook class: give a class name or a class with a className']);
  return name;
}

/** What beforeLogin, afterLogin and afterLogout receive. */
export interface LoginHookRequest {
  /** The user logging in (login hooks), or the session being ended (afterLogout). */
  object: HookObject;
  /** afterLogin: the user now logged in, with `getSessionToken()` of the new session. */
  user?: HookObject;
  master: boolean;
  isReadOnly: boolean;
  installationId: string | null;
  context: Record<string, unknown>;
  triggerName: 'beforeLogin' | 'afterLogin' | 'afterLogout' | 'beforePasswordResetRequest';
  headers: Record<string, string | string[] | undefined>;
  ip: string | undefined;
  log: Required<Logger>;
  data: DataApi;
}

export type LoginHook = (request: LoginHookRequest) => unknown;
type LoginTrigger = LoginHookRequest['triggerName'];

/**
 * How handlers receive their requests when the backend is bound to the Parse SDK: each wrapper
 * converts the request to the SDK's objects and what the handler did back (see lib/sdk/).
 */
export interface RequestForm {
  /** An object as this form hands objects to code outside hook requests (identity providers). */
  object(view: HookObject): unknown;
  objectHook(handler: ObjectHook): ObjectHook;
  configHook(handler: ObjectHook): ObjectHook;
  fileHook(handler: FileHook): FileHook;
  beforeFind(handler: BeforeFindHook): BeforeFindHook;
  afterFind(handler: AfterFindHook): AfterFindHook;
  cloudFunction(handler: CloudFunction): CloudFunction;
  job(handler: CloudJob): CloudJob;
  loginHook(handler: LoginHook): LoginHook;
  liveConnect(handler: LiveConnectHook): LiveConnectHook;
  liveSubscribe(handler: LiveSubscribeHook): LiveSubscribeHook;
  liveEvent(handler: LiveEventHook): LiveEventHook;
}

/** What `backend.cloud` offers cloud code beyond registering: the backend's mail and outgoing requests. */
export interface CloudTools {
  /** Sends through the configured email adapter's `sendMail` (Parse.Cloud.sendEmail). */
  sendEmail(message: Record<string, unknown>): Promise<unknown>;
  /** The bounds of `httpRequest` (`outgoingRequests`). */
  readonly httpLimits: HttpRequestLimits;
}

/** The bounds `httpRequest` keeps when no backend gave others. */
const DEFAULT_HTTP_LIMITS: HttpRequestLimits = { timeout: 30_000, maxResponseSize: 10 * 1024 * 1024 };

/** Handlers of the webhooks (`/hooks`) a backend holds, by function name and by `trigger:className`. */
export interface WebhookHandlers {
  functions: ReadonlyMap<string, Registered<CloudFunction>>;
  triggers: ReadonlyMap<string, Registered<ObjectHook | FileHook>>;
}

/** The hook registry behind `backend.cloud`. */
export class CloudRegistry {
  /** Set while the backend is bound to the Parse SDK: handlers then get parse-server's requests. */
  private form: RequestForm | undefined;
  /** Each handler's wrapped form, built once per binding. */
  private wrapped = new WeakMap<object, unknown>();
  private readonly hooks = new Map<string, Registered<AnyHook>>();
  private readonly loginHooks = new Map<LoginTrigger, LoginHook>();
  private readonly functions = new Map<string, Registered<CloudFunction>>();
  private readonly jobs = new Map<string, CloudJob>();
  constructor(private readonly tools?: CloudTools) {}

  /**
   * Sends an email through the backend's `emailAdapter` (its `sendMail`), as `Parse.Cloud.sendEmail`
   * does; without an adapter that can, logs an error and resolves to undefined, as parse-server.
   */
  async sendEmail(message: Record<string, unknown>): Promise<unknown> {
    if (!this.tools) throw new BackendConfigError(['sendEmail: this registry belongs to no backend']);
    return this.tools.sendEmail(message);
  }

  /**
   * `Parse.Cloud.httpRequest`: an outgoing HTTP request, bounded by `outgoingRequests`; resolves
   * with the response, rejects with it for a status of 400 or more.
   */
  httpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
    return httpRequest(options, this.tools?.httpLimits ?? DEFAULT_HTTP_LIMITS);
  }

  /** Webhooks, consulted after what code registered (code wins, as at parse-server's startup). */
  private webhooks: WebhookHandlers = { functions: new Map(), triggers: new Map() };

  /** Replaces the webhooks the registry runs (the backend's copy of `_Hooks`). */
  useWebhooks(handlers: WebhookHandlers): void {
    this.webhooks = handlers;
  }

  private registerLogin(trigger: LoginTrigger, handler: LoginHook): () => void {
    if (typeof handler !== 'function') throw new BackendConfigError([`${trigger}: the handler must be a function`]);
    this.loginHooks.set(trigger, handler);
    return () => {
      if (this.loginHooks.get(trigger) === handler) this.loginHooks.delete(trigger);
    };
  }

  /** Runs after the password (or identity) was checked, before the session starts; throw to refuse the login. */
  beforeLogin(handler: LoginHook): () => void {
    return this.registerLogin('beforeLogin', handler);
  }

  /** Runs after a login, with the new session; a throw reaches the client (the session stays). */
  afterLogin(handler: LoginHook): () => void {
    return this.registerLogin('afterLogin', handler);
  }

  /** Runs after a logout, with the ended session; a throw reaches the client. */
  afterLogout(handler: LoginHook): () => void {
    return this.registerLogin('afterLogout', handler);
  }

  private readonly liveHooks = new Map<string, LiveConnectHook | LiveSubscribeHook | LiveEventHook>();

  private registerLive(key: string, handler: unknown, where: string): () => void {
    if (typeof handler !== 'function') throw new BackendConfigError([`${where}: the handler must be a function`]);
    const hook = handler as LiveConnectHook;
    this.liveHooks.set(key, hook);
    return () => {
      if (this.liveHooks.get(key) === hook) this.liveHooks.delete(key);
    };
  }

  /** Runs when a LiveQuery client connects, before it is answered; throw to refuse the connection. */
  beforeConnect(handler: LiveConnectHook): () => void {
    return this.registerLive('beforeConnect', handler, 'beforeConnect');
  }

  /** Runs when a LiveQuery client subscribes to `ref`'s objects; change `request.query` or throw to refuse. */
  beforeSubscribe(ref: ClassRef, handler: LiveSubscribeHook): () => void {
    const className = classNameOf(ref);
    return this.registerLive(`beforeSubscribe:${className}`, handler, `beforeSubscribe(${className})`);
  }

  /** Runs before a LiveQuery event on `ref`'s objects is sent to a subscriber; may change or hold it back. */
  afterLiveQueryEvent(ref: ClassRef, handler: LiveEventHook): () => void {
    const className = classNameOf(ref);
    return this.registerLive(`afterEvent:${className}`, handler, `afterLiveQueryEvent(${className})`);
  }

  /** The LiveQuery hooks registered. */
  liveHook(trigger: 'beforeConnect'): LiveConnectHook | undefined;
  liveHook(trigger: 'beforeSubscribe', className: string): LiveSubscribeHook | undefined;
  liveHook(trigger: 'afterEvent', className: string): LiveEventHook | undefined;
  liveHook(trigger: string, className?: string): unknown {
    const hook = this.liveHooks.get(className === undefined ? trigger : `${trigger}:${className}`);
    if (!hook) return undefined;
    return this.inForm(hook, (form) =>
      trigger === 'beforeConnect'
        ? form.liveConnect(hook as LiveConnectHook)
        : trigger === 'beforeSubscribe'
          ? form.liveSubscribe(hook as LiveSubscribeHook)
          : form.liveEvent(hook as LiveEventHook),
    );
  }

  /** Runs before a password reset email is sent, with the user; throw to refuse (the client is told only in general terms). */
  beforePasswordResetRequest(handler: LoginHook): () => void {
    return this.registerLogin('beforePasswordResetRequest', handler);
  }

  /**
   * Hands every handler parse-server's request (the SDK's objects) while `form` is set; `undefined`
   * goes back to object views. Used by the backend when it binds or unbinds the Parse SDK.
   */
  useRequestForm(form: RequestForm | undefined): void {
    this.form = form;
    this.wrapped = new WeakMap();
  }

  /** `original` in the bound request form (cached), or as it is without one. */
  private inForm<T extends object>(original: T, wrap: (form: RequestForm) => T): T {
    const form = this.form;
    if (!form) return original;
    let done = this.wrapped.get(original) as T | undefined;
    if (!done) {
      done = wrap(form);
      this.wrapped.set(original, done);
    }
    return done;
  }

  /** `view` as handlers of the current request form see objects (a Parse.Object when bound). */
  asRequestObject(view: HookObject): unknown {
    return this.form ? this.form.object(view) : view;
  }

  /** The login hook for a trigger, if any. */
  loginHook(trigger: LoginTrigger): LoginHook | undefined {
    const hook = this.loginHooks.get(trigger);
    return hook && this.inForm(hook, (form) => form.loginHook(hook));
  }

  private register(
    trigger: ClassTrigger,
    ref: ClassRef | FileRef | ConfigRef,
    handler: AnyHook,
    validator?: Validator<never>,
  ): () => void {
    const className = classNameOf(ref);
    const where = `${trigger}(${className})`;
    if (typeof handler !== 'function') throw new BackendConfigError([`${where}: the handler must be a function`]);
    if (className === '_Session')
      throw new BackendConfigError([`${where}: only the afterLogout trigger is allowed for the _Session class`]);
    if (className === CONFIG && trigger !== 'beforeSave' && trigger !== 'afterSave')
      throw new BackendConfigError([`${where}: the config has only the beforeSave and afterSave triggers`]);
    const entry: Registered<AnyHook> = {
      handler,
      validator: prepareValidator(where, validator as Validator | undefined),
    };
    const key = `${trigger}:${className}`;
    this.hooks.set(key, entry);
    return () => {
      if (this.hooks.get(key) === entry) this.hooks.delete(key);
    };
  }

  /** Runs before an object of the class (or a file) is created or updated; may change it or throw to refuse. */
  beforeSave(ref: typeof FILE, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  beforeSave(ref: ClassRef, handler: ObjectHook, validator?: Validator<Parameters<ObjectHook>[0]>): () => void;
  beforeSave(ref: typeof CONFIG, handler: ObjectHook, validator?: Validator<Parameters<ObjectHook>[0]>): () => void;
  beforeSave(ref: FileRef, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  beforeSave(ref: ClassRef | FileRef | ConfigRef, handler: AnyHook, validator?: Validator<never>): () => void {
    return this.register('beforeSave', ref, handler, validator);
  }

  /**
   * Runs after an object of the class (or a file, or the config) was saved, before the answer. What
   * it changes on an object shows in the response only; an object's afterSave error is logged, a
   * file's or the config's reaches the client, as in parse-server.
   */
  afterSave(ref: typeof FILE, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  afterSave(ref: ClassRef, handler: ObjectHook, validator?: Validator<Parameters<ObjectHook>[0]>): () => void;
  afterSave(ref: typeof CONFIG, handler: ObjectHook, validator?: Validator<Parameters<ObjectHook>[0]>): () => void;
  afterSave(ref: FileRef, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  afterSave(ref: ClassRef | FileRef | ConfigRef, handler: AnyHook, validator?: Validator<never>): () => void {
    return this.register('afterSave', ref, handler, validator);
  }

  /** Runs before an object of the class (or a file) is deleted, with the object; throw to refuse. */
  beforeDelete(ref: typeof FILE, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  beforeDelete(ref: ClassRef, handler: ObjectHook, validator?: Validator<Parameters<ObjectHook>[0]>): () => void;
  beforeDelete(ref: FileRef, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  beforeDelete(ref: ClassRef | FileRef, handler: AnyHook, validator?: Validator<never>): () => void {
    return this.register('beforeDelete', ref, handler, validator);
  }

  /** Runs after an object of the class (or a file) was deleted, before the answer; its error reaches the client (the object is gone). */
  afterDelete(ref: typeof FILE, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  afterDelete(ref: ClassRef, handler: ObjectHook, validator?: Validator<Parameters<ObjectHook>[0]>): () => void;
  afterDelete(ref: FileRef, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  afterDelete(ref: ClassRef | FileRef, handler: AnyHook, validator?: Validator<never>): () => void {
    return this.register('afterDelete', ref, handler, validator);
  }

  /**
   * Runs before a find, count or get of the class: change `request.query` or return another query,
   * or return objects to answer with them instead. For a file: before it is served; throw to refuse.
   */
  beforeFind(ref: typeof FILE, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  beforeFind(ref: ClassRef, handler: BeforeFindHook, validator?: Validator<Parameters<BeforeFindHook>[0]>): () => void;
  beforeFind(ref: FileRef, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  beforeFind(ref: ClassRef | FileRef, handler: AnyHook, validator?: Validator<never>): () => void {
    return this.register('beforeFind', ref, handler, validator);
  }

  /**
   * Runs after a find or get of the class, with the results: return an array to replace them. For a
   * file: before its bytes are sent; may replace `file.data`.
   */
  afterFind(ref: typeof FILE, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  afterFind(ref: ClassRef, handler: AfterFindHook, validator?: Validator<Parameters<AfterFindHook>[0]>): () => void;
  afterFind(ref: FileRef, handler: FileHook, validator?: Validator<FileHookRequest>): () => void;
  afterFind(ref: ClassRef | FileRef, handler: AnyHook, validator?: Validator<never>): () => void {
    return this.register('afterFind', ref, handler, validator);
  }

  /** Parse's older names for the file hooks. */
  beforeSaveFile(handler: FileHook, validator?: Validator<FileHookRequest>): () => void {
    return this.register('beforeSave', FILE, handler, validator);
  }

  afterSaveFile(handler: FileHook, validator?: Validator<FileHookRequest>): () => void {
    return this.register('afterSave', FILE, handler, validator);
  }

  beforeDeleteFile(handler: FileHook, validator?: Validator<FileHookRequest>): () => void {
    return this.register('beforeDelete', FILE, handler, validator);
  }

  afterDeleteFile(handler: FileHook, validator?: Validator<FileHookRequest>): () => void {
    return this.register('afterDelete', FILE, handler, validator);
  }

  /** Defines a cloud function, called with POST /functions/:name (`Parse.Cloud.run`). */
  define(name: string, handler: CloudFunction, validator?: Validator<Parameters<CloudFunction>[0]>): () => void {
    if (typeof name !== 'string' || !CLOUD_NAME.test(name))
      throw new BackendConfigError([`define: ${String(name)} is not a valid function name`]);
    if (typeof handler !== 'function')
      throw new BackendConfigError([`define(${name}): the handler must be a function`]);
    const entry: Registered<CloudFunction> = {
      handler,
      validator: prepareValidator(`define(${name})`, validator as Validator | undefined),
    };
    this.functions.set(name, entry);
    return () => {
      if (this.functions.get(name) === entry) this.functions.delete(name);
    };
  }

  /** Defines a job, started with the master key through POST /jobs/:name (`Parse.Cloud.startJob`). */
  job(name: string, handler: CloudJob): () => void {
    if (typeof name !== 'string' || !CLOUD_NAME.test(name))
      throw new BackendConfigError([`job: ${String(name)} is not a valid job name`]);
    if (typeof handler !== 'function') throw new BackendConfigError([`job(${name}): the handler must be a function`]);
    this.jobs.set(name, handler);
    return () => {
      if (this.jobs.get(name) === handler) this.jobs.delete(name);
    };
  }

  /** The hook registered for a trigger and class, if any (used by the pipelines). */
  hook(
    trigger: 'beforeSave' | 'afterSave' | 'beforeDelete' | 'afterDelete',
    className: string,
  ): Registered<ObjectHook> | undefined;
  hook(trigger: 'beforeFind', className: string): Registered<BeforeFindHook> | undefined;
  hook(trigger: 'afterFind', className: string): Registered<AfterFindHook> | undefined;
  hook(trigger: ClassTrigger, className: string): Registered<ClassHook> | undefined {
    if (className === FILE || className === CONFIG) return undefined;
    const entry = this.hooks.get(`${trigger}:${className}`) as Registered<ClassHook> | undefined;
    // A webhook's handler reads and writes object views, whatever the form.
    if (!entry) return this.webhooks.triggers.get(`${trigger}:${className}`) as Registered<ClassHook> | undefined;
    return (
      entry &&
      this.inForm(entry, (form) => {
        const handler =
          trigger === 'beforeFind'
            ? form.beforeFind(entry.handler as BeforeFindHook)
            : trigger === 'afterFind'
              ? form.afterFind(entry.handler as AfterFindHook)
              : form.objectHook(entry.handler as ObjectHook);
        return { handler, validator: entry.validator };
      })
    );
  }

  /** The config's hook for a trigger, if any: an object hook whose object is the config's parameters. */
  configHook(trigger: ConfigTrigger): Registered<ObjectHook> | undefined {
    const entry = this.hooks.get(`${trigger}:${CONFIG}`) as Registered<ObjectHook> | undefined;
    return (
      entry && this.inForm(entry, (form) => ({ handler: form.configHook(entry.handler), validator: entry.validator }))
    );
  }

  /** The file hook for a trigger, if any (used by the file pipelines). */
  fileHook(trigger: FileTriggerName): Registered<FileHook> | undefined {
    const entry = this.hooks.get(`${trigger}:${FILE}`) as Registered<FileHook> | undefined;
    return (
      entry && this.inForm(entry, (form) => ({ handler: form.fileHook(entry.handler), validator: entry.validator }))
    );
  }

  /** The function registered under `name`, if any. */
  cloudFunction(name: string): Registered<CloudFunction> | undefined {
    const entry = this.functions.get(name);
    if (!entry) return this.webhooks.functions.get(name);
    return (
      entry &&
      this.inForm(entry, (form) => ({ handler: form.cloudFunction(entry.handler), validator: entry.validator }))
    );
  }

  /** The names of the jobs defined. */
  jobNames(): string[] {
    return [...this.jobs.keys()];
  }

  /** The job registered under `name`, if any. */
  cloudJob(name: string): CloudJob | undefined {
    const job = this.jobs.get(name);
    return job && this.inForm(job, (form) => form.job(job));
  }
}
