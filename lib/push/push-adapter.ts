/**
 * The push adapter contract, as parse-server's: `send(body, installations, pushStatusId)` and
 * `getValidPushTypes()`. config/push-options.ts reads the `push` option into one.
 */
import type { RestObject } from '../storage/storage.js';
import type { Json } from '../values/json.js';

/** One device's outcome, as parse-server's adapters report it. */
export interface PushResult {
  device?: { deviceType?: string; deviceToken?: string };
  transmitted?: boolean;
  response?: { error?: unknown };
}

/** parse-server's push adapter contract. */
export interface PushAdapter {
  /** Sends `body` to `installations` (one batch); resolves to each device's outcome. */
  send(body: Json, installations: RestObject[], pushStatusId: string): Promise<unknown>;
  /** The device types it can reach (`ios`, `android`, ...): a push naming others is refused (115). */
  getValidPushTypes(): string[];
}

/** What the `push` option resolves to: an adapter, or a reason there is none. */
export interface PushSetup {
  adapter?: PushAdapter;
  /** Why pushes cannot be sent (yet): answered as 115. */
  problem?: string;
  /** Loads the adapter of per-platform settings (`@parse/push-adapter`), on first use. */
  load?: () => Promise<PushAdapter>;
}
