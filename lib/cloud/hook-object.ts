/**
 * The object a hook sees as `request.object` / `request.original`: Parse.Object's reading and
 * writing methods over a REST-format object. Writes are recorded as pending changes, which the
 * save pipeline stores and returns to the client.
 */
import { validateAcl, type Acl } from '../access/acl.js';
import { applyOperation, isOperation } from '../values/operations.js';
import { toHookValue, toRestValue } from './encode.js';
import type { Json } from '../values/json.js';

/** A stored value as hooks read it (see {@link HookObject.get}). */
function readValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { __type: type, className, ...fields } = value as Json;
    if ((type === 'Pointer' || type === 'Object') && typeof className === 'string')
      return new HookObject(className, fields);
  }
  return toHookValue(value);
}

export class HookObject {
  readonly className: string;
  private readonly saved: Json;
  private readonly pending: Json;
  private readonly sessionToken: string | undefined;

  /**
   * `saved`: the stored state (empty for a new object); `pending`: the changes being saved;
   * `sessionToken`: for the caller's own user only.
   */
  constructor(className: string, saved: Json, pending: Json = {}, sessionToken?: string) {
    this.className = className;
    this.saved = saved;
    this.pending = { ...pending };
    this.sessionToken = sessionToken;
  }

  get id(): string | undefined {
    return (this.pending.objectId ?? this.saved.objectId) as string | undefined;
  }

  get createdAt(): Date | undefined {
    return this.saved.createdAt ? new Date(this.saved.createdAt as string) : undefined;
  }

  get updatedAt(): Date | undefined {
    return this.saved.updatedAt ? new Date(this.saved.updatedAt as string) : undefined;
  }

  /** True when the object was already stored before this save. */
  existed(): boolean {
    return this.saved.objectId !== undefined;
  }

  isNew(): boolean {
    return !this.existed();
  }

  private current(key: string): unknown {
    const base = this.saved[key];
    if (!(key in this.pending)) return base;
    const change = this.pending[key];
    return isOperation(change) ? applyOperation(base, change) : change;
  }

  /**
   * The field's value as Parse.Object#get gives it: Dates as `Date`, pointers and included objects
   * as object views (their `id`, and their fields when included). Typed `any` by default, as in
   * Parse, so that ported cloud code (`order.get('total') < 0`) compiles unchanged.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: Parse's get() is untyped
  get<T = any>(key: string): T {
    const value = this.current(key);
    return (Array.isArray(value) ? value.map(readValue) : readValue(value)) as T;
  }

  has(key: string): boolean {
    const value = this.current(key);
    return value !== undefined && value !== null;
  }

  set(key: string, value: unknown): this {
    this.pending[key] = toRestValue(value);
    return this;
  }

  unset(key: string): this {
    this.pending[key] = { __op: 'Delete' };
    return this;
  }

  /**
   * Adds to a number. Stays an atomic Increment when the field has no other pending change (so
   * concurrent saves still add up); otherwise the pending value is set to the sum.
   */
  increment(key: string, amount = 1): this {
    const prior = this.pending[key];
    if (prior === undefined || (isOperation(prior) && prior.__op === 'Increment')) {
      const pendingAmount = prior === undefined ? 0 : Number((prior as Json).amount);
      this.pending[key] = { __op: 'Increment', amount: pendingAmount + amount };
    } else {
      const current = this.current(key);
      this.pending[key] = (typeof current === 'number' ? current : 0) + amount;
    }
    return this;
  }

  add(key: string, item: unknown): this {
    return this.set(key, [...((this.current(key) as unknown[] | undefined) ?? []), toRestValue(item)]);
  }

  addUnique(key: string, item: unknown): this {
    return this.set(key, applyOperation(this.current(key), { __op: 'AddUnique', objects: [toRestValue(item)] }));
  }

  remove(key: string, item: unknown): this {
    return this.set(key, applyOperation(this.current(key), { __op: 'Remove', objects: [toRestValue(item)] }));
  }

  /** Drops the pending change to `key`, back to the stored value. */
  revert(key?: string): this {
    if (key === undefined) for (const k of Object.keys(this.pending)) delete this.pending[k];
    else delete this.pending[key];
    return this;
  }

  /** Whether `key` changes in this save. */
  dirty(key?: string): boolean {
    return key === undefined ? Object.keys(this.pending).length > 0 : key in this.pending;
  }

  dirtyKeys(): string[] {
    return Object.keys(this.pending);
  }

  getACL(): Acl | undefined {
    return (this.current('ACL') as Acl | undefined) ?? undefined;
  }

  /** Sets the ACL, given as JSON or as anything that encodes to it (a `Parse.ACL`). */
  setACL(acl: Acl | { toJSON(): unknown }): this {
    this.pending.ACL = validateAcl(toRestValue(acl));
    return this;
  }

  /** The state this save started from, in REST form (empty for a new object). */
  savedState(): Json {
    return { ...this.saved };
  }

  /** The changes being saved, in REST form (values and `__op` operations). */
  pendingChanges(): Json {
    return { ...this.pending };
  }

  /** The object as the client will see it, in REST form. */
  toJSON(): Json {
    const out: Json = { ...this.saved };
    for (const key of Object.keys(this.pending)) {
      const value = this.current(key);
      if (value === undefined) delete out[key];
      else out[key] = value;
    }
    return { className: this.className, ...out };
  }

  /** A pointer to the object (what storing it in another object's field writes). */
  toPointer(): Json {
    return { __type: 'Pointer', className: this.className, objectId: this.id };
  }

  /** The object in Parse's full encoding, as cloud function results carry it. */
  toFullJSON(): Json {
    return { ...this.toJSON(), __type: 'Object', className: this.className };
  }

  /** The session token of `request.user` (the caller's), for data API calls made as that user. */
  getSessionToken(): string | undefined {
    return this.sessionToken;
  }

  /** The pending changes (what the save will write). */
  changes(): Json {
    return { ...this.pending };
  }
}
