/**
 * The pages email links open: verify an email, choose a new password. Plain HTML with every
 * dynamic value escaped, a strict Content-Security-Policy, no caching, and no referrer (the token
 * is in the URL).
 */
import express, { type Request, type Response, type Router } from 'express';
import { isResetTokenValid, resetPassword, verifyEmail } from '../users/email-flows.js';
import { PUBLIC_AUTH } from '../access/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import type { OperationContext, Services } from '../services.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    })
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family: sans-serif; max-width: 32em; margin: 3em auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    );
}

function context(services: Services, req: Request): OperationContext {
  return { services, caller: { auth: PUBLIC_AUTH, context: {}, headers: req.headers, ip: req.ip } };
}

function resetForm(token: string, error?: string): string {
  return (
    `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}<form method="post"><input type="hidden" name="token" value="${escapeHtml(token)}">` +
    '<label>New password <input type="password" name="new_password" autocomplete="new-password" required></label> <button type="submit">Save</button></form>'
  );
}

/** Adds the /apps/:appId pages to `router`. */
export function mountPages(router: Router, services: Services, beforeRequest: () => Promise<void>): void {
  const { appName, appId } = services.config;
  const guard =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response): void => {
      if (req.params.appId !== appId) {
        page(res, 404, 'Not found', '<p>There is no such page.</p>');
        return;
      }
      beforeRequest()
        .then(() => handler(req, res))
        .catch(() => page(res, 503, 'Try again later', '<p>The service is unavailable; please try again shortly.</p>'));
    };
  router.get(
    '/apps/:appId/verify_email',
    guard(async (req, res) => {
      const ok = await verifyEmail(context(services, req), req.query.token);
      if (ok)
        page(
          res,
          200,
          `${appName}: email verified`,
          '<p>Your email address has been verified. You can close this page.</p>',
        );
      else
        page(
          res,
          400,
          `${appName}: invalid link`,
          '<p>This verification link is invalid, already used or expired.</p>',
        );
    }),
  );
  router.get(
    '/apps/:appId/request_password_reset',
    guard(async (req, res) => {
      const token = req.query.token;
      if (typeof token === 'string' && (await isResetTokenValid(context(services, req), token)))
        page(res, 200, `${appName}: choose a new password`, resetForm(token));
      else
        page(
          res,
          400,
          `${appName}: invalid link`,
          '<p>This password reset link is invalid, already used or expired.</p>',
        );
    }),
  );
  router.post(
    '/apps/:appId/request_password_reset',
    express.urlencoded({ extended: false, limit: '10kb' }),
    guard(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      try {
        await resetPassword(context(services, req), body.token, body.new_password);
        page(
          res,
          200,
          `${appName}: password changed`,
          '<p>Your password has been changed. You can log in with it now.</p>',
        );
      } catch (err) {
        if (!(err instanceof BackendError)) throw err;
        const token = typeof body.token === 'string' ? body.token : '';
        page(res, 400, `${appName}: choose a new password`, resetForm(token, err.message));
      }
    }),
  );
}
