/**
 * parse-server's hook requests for a backend bound to the Parse SDK: `request.object`,
 * `request.original`, `request.user` and found objects as the SDK's Parse.Objects (`save`,
 * `fetch`, `relation`, `getACL()` as a Parse.ACL, `Parse.User` for users), `request.query` as a
 * Parse.Query, function parameters decoded as parse-server decodes them. The handler runs through
 * the one hook runner like any other; this module only converts at its edges: the views in, and
 * what the handler changed or returned back out.
 */
import type { LoginHook, RequestForm } from '../cloud/cloud-registry.js';
import { HookObject } from '../cloud/hook-object.js';
import { HookQuery } from '../cloud/hook-query.js';
import type {
  AfterFindHook,
  BeforeFindHook,
  CloudFunction,
  CloudJob,
  CloudRequestBase,
  ObjectHook,
} from '../cloud/hook-requests.js';
import type { Acl } from '../access/acl.js';
import { isPlainObject, type Json } from '../values/json.js';
import type { ParseSdk, SdkObject, SdkQuery } from './parse-sdk.js';

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
      const { __type: _type, className, ...fields } = value._toFullJSON();
      return new HookObject(String(className ?? value.className), fields);
    }
    if (value instanceof this.sdk.Query) return this.query(value);
    if (Array.isArray(value)) return value.map((item) => this.fromSdk(item, depth + 1));
    if (isPlainObject(value))
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.fromSdk(v, depth + 1)]));
    return value; // other SDK values encode themselves (toJSON) where the backend stores them
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

/** The request form of a backend bound to `sdk`. */
export function sdkRequestForm(sdk: ParseSdk): RequestForm {
  const values = new SdkValues(sdk);
  return {
    objectHook(handler: ObjectHook): ObjectHook {
      return async (request) => {
        // afterSave's object is stored already: it existed only if this save was an update
        const existed = request.triggerName === 'afterSave' ? request.original !== undefined : request.object.existed();
        const object = values.objectThatExisted(request.object, existed);
        const before = changesOf(object);
        const original = request.original ? values.objectThatExisted(request.original, true) : undefined;
        const result: unknown = await handler({ ...values.base(request), object, original } as never);
        if (request.triggerName === 'beforeSave') writeBack(object, before, request.object);
        return values.fromSdk(result);
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
      return async (request) => {
        const params = values.params(request.params) as Json;
        return values.fromSdk(await handler({ ...values.base(request), params } as never));
      };
    },
    job(handler: CloudJob): CloudJob {
      return async (request) =>
        values.fromSdk(await handler({ ...request, params: values.params(request.params) } as never));
    },
    loginHook(handler: LoginHook): LoginHook {
      return async (request) => {
        const object = values.object(request.object);
        // login hooks see the user as `object` and `user`; afterLogout sees the ended session
        const user = request.object.className === '_User' ? object : undefined;
        return values.fromSdk(await handler({ ...request, object, user } as never));
      };
    },
  };
}
