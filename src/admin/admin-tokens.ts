/**
 * Tokens of an org for automation: admin API tokens (`ibadm_…`, with the role Owner or
 * Admin) and decision API tokens (`ibapi_…`, for factory services asking who may do
 * what). Each is shown once, stored as a hash, optionally expires, records its last use,
 * and can be listed and revoked. A revocation is refused at once on this instance and
 * within AUTHENTICATION_CACHE_MS on the others.
 */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { NotFoundError, UnauthenticatedError } from '../domain/errors/index.js';
import type { Role } from '../domain/role.js';
import { issueToken, tokenPrefix, type ApiTokenKind } from '../domain/secret-token.js';
import type { AdminTokenRecord } from '../store/repositories/credentials.js';
import { nowIso } from '../domain/clock.js';
import type { Store } from '../store/store.js';
import { isLive, recordUse } from './credential-use.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface AdminPrincipal {
  readonly orgId: string;
  readonly tokenId: string;
  readonly role: Role;
  readonly kind: ApiTokenKind;
}

export interface AdminTokenView {
  readonly id: string;
  readonly kind: ApiTokenKind;
  readonly prefix: string;
  readonly role: Role;
  readonly description: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

function view(t: AdminTokenRecord): AdminTokenView {
  return {
    id: t.id,
    kind: t.kind,
    prefix: t.prefix,
    role: t.role as Role,
    description: t.description,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}

const AUDIT_NAME: Record<ApiTokenKind, string> = { admin: 'admin_token', api: 'api_token' };

export class AdminTokenService {
  private readonly verified = new VerifiedTokenCache<AdminPrincipal>();

  constructor(private readonly store: Store) {}

  /** An admin API token (role Owner or Admin); role User issues a decision API token instead. */
  async issue(
    orgId: string,
    actor: Actor,
    options: { role?: Role; description?: string | null; expiresAt?: string | null } = {},
  ): Promise<{ id: string; token: string; expiresAt: string | null }> {
    const role = options.role ?? 'Admin';
    const kind: ApiTokenKind = role === 'User' ? 'api' : 'admin';
    return this.store.transaction(async (repos) => {
      const issued = issueToken(kind === 'api' ? 'ibapi' : 'ibadm');
      const id = randomUUID();
      const expiresAt = options.expiresAt ?? null;
      await repos.adminTokens.insert({
        id,
        orgId,
        kind,
        prefix: issued.prefix,
        tokenHash: issued.hash,
        description: options.description ?? null,
        role,
        createdAt: nowIso(),
        expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      });
      await recordAudit(repos, orgId, actor, {
        action: `${AUDIT_NAME[kind]}.issued`,
        target: { type: AUDIT_NAME[kind], id, label: issued.prefix },
        data: { role, expiresAt },
      });
      return { id, token: issued.token, expiresAt };
    });
  }

  /** A decision API token, for a factory service. */
  issueApi(
    orgId: string,
    actor: Actor,
    options: { description?: string | null; expiresAt?: string | null } = {},
  ): Promise<{ id: string; token: string; expiresAt: string | null }> {
    return this.issue(orgId, actor, { ...options, role: 'User' });
  }

  async list(orgId: string, kind: ApiTokenKind): Promise<AdminTokenView[]> {
    return (await this.store.repos.adminTokens.list(orgId, kind)).map(view);
  }

  /** Revokes a token of the org (of the given kind, when named); revoking it twice changes nothing. */
  async revoke(orgId: string, id: string, actor: Actor, kind?: ApiTokenKind): Promise<AdminTokenView> {
    return this.store.transaction(async (repos) => {
      const token = await repos.adminTokens.get(orgId, id);
      if (!token || (kind !== undefined && token.kind !== kind))
        throw new NotFoundError(`${kind ?? 'admin'}_token`, id);
      this.verified.forget((p) => p.tokenId === id);
      const at = nowIso();
      if (!(await repos.adminTokens.revoke(orgId, id, at))) return view(token);
      await recordAudit(repos, orgId, actor, {
        action: `${AUDIT_NAME[token.kind]}.revoked`,
        target: { type: AUDIT_NAME[token.kind], id, label: token.prefix },
        data: {},
      });
      return view({ ...token, revokedAt: at });
    });
  }

  /** Operator-level: the org that owns a token named by id alone (CLI). */
  async ownerOf(id: string): Promise<string> {
    const orgId = await this.store.repos.adminTokens.ownerOf(id);
    if (!orgId) throw new NotFoundError('token', id);
    return orgId;
  }

  /** An admin or decision API token, live; anything else is UnauthenticatedError. */
  async authenticate(token: string): Promise<AdminPrincipal> {
    const prefix = tokenPrefix(token, 'ibadm', 'ibapi');
    if (!prefix) throw new UnauthenticatedError();
    const cached = this.verified.get(token);
    if (cached) return cached;
    const stored = await this.store.repos.adminTokens.findByPrefix(prefix);
    const now = Date.now();
    if (!isLive(stored, token, now)) throw new UnauthenticatedError();
    await recordUse(this.store.repos.adminTokens, stored, now);
    const principal: AdminPrincipal = {
      orgId: stored.orgId,
      tokenId: stored.id,
      role: stored.role as Role,
      kind: stored.kind,
    };
    this.verified.remember(token, principal, stored.expiresAt);
    return principal;
  }
}
