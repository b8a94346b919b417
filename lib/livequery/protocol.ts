/**
 * Parse's LiveQuery protocol, as the official SDKs speak it over WebSocket: what clients send
 * (`connect`, `subscribe`, `update`, `unsubscribe`), read strictly, and what the server answers.
 */
import { isPlainObject, type Json } from '../values/json.js';

/** parse-server's LiveQuery error codes, besides Parse's own. */
export const LiveErrorCode = {
  /** A message that is not JSON, or not of the protocol's shape. */
  BAD_MESSAGE: 1,
  /** An operation before `connect`, or on a subscription that does not exist. */
  NOT_CONNECTED: 2,
  UNKNOWN_OPERATION: 3,
  /** Keys (application id, master key, client keys) that do not match. */
  INVALID_KEYS: 4,
} as const;

export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly requestId: number | null = null,
  ) {
    super(message);
  }
}

export interface ConnectMessage {
  op: 'connect';
  applicationId: string;
  masterKey?: string;
  sessionToken?: string;
  installationId?: string;
  /** Client keys (`javascriptKey`, `clientKey`, `restAPIKey`, `windowsKey`). */
  keys: Record<string, string>;
}

export interface QuerySpec {
  className: string;
  where: Json;
  keys?: string[];
  watch?: string[];
}

export interface SubscribeMessage {
  op: 'subscribe' | 'update';
  requestId: number;
  query: QuerySpec;
  sessionToken?: string;
}

export interface UnsubscribeMessage {
  op: 'unsubscribe';
  requestId: number;
}

export type ClientMessage = ConnectMessage | SubscribeMessage | UnsubscribeMessage;

const CLIENT_KEYS = ['javascriptKey', 'clientKey', 'restAPIKey', 'windowsKey'];

function optionalString(message: Json, key: string): string | undefined {
  const value = message[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, `${key} must be a string`);
  return value;
}

function requestIdOf(message: Json): number {
  const { requestId } = message;
  if (typeof requestId !== 'number' || !Number.isSafeInteger(requestId))
    throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, 'requestId must be an integer');
  return requestId;
}

/** `keys` or `watch`: a list of field names (the SDK's older `fields` is read as `keys`). */
function fieldList(value: unknown, name: string, requestId: number): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item !== ''))
    throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, `query.${name} must be a list of field names`, requestId);
  return [...new Set(list as string[])];
}

function querySpec(value: unknown, requestId: number): QuerySpec {
  if (!isPlainObject(value)) throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, 'query must be an object', requestId);
  const { className, where } = value;
  if (typeof className !== 'string' || className === '')
    throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, 'query.className must be a string', requestId);
  if (where !== undefined && !isPlainObject(where))
    throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, 'query.where must be an object', requestId);
  const keys = fieldList(value.keys ?? value.fields, 'keys', requestId);
  const watch = fieldList(value.watch, 'watch', requestId);
  return { className, where: (where as Json | undefined) ?? {}, ...(keys && { keys }), ...(watch && { watch }) };
}

/** Reads one frame; throws a {@link ProtocolError} for anything outside the protocol. */
export function readMessage(frame: string): ClientMessage {
  let message: unknown;
  try {
    message = JSON.parse(frame);
  } catch {
    throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, 'Invalid JSON');
  }
  if (!isPlainObject(message) || typeof message.op !== 'string')
    throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, 'A message must be an object with an op');
  switch (message.op) {
    case 'connect': {
      const applicationId = optionalString(message, 'applicationId');
      if (!applicationId) throw new ProtocolError(LiveErrorCode.BAD_MESSAGE, 'applicationId is required');
      const keys: Record<string, string> = {};
      for (const key of CLIENT_KEYS) {
        const given = optionalString(message, key);
        if (given !== undefined) keys[key] = given;
      }
      return {
        op: 'connect',
        applicationId,
        masterKey: optionalString(message, 'masterKey'),
        sessionToken: optionalString(message, 'sessionToken'),
        installationId: optionalString(message, 'installationId'),
        keys,
      };
    }
    case 'subscribe':
    case 'update': {
      const requestId = requestIdOf(message);
      return {
        op: message.op,
        requestId,
        query: querySpec(message.query, requestId),
        sessionToken: optionalString(message, 'sessionToken'),
      };
    }
    case 'unsubscribe':
      return { op: 'unsubscribe', requestId: requestIdOf(message) };
    default:
      throw new ProtocolError(LiveErrorCode.UNKNOWN_OPERATION, 'Get unknown operation');
  }
}

/** An error frame; `reconnect` tells the SDK whether to try again. */
export function errorFrame(code: number, error: string, requestId: number | null, reconnect = false): string {
  return JSON.stringify({ op: 'error', error, code, reconnect, ...(requestId !== null && { requestId }) });
}
