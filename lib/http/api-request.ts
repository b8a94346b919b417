/** A request as the route handlers see it: no Express, just what Parse's REST API carries. */
import type { HookCaller } from '../cloud/cloud-registry.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  /** Path below the mount point, e.g. `/classes/GameScore`. */
  path: string;
  /** Query parameters (for GET: from the query string or the JS SDK's body). */
  params: Record<string, unknown>;
  body: unknown;
  caller: HookCaller;
  /** The mount path, used to build `Location` headers and to read batch paths. */
  mountPath: string;
}

/** What a handler returns; only the responder writes it to the socket. */
export interface ApiReply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}
