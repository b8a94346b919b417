/**
 * The `push` option, read as parse-server reads it: `{ adapter }` (an object with
 * `send(body, installations, pushStatusId)` and `getValidPushTypes()`, or any of the adapter forms
 * of load-adapter.ts, given the other settings as options), or per-platform settings (`ios`,
 * `android`, ...) handed to `@parse/push-adapter` when the host has installed it. That package
 * brings APNs and FCM clients, so Plinth does not depend on it: without it, such a config starts
 * with a warning and `POST /push` answers 115.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BackendConfigError } from '../errors/backend-error.js';
import type { PushAdapter, PushSetup } from '../push/push-adapter.js';
import { loadAdapter, missingMethods } from './load-adapter.js';

/** The package parse-server uses for per-platform settings. */
export const PARSE_PUSH_ADAPTER = '@parse/push-adapter';

function checked(adapter: unknown): PushAdapter {
  const missing = missingMethods(adapter, ['send', 'getValidPushTypes']);
  if (missing.length > 0)
    throw new BackendConfigError([`push.adapter lacks the push adapter methods: ${missing.join(', ')}`]);
  return adapter as PushAdapter;
}

/** Loads `@parse/push-adapter` from the host app (ESM or CommonJS) and builds it with `settings`. */
async function parsePushAdapter(settings: Record<string, unknown>): Promise<PushAdapter> {
  const resolved = createRequire(join(process.cwd(), 'package.json')).resolve(PARSE_PUSH_ADAPTER);
  const loaded = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  const exported = (loaded.ParsePushAdapter ?? loaded.default) as
    | (new (options: unknown) => unknown)
    | { ParsePushAdapter?: new (options: unknown) => unknown; default?: new (options: unknown) => unknown };
  const constructor =
    typeof exported === 'function' ? exported : (exported?.ParsePushAdapter ?? exported?.default ?? undefined);
  if (typeof constructor !== 'function')
    throw new BackendConfigError([`${PARSE_PUSH_ADAPTER} exports no ParsePushAdapter`]);
  return checked(new constructor(settings));
}

function installed(name: string): boolean {
  try {
    createRequire(join(process.cwd(), 'package.json')).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Reads the `push` option: an adapter at once, per-platform settings later (their package loads asynchronously). */
export function resolvePush(option: unknown): PushSetup {
  if (option === undefined || option === null) return { problem: 'Missing push configuration' };
  if (typeof option !== 'object') throw new BackendConfigError(['push must be an object']);
  const { adapter, queueOptions: _queue, ...settings } = option as Record<string, unknown>;
  if (adapter !== undefined) return { adapter: checked(loadAdapter(adapter, settings)) };
  if (!installed(PARSE_PUSH_ADAPTER))
    return {
      problem: `push: the settings for ${Object.keys(settings).join(', ') || 'no platform'} need ${PARSE_PUSH_ADAPTER}, which is not installed (npm install ${PARSE_PUSH_ADAPTER})`,
    };
  return { problem: `${PARSE_PUSH_ADAPTER} is loading`, load: () => parsePushAdapter(settings) };
}
