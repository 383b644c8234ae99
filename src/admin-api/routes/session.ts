/**
 * The console's own routes: who is signed in (with the CSRF token to echo), logging out,
 * redeeming a setup link (no credentials yet: the link is the credential).
 */
import { z } from 'zod';
import { CONSOLE_COOKIE, CONSOLE_SESSION_TTL_MS } from '../../admin/console-access.js';
import { clearCookie, cookieOf, setCookie } from '../../http/cookies.js';
import type { AdminApiDeps } from '../deps.js';
import { route, type AdminRoute } from '../route-table.js';
import { Role } from '../schemas.js';

const Secret = z.string().min(16).max(100);

export function sessionRoutes({ services, publicUrl }: AdminApiDeps): AdminRoute[] {
  const secure = publicUrl.startsWith('https://');
  return [
    route({
      method: 'get',
      path: '/session',
      operationId: 'getSession',
      summary: 'Who is signed in to the console, with the CSRF token to send on changes',
      tag: 'session',
      role: 'Admin',
      response: z.object({
        org: z.object({ id: z.string(), name: z.string(), slug: z.string() }),
        role: Role,
        via: z.enum(['token', 'console']),
        actor: z.object({ type: z.string(), id: z.string().nullable(), label: z.string().nullable() }),
        csrfToken: z.string().nullable(),
      }),
      handle: async ({ caller, res }) => {
        const org = await services.organizations.get(caller.orgId);
        return {
          org: { id: org.id, name: org.name, slug: org.slug },
          role: caller.role,
          via: caller.via,
          actor: { type: caller.actor.type, id: caller.actor.id, label: caller.actor.label },
          csrfToken: res.locals.csrfToken ?? null,
        };
      },
    }),
    route({
      method: 'post',
      path: '/session/logout',
      operationId: 'logout',
      summary: 'End the console session a setup link started',
      tag: 'session',
      role: 'Admin',
      handle: async ({ req, res }) => {
        await services.consoleAccess.end(cookieOf(req, CONSOLE_COOKIE));
        clearCookie(res, CONSOLE_COOKIE, { path: '/admin', secure });
      },
    }),
    route({
      method: 'post',
      path: '/setup/inspect',
      operationId: 'inspectSetupLink',
      summary: 'Whether a setup link is live, and whether it still needs an organization name',
      tag: 'session',
      role: 'none',
      body: z.object({ secret: Secret }),
      response: z.object({ needsOrgName: z.boolean() }),
      handle: ({ body }) => services.consoleAccess.inspect(body.secret),
    }),
    route({
      method: 'post',
      path: '/setup/redeem',
      operationId: 'redeemSetupLink',
      summary:
        "Use a setup link once: signs the holder in as the org's Owner (creating the org if the link names none)",
      tag: 'session',
      role: 'none',
      body: z.object({ secret: Secret, orgName: z.string().max(200).optional() }),
      response: z.object({ orgId: z.string(), expiresAt: z.string() }),
      handle: async ({ body, res }) => {
        const s = await services.consoleAccess.redeem(body.secret, body.orgName);
        setCookie(res, CONSOLE_COOKIE, s.token, {
          path: '/admin',
          secure,
          maxAgeSeconds: Math.floor(CONSOLE_SESSION_TTL_MS / 1000),
        });
        return { orgId: s.orgId, expiresAt: s.expiresAt };
      },
    }),
  ];
}
