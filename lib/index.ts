/**
 * Plinth: an embeddable, Parse-compatible backend for Node.js.
 * @packageDocumentation
 */
export { createBackend } from './create-backend.js';
export type { Backend, LiveQuery } from './create-backend.js';
export type { LiveQueryAttachOptions } from './livequery/live-query-server.js';
export { BackendError, BackendConfigError } from './errors/backend-error.js';
export { ErrorCode } from './errors/error-codes.js';
export type { ErrorCodeValue } from './errors/error-codes.js';
export type {
  BackendConfig,
  DatabaseOptions,
  LiveQueryOptions,
  Logger,
  ParseServerOnlyOptions,
} from './config/options.js';
export type { PasswordHasherOptions } from './auth/password-hasher.js';
export type {
  CloudRegistry,
  SaveHook,
  SaveHookRequest,
  ClassRef,
  FileHook,
  FileHookRequest,
  HookFile,
  LoginHook,
  LoginHookRequest,
} from './cloud/cloud-registry.js';
export type {
  AfterFindHook,
  AfterFindRequest,
  BeforeFindHook,
  BeforeFindRequest,
  CloudFunction,
  CloudJob,
  CloudRequestBase,
  DataApi,
  DataOptions,
  LogInCredentials,
  DataQuery,
  FunctionRequest,
  JobRequest,
  LiveConnectHook,
  LiveConnectRequest,
  LiveEventHook,
  LiveEventRequest,
  LiveSubscribeHook,
  LiveSubscribeRequest,
  ObjectHook,
  ObjectHookRequest,
} from './cloud/hook-requests.js';
export { HookQuery } from './cloud/hook-query.js';
export type { HttpRequestOptions, HttpResponse } from './cloud/http-request.js';
export type { FunctionResponse } from './cloud/function-response.js';
export type { FieldRule, RateLimitOptions, Validator, ValidatorOptions } from './cloud/validator.js';
export { CONFIG, FILE } from './cloud/cloud-registry.js';
export type { AuthProvider, AuthProviders } from './auth/auth-data.js';
export { openIdConnectProvider } from './auth/openid-connect.js';
export type { OpenIdConnectOptions } from './auth/openid-connect.js';
export type {
  PasswordPolicy,
  AccountLockout,
  FileUploadOptions,
  EmailAdapter,
  EmailMessage,
} from './config/options.js';
export type { HookObject } from './cloud/hook-object.js';
export type { Acl } from './access/acl.js';
export { VERSION } from './environment/version.js';
