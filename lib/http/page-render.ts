/**
 * How a page of the email flows is answered, as parse-server 9's PagesRouter answers it: the page
 * file of `pages.pagesPath` (localized from a `<locale>` or `<language>` subfolder) with its
 * `{{placeholders}}` filled, or a redirect (303) to it or to a URL of the host's own
 * (`pages.customUrls`, or parse-server 7's `customPages` with 302). Every value put into a page is
 * HTML-escaped, files are read from inside `pagesPath` only, and pages are sent with a strict
 * Content-Security-Policy, no caching and no referrer (links carry tokens).
 */
import { readFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { lookup } from 'mime-types';
import type { Request, Response } from 'express';
import type { PageId, ResolvedConfig, ResolvedPages } from '../config/options.js';
import { BackendConfigError } from '../errors/backend-error.js';

/** Each page and its file (parse-server's file names, so that its page folders work as they are). */
export const PAGE_FILES: Readonly<Record<PageId, string>> = {
  passwordReset: 'password_reset.html',
  passwordResetSuccess: 'password_reset_success.html',
  passwordResetLinkInvalid: 'password_reset_link_invalid.html',
  emailVerificationSuccess: 'email_verification_success.html',
  emailVerificationSendFail: 'email_verification_send_fail.html',
  emailVerificationSendSuccess: 'email_verification_send_success.html',
  emailVerificationLinkInvalid: 'email_verification_link_invalid.html',
  emailVerificationLinkExpired: 'email_verification_link_expired.html',
};

/** parse-server 7's `customPages` key for each page. */
const CUSTOM_PAGES: Readonly<Record<PageId, readonly (keyof ResolvedPages['customPages'])[]>> = {
  passwordReset: ['choosePassword'],
  passwordResetSuccess: ['passwordResetSuccess'],
  passwordResetLinkInvalid: ['invalidPasswordResetLink', 'invalidLink'],
  emailVerificationSuccess: ['verifyEmailSuccess'],
  emailVerificationSendFail: ['linkSendFail'],
  emailVerificationSendSuccess: ['linkSendSuccess'],
  emailVerificationLinkInvalid: ['invalidVerificationLink', 'invalidLink'],
  emailVerificationLinkExpired: ['expiredVerificationLink'],
};

/** The parameters of a page: its placeholders, its redirect's query, its `x-parse-page-param-*` headers. */
export type PageParams = Record<string, string | undefined>;

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
} as const;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Fills `{{name}}` (and `{{{name}}}`, `{{& name}}`) with the value of `name`, always escaped: a
 * page file cannot ask for a value to be inserted raw. Unknown names become empty.
 */
export function fillPlaceholders(template: string, values: Readonly<Record<string, unknown>>, escape: boolean): string {
  return template.replace(/\{\{\{?\s*&?\s*([A-Za-z0-9_.-]+)\s*\}?\}\}/g, (_match, name: string) => {
    const value = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    const text = value === undefined || value === null ? '' : String(value as string);
    return escape ? escapeHtml(text) : text;
  });
}

/** The request's locale (query, body, then header), when it has a locale's shape. */
export function localeOf(req: Request): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const locale: unknown = req.query.locale ?? body.locale ?? req.headers['x-parse-page-param-locale'];
  return typeof locale === 'string' && /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(locale) ? locale : undefined;
}

/** The page parameters every page gets; null when one is missing (the page then answers 404). */
export function defaultParams(config: ResolvedConfig): PageParams | null {
  const { appId, appName, publicServerURL } = config;
  if (appName === undefined || publicServerURL === undefined) return null;
  return { appId, appName, publicServerUrl: publicServerURL };
}

/** The path of a file of the pages folder, or null when it would lie outside it (`..`, absolute paths). */
function pagePath(pages: ResolvedPages, relative: string): string | null {
  const root = normalize(pages.pagesPath);
  const path = normalize(join(root, relative));
  return path.startsWith(root + sep) ? path : null;
}

/** A file of the pages folder; null when missing or outside it. */
async function readPageFile(pages: ResolvedPages, relative: string): Promise<Buffer | null> {
  const path = pagePath(pages, relative);
  if (
    path === null ||
    !(await stat(path).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    return null;
  return readFile(path).catch(() => null);
}

async function exists(pages: ResolvedPages, relative: string): Promise<boolean> {
  const path = pagePath(pages, relative);
  return (
    path !== null &&
    (await stat(path).then(
      (s) => s.isFile(),
      () => false,
    ))
  );
}

/** The subfolder of the page's localized file (`de-AT`, else `de`), if there is one. */
async function localizedFolder(pages: ResolvedPages, file: string, locale: string | undefined) {
  if (!pages.enableLocalization || !locale) return undefined;
  if (await exists(pages, join(locale, file))) return locale;
  const language = locale.split('-')[0]!;
  return (await exists(pages, join(language, file))) ? language : undefined;
}

/** The translations of `pages.localizationJsonPath`, read once per backend. */
const translationFiles = new WeakMap<ResolvedPages, Record<string, { translation?: Record<string, string> }>>();

/** Reads the translations file at startup, so that a bad path fails there and not on a page. */
export function loadTranslations(pages: ResolvedPages): void {
  if (!pages.localizationJsonPath) return;
  try {
    translationFiles.set(pages, JSON.parse(readFileSync(pages.localizationJsonPath, 'utf8')) as never);
  } catch (err) {
    throw new BackendConfigError([`pages.localizationJsonPath: failed to load JSON file (${String(err)})`]);
  }
}

function translations(pages: ResolvedPages, locale: string | undefined, params: PageParams): Record<string, string> {
  const json = translationFiles.get(pages);
  if (!json || !pages.enableLocalization) return {};
  const wanted = locale ?? pages.localizationFallbackLocale;
  const language = wanted.split('-')[0]!;
  const own = (key: string) => (Object.prototype.hasOwnProperty.call(json, key) ? json[key] : undefined);
  const entry = own(wanted) ?? own(language) ?? own(pages.localizationFallbackLocale);
  const out: Record<string, string> = {};
  for (const [key, text] of Object.entries(entry?.translation ?? {}))
    if (typeof text === 'string') out[key] = fillPlaceholders(text, params, false);
  return out;
}

async function hostPlaceholders(pages: ResolvedPages, params: PageParams): Promise<Record<string, unknown>> {
  const given = typeof pages.placeholders === 'function' ? await pages.placeholders(params) : pages.placeholders;
  return given !== null && typeof given === 'object' ? (given as Record<string, unknown>) : {};
}

/** The `x-parse-page-param-*` headers: the page's parameters for programs reading the answer. */
function paramHeaders(pages: ResolvedPages, params: PageParams): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const text = pages.encodePageParamHeaders ? encodeURIComponent(value) : value;
    // Only what a header may hold: no control characters (they would break the answer).
    headers[`x-parse-page-param-${name.toLowerCase()}`] = text.replace(/[^\x20-\x7e\xa0-\xff]/g, '');
  }
  return headers;
}

export function notFound(res: Response): void {
  res.status(404).set(SECURITY_HEADERS).type('text/plain').send('Not found.');
}

/** Sends a page file with its placeholders filled; 404 when the file is missing. */
export async function sendPageFile(res: Response, config: ResolvedConfig, file: string, params: PageParams) {
  const { pages } = config;
  const content = await readPageFile(pages, file);
  if (content === null) return notFound(res);
  const template = content.toString('utf8');
  const values = {
    ...params,
    ...(await hostPlaceholders(pages, params)),
    ...translations(pages, params.locale, params),
  };
  res
    .status(200)
    .set(SECURITY_HEADERS)
    .set(paramHeaders(pages, params))
    .type('html')
    .send(fillPlaceholders(template, values, true));
}

function redirect(res: Response, config: ResolvedConfig, to: string, params: PageParams, status: number): void {
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    return notFound(res);
  }
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  res.status(status).set(SECURITY_HEADERS).set(paramHeaders(config.pages, params)).location(url.toString()).end();
}

/**
 * Answers with a page: its content, or a redirect to it when `forceRedirect` is on or the answer
 * is to a POST (post/redirect/get), unless `asContent` decides; a URL of the host's own for the
 * page always redirects.
 */
export async function goToPage(
  req: Request,
  res: Response,
  config: ResolvedConfig,
  page: PageId | { file: string },
  options: { params?: PageParams; asContent?: boolean } = {},
): Promise<void> {
  const { pages } = config;
  const defaults = defaultParams(config);
  if (!defaults) return notFound(res);
  const locale = localeOf(req);
  const params: PageParams = { ...options.params, ...defaults, locale };
  const file = typeof page === 'string' ? PAGE_FILES[page] : page.file;
  if (typeof page === 'string') {
    const customUrl = pages.customUrls[page];
    if (customUrl && /^https?:\/\//.test(customUrl)) return redirect(res, config, customUrl, params, 303);
    const legacyUrl = CUSTOM_PAGES[page].map((key) => pages.customPages[key]).find((url) => url);
    if (legacyUrl) return redirect(res, config, legacyUrl, params, 302);
  }
  const folder = await localizedFolder(pages, file, locale);
  const asRedirect =
    pages.forceRedirect || (options.asContent === undefined ? req.method === 'POST' : !options.asContent);
  if (asRedirect) {
    const path = [pages.pagesEndpoint, folder, file].filter((part) => part !== undefined).join('/');
    return redirect(res, config, `${config.publicServerURL}/${path}`, params, 303);
  }
  await sendPageFile(res, config, folder ? join(folder, file) : file, params);
}

/** A file of the pages folder under the pages endpoint: HTML filled in like a page, anything else as it is. */
export async function sendStaticFile(req: Request, res: Response, config: ResolvedConfig, relative: string) {
  if (!relative.endsWith('.html')) {
    const content = await readPageFile(config.pages, relative);
    if (content === null) return notFound(res);
    res
      .status(200)
      .set(SECURITY_HEADERS)
      .type(lookup(relative) || 'application/octet-stream')
      .send(content);
    return;
  }
  const locale = localeOf(req);
  const ownApp = req.query.appId === config.appId;
  const params: PageParams = { ...(ownApp ? (defaultParams(config) ?? {}) : {}), ...(locale ? { locale } : {}) };
  await sendPageFile(res, config, relative, params);
}
