/**
 * Who is calling the admin API:
 * - `Authorization: Bearer ibadm_…`: an admin API token (automation); its role is fixed at issue;
 * - the `ib_console` cookie: a console session a setup link started (the org's Owner);
 * - the `ib_session` cookie: an employee signed in with SSO, whose role is their current
 *   effective role (so losing the Admin group in the IdP loses the console at once).
 * Cookie callers must send `X-CSRF-Token` (from GET /session) on every state-changing request,
 * and a cross-site `Origin` is refused outright. Users (and non-members) get 403.
 */
import type { NextFunction, Request, Response } from 'express';
import type { AdminTokenService } from '../admin/admin-tokens.js';
import { CONSOLE_COOKIE, type ConsoleAccessService } from '../admin/console-access.js';
import type { CsrfTokens } from '../admin/csrf-tokens.js';
import type { AccessService } from '../decisions/access-service.js';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors/index.js';
import { cookieOf } from '../http/cookies.js';
import { SESSION_COOKIE, telemetryIdsOf, type SessionService } from '../sso/sessions.js';
import type { AdminCaller } from './route-table.js';

declare module 'express-serve-static-core' {
  interface Locals {
    adminCaller?: AdminCaller;
    /** The CSRF token a cookie caller must echo. */
    csrfToken?: string;
  }
}

export interface CallerDeps {
  readonly adminTokens: AdminTokenService;
  readonly consoleAccess: ConsoleAccessService;
  readonly sessions: SessionService;
  readonly access: AccessService;
  readonly csrf: CsrfTokens;
  readonly publicUrl: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function identify(req: Request, res: Response, deps: CallerDeps): Promise<AdminCaller> {
  const requestId = req.id ? String(req.id) : null;
  const auth = req.get('authorization');
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw new UnauthenticatedError();
    const p = await deps.adminTokens.authenticate(m[1]!);
    return {
      orgId: p.orgId,
      role: p.role,
      via: 'token',
      actor: { type: 'admin', id: p.tokenId, label: 'admin API token', requestId },
    };
  }
  const consoleCookie = cookieOf(req, CONSOLE_COOKIE);
  const setup = await deps.consoleAccess.authenticate(consoleCookie);
  if (setup && consoleCookie) {
    res.locals.csrfToken = deps.csrf.tokenFor(consoleCookie);
    return {
      orgId: setup.orgId,
      role: setup.role,
      via: 'console',
      actor: { type: 'admin', id: `setup-link:${setup.origin}`, label: 'setup link holder', requestId },
    };
  }
  const ssoCookie = cookieOf(req, SESSION_COOKIE);
  const session = await deps.sessions.authenticate(ssoCookie);
  if (session && ssoCookie) {
    res.locals.csrfToken = deps.csrf.tokenFor(ssoCookie);
    res.locals.session = telemetryIdsOf(session);
    const access = await deps.access.effectiveAccess(session.orgId, session.userId);
    if (!access.member) throw new ForbiddenError('You are not a member of this organization');
    return {
      orgId: session.orgId,
      role: access.role,
      via: 'console',
      actor: { type: 'user', id: session.userId, label: access.userName, requestId },
    };
  }
  throw new UnauthenticatedError();
}

function checkCsrf(req: Request, res: Response, deps: CallerDeps): void {
  const origin = req.get('origin');
  if (origin !== undefined && origin !== new URL(deps.publicUrl).origin) {
    throw new ForbiddenError('Cross-site request refused', 'auth.csrf');
  }
  if (SAFE_METHODS.has(req.method)) return;
  const sent = req.get('x-csrf-token');
  if (!sent || !res.locals.csrfToken || !deps.csrf.matches(sent, res.locals.csrfToken)) {
    throw new ForbiddenError('Send the X-CSRF-Token header the console session gave you', 'auth.csrf');
  }
}

/** Authenticates the caller; Users get 403 here, and each route checks Owner vs Admin. */
export function adminCaller(deps: CallerDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const caller = await identify(req, res, deps);
      if (caller.via === 'console') checkCsrf(req, res, deps);
      if (caller.role === 'User') {
        throw new ForbiddenError('The admin API is for Owners and Admins of the organization', 'auth.role');
      }
      res.locals.adminCaller = caller;
      next();
    } catch (error) {
      next(error);
    }
  };
}
