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
  private matcher:
    | { schema: ClassSchema; principals: string; restriction: RestWhere | null; test(o: RestObject): boolean }
    | undefined;

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
  ) {}

  /** The test of this subscription for `auth` under `plan`, kept while neither changes. */
  private test(services: Services, schema: ClassSchema, plan: ReadPlan, auth: RequestAuth): (o: RestObject) => boolean {
    const readers = principalsOf(auth);
    const principals = readers ? readers.join('\n') : '(master)';
    const current = this.matcher;
    if (
      current &&
      current.schema === schema &&
      current.principals === principals &&
      isDeepStrictEqual(current.restriction, plan.restriction)
    )
      return current.test;
    const test = services.storage.objectMatcher(schema, restricted(this.where, plan.restriction), readers);
    this.matcher = { schema, principals, restriction: plan.restriction, test };
    return test;
  }

  /** What `event` is to this subscriber, or null when it is nothing to it. */
  decide(
    services: Services,
    schema: ClassSchema,
    plan: ReadPlan,
    auth: RequestAuth,
    event: LiveEvent,
  ): LiveEventName | null {
    const test = this.test(services, schema, plan, auth);
    if (event.deleted) return test(event.object) ? 'delete' : null;
    const wasIn = event.original !== null && test(event.original);
    const isIn = test(event.object);
    let name: LiveEventName | null;
    if (wasIn && isIn) name = 'update';
    else if (wasIn) name = 'leave';
    else if (isIn) name = event.original ? 'enter' : 'create';
    else name = null;
    // `watch`: creates and updates only when a watched field changed, as parse-server.
    if ((name === 'update' || name === 'create') && this.watch) {
      const changed = this.watch.some((field) => !isDeepStrictEqual(event.object[field], event.original?.[field]));
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
