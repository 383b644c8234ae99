/**
 * Sign-in routes: `/login`, `/sso/:connection/oidc/{login,callback}`,
 * `/sso/:connection/saml/{login,acs,metadata}`, `/auth/me`, `/auth/token`, `/auth/logout`,
 * and the access tokens' public keys at `/.well-known/jwks.json`. Each sign-in step hands
 * the connection id and what the browser brought to the SSO services, and turns their
 * answer into a redirect and a session cookie.
 * A refused sign-in shows a plain page with the request id to quote; the reason is in the
 * audit log and the server log, never in the page (it would help an attacker).
 */
import express, { Router, type Request, type Response } from 'express';
import { isConnectionId } from '../domain/connection.js';
import type { SharedRateLimiter } from '../limits/shared-rate-limiter.js';
import type { Services } from '../services.js';
import { safeReturnTo } from '../sso/return-to.js';
import { SESSION_ABSOLUTE_MS, SESSION_COOKIE, telemetryIdsOf, type NewSession } from '../sso/sessions.js';
import { SignInRefused } from '../sso/sign-in.js';
import { ssoLogins } from '../telemetry/metrics.js';
import { clearCookie, cookieOf, setCookie } from './cookies.js';
import { signInRateLimit } from './rate-limit.js';

const BINDING_COOKIE = 'ib_oidc';
/** SAML responses are a few kilobytes; anything near this is not one. */
const SAML_BODY_LIMIT = '256kb';

export interface SsoRouterDeps {
  readonly services: Services;
  readonly publicUrl: string;
  /** Per-IP budget of the sign-in routes, shared by every instance. */
  readonly signInLimiter?: SharedRateLimiter;
}

type Protocol = 'oidc' | 'saml';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function refusedPage(req: Request, res: Response): void {
  res
    .status(403)
    .type('html')
    .send(
      `<!doctype html><meta charset="utf-8"><title>Sign-in refused</title>` +
        `<h1>Sign-in refused</h1><p>Your identity provider's answer could not be accepted. ` +
        `Ask your IT admin, quoting request id <code>${String(req.id).replace(/[^A-Za-z0-9._:-]/g, '')}</code>.</p>`,
    );
}

function loginPage(email: string, returnTo: string, message: string): string {
  return (
    `<!doctype html><meta charset="utf-8"><title>Sign in</title><h1>Sign in with SSO</h1>` +
    (message ? `<p role="alert">${message}</p>` : '') +
    `<form method="get" action="/login"><label>Work email <input type="email" name="email" required autofocus value="${escapeHtml(email)}"></label>` +
    `<input type="hidden" name="returnTo" value="${escapeHtml(returnTo)}"><button type="submit">Continue</button></form>`
  );
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** The signed-in session a request acted for (ids for logs and traces; never the cookie). */
    session?: { orgId: string; userId: string; id: string };
  }
}

export function ssoRouter(deps: SsoRouterDeps): Router {
  const router = Router();
  const secure = deps.publicUrl.startsWith('https:');
  const { services } = deps;
  const { saml, oidc } = services;
  if (deps.signInLimiter) {
    router.use(
      ['/login', '/sso/:connection/oidc', '/sso/:connection/saml/login', '/sso/:connection/saml/acs'],
      signInRateLimit(deps.signInLimiter),
    );
  }

  /** A new session for a new sign-in: any session this browser had is ended, never reused. */
  const startSession = async (req: Request, res: Response, session: NewSession): Promise<void> => {
    await services.sessions.end(cookieOf(req, SESSION_COOKIE));
    const started = await services.sessions.start(session);
    ssoLogins.inc({ protocol: session.protocol, result: 'success' });
    setCookie(res, SESSION_COOKIE, started.token, { path: '/', maxAgeSeconds: SESSION_ABSOLUTE_MS / 1000, secure });
  };

  /**
   * One sign-in step: the path must name a connection; a refusal is logged, counted,
   * audited (the reason, never the token or assertion) and answered with the refused page.
   */
  const signInStep =
    (protocol: Protocol, step: (req: Request, res: Response, connectionId: string) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      const connection = String(req.params.connection);
      try {
        if (!isConnectionId(connection)) throw new SignInRefused('not a connection id');
        await step(req, res, connection);
      } catch (error) {
        if (!(error instanceof SignInRefused)) throw error;
        req.log.warn({ reason: error.reason, connection, protocol }, 'sign-in refused');
        ssoLogins.inc({ protocol, result: 'refused' });
        await services.signInRefusals.record(connection, protocol, error, String(req.id));
        refusedPage(req, res);
      }
    };

  // "Sign in with SSO": the employee types their email; its domain names the org's IdP.
  router.get('/login', async (req, res) => {
    const email = typeof req.query.email === 'string' ? req.query.email.trim() : '';
    const returnTo = safeReturnTo(req.query.returnTo);
    let message = '';
    if (email) {
      const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
      const connectionId = email.includes('@') ? await oidc.connectionForDomain(domain) : undefined;
      if (connectionId) {
        res.redirect(302, `/sso/${connectionId}/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
        return;
      }
      message = `No single sign-on is set up for ${escapeHtml(domain || email)}. Ask your IT admin to connect your identity provider.`;
    }
    res.type('html').send(loginPage(email, returnTo, message));
  });

  router.get(
    '/sso/:connection/oidc/login',
    signInStep('oidc', async (req, res, connectionId) => {
      const started = await oidc.start(connectionId, req.query.returnTo);
      setCookie(res, BINDING_COOKIE, started.binding, {
        path: `/sso/${connectionId}/oidc`,
        maxAgeSeconds: 600,
        secure,
      });
      res.redirect(302, started.redirectTo);
    }),
  );

  router.get(
    '/sso/:connection/oidc/callback',
    (req, res, next) => {
      clearCookie(res, BINDING_COOKIE, { path: `/sso/${String(req.params.connection)}/oidc`, secure });
      next();
    },
    signInStep('oidc', async (req, res, connectionId) => {
      const signedIn = await oidc.finish(
        connectionId,
        new URL(req.originalUrl, deps.publicUrl),
        cookieOf(req, BINDING_COOKIE),
      );
      await startSession(req, res, {
        orgId: signedIn.orgId,
        userId: signedIn.user.id,
        connectionId: signedIn.connectionId,
        protocol: 'oidc',
      });
      res.redirect(302, signedIn.returnTo);
    }),
  );

  router.get(
    '/sso/:connection/saml/login',
    signInStep('saml', async (req, res, connectionId) => {
      const started = await saml.start(connectionId, req.query.returnTo);
      res.redirect(302, started.redirectTo);
    }),
  );

  router.post(
    '/sso/:connection/saml/acs',
    express.urlencoded({ extended: false, limit: SAML_BODY_LIMIT }),
    signInStep('saml', async (req, res, connectionId) => {
      const signedIn = await saml.finish(connectionId, (req.body ?? {}) as Record<string, unknown>);
      await startSession(req, res, {
        orgId: signedIn.orgId,
        userId: signedIn.user.id,
        connectionId: signedIn.connectionId,
        protocol: 'saml',
        data: {
          nameId: signedIn.nameId,
          nameIdFormat: signedIn.nameIdFormat ?? null,
          sessionIndex: signedIn.sessionIndex ?? null,
        },
      });
      res.redirect(302, signedIn.returnTo);
    }),
  );

  router.get('/sso/:connection/saml/metadata', async (req, res) => {
    try {
      const connection = String(req.params.connection);
      if (!isConnectionId(connection)) throw new SignInRefused('not a connection id');
      res.type('application/samlmetadata+xml').send(await saml.metadata(connection));
    } catch (error) {
      if (!(error instanceof SignInRefused)) throw error;
      res.status(404).json({ error: { code: 'sso.not_configured', message: 'This connection has no SAML settings' } });
    }
  });

  /** The signed-in employee, or a 401 answered (undefined). */
  const signedInOr401 = async (req: Request, res: Response) => {
    const { session, signedIn } = await services.accounts.current(cookieOf(req, SESSION_COOKIE));
    if (session) res.locals.session = telemetryIdsOf(session);
    if (!signedIn) res.status(401).json({ error: { code: 'auth.unauthenticated', message: 'Not signed in' } });
    return signedIn;
  };

  router.get('/auth/me', async (req, res) => {
    const signedIn = await signedInOr401(req, res);
    if (signedIn) res.json(await services.accounts.profile(signedIn));
  });

  // An access token for factory services, minted for the signed-in user (same-site POST only).
  router.post('/auth/token', async (req, res) => {
    const signedIn = await signedInOr401(req, res);
    if (!signedIn) return;
    const { token, expiresIn } = await services.accounts.accessToken(signedIn);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ access_token: token, token_type: 'Bearer', expires_in: expiresIn });
  });

  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.json(await services.accessTokens.jwks());
  });

  // Ends the session here; a SAML session whose IdP has a logout URL is also told where the
  // browser goes next for single logout: 200 {"logoutUrl"} instead of 204.
  router.post('/auth/logout', async (req, res) => {
    const token = cookieOf(req, SESSION_COOKIE);
    const session = await services.sessions.authenticate(token);
    await services.sessions.end(token);
    clearCookie(res, SESSION_COOKIE, { path: '/', secure });
    const data = session?.data as
      { nameId?: string; nameIdFormat?: string | null; sessionIndex?: string | null } | null | undefined;
    const logoutUrl =
      session?.protocol === 'saml' && session.connectionId && data?.nameId
        ? await saml.logoutUrl(session.orgId, session.connectionId, {
            nameId: data.nameId,
            nameIdFormat: data.nameIdFormat ?? null,
            sessionIndex: data.sessionIndex ?? null,
          })
        : undefined;
    if (logoutUrl) res.json({ logoutUrl });
    else res.status(204).end();
  });

  return router;
}
