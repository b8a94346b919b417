/**
 * `backend.cloud`: hooks registered in host code, mirroring Parse.Cloud's names. One registry per
 * backend (no global state); registering returns a function that unregisters.
 */
import { BackendConfigError } from '../errors/backend-error.js';
import type { RequestAuth } from '../auth/request-auth.js';
import type { HookObject } from './hook-object.js';

/** What a beforeSave/afterSave hook receives, as Parse.Cloud's request. */
export interface SaveHookRequest {
  /** The object being saved, with the pending changes applied. */
  object: HookObject;
  /** The object as stored before this save (undefined for a new object). */
  original: HookObject | undefined;
  /** True when the request used the master key. */
  master: boolean;
  /** The calling user's objectId, when logged in. */
  userId: string | null;
  installationId: string | null;
  /** Per-request context from `X-Parse-Cloud-Context` or `_context`, shared by the hooks of one save. */
  context: Record<string, unknown>;
  triggerName: 'beforeSave' | 'afterSave';
  headers: Record<string, string | string[] | undefined>;
  ip: string | undefined;
}

export type SaveHook = (request: SaveHookRequest) => unknown;

/** A class given by name or as a Parse.Object subclass (anything with a `className`). */
export type ClassRef = string | { className: string };

/**
 * Files in hooks: `'@File'`, or the Parse SDK's `Parse.File` class itself, so that Parse 8's
 * `Parse.Cloud.beforeSave(Parse.File, ...)` ports as `backend.cloud.beforeSave(Parse.File, ...)`.
 */
export const FILE = '@File';
export type FileRef = typeof FILE | (abstract new (...args: never[]) => unknown);

/** What a file hook receives. */
export interface FileHookRequest {
  /** The file. In beforeSave, set `name`, `data` or `metadata` to change what is stored. */
  file: HookFile;
  /** Size in bytes of the file's data (beforeSave, afterSave, afterFind). */
  fileSize: number;
  master: boolean;
  userId: string | null;
  installationId: string | null;
  context: Record<string, unknown>;
  triggerName: FileTriggerName;
  headers: Record<string, string | string[] | undefined>;
  ip: string | undefined;
}

/** A file as file hooks see it. */
export interface HookFile {
  name: string;
  /** The bytes: present in beforeSave and afterFind (where setting it replaces what is served). */
  data?: Buffer;
  contentType: string;
  metadata: Record<string, unknown>;
  tags: Record<string, unknown>;
  /** The file's URL (after it is stored). */
  url?: string;
}

export type FileHook = (request: FileHookRequest) => unknown;
export type FileTriggerName = 'beforeSave' | 'afterSave' | 'beforeDelete' | 'afterDelete' | 'beforeFind' | 'afterFind';

type TriggerName = 'beforeSave' | 'afterSave';
type AnyHook = SaveHook | FileHook;

function isFileRef(ref: unknown): boolean {
  return ref === FILE || (typeof ref === 'function' && ref.name === 'ParseFile');
}

function classNameOf(ref: ClassRef | FileRef): string {
  if (isFileRef(ref)) return FILE;
  const name = typeof ref === 'string' ? ref : (ref as { className?: unknown } | null)?.className;
  if (typeof name !== 'string' || name === '') throw new BackendConfigError(['hook class: give a class name or a class with a className']);
  return name;
}

/** What beforeLogin, afterLogin and afterLogout receive. */
export interface LoginHookRequest {
  /** The user logging in (login hooks), or the session being ended (afterLogout). */
  object: HookObject;
  master: boolean;
  installationId: string | null;
  context: Record<string, unknown>;
  triggerName: 'beforeLogin' | 'afterLogin' | 'afterLogout' | 'beforePasswordResetRequest';
  headers: Record<string, string | string[] | undefined>;
  ip: string | undefined;
}

export type LoginHook = (request: LoginHookRequest) => unknown;
type LoginTrigger = LoginHookRequest['triggerName'];

/** The hook registry behind `backend.cloud`. */
export class CloudRegistry {
  private readonly hooks = new Map<string, AnyHook>();
  private readonly loginHooks = new Map<LoginTrigger, LoginHook>();

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

  /** Runs after a login; errors are logged. */
  afterLogin(handler: LoginHook): () => void {
    return this.registerLogin('afterLogin', handler);
  }

  /** Runs after a logout, with the ended session; errors are logged. */
  afterLogout(handler: LoginHook): () => void {
    return this.registerLogin('afterLogout', handler);
  }

  /** Runs before a password reset email is sent, with the user; throw to refuse (the client is told only in general terms). */
  beforePasswordResetRequest(handler: LoginHook): () => void {
    return this.registerLogin('beforePasswordResetRequest', handler);
  }

  /** The login hook for a trigger, if any. */
  loginHook(trigger: LoginTrigger): LoginHook | undefined {
    return this.loginHooks.get(trigger);
  }

  private register(trigger: FileTriggerName, ref: ClassRef | FileRef, handler: AnyHook): () => void {
    const className = classNameOf(ref);
    if (typeof handler !== 'function') throw new BackendConfigError([`${trigger}(${className}): the handler must be a function`]);
    if (className !== FILE && trigger !== 'beforeSave' && trigger !== 'afterSave') {
      throw new BackendConfigError([`${trigger}(${className}): ${trigger} hooks for classes are not supported yet (files only)`]);
    }
    const key = `${trigger}:${className}`;
    this.hooks.set(key, handler);
    return () => {
      if (this.hooks.get(key) === handler) this.hooks.delete(key);
    };
  }

  /** Runs before an object of the class (or a file) is created or updated; may change it or throw to refuse. */
  beforeSave(ref: typeof FILE, handler: FileHook): () => void;
  beforeSave(ref: ClassRef, handler: SaveHook): () => void;
  beforeSave(ref: FileRef, handler: FileHook): () => void;
  beforeSave(ref: ClassRef | FileRef, handler: AnyHook): () => void {
    return this.register('beforeSave', ref, handler);
  }

  /** Runs after an object of the class (or a file) was saved; awaited, its errors are logged, not sent. */
  afterSave(ref: typeof FILE, handler: FileHook): () => void;
  afterSave(ref: ClassRef, handler: SaveHook): () => void;
  afterSave(ref: FileRef, handler: FileHook): () => void;
  afterSave(ref: ClassRef | FileRef, handler: AnyHook): () => void {
    return this.register('afterSave', ref, handler);
  }

  /** Runs before a file is deleted; throw to refuse. (Files only for now.) */
  beforeDelete(ref: FileRef, handler: FileHook): () => void {
    return this.register('beforeDelete', ref, handler);
  }

  /** Runs after a file was deleted; errors are logged. (Files only for now.) */
  afterDelete(ref: FileRef, handler: FileHook): () => void {
    return this.register('afterDelete', ref, handler);
  }

  /** Runs before a file (or its metadata) is served; throw to refuse. (Files only for now.) */
  beforeFind(ref: FileRef, handler: FileHook): () => void {
    return this.register('beforeFind', ref, handler);
  }

  /** Runs before a file's bytes are sent; may replace `file.data`. (Files only for now.) */
  afterFind(ref: FileRef, handler: FileHook): () => void {
    return this.register('afterFind', ref, handler);
  }

  /** Parse's older names for the file hooks. */
  beforeSaveFile(handler: FileHook): () => void {
    return this.register('beforeSave', FILE, handler);
  }

  afterSaveFile(handler: FileHook): () => void {
    return this.register('afterSave', FILE, handler);
  }

  beforeDeleteFile(handler: FileHook): () => void {
    return this.register('beforeDelete', FILE, handler);
  }

  afterDeleteFile(handler: FileHook): () => void {
    return this.register('afterDelete', FILE, handler);
  }

  /** The hook for a trigger and class, if any (used by the save pipeline). */
  hook(trigger: TriggerName, className: string): SaveHook | undefined {
    return className === FILE ? undefined : (this.hooks.get(`${trigger}:${className}`) as SaveHook | undefined);
  }

  /** The file hook for a trigger, if any (used by the file pipelines). */
  fileHook(trigger: FileTriggerName): FileHook | undefined {
    return this.hooks.get(`${trigger}:${FILE}`) as FileHook | undefined;
  }
}

/** The request fields that come from the caller rather than the object. */
export interface HookCaller {
  auth: RequestAuth;
  context: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  ip: string | undefined;
}
