/**
 * Sign-in routes: `/sso/:connection/oidc/login` and `/callback`, `/auth/me`, `/auth/token`,
 * `/auth/logout`, and the access tokens' public keys at `/.well-known/jwks.json`.
 * A refused sign-in shows a plain page with the request id to quote; the reason is in the
 * audit log and the server log, never in the page (it would help an attacker).
 */
import express, { Router, type Request, type Response } from 'express';
import { recordAudit } from '../audit/audit-log.js';
import type { Services } from '../services.js';
import type { SharedRateLimiter } from '../limits/shared-rate-limiter.js';
import { signInRateLimit } from './rate-limit.js';
import { ssoLogins } from '../telemetry/metrics.js';
import type { AccessTokenService } from '../sso/access-tokens.js';
import { safeReturnTo, type OidcLogin } from '../sso/oidc-login.js';
import type { SamlLogin } from '../sso/saml-login.js';
import { SESSION_ABSOLUTE_MS, SESSION_COOKIE, telemetryIdsOf, type NewSession } from '../sso/sessions.js';
import { SignInRefused } from '../sso/sign-in.js';
import { clearCookie, cookieOf, setCookie } from './cookies.js';

const BINDING_COOKIE = 'ib_oidc';
const CONNECTION_ID = /^[0-9a-f-]{36}$/;
/** SAML responses are a few kilobytes; anything near this is not one. */
const SAML_BODY_LIMIT = '256kb';

export interface SsoRouterDeps {
  readonly services: Services;
  readonly oidc: OidcLogin;
  readonly saml: SamlLogin;
  readonly accessTokens: AccessTokenService;
  readonly publicUrl: string;
  /** Per-IP budget of the sign-in routes, shared by every instance. */
  readonly signInLimiter?: SharedRateLimiter;
}

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

declare module 'express-serve-static-core' {
  interface Locals {
    /** The signed-in session a request acted for (ids for logs and traces; never the cookie). */
    session?: { orgId: string; userId: string; id: string };
  }
}

export function ssoRouter(deps: SsoRouterDeps): Router {
  const router = Router();
  const secure = deps.publicUrl.startsWith('https:');
  const { services, oidc, saml } = deps;
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

  /** Logs and audits a refused sign-in (the reason, never the token or assertion), then shows the page. */
  const refused = async (req: Request, res: Response, protocol: string, error: SignInRefused): Promise<void> => {
    const connection = String(req.params.connection);
    req.log.warn({ reason: error.reason, connection, protocol }, 'sign-in refused');
    ssoLogins.inc({ protocol, result: 'refused' });
    const orgId = CONNECTION_ID.test(connection)
      ? await services.store.repos.connections.ownerOf(connection)
      : undefined;
    if (orgId && !error.audited) {
      await recordAudit(
        services.store.repos,
        orgId,
        { type: 'user', id: null, label: null, requestId: String(req.id) },
        {
          action: 'sso.refused',
          target: { type: 'connection', id: connection },
          data: { protocol, reason: error.reason },
        },
      );
    }
    refusedPage(req, res);
  };

  // "Sign in with SSO": the employee types their email; its domain names the org's IdP.
  router.get('/login', async (req, res) => {
    const email = typeof req.query.email === 'string' ? req.query.email.trim() : '';
    const returnTo = safeReturnTo(req.query.returnTo);
    let message = '';
    if (email) {
      const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
      const found = email.includes('@') ? await services.store.repos.connections.findByDomain(domain) : undefined;
      const oidcReady = found
        ? (await services.store.repos.connections.oidcSettings(found.orgId, found.connectionId)) !== undefined
        : false;
      if (found && oidcReady) {
        res.redirect(302, `/sso/${found.connectionId}/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
        return;
      }
      message = `No single sign-on is set up for ${escapeHtml(domain || email)}. Ask your IT admin to connect your identity provider.`;
    }
    res
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>Sign in</title><h1>Sign in with SSO</h1>` +
          (message ? `<p role="alert">${message}</p>` : '') +
          `<form method="get" action="/login"><label>Work email <input type="email" name="email" required autofocus value="${escapeHtml(email)}"></label>` +
          `<input type="hidden" name="returnTo" value="${escapeHtml(returnTo)}"><button type="submit">Continue</button></form>`,
      );
  });

  router.get('/sso/:connection/oidc/login', async (req, res) => {
    const connection = req.params.connection!;
    try {
      if (!CONNECTION_ID.test(connection)) throw new SignInRefused('not a connection id');
      const started = await oidc.start(connection, req.query.returnTo);
      setCookie(res, BINDING_COOKIE, started.binding, {
        path: `/sso/${connection}/oidc`,
        maxAgeSeconds: 600,
        secure,
      });
      res.redirect(302, started.redirectTo);
    } catch (error) {
      if (!(error instanceof SignInRefused)) throw error;
      await refused(req, res, 'oidc', error);
    }
  });

  router.get('/sso/:connection/oidc/callback', async (req, res) => {
    const connection = req.params.connection!;
    clearCookie(res, BINDING_COOKIE, { path: `/sso/${connection}/oidc`, secure });
    try {
      if (!CONNECTION_ID.test(connection)) throw new SignInRefused('not a connection id');
      const signedIn = await oidc.finish(
        connection,
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
    } catch (error) {
      if (!(error instanceof SignInRefused)) throw error;
      await refused(req, res, 'oidc', error);
    }
  });

  router.get('/sso/:connection/saml/login', async (req, res, next) => {
    try {
      if (!CONNECTION_ID.test(String(req.params.connection))) throw new SignInRefused('not a connection id');
      await saml.load(req);
      saml.login(req, res, next);
    } catch (error) {
      if (!(error instanceof SignInRefused)) throw error;
      await refused(req, res, 'saml', error);
    }
  });

  router.post(
    '/sso/:connection/saml/acs',
    express.urlencoded({ extended: false, limit: SAML_BODY_LIMIT }),
    async (req, res) => {
      try {
        if (!CONNECTION_ID.test(String(req.params.connection))) throw new SignInRefused('not a connection id');
        await saml.load(req);
        const signedIn = await saml.acs(req, res);
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
      } catch (error) {
        if (!(error instanceof SignInRefused)) throw error;
        await refused(req, res, 'saml', error);
      }
    },
  );

  router.get('/sso/:connection/saml/metadata', async (req, res) => {
    try {
      if (!CONNECTION_ID.test(String(req.params.connection))) throw new SignInRefused('not a connection id');
      await saml.load(req);
      res.type('application/samlmetadata+xml').send(await saml.metadata(req));
    } catch (error) {
      if (!(error instanceof SignInRefused)) throw error;
      res.status(404).json({ error: { code: 'sso.not_configured', message: 'This connection has no SAML settings' } });
    }
  });

  router.get('/auth/me', async (req, res) => {
    const session = await services.sessions.authenticate(cookieOf(req, SESSION_COOKIE));
    if (session) res.locals.session = telemetryIdsOf(session);
    const user = session ? await services.store.repos.users.get(session.orgId, session.userId) : undefined;
    if (!session || !user || !user.active) {
      res.status(401).json({ error: { code: 'auth.unauthenticated', message: 'Not signed in' } });
      return;
    }
    const [org, access, groups] = await Promise.all([
      services.store.repos.organizations.findById(session.orgId),
      services.access.effectiveAccess(session.orgId, user.id),
      services.store.repos.users.groupsOf(session.orgId, [user.id]),
    ]);
    const email = user.multiValued.emails?.find((e) => e.primary)?.value ?? user.multiValued.emails?.[0]?.value ?? null;
    res.json({
      user: { id: user.id, userName: user.userName, email, displayName: user.displayName },
      org: org ? { id: org.id, slug: org.slug, name: org.name } : { id: session.orgId },
      member: access.member,
      role: access.role,
      teams: access.teams.map((t) => t.name),
      scopes: access.scopes,
      deviceGroups: access.deviceGroups,
      groups: (groups.get(user.id) ?? []).map((g) => g.displayName),
    });
  });

  // An access token for factory services, minted for the signed-in user (same-site POST only).
  router.post('/auth/token', async (req, res) => {
    const session = await services.sessions.authenticate(cookieOf(req, SESSION_COOKIE));
    if (session) res.locals.session = telemetryIdsOf(session);
    const user = session ? await services.store.repos.users.get(session.orgId, session.userId) : undefined;
    if (!session || !user || !user.active) {
      res.status(401).json({ error: { code: 'auth.unauthenticated', message: 'Not signed in' } });
      return;
    }
    const { token, expiresIn } = await deps.accessTokens.issue(session.orgId, user.id);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ access_token: token, token_type: 'Bearer', expires_in: expiresIn });
  });

  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.json(await deps.accessTokens.jwks());
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
