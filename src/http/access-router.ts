/**
 * The decision API for factory services, authenticated by an org API token
 * (`identity-bridge api-token issue`, or any admin token of the org):
 *   POST /v1/access/check     { user | token, scope, deviceGroup?, ownerId?, creatorId? } → { allowed, reason }
 *   GET  /v1/access/users/:id  effective access with its explanation
 * The token's org is the only org a request can see: a user of another org is a 404.
 */
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { AdminPrincipal, AdminTokenService } from '../admin/admin-tokens.js';
import type { AccessService } from '../decisions/access-service.js';
import type { AccessTokenService } from '../sso/access-tokens.js';
import { InvalidInputError, UnauthenticatedError } from '../domain/errors/index.js';
import { rememberMount } from './request-metrics.js';

declare module 'express-serve-static-core' {
  interface Locals {
    apiPrincipal?: AdminPrincipal;
  }
}

const CheckBody = z.object({
  /** The user by id or userName; or `token`, an access token from /auth/token. */
  user: z.string().min(1).max(512).optional(),
  token: z.string().min(1).max(8192).optional(),
  scope: z.string().min(1).max(128),
  deviceGroup: z.string().min(1).max(200).optional(),
  ownerId: z.string().min(1).max(512).optional(),
  creatorId: z.string().min(1).max(512).optional(),
});

function principal(res: Response): AdminPrincipal {
  const p = res.locals.apiPrincipal;
  if (!p) throw new UnauthenticatedError();
  return p;
}

/**
 * Authenticates an org API token (or an admin token of the org) from `Authorization: Bearer`;
 * the principal goes to `res.locals.apiPrincipal`. Used by every /v1 API.
 */
export function apiTokenAuth(tokens: AdminTokenService, realm: string): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    try {
      if (!m) throw new UnauthenticatedError();
      res.locals.apiPrincipal = await tokens.authenticate(m[1]!);
      next();
    } catch (error) {
      res.setHeader('WWW-Authenticate', `Bearer realm="${realm}"`);
      next(error);
    }
  };
}

export function accessRouter(deps: {
  tokens: AdminTokenService;
  access: AccessService;
  accessTokens: AccessTokenService;
}): Router {
  const router = Router();
  router.use(rememberMount);
  router.use(apiTokenAuth(deps.tokens, 'identity-bridge decisions'));

  router.post('/check', async (req, res) => {
    const parsed = CheckBody.safeParse(req.body);
    if (!parsed.success) {
      throw new InvalidInputError(
        'access.invalid_request',
        `Send {"user": id or userName, "scope": "resource:action", "deviceGroup"?: name, "ownerId"?: id, "creatorId"?: id}: ${parsed.error.issues
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; ')}`,
      );
    }
    const { user, token, ...question } = parsed.data;
    const orgId = principal(res).orgId;
    if ((user === undefined) === (token === undefined)) {
      throw new InvalidInputError('access.invalid_request', 'Name the user with exactly one of "user" or "token"');
    }
    let subject = user;
    if (token !== undefined) {
      // The token proves who it was minted for; what they may do now is decided afresh.
      const claims = await deps.accessTokens.verify(token);
      if (!claims || claims.org !== orgId) {
        res.json({ allowed: false, reason: 'the access token is invalid, expired or of another org' });
        return;
      }
      subject = claims.sub;
    }
    const decision = await deps.access.check(orgId, subject!, question);
    res.json({ allowed: decision.allowed, reason: decision.reason, userId: decision.userId });
  });

  router.get('/users/:id', async (req, res) => {
    res.json(await deps.access.explain(principal(res).orgId, req.params.id!));
  });
  return router;
}
