/**
 * One live subscription and what an object change means to it: `create`, `enter`, `update`,
 * `leave` or `delete`, decided as parse-server decides them, with the permissions of a read.
 * The subscription's `where`, the class-level permission's restriction (pointer permissions) and
 * the ACL are tested together through storage's matcher, the translation the database runs.
 */
import { isDeepStrictEqual } from 'node:util';
import { restricted } from '../access/class-access.js';
import { principalsOf, type RequestAuth } from '../access/request-auth.js';
import type { ReadPlan } from '../objects/secure-read.js';
import type { ClassSchema } from '../schema/class-schema.js';
import type { RestObject, RestWhere } from '../storage/storage.js';
import type { Services } from '../services.js';
import type { LiveEvent } from './live-events.js';

export type LiveEventName = 'create' | 'enter' | 'update' | 'leave' | 'delete';

/** Fields every event object keeps, whatever `keys` selects (as parse-server). */
const ALWAYS_SENT = ['className', 'objectId', 'updatedAt', 'createdAt', 'ACL'];

export class LiveSubscription {
  private matcher: { schema: ClassSchema; planKey: string; test(o: RestObject): boolean } | undefined;

  constructor(
    readonly requestId: number,
    readonly className: string,
    readonly where: RestWhere,
    /** `get` for a subscription to one objectId, else `find` (the class-level permission checked). */
    readonly operation: 'get' | 'find',
    readonly keys: string[] | undefined,
    readonly watch: string[] | undefined,
    /** The subscription's own session token, else the connection's. */
    readonly sessionToken: string | undefined,
  ) {
    this.whereKey = JSON.stringify(where);
  }

  /** The subscription's `where`, as a key: subscriptions with the same one share results. */
  readonly whereKey: string;

  /**
   * The test of this subscription under `plan`, kept while neither the schema nor the plan (its
   * readers and restriction, which `planKey` names) changes.
   */
  private test(
    services: Services,
    schema: ClassSchema,
    plan: ReadPlan,
    readers: readonly string[] | null,
    planKey: string,
  ): (o: RestObject) => boolean {
    const current = this.matcher;
    if (current && current.schema === schema && current.planKey === planKey) return current.test;
    const test = services.storage.objectMatcher(schema, restricted(this.where, plan.restriction), readers);
    this.matcher = { schema, planKey, test };
    return test;
  }

  /**
   * What `event` is to this subscriber, or null when it is nothing to it. `seen` holds, for one
   * event, the match results of each (where, readers, restriction): many subscribers share them.
   */
  decide(
    services: Services,
    schema: ClassSchema,
    plan: ReadPlan,
    auth: RequestAuth,
    event: LiveEvent,
    seen: Map<string, [wasIn: boolean, isIn: boolean]>,
    planKey: string,
  ): LiveEventName | null {
    const key = `${this.whereKey}\n${planKey}`;
    let result = seen.get(key);
    if (!result) {
      const readers = principalsOf(auth);
      const test = this.test(services, schema, plan, readers, planKey);
      const isIn = test(event.object);
      // Made elsewhere with no pre-image: a match now is sent as an update (it may have entered); a
      // leave cannot be told from nothing (docs/livequery.md).
      const wasIn = event.deleted
        ? isIn
        : event.originalUnknown
          ? isIn
          : event.original !== null && test(event.original);
      result = [wasIn, isIn];
      seen.set(key, result);
    }
    const [wasIn, isIn] = result;
    if (event.deleted) return isIn ? 'delete' : null;
    let name: LiveEventName | null;
    if (wasIn && isIn) name = 'update';
    else if (wasIn) name = 'leave';
    else if (isIn) name = event.original ? 'enter' : 'create';
    else name = null;
    // `watch`: creates and updates only when a watched field changed, as parse-server.
    if ((name === 'update' || name === 'create') && this.watch) {
      const changed = event.originalUnknown
        ? !event.changedFields || this.watch.some((field) => event.changedFields!.includes(field))
        : this.watch.some((field) => !isDeepStrictEqual(event.object[field], event.original?.[field]));
      if (!changed) return null;
    }
    return name;
  }

  /** `object` as sent: `keys` selects fields (the ones every event keeps aside). */
  selected(object: RestObject): RestObject {
    if (!this.keys) return object;
    const out: RestObject = {};
    for (const field of [...ALWAYS_SENT, ...this.keys]) if (field in object) out[field] = object[field];
    return out;
  }
}
