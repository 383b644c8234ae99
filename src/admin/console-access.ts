/**
 * First-run access to the console: a one-time setup link signs its holder in as an org's
 * Owner, so they can connect the IdP everyone else will sign in with. A link lives an hour
 * and works once; the console session it starts lives 8 hours. Only hashes are stored.
 *
 * A link issued on an empty database names no org: redeeming it creates the org (the holder
 * types its name) and makes the holder its Owner.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { InvalidInputError, UnauthenticatedError } from '../domain/errors/index.js';
import type { Role } from '../domain/role.js';
import { nowIso } from '../domain/clock.js';
import type { ConsoleSession, SetupLink } from '../store/repositories/console-access.js';
import type { Store } from '../store/store.js';
import type { OrganizationService } from './organizations.js';

export const SETUP_LINK_TTL_MS = 60 * 60 * 1000;
export const CONSOLE_SESSION_TTL_MS = 8 * 60 * 60 * 1000;
export const CONSOLE_COOKIE = 'ib_console';

const hashOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export interface IssuedSetupLink {
  readonly id: string;
  readonly url: string;
  readonly expiresAt: string;
}

/** What a holder of a used or expired link reads: the command that makes a new one. */
const SETUP_LINK_GONE =
  'This setup link is unknown, used or expired. Whoever runs the service makes a new one with: npx identity-bridge setup-link --org <your org> (or without --org for a new organization)';

export class ConsoleAccessService {
  constructor(
    private readonly store: Store,
    private readonly organizations: OrganizationService,
    private readonly publicUrl: string,
  ) {}

  /** A new link for the org (or, with null, for creating the first org). */
  async issueLink(orgId: string | null, actor: Actor): Promise<IssuedSetupLink> {
    const secret = randomBytes(32).toString('base64url');
    const now = Date.now();
    const link: SetupLink = {
      id: randomUUID(),
      orgId,
      tokenHash: hashOf(secret),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + SETUP_LINK_TTL_MS).toISOString(),
      usedAt: null,
    };
    await this.store.transaction(async (repos) => {
      await repos.consoleAccess.insertLink(link);
      if (orgId) {
        await recordAudit(repos, orgId, actor, {
          action: 'setup_link.issued',
          target: { type: 'setup_link', id: link.id },
          data: { expiresAt: link.expiresAt },
        });
      }
    });
    return { id: link.id, url: `${this.publicUrl}/admin/setup#${secret}`, expiresAt: link.expiresAt };
  }

  /** What a live link is for, without using it (the setup page asks for an org name when it names none). */
  async inspect(secret: string): Promise<{ needsOrgName: boolean }> {
    const link = await this.store.repos.consoleAccess.findLiveLink(hashOf(secret), nowIso());
    if (!link) throw new UnauthenticatedError(SETUP_LINK_GONE);
    return { needsOrgName: link.orgId === null };
  }

  /** Uses the link once; returns the console session's cookie value. */
  async redeem(
    secret: string,
    orgName: string | undefined,
  ): Promise<{ token: string; orgId: string; expiresAt: string }> {
    if (secret.length > 100) throw new UnauthenticatedError('This setup link is unknown, used or expired');
    const link = await this.store.repos.consoleAccess.findLiveLink(hashOf(secret), nowIso());
    if (!link) throw new UnauthenticatedError(SETUP_LINK_GONE);
    let orgId = link.orgId;
    const actor: Actor = { type: 'admin', id: `setup-link:${link.id}`, label: 'setup link holder', requestId: null };
    if (orgId === null) {
      if (!orgName?.trim()) throw new InvalidInputError('setup.org_name_required', 'Name your organization');
      orgId = (await this.organizations.create(orgName, actor)).id;
    }
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: ConsoleSession = {
      idHash: hashOf(token),
      orgId,
      role: 'Owner',
      origin: link.id,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + CONSOLE_SESSION_TTL_MS).toISOString(),
    };
    const boundOrg = orgId;
    await this.store.transaction(async (repos) => {
      if (!(await repos.consoleAccess.claimLink(link.id, boundOrg, session.createdAt))) {
        throw new UnauthenticatedError('This setup link was just used');
      }
      await repos.consoleAccess.insertSession(session);
      await recordAudit(repos, boundOrg, actor, {
        action: 'setup_link.used',
        target: { type: 'setup_link', id: link.id },
        data: { role: 'Owner', sessionExpiresAt: session.expiresAt },
      });
    });
    return { token, orgId, expiresAt: session.expiresAt };
  }

  /** The live console session a cookie names. */
  async authenticate(token: string | undefined): Promise<(ConsoleSession & { role: Role }) | undefined> {
    if (!token || token.length > 100) return undefined;
    const s = await this.store.repos.consoleAccess.findLiveSession(hashOf(token), nowIso());
    return s ? { ...s, role: s.role as Role } : undefined;
  }

  async end(token: string | undefined): Promise<void> {
    if (token && token.length <= 100) await this.store.repos.consoleAccess.revokeSession(hashOf(token), nowIso());
  }
}
