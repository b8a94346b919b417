/**
 * Sending the emails of the email flows: the configuration they need (parse-server's rule: an
 * `appName`, a `publicServerURL` and an `emailAdapter`), the links they carry, the adapter call in
 * parse-server's shapes (`sendVerificationEmail`/`sendPasswordResetEmail`, else `sendMail`), and
 * the boolean-or-function options that decide per user.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { EmailAdapter, EmailCondition, EmailConditionRequest, EmailRecipient } from '../config/options.js';
import type { ResolvedConfig } from '../config/options.js';
import type { OperationContext } from '../services.js';
import type { RestObject } from '../storage/storage.js';

/** What the email flows need; 1 (INTERNAL_SERVER_ERROR) without it, as parse-server answers. */
export interface EmailSetup {
  appName: string;
  publicServerURL: string;
  adapter: EmailAdapter;
}

/** The email configuration, or null when part of it is missing. */
export function emailSetup(config: ResolvedConfig): EmailSetup | null {
  const { appName, publicServerURL, emailAdapter } = config;
  if (typeof appName !== 'string' || publicServerURL === undefined || !emailAdapter) return null;
  return { appName, publicServerURL, adapter: emailAdapter };
}

/** {@link emailSetup}, or the error parse-server answers an email request with. */
export function requireEmailSetup(config: ResolvedConfig): EmailSetup {
  const setup = emailSetup(config);
  if (!setup)
    throw new BackendError(
      ErrorCode.INTERNAL_SERVER_ERROR,
      'An appName, publicServerURL, and emailAdapter are required for password reset and email verification functionality.',
    );
  return setup;
}

/** The page a link opens: `<publicServerURL>/<pagesEndpoint>/<appId>/<page>`. */
function pageUrl(config: ResolvedConfig, setup: EmailSetup, page: string): string {
  return `${setup.publicServerURL}/${config.pages.pagesEndpoint}/${encodeURIComponent(config.appId)}/${page}`;
}

/**
 * The link of an email. With `customPages.parseFrameURL`, the link opens that page of the host's
 * with the page's path in `link`, as parse-server builds it.
 */
export function emailLink(config: ResolvedConfig, page: 'verify_email' | 'request_password_reset', token: string) {
  const setup = requireEmailSetup(config);
  const destination = pageUrl(config, setup, page);
  const query = `token=${encodeURIComponent(token)}`;
  const frame = config.pages.customPages.parseFrameURL;
  if (!frame) return `${destination}?${query}`;
  const path = destination.slice(setup.publicServerURL.length);
  return `${frame}?link=${encodeURIComponent(path)}&${query}`;
}

/** The user an email is for: its public fields, readable like a Parse.User. */
export function recipient(user: RestObject): EmailRecipient {
  const fields = Object.freeze({ ...user });
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return Object.freeze({
    objectId: String(user.objectId),
    id: String(user.objectId),
    username: text(user.username),
    email: text(user.email),
    get: (key: string): unknown => fields[key],
    toJSON: () => ({ ...fields }),
  });
}

/** The subjects parse-server gives a `sendMail`-only adapter's messages (mail filters may match on them). */
const SUBJECTS = {
  sendVerificationEmail: (appName: string) => `Please verify your e-mail for ${appName}`,
  sendPasswordResetEmail: (appName: string) => `Password Reset for ${appName}`,
};

function plainText(kind: keyof typeof SUBJECTS, appName: string, to: RestObject, link: string): string {
  if (kind === 'sendVerificationEmail')
    return `Hello,\n\nplease confirm that ${String(to.email)} is your address for ${appName} by opening this link:\n${link}\n`;
  const name = typeof to.username === 'string' ? ` (username: ${to.username})` : '';
  return `Hello,\n\na new password was asked for your ${appName} account${name}. Choose it here:\n${link}\n\nIf you did not ask for it, ignore this email.\n`;
}

/**
 * Sends one email through the adapter. Its failures are logged: the client's request itself
 * succeeded (parse-server does not wait for the adapter either).
 */
export async function sendEmail(
  ctx: OperationContext,
  kind: 'sendVerificationEmail' | 'sendPasswordResetEmail',
  user: RestObject,
  link: string,
): Promise<void> {
  const { config } = ctx.services;
  const { adapter, appName } = requireEmailSetup(config);
  try {
    if (typeof adapter[kind] === 'function') {
      await adapter[kind]({ appName, link, user: recipient(user) });
      return;
    }
    const to = kind === 'sendPasswordResetEmail' ? (user.email ?? user.username) : user.email;
    await adapter.sendMail?.({
      to: String(to),
      subject: SUBJECTS[kind](appName),
      text: plainText(kind, appName, user, link),
    });
  } catch (err) {
    config.logger.error(`${kind} failed`, { userId: user.objectId, error: String(err) });
  }
}

/** Whether a boolean-or-function option holds for this request (a function must return true). */
export async function conditionHolds(
  condition: EmailCondition,
  request: () => EmailConditionRequest,
): Promise<boolean> {
  if (typeof condition !== 'function') return condition === true;
  return (await condition(request())) === true;
}
