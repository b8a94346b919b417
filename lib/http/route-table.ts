/**
 * The route table: method + path pattern -> handler. Express only mounts one catch-all that calls
 * {@link dispatch}, so `/batch` can re-enter the same table for each of its requests.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { aggregate } from '../rest/aggregate.js';
import * as classes from '../rest/classes.js';
import * as cloudCode from '../rest/cloud-code.js';
import * as hooks from '../rest/hooks.js';
import * as schemas from '../rest/schemas.js';
import * as logs from '../rest/logs.js';
import * as server from '../rest/server.js';
import * as push from '../rest/push.js';
import * as sessions from '../rest/sessions.js';
import * as users from '../rest/users.js';
import type { Services } from '../services.js';
import type { ApiReply, ApiRequest, HttpMethod } from './api-request.js';

type Handler = (services: Services, req: ApiRequest, ...params: string[]) => ApiReply | Promise<ApiReply>;

interface Route {
  method: HttpMethod;
  pattern: RegExp;
  handler: Handler;
}

const SEGMENT = '([^/]+)';

function route(method: HttpMethod, path: string, handler: Handler): Route {
  return { method, pattern: new RegExp(`^${path.replace(/:[A-Za-z]+/g, SEGMENT)}/?$`), handler };
}

const routes: Route[] = [
  // A sign-up may log a known identity in, and clients see their own sessions, through /classes
  // too. Writes need no route of their own: the save and delete pipelines apply each class's rules.
  route('POST', '/classes/_User', users.signUp),
  route('GET', '/classes/_Session', sessions.listSessions),
  route('GET', '/classes/_Session/:objectId', (s, r, id) => sessions.getSession(s, r, id!)),
  route('POST', '/classes/_Session', sessions.createSession),
  route('PUT', '/classes/_Session/:objectId', (s, r, id) => sessions.updateSession(s, r, id!)),
  route('GET', '/roles', (s, r) => classes.find(s, r, '_Role')),
  route('POST', '/roles', (s, r) => classes.create(s, r, '_Role')),
  route('GET', '/roles/:objectId', (s, r, id) => classes.get(s, r, '_Role', id!)),
  route('PUT', '/roles/:objectId', (s, r, id) => classes.update(s, r, '_Role', id!)),
  route('DELETE', '/roles/:objectId', (s, r, id) => classes.remove(s, r, '_Role', id!)),
  route('GET', '/installations', (s, r) => classes.find(s, r, '_Installation')),
  route('POST', '/installations', (s, r) => classes.create(s, r, '_Installation')),
  route('GET', '/installations/:objectId', (s, r, id) => classes.get(s, r, '_Installation', id!)),
  route('PUT', '/installations/:objectId', (s, r, id) => classes.update(s, r, '_Installation', id!)),
  route('DELETE', '/installations/:objectId', (s, r, id) => classes.remove(s, r, '_Installation', id!)),
  route('POST', '/push', push.sendPush),
  route('GET', '/push_audiences', push.listAudiences),
  route('POST', '/push_audiences', push.createAudience),
  route('GET', '/push_audiences/:objectId', (s, r, id) => push.getAudience(s, r, id!)),
  route('PUT', '/push_audiences/:objectId', (s, r, id) => push.updateAudience(s, r, id!)),
  route('DELETE', '/push_audiences/:objectId', (s, r, id) => push.deleteAudience(s, r, id!)),
  route('GET', '/classes/:className', (s, r, c) => classes.find(s, r, c!)),
  route('POST', '/classes/:className', (s, r, c) => classes.create(s, r, c!)),
  route('GET', '/classes/:className/:objectId', (s, r, c, id) => classes.get(s, r, c!, id!)),
  route('PUT', '/classes/:className/:objectId', (s, r, c, id) => classes.update(s, r, c!, id!)),
  route('DELETE', '/classes/:className/:objectId', (s, r, c, id) => classes.remove(s, r, c!, id!)),
  route('GET', '/aggregate/:className', (s, r, c) => aggregate(s, r, c!)),
  route('POST', '/users', users.signUp),
  route('GET', '/users', users.findUsers),
  route('GET', '/users/me', users.me),
  route('GET', '/users/:objectId', (s, r, id) => users.getUser(s, r, id!)),
  route('PUT', '/users/:objectId', (s, r, id) => users.updateUser(s, r, id!)),
  route('DELETE', '/users/:objectId', (s, r, id) => users.deleteUser(s, r, id!)),
  route('GET', '/login', users.logIn),
  route('POST', '/login', users.logIn),
  route('POST', '/logout', users.logOut),
  route('POST', '/challenge', users.challenge),
  route('GET', '/verifyPassword', users.verifyPasswordRoute),
  route('POST', '/verifyPassword', users.verifyPasswordRoute),
  route('POST', '/loginAs', users.logInAs),
  route('POST', '/upgradeToRevocableSession', users.upgradeToRevocableSession),
  route('POST', '/verificationEmailRequest', users.verificationEmailRequest),
  route('POST', '/requestPasswordReset', users.passwordResetRequest),
  route('GET', '/sessions/me', sessions.currentSession),
  route('GET', '/sessions', sessions.listSessions),
  route('GET', '/sessions/:objectId', (s, r, id) => sessions.getSession(s, r, id!)),
  route('POST', '/sessions', sessions.createSession),
  route('PUT', '/sessions/:objectId', (s, r, id) => sessions.updateSession(s, r, id!)),
  route('DELETE', '/sessions/:objectId', (s, r, id) => sessions.deleteSession(s, r, id!)),
  route('GET', '/schemas', schemas.listSchemas),
  route('GET', '/schemas/:className', (s, r, c) => schemas.getSchema(s, r, c!)),
  route('POST', '/schemas', (s, r) => schemas.createSchema(s, r)),
  route('POST', '/schemas/:className', (s, r, c) => schemas.createSchema(s, r, c!)),
  route('PUT', '/schemas/:className', (s, r, c) => schemas.updateSchema(s, r, c!)),
  route('DELETE', '/schemas/:className', (s, r, c) => schemas.deleteSchema(s, r, c!)),
  route('DELETE', '/purge/:className', (s, r, c) => schemas.purge(s, r, c!)),
  route('POST', '/functions/:name', (s, r, n) => cloudCode.callFunction(s, r, n!)),
  route('POST', '/jobs/:name', (s, r, n) => cloudCode.startJob(s, r, n!)),
  route('POST', '/jobs', (s, r) => cloudCode.startJob(s, r)),
  route('GET', '/cloud_code/jobs', cloudCode.listSchedules),
  route('GET', '/cloud_code/jobs/data', cloudCode.jobsData),
  route('POST', '/cloud_code/jobs', cloudCode.createSchedule),
  route('PUT', '/cloud_code/jobs/:objectId', (s, r, id) => cloudCode.updateSchedule(s, r, id!)),
  route('DELETE', '/cloud_code/jobs/:objectId', (s, r, id) => cloudCode.deleteSchedule(s, r, id!)),
  route('GET', '/hooks/functions', (s, r) => hooks.listHooks(s, r, 'functions')),
  route('GET', '/hooks/triggers', (s, r) => hooks.listHooks(s, r, 'triggers')),
  route('GET', '/hooks/functions/:functionName', (s, r, functionName) =>
    hooks.getHook(s, r, { functionName: functionName! }),
  ),
  route('GET', '/hooks/triggers/:className/:triggerName', (s, r, className, triggerName) =>
    hooks.getHook(s, r, { className: className!, triggerName: triggerName! }),
  ),
  route('POST', '/hooks/functions', hooks.createHook),
  route('POST', '/hooks/triggers', hooks.createHook),
  route('PUT', '/hooks/functions/:functionName', (s, r, functionName) =>
    hooks.changeHook(s, r, { functionName: functionName! }),
  ),
  route('PUT', '/hooks/triggers/:className/:triggerName', (s, r, className, triggerName) =>
    hooks.changeHook(s, r, { className: className!, triggerName: triggerName! }),
  ),
  route('GET', '/serverInfo', server.serverInfo),
  route('GET', '/scriptlog', logs.scriptLog),
  route('GET', '/config', server.getConfig),
  route('PUT', '/config', server.putConfig),
];

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BackendError(ErrorCode.INVALID_JSON, 'malformed percent-encoding in the path');
  }
}

/**
 * The read-only master key reads everything and writes nothing: every route but a GET is refused,
 * checked here once for all routes (and for each request of a batch).
 */
export function assertWriteAllowed(req: ApiRequest): void {
  if (req.caller.auth.readOnly && req.method !== 'GET') {
    throw new BackendError(
      ErrorCode.OPERATION_FORBIDDEN,
      "read-only masterKey isn't allowed to perform this operation.",
    );
  }
}

/** Routes `req` to its handler; 404-style Parse error for an unknown path. */
export async function dispatch(services: Services, req: ApiRequest): Promise<ApiReply> {
  // Routes match the decoded path, so `/classes/%5FUser` meets the `_User` rules too.
  const segments = req.path.split('/').map(decodePathSegment);
  if (segments.some((s) => s.includes('/'))) throw new BackendError(ErrorCode.INVALID_JSON, 'malformed path');
  const path = segments.join('/');
  // Webhooks another process registered reach this one within a few seconds.
  services.webhooks.refreshWhenStale();
  let pathMatched = false;
  for (const r of routes) {
    const match = r.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (r.method !== req.method) continue;
    assertWriteAllowed(req);
    return r.handler(services, req, ...match.slice(1));
  }
  throw new BackendError(
    ErrorCode.COMMAND_UNAVAILABLE,
    pathMatched ? `${req.method} is not supported on ${req.path}` : `unknown route: ${req.method} ${req.path}`,
  );
}
