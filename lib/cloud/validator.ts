/**
 * Parse.Cloud's validator: the optional third argument of `define`, `beforeSave` and the other
 * hooks, checked before the handler runs. Pure logic — the hook runner supplies what is checked
 * as a {@link ValidationTarget}. Rules and messages follow Parse Server's, so ported validators
 * refuse the same requests with the same errors.
 */
import { BackendConfigError, BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { RateLimiter } from './rate-limit.js';
import { hookError } from './hook-runner.js';
import { isPlainObject, type Json } from '../values/json.js';

/** The checks for one field (of the data in `fields`, or of the user in `requireUserKeys`). */
export interface FieldRule {
  /**
   * The expected type: `String`, `Number`, `Boolean`, `Object`, `Array` or `Date`, or one of those
   * names as a string (any case). Dates are accepted as `Date` objects or REST `{ __type: 'Date' }`.
   */
  type?: unknown;
  /** Refuse when the value is null or missing. */
  required?: boolean;
  /** Used (and written to the data/object) when the value is null or missing. Ignored for user keys. */
  default?: unknown;
  /**
   * Allowed values (an array, or a single value), or a function given the value: it refuses by
   * throwing or by returning a falsy value other than null/undefined.
   */
  options?: unknown[] | ((value: unknown) => unknown) | unknown;
  /** In object triggers: clients cannot change the field on update, and `default` overrides their value on create. Ignored for user keys. */
  constant?: boolean;
  /** The message used instead of the usual one when `options` refuses the value. */
  error?: string;
}

/** `rateLimit`: at most `requestCount` calls per `requestTimeWindow` ms from one client. */
export interface RateLimitOptions {
  /** Window length, in milliseconds. */
  requestTimeWindow: number;
  /** Calls allowed per client per window. */
  requestCount: number;
  /** Message of the refusal (default `'Too many requests.'`). */
  errorResponseMessage?: string;
  /** Also count calls made with the master key (default false). */
  includeMasterKey?: boolean;
}

/** The object form of a validator, with Parse Server's options. */
export interface ValidatorOptions {
  /** Refuse calls without a logged-in user. */
  requireUser?: boolean;
  /** Refuse calls without the master key. */
  requireMaster?: boolean;
  /** Check the options for master-key calls too (by default the master key passes every check). */
  validateMasterKey?: boolean;
  /** With the master key, skip the handler altogether. */
  skipWithMasterKey?: boolean;
  /** The user must have at least one of these roles (names without `role:`). */
  requireAnyUserRoles?: string[] | (() => string[] | Promise<string[]>);
  /** The user must have all of these roles (names without `role:`). */
  requireAllUserRoles?: string[] | (() => string[] | Promise<string[]>);
  /** Fields the user's account must have: names, or rules per name. */
  requireUserKeys?: string[] | Record<string, FieldRule>;
  /** Fields of the params (functions) or the object (triggers): required names, or rules per name. */
  fields?: string[] | Record<string, FieldRule>;
  /** Limit how often one client may call. */
  rateLimit?: RateLimitOptions;
}

/** A validator: the options object, or a function run before the handler (throw to refuse). */
export type Validator<R = unknown> = ValidatorOptions | ((request: R) => unknown);

/** What the validator needs from a hook/function request. */
export interface ValidationTarget {
  /** True when the request used the master key. */
  master: boolean;
  /** The calling user as an object view (get(key)), if logged in. For a _User being signed up, pass the object. */
  user: { get(key: string): unknown } | undefined;
  /** Role names of the caller (without the 'role:' prefix). */
  roles: readonly string[];
  /**
   * The data checked by `fields`: function params, or the object's JSON (object.toJSON()).
   * A field's `default` is written into it, so pass `request.params` itself for functions to let
   * the handler see defaults (as Parse Server does).
   */
  data: Record<string, unknown>;
  /** For triggers on objects: the object, so `default` can set() and `constant` can revert(). */
  object?: { set(key: string, value: unknown): unknown; revert(key: string): unknown };
  /** True on update (an original exists): `constant` reverts client changes then. */
  updating: boolean;
  /** Who rateLimit counts: the client's address; undefined (not counted) for calls from host code. */
  rateKey: string | undefined;
}

/**
 * A validator prepared at registration (holding its rate-limit counters), run before the handler.
 * `run` resolves 'skip' when the handler must not run (skipWithMasterKey with the master key),
 * 'run' otherwise, and rejects with BackendError when validation fails.
 */
export interface PreparedValidator {
  run<R>(request: R, target: ValidationTarget): Promise<'run' | 'skip'>;
}

const BOOLEAN_KEYS = ['requireUser', 'requireMaster', 'validateMasterKey', 'skipWithMasterKey'] as const;
const ROLE_KEYS = ['requireAnyUserRoles', 'requireAllUserRoles'] as const;
const FIELD_KEYS = ['requireUserKeys', 'fields'] as const;
const VALIDATOR_KEYS = new Set<string>([...BOOLEAN_KEYS, ...ROLE_KEYS, ...FIELD_KEYS, 'rateLimit']);
const RULE_KEYS = new Set(['type', 'constant', 'default', 'options', 'required', 'error']);
const RATE_LIMIT_KEYS = new Set(['requestTimeWindow', 'requestCount', 'errorResponseMessage', 'includeMasterKey']);

/** Type names a rule may expect, by constructor and by (lower-case) name. */
const TYPE_BY_CONSTRUCTOR = new Map<unknown, string>([
  [String, 'string'],
  [Number, 'number'],
  [Boolean, 'boolean'],
  [Object, 'object'],
  [Array, 'array'],
  [Date, 'date'],
]);
const TYPE_NAMES = new Set(TYPE_BY_CONSTRUCTOR.values());

/** Object literals (what validators and rules are written as), not arrays, Dates or class instances. */

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** The expected type's name, or undefined when `type` names none we know. */
function typeName(type: unknown): string | undefined {
  if (typeof type === 'string') {
    const name = type.toLowerCase();
    return TYPE_NAMES.has(name) ? name : undefined;
  }
  return TYPE_BY_CONSTRUCTOR.get(type);
}

function checkRules(where: string, key: string, rules: Json, problems: string[]): void {
  for (const [field, rule] of Object.entries(rules)) {
    const path = `${key}.${field}`;
    if (!isPlainObject(rule)) {
      problems.push(`${where}: ${path} must be an object of rules (type, required, default, constant, options, error)`);
      continue;
    }
    for (const [ruleKey, value] of Object.entries(rule)) {
      if (!RULE_KEYS.has(ruleKey)) problems.push(`${where}: ${path}.${ruleKey} is not a supported validator option`);
      // null reads as "not given", as Parse Server's truthiness checks do.
      else if (value === undefined || value === null) continue;
      else if ((ruleKey === 'constant' || ruleKey === 'required') && typeof value !== 'boolean')
        problems.push(`${where}: ${path}.${ruleKey} must be a boolean`);
      else if (ruleKey === 'error' && typeof value !== 'string')
        problems.push(`${where}: ${path}.error must be a string`);
      // Checked here because an unknown type would otherwise refuse every value at request time.
      else if (ruleKey === 'type' && typeName(value) === undefined) {
        problems.push(
          `${where}: ${path}.type must be String, Number, Boolean, Object, Array or Date (or its name as a string)`,
        );
      }
    }
  }
}

function checkRateLimit(where: string, value: unknown, problems: string[]): void {
  if (!isPlainObject(value)) {
    problems.push(`${where}: rateLimit must be an object with requestTimeWindow and requestCount`);
    return;
  }
  for (const key of Object.keys(value)) {
    if (!RATE_LIMIT_KEYS.has(key)) problems.push(`${where}: rateLimit.${key} is not a supported validator option`);
  }
  if (!isPositiveInteger(value.requestTimeWindow))
    problems.push(`${where}: rateLimit.requestTimeWindow must be a positive integer (milliseconds)`);
  if (!isPositiveInteger(value.requestCount))
    problems.push(`${where}: rateLimit.requestCount must be a positive integer`);
  if (value.errorResponseMessage !== undefined && typeof value.errorResponseMessage !== 'string') {
    problems.push(`${where}: rateLimit.errorResponseMessage must be a string`);
  }
  if (value.includeMasterKey !== undefined && typeof value.includeMasterKey !== 'boolean') {
    problems.push(`${where}: rateLimit.includeMasterKey must be a boolean`);
  }
}

/** Checks a validator at registration; throws BackendConfigError listing every problem (unknown key, wrong type). `where` names the registration, e.g. "define(hello)". */
export function checkValidator(where: string, validator: unknown): void {
  if (validator === undefined || typeof validator === 'function') return;
  if (!isPlainObject(validator)) {
    throw new BackendConfigError([`${where}: the validator must be an object of options or a function`]);
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(validator)) {
    if (!VALIDATOR_KEYS.has(key)) {
      problems.push(`${where}: ${key} is not a supported validator option`);
      continue;
    }
    if (value === undefined) continue;
    if ((BOOLEAN_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') problems.push(`${where}: ${key} must be a boolean`);
    } else if ((ROLE_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'function' && !isStringArray(value))
        problems.push(`${where}: ${key} must be an array of role names or a function returning one`);
    } else if ((FIELD_KEYS as readonly string[]).includes(key)) {
      if (isPlainObject(value)) checkRules(where, key, value, problems);
      else if (!isStringArray(value))
        problems.push(`${where}: ${key} must be an array of field names or an object of field rules`);
    } else {
      checkRateLimit(where, value, problems);
    }
  }
  if (problems.length > 0) throw new BackendConfigError(problems);
}

function validationError(message: string): BackendError {
  return new BackendError(ErrorCode.VALIDATION_ERROR, message);
}

/** Maps what a validator function (or an `options` function) threw to the client's error, as Parse Server does. */
function thrownError(thrown: unknown): BackendError {
  return hookError(thrown, ErrorCode.VALIDATION_ERROR, 'Validation failed.');
}

/** The value's type as rules name them: 'array' for arrays, 'object' for null, else typeof. */
function actualType(value: unknown): string {
  return Array.isArray(value) ? 'array' : typeof value;
}

function hasType(value: unknown, expected: string): boolean {
  if (expected === 'date') {
    return value instanceof Date || (value !== null && typeof value === 'object' && (value as Json).__type === 'Date');
  }
  return actualType(value) === expected;
}

/** Checks `options` for one value. */
async function checkOptions(key: string, rule: FieldRule, value: unknown): Promise<void> {
  const { options } = rule;
  if (typeof options === 'function') {
    let result: unknown;
    try {
      result = await (options as (value: unknown) => unknown)(value);
    } catch (err) {
      if (rule.error) throw validationError(rule.error);
      // A bare `throw` (undefined) or another falsy value says only "no".
      if (!err) throw validationError(`Validation failed. Invalid value for ${key}.`);
      throw thrownError(err);
    }
    // null/undefined (no return) accept: only an explicit falsy answer refuses.
    if (!result && result != null) throw validationError(rule.error || `Validation failed. Invalid value for ${key}.`);
    return;
  }
  const allowed = Array.isArray(options) ? options : [options];
  if (!allowed.includes(value)) {
    throw validationError(
      rule.error || `Validation failed. Invalid option for ${key}. Expected: ${allowed.join(', ')}`,
    );
  }
}

/** `type` then `options`, skipped for an optional field that is absent. */
async function checkValue(key: string, rule: FieldRule, value: unknown): Promise<void> {
  if (!rule.required && value === undefined) return;
  if (rule.type != null) {
    const expected = typeName(rule.type);
    if (expected === undefined || !hasType(value, expected)) {
      throw validationError(`Validation failed. Invalid type for ${key}. Expected: ${expected ?? String(rule.type)}`);
    }
  }
  if (rule.options != null) await checkOptions(key, rule, value);
}

async function checkFields(fields: string[] | Record<string, FieldRule>, target: ValidationTarget): Promise<void> {
  const { data, object } = target;
  const missing = (key: string): BackendError => validationError(`Validation failed. Please specify data for ${key}.`);
  if (Array.isArray(fields)) {
    for (const key of fields) if (data[key] == null) throw missing(key);
    return;
  }
  for (const [key, rule] of Object.entries(fields)) {
    let value = data[key];
    if (rule.default != null && value == null) {
      value = rule.default;
      data[key] = value;
      object?.set(key, value);
    }
    if (rule.constant && object !== undefined) {
      if (target.updating) {
        // The stored value stays, and it passed these checks when it was saved.
        object.revert(key);
        continue;
      }
      if (rule.default != null) {
        value = rule.default;
        data[key] = value;
        object.set(key, value);
      }
    }
    if (rule.required && value == null) throw missing(key);
    await checkValue(key, rule, value);
  }
}

/** Role lists may be given as functions, resolved on each call. */
async function resolveRoles(
  where: string,
  key: string,
  roles: string[] | (() => string[] | Promise<string[]>),
): Promise<readonly string[]> {
  if (typeof roles !== 'function') return roles;
  const resolved: unknown = await roles();
  // A wrong return is a mistake in host code, not the client's: report it as such.
  if (!isStringArray(resolved)) throw new BackendConfigError([`${where}: ${key} must return an array of role names`]);
  return resolved;
}

async function checkRoles(where: string, options: ValidatorOptions, target: ValidationTarget): Promise<void> {
  const { requireAnyUserRoles: anyOf, requireAllUserRoles: allOf } = options;
  if (anyOf !== undefined) {
    const required = await resolveRoles(where, 'requireAnyUserRoles', anyOf);
    if (!required.some((role) => target.roles.includes(role))) {
      throw validationError('Validation failed. User does not match the required roles.');
    }
  }
  if (allOf !== undefined) {
    const required = await resolveRoles(where, 'requireAllUserRoles', allOf);
    if (!required.every((role) => target.roles.includes(role))) {
      throw validationError('Validation failed. User does not match all the required roles.');
    }
  }
}

async function checkUserKeys(keys: string[] | Record<string, FieldRule>, target: ValidationTarget): Promise<void> {
  const names = Array.isArray(keys) ? keys : Object.keys(keys);
  if (names.length === 0) return;
  const { user } = target;
  if (user === undefined) throw validationError('Please login to make this request.');
  const missing = (key: string): BackendError =>
    validationError(`Validation failed. Please set data for ${key} on your account.`);
  if (Array.isArray(keys)) {
    for (const key of keys) if (user.get(key) == null) throw missing(key);
    return;
  }
  for (const [key, rule] of Object.entries(keys)) {
    const value = user.get(key);
    if (rule.required && value == null) throw missing(key);
    await checkValue(key, rule, value);
  }
}

async function runOptions(
  where: string,
  options: ValidatorOptions,
  limiter: RateLimiter | undefined,
  target: ValidationTarget,
): Promise<'run' | 'skip'> {
  const { rateLimit } = options;
  // Counted before anything else, so that refused and master calls use up the window as well.
  // Only calls from a client are counted: host code and hooks using the data API have no address.
  if (
    limiter !== undefined &&
    rateLimit !== undefined &&
    target.rateKey !== undefined &&
    (!target.master || rateLimit.includeMasterKey)
  ) {
    if (!limiter.take(target.rateKey)) {
      throw new BackendError(ErrorCode.CONNECTION_FAILED, rateLimit.errorResponseMessage ?? 'Too many requests.', {
        status: 429,
      });
    }
  }
  // With the master key the checks apply only under validateMasterKey; skipWithMasterKey then skips
  // the handler once they passed, as parse-server orders them.
  const skip = options.skipWithMasterKey && target.master ? 'skip' : 'run';
  if (target.master && !options.validateMasterKey) return skip;

  if (
    (options.requireUser || options.requireAnyUserRoles !== undefined || options.requireAllUserRoles !== undefined) &&
    target.user === undefined
  ) {
    throw validationError('Validation failed. Please login to continue.');
  }
  if (options.requireMaster && !target.master) {
    throw validationError('Validation failed. Master key is required to complete this request.');
  }
  if (options.fields !== undefined) await checkFields(options.fields, target);
  try {
    await checkRoles(where, options, target);
  } catch (err) {
    // A role function's throw maps like a validator function's; a wrong return stays a host error.
    throw err instanceof BackendConfigError ? err : thrownError(err);
  }
  if (options.requireUserKeys !== undefined) await checkUserKeys(options.requireUserKeys, target);
  return skip;
}

/**
 * Checks `validator` (see {@link checkValidator}) and prepares it to run before a handler. Returns
 * undefined when there is none. Rate-limit counters belong to the returned value, so prepare once
 * per registration.
 */
export function prepareValidator<R = unknown>(
  where: string,
  validator: Validator<R> | undefined,
): PreparedValidator | undefined {
  checkValidator(where, validator);
  if (validator === undefined) return undefined;
  if (typeof validator === 'function') {
    const fn = validator as (request: unknown) => unknown;
    return {
      async run(request) {
        try {
          await fn(request);
        } catch (err) {
          throw thrownError(err);
        }
        return 'run';
      },
    };
  }
  const options = validator;
  const limiter = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit);
  return {
    run: (_request, target) => runOptions(where, options, limiter, target),
  };
}
