/**
 * The options of email verification, password reset and the pages their links open, checked as
 * parse-server 9 checks them (`Config.validatePasswordPolicy`, `validateEmailConfiguration`,
 * `validatePagesOptions`): each problem is worded as parse-server words it, so a message a
 * parse-server app already knows keeps its meaning. The email adapter is loaded in parse-server's
 * shapes: an object, `{ module, options }`, a module name, or a factory.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  BackendConfig,
  CustomPagesOptions,
  EmailAdapter,
  EmailCondition,
  PagesOptions,
  PasswordPolicy,
  ResolvedPages,
} from './options.js';
import { loadAdapter } from './load-adapter.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  Object.prototype.toString.call(value) === '[object Object]';

/** parse-server's `validatePasswordPolicy` messages. */
function passwordPolicyProblems(policy: PasswordPolicy | undefined): string[] {
  if (policy === undefined) return [];
  if (!isPlainObject(policy)) return ['passwordPolicy must be an object.'];
  const p = policy as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set([
    'validatorPattern',
    'validatorCallback',
    'validationError',
    'doNotAllowUsername',
    'maxPasswordAge',
    'maxPasswordHistory',
    'resetTokenValidityDuration',
    'resetTokenReuseIfValid',
    'resetPasswordSuccessOnInvalidEmail',
  ]);
  for (const key of Object.keys(p)) if (!known.has(key)) problems.push(`passwordPolicy.${key}: unknown option`);
  if (p.maxPasswordAge !== undefined && (typeof p.maxPasswordAge !== 'number' || p.maxPasswordAge < 0))
    problems.push('passwordPolicy.maxPasswordAge must be a positive number');
  const duration = p.resetTokenValidityDuration;
  if (duration !== undefined && (typeof duration !== 'number' || !(duration > 0)))
    problems.push('passwordPolicy.resetTokenValidityDuration must be a positive number');
  if (p.validatorPattern !== undefined && !(p.validatorPattern instanceof RegExp)) {
    let valid = typeof p.validatorPattern === 'string';
    if (valid) {
      try {
        new RegExp(p.validatorPattern as string);
      } catch {
        valid = false;
      }
    }
    if (!valid) problems.push('passwordPolicy.validatorPattern must be a regex string or RegExp object.');
  }
  if (p.validatorCallback !== undefined && typeof p.validatorCallback !== 'function')
    problems.push('passwordPolicy.validatorCallback must be a function.');
  if (p.validationError !== undefined && typeof p.validationError !== 'string')
    problems.push('passwordPolicy.validationError must be a string.');
  if (p.doNotAllowUsername !== undefined && typeof p.doNotAllowUsername !== 'boolean')
    problems.push('passwordPolicy.doNotAllowUsername must be a boolean value.');
  const history = p.maxPasswordHistory;
  if (history !== undefined && (!Number.isInteger(history) || (history as number) < 0 || (history as number) > 20))
    problems.push('passwordPolicy.maxPasswordHistory must be an integer ranging 0 - 20');
  if (p.resetTokenReuseIfValid !== undefined && typeof p.resetTokenReuseIfValid !== 'boolean')
    problems.push('resetTokenReuseIfValid must be a boolean value');
  if (p.resetTokenReuseIfValid === true && !duration)
    problems.push('You cannot use resetTokenReuseIfValid without resetTokenValidityDuration');
  if (p.resetPasswordSuccessOnInvalidEmail !== undefined && typeof p.resetPasswordSuccessOnInvalidEmail !== 'boolean')
    problems.push('resetPasswordSuccessOnInvalidEmail must be a boolean value');
  return problems;
}

function isCondition(value: unknown): value is EmailCondition {
  return typeof value === 'boolean' || typeof value === 'function';
}

/** parse-server's `validatePublicServerURL`. */
function publicServerURLProblems(url: unknown): string[] {
  if (url === undefined) return [];
  if (typeof url !== 'string')
    return [`The option publicServerURL must be a string or function, but got ${typeof url}.`];
  if (!/^https?:\/\//.test(url))
    return ['The option publicServerURL must be a valid URL starting with http:// or https://.'];
  return [];
}

/** parse-server's `validateEmailConfiguration`, run when `verifyUserEmails` is set. */
function emailConfigurationProblems(config: BackendConfig, adapter: unknown): string[] {
  if (!adapter) return ['An emailAdapter is required for e-mail verification and password resets.'];
  if (typeof config.appName !== 'string')
    return ['An app name is required for e-mail verification and password resets.'];
  if (config.publicServerURL === undefined) return ['The option publicServerURL is required.'];
  return [];
}

/** The email options' own problems, whether or not emails are verified. */
function emailOptionProblems(config: BackendConfig): string[] {
  const problems: string[] = [];
  if (config.appName !== undefined && (typeof config.appName !== 'string' || config.appName === ''))
    problems.push('appName must be a non-empty string.');
  if (config.verifyUserEmails !== undefined && !isCondition(config.verifyUserEmails))
    problems.push('verifyUserEmails must be a boolean value or a function.');
  if (config.preventLoginWithUnverifiedEmail !== undefined && !isCondition(config.preventLoginWithUnverifiedEmail))
    problems.push('preventLoginWithUnverifiedEmail must be a boolean value or a function.');
  if (
    config.preventSignupWithUnverifiedEmail !== undefined &&
    typeof config.preventSignupWithUnverifiedEmail !== 'boolean'
  )
    problems.push('preventSignupWithUnverifiedEmail must be a boolean value');
  const duration = config.emailVerifyTokenValidityDuration;
  if (duration !== undefined) {
    if (typeof duration !== 'number' || Number.isNaN(duration))
      problems.push('Email verify token validity duration must be a valid number.');
    else if (duration <= 0) problems.push('Email verify token validity duration must be a value greater than 0.');
  }
  if (config.emailVerifyTokenReuseIfValid !== undefined && typeof config.emailVerifyTokenReuseIfValid !== 'boolean')
    problems.push('emailVerifyTokenReuseIfValid must be a boolean value');
  if (config.emailVerifyTokenReuseIfValid === true && !duration)
    problems.push('You cannot use emailVerifyTokenReuseIfValid without emailVerifyTokenValidityDuration');
  if (
    config.emailVerifySuccessOnInvalidEmail !== undefined &&
    typeof config.emailVerifySuccessOnInvalidEmail !== 'boolean'
  )
    problems.push('emailVerifySuccessOnInvalidEmail must be a boolean value');
  return problems;
}

const PAGE_BOOLEANS = ['enableLocalization', 'forceRedirect', 'encodePageParamHeaders'] as const;
const PAGE_STRINGS = ['localizationJsonPath', 'localizationFallbackLocale', 'pagesPath', 'pagesEndpoint'] as const;
const PAGE_KEYS = new Set<string>([
  ...PAGE_BOOLEANS,
  ...PAGE_STRINGS,
  'placeholders',
  'customUrls',
  'customRoutes',
  'enableRouter',
]);

/** parse-server's `validatePagesOptions` and `validateCustomPages`. */
function pagesProblems(pages: unknown, customPages: unknown): string[] {
  const problems: string[] = [];
  if (customPages !== undefined && !isPlainObject(customPages))
    problems.push('Parse Server option customPages must be an object.');
  else if (customPages !== undefined) {
    for (const [key, value] of Object.entries(customPages))
      if (typeof value !== 'string') problems.push(`customPages.${key} must be a string.`);
  }
  if (pages === undefined) return problems;
  if (!isPlainObject(pages)) return [...problems, 'Parse Server option pages must be an object.'];
  for (const key of Object.keys(pages)) if (!PAGE_KEYS.has(key)) problems.push(`pages.${key}: unknown option`);
  for (const key of PAGE_BOOLEANS)
    if (pages[key] !== undefined && typeof pages[key] !== 'boolean')
      problems.push(`Parse Server option pages.${key} must be a boolean.`);
  for (const key of PAGE_STRINGS)
    if (pages[key] !== undefined && typeof pages[key] !== 'string')
      problems.push(`Parse Server option pages.${key} must be a string.`);
  if (typeof pages.pagesEndpoint === 'string' && !/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(pages.pagesEndpoint))
    problems.push('pages.pagesEndpoint must be a path of letters, digits, - and _.');
  if (
    pages.placeholders !== undefined &&
    !isPlainObject(pages.placeholders) &&
    typeof pages.placeholders !== 'function'
  )
    problems.push('Parse Server option pages.placeholders must be an object or a function.');
  if (pages.customUrls !== undefined && !isPlainObject(pages.customUrls))
    problems.push('Parse Server option pages.customUrls must be an object.');
  if (pages.customRoutes !== undefined && !Array.isArray(pages.customRoutes))
    problems.push('Parse Server option pages.customRoutes must be an array.');
  for (const route of Array.isArray(pages.customRoutes) ? (pages.customRoutes as unknown[]) : []) {
    const r = route as Record<string, unknown> | null;
    if (
      !isPlainObject(r) ||
      typeof r.method !== 'string' ||
      typeof r.path !== 'string' ||
      typeof r.handler !== 'function'
    )
      problems.push('pages.customRoutes: each route needs a method, a path and a handler function.');
  }
  if (pages.enableRouter !== undefined && pages.enableRouter !== true)
    problems.push('pages.enableRouter: the pages router is always on (as in parse-server 9); remove the option.');
  return problems;
}

/** Whether a loaded adapter can send: parse-server's `sendMail`, or both of Plinth's messages. */
function isUsableAdapter(adapter: unknown): adapter is EmailAdapter {
  if (adapter === null || typeof adapter !== 'object') return false;
  const a = adapter as Record<string, unknown>;
  const both = typeof a.sendVerificationEmail === 'function' && typeof a.sendPasswordResetEmail === 'function';
  return typeof a.sendMail === 'function' || both;
}

/** Loads the adapter; its problems, or the adapter itself (null when none is configured). */
export function resolveEmailAdapter(config: BackendConfig): { adapter: EmailAdapter | null; problems: string[] } {
  if (config.emailAdapter === undefined || config.emailAdapter === null) return { adapter: null, problems: [] };
  let loaded: unknown;
  try {
    loaded = loadAdapter(config.emailAdapter);
  } catch (err) {
    return { adapter: null, problems: [`emailAdapter: could not be loaded (${String(err)})`] };
  }
  if (!isUsableAdapter(loaded))
    return {
      adapter: null,
      problems: [
        'emailAdapter: must have a sendMail(options) function, or sendVerificationEmail(message) and sendPasswordResetEmail(message)',
      ],
    };
  return { adapter: loaded, problems: [] };
}

/** Every problem of the email and pages options, in parse-server's words where it has them. */
export function emailAndPagesProblems(config: BackendConfig, adapter: EmailAdapter | null): string[] {
  const problems = [
    ...passwordPolicyProblems(config.passwordPolicy),
    ...publicServerURLProblems(config.publicServerURL),
    ...emailOptionProblems(config),
    ...pagesProblems(config.pages, config.customPages),
  ];
  if (config.verifyUserEmails !== undefined && config.verifyUserEmails !== false)
    problems.push(...emailConfigurationProblems(config, adapter ?? config.emailAdapter));
  return problems;
}

/** The default page files: this package's own `pages/` folder. */
const DEFAULT_PAGES_PATH = fileURLToPath(new URL('../../pages', import.meta.url));

/** `pages` with parse-server's defaults applied. */
export function resolvePages(
  pages: PagesOptions | undefined,
  customPages: CustomPagesOptions | undefined,
): ResolvedPages {
  const given = pages ?? {};
  // Relative paths from the host's working folder, as parse-server resolves them.
  const pagesPath = given.pagesPath ? resolve(given.pagesPath) : DEFAULT_PAGES_PATH;
  return Object.freeze({
    enableLocalization: given.enableLocalization ?? false,
    localizationJsonPath: given.localizationJsonPath ? resolve(given.localizationJsonPath) : undefined,
    localizationFallbackLocale: given.localizationFallbackLocale ?? 'en',
    placeholders: given.placeholders ?? {},
    forceRedirect: given.forceRedirect ?? false,
    pagesPath,
    pagesEndpoint: given.pagesEndpoint ?? 'apps',
    customUrls: Object.freeze({ ...given.customUrls }),
    customRoutes: Object.freeze([...(given.customRoutes ?? [])]),
    encodePageParamHeaders: given.encodePageParamHeaders ?? false,
    customPages: Object.freeze({ ...customPages }),
  });
}
