/**
 * The pages email links open, on parse-server 9's routes under `pages.pagesEndpoint` (`apps`):
 * `GET /apps/:appId/verify_email`, `POST /apps/:appId/resend_verification_email`,
 * `GET /apps/choose_password`, `GET|POST /apps/:appId/request_password_reset`, the host's
 * `pages.customRoutes`, and the files of the pages folder. Another app id answers 403; without
 * `appName` or `publicServerURL` the pages answer 404, as in parse-server. The flows themselves are
 * in users/email-flows.ts; page-render.ts answers with the page.
 */
import express, { type Request, type Response, type Router } from 'express';
import { PUBLIC_AUTH } from '../access/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext, Services } from '../services.js';
import { resendVerificationEmail, resetPassword, resetTokenHolder, verifyEmail } from '../users/email-flows.js';
import { sendError } from './error-body.js';
import { goToPage, loadTranslations, notFound, sendStaticFile, type PageParams } from './page-render.js';

function context(services: Services, req: Request): OperationContext {
  return { services, caller: { auth: PUBLIC_AUTH, context: {}, headers: req.headers, ip: req.ip } };
}

/** A string parameter of the query or body, or undefined (never an object: it may reach a query). */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

type PageHandler = (req: Request, res: Response) => Promise<void>;

/** Adds the pages to `router`. */
export function mountPages(router: Router, services: Services, beforeRequest: () => Promise<void>): void {
  const { config } = services;
  const { pages } = config;
  loadTranslations(pages);
  const base = `/${pages.pagesEndpoint}`;
  const bodies = [express.urlencoded({ extended: false, limit: '10kb' }), express.json({ limit: '10kb' })] as const;
  /** Runs a page handler for this app only (403 for another app id, as parse-server answers). */
  const forApp =
    (appIdOf: (req: Request) => unknown, handler: PageHandler) =>
    (req: Request, res: Response): void => {
      if (appIdOf(req) !== config.appId) {
        res.status(403).json({ error: 'unauthorized' });
        return;
      }
      beforeRequest()
        .then(() => handler(req, res))
        .catch((err: unknown) => sendError(res, err, config.logger));
    };
  const byPath = (req: Request) => req.params.appId;

  router.get(
    `${base}/:appId/verify_email`,
    forApp(byPath, async (req, res) => {
      const token = text(req.query.token);
      const ok = token !== undefined && (await verifyEmail(context(services, req), token));
      await goToPage(req, res, config, ok ? 'emailVerificationSuccess' : 'emailVerificationLinkInvalid');
    }),
  );

  router.post(
    `${base}/:appId/resend_verification_email`,
    ...bodies,
    forApp(byPath, async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const username = text(body.username);
      if (username === undefined && text(body.token) === undefined)
        return goToPage(req, res, config, 'emailVerificationLinkInvalid');
      const sent = await resendVerificationEmail(context(services, req), username).then(
        () => true,
        (err: unknown) => {
          if (!(err instanceof BackendError)) throw err;
          return false;
        },
      );
      const page =
        sent || config.emailVerifySuccessOnInvalidEmail ? 'emailVerificationSendSuccess' : 'emailVerificationSendFail';
      await goToPage(req, res, config, page);
    }),
  );

  router.get(
    `${base}/choose_password`,
    forApp(
      (req) => req.query.appId,
      (req, res) =>
        goToPage(req, res, config, 'passwordReset', {
          params: { token: text(req.query.token), username: text(req.query.username) },
        }),
    ),
  );

  router.get(
    `${base}/:appId/request_password_reset`,
    forApp(byPath, async (req, res) => {
      const token = text(req.query.token);
      const holder = token === undefined ? null : await resetTokenHolder(context(services, req), token);
      if (!holder) return goToPage(req, res, config, 'passwordResetLinkInvalid');
      await goToPage(req, res, config, 'passwordReset', { params: { token } });
    }),
  );

  router.post(
    `${base}/:appId/request_password_reset`,
    ...bodies,
    forApp(byPath, async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const token = text(body.token);
      const password = text(body.new_password);
      // A script (X-Requested-With) gets JSON; a form gets pages.
      const xhr = req.xhr;
      if (!xhr && (token === undefined || password === undefined))
        return goToPage(req, res, config, 'passwordResetLinkInvalid');
      if (token === undefined) throw new BackendError(ErrorCode.OTHER_CAUSE, 'Missing token');
      if (password === undefined) throw new BackendError(ErrorCode.PASSWORD_MISSING, 'Missing password');
      const failure = await resetPassword(context(services, req), token, password).then(
        () => null,
        (err: unknown) => {
          if (!(err instanceof BackendError)) throw err;
          return err.message;
        },
      );
      if (xhr) {
        if (failure !== null) throw new BackendError(ErrorCode.OTHER_CAUSE, failure);
        res.status(200).json('Password successfully reset');
        return;
      }
      if (failure === null) return goToPage(req, res, config, 'passwordResetSuccess', { asContent: true });
      await goToPage(req, res, config, 'passwordReset', { params: { token, error: failure }, asContent: true });
    }),
  );

  for (const route of pages.customRoutes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    router[method](
      `${base}/:appId/${route.path}`,
      ...bodies,
      forApp(byPath, async (req, res) => {
        const result = (await route.handler(req)) as { file?: unknown; query?: PageParams } | undefined;
        if (!result || typeof result.file !== 'string') return notFound(res);
        await goToPage(req, res, config, { file: result.file }, { params: result.query ?? {}, asContent: true });
      }),
    );
  }

  // Any other file of the pages folder (styles, images, pages of the host's own).
  router.get(`${base}/*path`, (req: Request, res: Response) => {
    const parts = (req.params as unknown as { path: string[] }).path;
    sendStaticFile(req, res, config, parts.join('/')).catch((err: unknown) => sendError(res, err, config.logger));
  });
}
