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

type TriggerName = 'beforeSave' | 'afterSave';

function classNameOf(ref: ClassRef): string {
  const name = typeof ref === 'string' ? ref : (ref as { className?: unknown } | null)?.className;
  if (typeof name !== 'string' || name === '') throw new BackendConfigError(['hook class: give a class name or a class with a className']);
  return name;
}

/** The hook registry behind `backend.cloud`. */
export class CloudRegistry {
  private readonly hooks = new Map<string, SaveHook>();

  private register(trigger: TriggerName, ref: ClassRef, handler: SaveHook): () => void {
    const className = classNameOf(ref);
    if (typeof handler !== 'function') throw new BackendConfigError([`${trigger}(${className}): the handler must be a function`]);
    const key = `${trigger}:${className}`;
    this.hooks.set(key, handler);
    return () => {
      if (this.hooks.get(key) === handler) this.hooks.delete(key);
    };
  }

  /** Runs before an object of the class is created or updated; may change it or throw to refuse. */
  beforeSave(ref: ClassRef, handler: SaveHook): () => void {
    return this.register('beforeSave', ref, handler);
  }

  /** Runs after an object of the class was saved; awaited, its errors are logged, not sent. */
  afterSave(ref: ClassRef, handler: SaveHook): () => void {
    return this.register('afterSave', ref, handler);
  }

  /** The hook for a trigger and class, if any (used by the save pipeline). */
  hook(trigger: TriggerName, className: string): SaveHook | undefined {
    return this.hooks.get(`${trigger}:${className}`);
  }
}

/** The request fields that come from the caller rather than the object. */
export interface HookCaller {
  auth: RequestAuth;
  context: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  ip: string | undefined;
}
