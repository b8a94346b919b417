/**
 * parse-server's hook requests for a backend bound to the Parse SDK: `request.object`,
 * `request.original`, `request.user` and found objects as the SDK's Parse.Objects (`save`,
 * `fetch`, `relation`, `getACL()` as a Parse.ACL, `Parse.User` for users), `request.query` as a
 * Parse.Query, function parameters decoded as parse-server decodes them. The handler runs through
 * the one hook runner like any other; this module only converts at its edges: the views in, and
 * what the handler changed or returned back out.
 */
import type { FileHook, FileTriggerName, HookFile, LoginHook, RequestForm } from '../cloud/cloud-registry.js';
import { HookObject } from '../cloud/hook-object.js';
import { HookQuery } from '../cloud/hook-query.js';
import type {
  AfterFindHook,
  BeforeFindHook,
  CloudFunction,
  CloudJob,
  CloudRequestBase,
  LiveConnectHook,
  LiveEventHook,
  LiveSubscribeHook,
  ObjectHook,
} from '../cloud/hook-requests.js';
import type { Acl } from '../access/acl.js';
import { isPlainObject, type Json } from '../values/json.js';
import type { ParseSdk, SdkConfig, SdkFile, SdkObject, SdkQuery } from './parse-sdk.js';

/** Fields the SDK object keeps apart from its attributes; never sent back as changes. */
const SERVER_FIELDS = new Set(['objectId', 'createdAt', 'updatedAt', 'className']);

function splitList(value: unknown): string | undefined {
  return Array.isArray(value) && value.length > 0 ? value.join(',') : undefined;
}

function listOf(value: unknown): string[] | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return value.split(',');
}

/** Conversions between one SDK's values and the backend's views. */
class SdkValues {
  constructor(private readonly sdk: ParseSdk) {}

  /** An SDK object holding the stored state of `view`, its pending changes set on top (dirty). */
  object(view: HookObject, sessionToken?: string): SdkObject {
    const saved = view.savedState();
    const pending = view.pendingChanges();
    const base: Json = { className: view.className, ...saved };
    // A new object's id and dates arrive with its changes once it is stored (afterSave).
    for (const key of ['objectId', 'createdAt', 'updatedAt'])
      if (typeof pending[key] === 'string') base[key] = pending[key];
    if (sessionToken !== undefined) base.sessionToken = sessionToken;
    const object = this.sdk.Object.fromJSON(base, true);
    for (const [key, change] of Object.entries(pending)) {
      if (SERVER_FIELDS.has(key)) continue;
      if (key === 'ACL') object.setACL(new this.sdk.ACL(change as Json));
      else object.set(key, this.sdk._decode(undefined, change));
    }
    return object;
  }

  /** {@link object}, telling `existed()` whether the object was stored before this request. */
  objectThatExisted(view: HookObject, existed: boolean): SdkObject {
    const object = this.object(view);
    object._setExisted?.(existed);
    return object;
  }

  /** The SDK's user for a request's `user` view, with its session token. */
  user(view: HookObject | undefined): SdkObject | undefined {
    return view ? this.object(view, view.getSessionToken()) : undefined;
  }

  /** An SDK value (or a structure holding some) in the backend's terms: objects as views, queries as HookQuery. */
  fromSdk(value: unknown, depth = 0): unknown {
    if (depth > 64 || value === null || typeof value !== 'object' || value instanceof Date) return value;
    if (value instanceof this.sdk.Object) {
      const { __type: _type, className, ...fields } = this.withSetObjects(value, value._toFullJSON());
      return new HookObject(String(className ?? value.className), fields);
    }
    if (value instanceof this.sdk.Query) return this.query(value);
    if (Array.isArray(value)) return value.map((item) => this.fromSdk(item, depth + 1));
    if (isPlainObject(value))
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.fromSdk(v, depth + 1)]));
    return value; // other SDK values encode themselves (toJSON) where the backend stores them
  }

  /**
   * `json` (the object's encoding) with the stored objects the handler set on fields whole, as
   * parse-server hands them on: the SDK encodes a pending change to an object as a pointer.
   */
  withSetObjects(object: SdkObject, json: Json): Json {
    for (const key of Object.keys(object._getSaveJSON())) {
      const set = object.get(key);
      if (set instanceof this.sdk.Object && set.id !== undefined) json[key] = set._toFullJSON();
    }
    return json;
  }

  /** The object's fields, key by key, as `toJSON()` shows them (pending changes as operations). */
  fields(object: SdkObject): Map<string, string> {
    const json = this.withSetObjects(object, object.toJSON());
    return new Map(Object.entries(json).map(([k, v]) => [k, JSON.stringify(v)]));
  }

  /** A Parse.Query as the HookQuery the find pipeline runs. */
  query(query: SdkQuery): HookQuery {
    const json = query.toJSON();
    const options = {
      order: listOf(json.order),
      limit: typeof json.limit === 'number' && json.limit >= 0 ? json.limit : undefined,
      skip: typeof json.skip === 'number' && json.skip > 0 ? json.skip : undefined,
      keys: listOf(json.keys),
      excludeKeys: listOf(json.excludeKeys),
      include: listOf(json.include),
      readPreference: typeof json.readPreference === 'string' ? json.readPreference : undefined,
      includeReadPreference: typeof json.includeReadPreference === 'string' ? json.includeReadPreference : undefined,
      subqueryReadPreference: typeof json.subqueryReadPreference === 'string' ? json.subqueryReadPreference : undefined,
    };
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    return new HookQuery(query.className, isPlainObject(json.where) ? json.where : {}, defined);
  }

  /** A HookQuery as a Parse.Query. */
  sdkQuery(query: HookQuery): SdkQuery {
    const json = query.toJSON();
    const out: Json = { where: json.where };
    for (const key of ['order', 'keys', 'excludeKeys', 'include'] as const) {
      const list = splitList(json[key]);
      if (list !== undefined) out[key] = list;
    }
    if (json.limit !== undefined) out.limit = json.limit;
    if (json.skip !== undefined) out.skip = json.skip;
    for (const key of ['readPreference', 'includeReadPreference', 'subqueryReadPreference'] as const)
      if (json[key] !== undefined) out[key] = json[key];
    return this.sdk.Query.fromJSON(query.className, out);
  }

  /** Function and job parameters as parse-server hands them: pointers and files as SDK objects. */
  params(value: unknown, depth = 0): unknown {
    if (depth > 64 || value === null || typeof value !== 'object' || value instanceof Date) return value;
    if (Array.isArray(value)) return value.map((item) => this.params(item, depth + 1));
    const type = (value as Json).__type;
    if (type === 'Pointer' || type === 'Object' || type === 'File') return this.sdk._decode(undefined, value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.params(v, depth + 1)]));
  }

  /** The config's parameters (a view's fields) as a Parse.Config. */
  config(view: HookObject): SdkConfig {
    const config = new this.sdk.Config();
    const { className: _className, ...params } = view.toJSON();
    for (const [key, value] of Object.entries(params)) config.attributes[key] = this.sdk._decode(undefined, value);
    return config;
  }

  /** The config's parameters in REST form, key by key. */
  configParams(config: SdkConfig): Map<string, string> {
    return new Map(Object.entries(config.attributes).map(([k, v]) => [k, JSON.stringify(this.sdk._encode(v))]));
  }

  /** A file view as a Parse.File (its bytes, when the trigger has them, in base64). */
  file(view: HookFile): SdkFile {
    const data = view.data ? { base64: view.data.toString('base64') } : undefined;
    const file = new this.sdk.File(view.name, data, view.contentType, { ...view.metadata }, { ...view.tags });
    if (view.url !== undefined) file._url = view.url;
    return file;
  }

  /** The fields of a request every hook shares, with the user as the SDK's. */
  base<R extends Pick<CloudRequestBase, 'user'>>(request: R): Omit<R, 'user'> & { user: unknown } {
    return { ...request, user: this.user(request.user) };
  }
}

/** What the SDK object's changes are, key by key, in REST form. */
function changesOf(object: SdkObject): Map<string, string> {
  return new Map(Object.entries(object._getSaveJSON()).map(([k, v]) => [k, JSON.stringify(v)]));
}

/** Carries what the handler changed on the SDK object back to the view being saved. */
function writeBack(object: SdkObject, before: Map<string, string>, view: HookObject): void {
  const after = object._getSaveJSON();
  for (const key of new Set([...before.keys(), ...Object.keys(after)])) {
    if (SERVER_FIELDS.has(key)) continue;
    if (!(key in after)) {
      view.revert(key);
      continue;
    }
    if (before.get(key) === JSON.stringify(after[key])) continue;
    if (key === 'ACL') view.setACL(after[key] as Acl);
    else view.set(key, after[key]);
  }
}

/** Carries what a beforeSave did to the config's parameters back to the view being saved. */
function writeBackConfig(after: Map<string, string>, before: Map<string, string>, view: HookObject): void {
  for (const key of before.keys()) if (!after.has(key)) view.unset(key);
  for (const [key, json] of after) if (before.get(key) !== json) view.set(key, JSON.parse(json));
}

/** The bytes of an SDK file, when it holds them. */
function bytesOf(file: SdkFile): Buffer | undefined {
  if (file._source?.format === 'buffer' && Buffer.isBuffer(file._source.buffer)) return file._source.buffer;
  return typeof file._data === 'string' ? Buffer.from(file._data, 'base64') : undefined;
}

/**
 * Carries the file a file trigger left (the one it was given, changed, or one it returned) back to
 * the view: in beforeSave all of it (a file with a URL is one stored elsewhere), in afterFind the
 * bytes to serve.
 */
function writeBackFile(file: SdkFile, view: HookFile, trigger: FileTriggerName): void {
  const data = bytesOf(file);
  if (trigger === 'afterFind') {
    if (data) view.data = data;
    return;
  }
  if (trigger !== 'beforeSave') return;
  view.name = file._name;
  if (typeof file._url === 'string') view.url = file._url;
  if (data) view.data = data;
  if (file._source?.type) view.contentType = file._source.type;
  view.metadata = isPlainObject(file._metadata) ? file._metadata : {};
  view.tags = isPlainObject(file._tags) ? file._tags : {};
}

/**
 * Carries what afterSave did to its object (a change set, or set and saved) back to the view: the
 * response shows it, as parse-server rebuilds its response from afterSave's object.
 */
function writeBackAfterSave(after: Map<string, string>, before: Map<string, string>, view: HookObject): void {
  for (const key of before.keys()) if (!after.has(key) && !SERVER_FIELDS.has(key)) view.unset(key);
  for (const [key, json] of after) {
    if (SERVER_FIELDS.has(key) || before.get(key) === json) continue;
    const value = JSON.parse(json) as unknown;
    if (key === 'ACL') continue;
    if (isPlainObject(value) && value.__op === 'Delete') view.unset(key);
    else view.set(key, value);
  }
}

/** The request form of a backend bound to `sdk`. */
export function sdkRequestForm(sdk: ParseSdk): RequestForm {
  const values = new SdkValues(sdk);
  return {
    object: (view) => values.object(view, view.getSessionToken()),
    objectHook(handler: ObjectHook): ObjectHook {
      return async (request) => {
        // afterSave's object is stored already: it existed only if this save was an update
        const existed = request.triggerName === 'afterSave' ? request.original !== undefined : request.object.existed();
        const object = values.objectThatExisted(request.object, existed);
        const before = changesOf(object);
        const fieldsBefore = request.triggerName === 'afterSave' ? values.fields(object) : undefined;
        const original = request.original ? values.objectThatExisted(request.original, true) : undefined;
        const sdkRequest = { ...values.base(request), object, original };
        const result: unknown = await handler(sdkRequest as never);
        request.context = sdkRequest.context;
        if (request.triggerName === 'beforeSave') writeBack(object, before, request.object);
        if (fieldsBefore) writeBackAfterSave(values.fields(object), fieldsBefore, request.object);
        return values.fromSdk(result);
      };
    },
    configHook(handler: ObjectHook): ObjectHook {
      return async (request) => {
        const object = values.config(request.object);
        const before = values.configParams(object);
        const original = request.original ? values.config(request.original) : undefined;
        await handler({ ...values.base(request), object, original } as never);
        if (request.triggerName === 'beforeSave') writeBackConfig(values.configParams(object), before, request.object);
      };
    },
    fileHook(handler: FileHook): FileHook {
      return async (request) => {
        const file = values.file(request.file);
        const result: unknown = await handler({ ...values.base(request), file } as never);
        writeBackFile(result instanceof sdk.File ? result : file, request.file, request.triggerName);
      };
    },
    liveConnect(handler: LiveConnectHook): LiveConnectHook {
      return async (request) => {
        await handler({ ...request, ...values.base(request) } as never);
      };
    },
    liveSubscribe(handler: LiveSubscribeHook): LiveSubscribeHook {
      return async (request) => {
        // A Parse.Query to change, as parse-server hands it; what it says is written back.
        const query = values.sdkQuery(request.query);
        await handler({ ...request, ...values.base(request), query } as never);
        const changed = values.query(query).toJSON();
        request.query.where = changed.where;
        if (changed.keys) request.query.select(...changed.keys);
      };
    },
    liveEvent(handler: LiveEventHook): LiveEventHook {
      return async (request) => {
        const object = values.object(request.object);
        const original = request.original ? values.object(request.original) : undefined;
        const fieldsBefore = values.fields(object);
        const sdkRequest = { ...request, ...values.base(request), object, original };
        await handler(sdkRequest as never);
        request.sendEvent = sdkRequest.sendEvent;
        writeBackAfterSave(values.fields(object), fieldsBefore, request.object);
      };
    },
    beforeFind(handler: BeforeFindHook): BeforeFindHook {
      return async (request) => {
        const query = values.sdkQuery(request.query);
        const result: unknown = await handler({ ...values.base(request), query } as never);
        if (result instanceof sdk.Query) return values.query(result);
        if (result !== undefined && result !== null) return values.fromSdk(result);
        return values.query(query);
      };
    },
    afterFind(handler: AfterFindHook): AfterFindHook {
      return async (request) => {
        const objects = request.objects.map((view) => values.object(view));
        const query = values.sdkQuery(request.query);
        const result: unknown = await handler({ ...values.base(request), objects, query } as never);
        return values.fromSdk(Array.isArray(result) ? result : objects);
      };
    },
    cloudFunction(handler: CloudFunction): CloudFunction {
      const wrapped: CloudFunction = async (request, response) => {
        const params = values.params(request.params) as Json;
        return values.fromSdk(await handler({ ...values.base(request), params } as never, response));
      };
      // The arity tells an Express-style function (which answers through `response`) from the others.
      return handler.length >= 2 ? wrapped : (request) => wrapped(request, undefined as never);
    },
    job(handler: CloudJob): CloudJob {
      return async (request) =>
        values.fromSdk(await handler({ ...request, params: values.params(request.params) } as never));
    },
    loginHook(handler: LoginHook): LoginHook {
      return async (request) => {
        const object = values.object(request.object, request.object.getSessionToken());
        // afterLogin sees the logged-in user as `object` and `user`; the others have no `user`
        const user = request.user ? object : undefined;
        return values.fromSdk(await handler({ ...request, object, user } as never));
      };
    },
  };
}
