/**
 * SCIM bearer tokens of a connection: issued (shown once), listed, revoked, and
 * authenticated. Several may be active at once so an IdP's token can be rotated without
 * downtime. The presented token selects the connection and so the org.
 */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../domain/errors/index.js';
import { issueToken, tokenPrefix } from '../domain/secret-token.js';
import { nowIso } from '../domain/clock.js';
import { scimTokenView as view, type ScimTokenView } from '../store/read-models/connection-status.js';
import type { Repositories, Store } from '../store/store.js';
import { isLive, recordUse } from './credential-use.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface ScimPrincipal {
  readonly orgId: string;
  readonly connectionId: string;
  readonly tokenId: string;
}

export class ScimTokenService {
  private readonly verified = new VerifiedTokenCache<ScimPrincipal>();

  constructor(private readonly store: Store) {}

  async issue(
    orgId: string,
    connectionId: string,
    actor: Actor,
    description: string | null = null,
    expiresAt: string | null = null,
  ): Promise<{ id: string; token: string; expiresAt: string | null }> {
    return this.store.transaction((repos) => insertToken(repos, orgId, connectionId, actor, description, expiresAt));
  }

  /** A new token for the same connection, and the old one revoked, at once: update the IdP right away. */
  async rotate(
    orgId: string,
    id: string,
    actor: Actor,
  ): Promise<{ id: string; token: string; expiresAt: string | null; revoked: string }> {
    return this.store.transaction(async (repos) => {
      const old = await repos.scimTokens.get(orgId, id);
      if (!old || old.revokedAt !== null) throw new NotFoundError('scim_token', id);
      const issued = await insertToken(repos, orgId, old.connectionId, actor, old.description, null);
      this.verified.forget((p) => p.tokenId === id);
      await repos.scimTokens.revoke(orgId, id, nowIso());
      await recordAudit(repos, orgId, actor, {
        action: 'scim_token.revoked',
        target: { type: 'scim_token', id, label: old.prefix },
        data: { connectionId: old.connectionId, replacedBy: issued.id },
      });
      return { ...issued, revoked: id };
    });
  }

  async list(orgId: string, connectionId: string): Promise<ScimTokenView[]> {
    const connection = await this.store.repos.connections.get(orgId, connectionId);
    if (!connection) throw new NotFoundError('connection', connectionId);
    return (await this.store.repos.scimTokens.listForConnection(orgId, connectionId)).map(view);
  }

  async revoke(orgId: string, id: string, actor: Actor): Promise<ScimTokenView> {
    return this.store.transaction(async (repos) => {
      const token = await repos.scimTokens.get(orgId, id);
      if (!token) throw new NotFoundError('scim_token', id);
      const at = nowIso();
      this.verified.forget((p) => p.tokenId === id);
      if (await repos.scimTokens.revoke(orgId, id, at)) {
        await recordAudit(repos, orgId, actor, {
          action: 'scim_token.revoked',
          target: { type: 'scim_token', id, label: token.prefix },
          data: { connectionId: token.connectionId },
        });
        return view({ ...token, revokedAt: at });
      }
      return view(token);
    });
  }

  /** The connection a token of the org belongs to; undefined when the org has no such token. */
  async connectionOf(orgId: string, id: string): Promise<string | undefined> {
    return (await this.store.repos.scimTokens.get(orgId, id))?.connectionId;
  }

  /** Operator-level: the org that owns a token named by id alone (CLI). */
  async ownerOf(id: string): Promise<string> {
    const orgId = await this.store.repos.scimTokens.ownerOf(id);
    if (!orgId) throw new NotFoundError('scim_token', id);
    return orgId;
  }

  /** Resolves a presented bearer token; throws UnauthenticatedError for anything but a live token. */
  async authenticate(token: string): Promise<ScimPrincipal> {
    const prefix = tokenPrefix(token, 'ibscim');
    if (!prefix) throw new UnauthenticatedError();
    const cached = this.verified.get(token);
    if (cached) return cached;
    const stored = await this.store.repos.scimTokens.findByPrefix(prefix);
    const now = Date.now();
    if (!isLive(stored, token, now)) throw new UnauthenticatedError();
    // One source per connection: people of a synced connection come from its directory, not from SCIM.
    if ((await this.store.repos.directorySync.sourceOf(stored.connectionId)) !== 'scim') {
      throw new ForbiddenError(
        'This connection takes its people from the Google directory sync: SCIM requests are refused (switch its source to SCIM in the console to accept them)',
        'scim.source_is_sync',
      );
    }
    await recordUse(this.store.repos.scimTokens, stored, now);
    const principal = { orgId: stored.orgId, connectionId: stored.connectionId, tokenId: stored.id };
    this.verified.remember(token, principal, stored.expiresAt);
    return principal;
  }
}

async function insertToken(
  repos: Repositories,
  orgId: string,
  connectionId: string,
  actor: Actor,
  description: string | null,
  expiresAt: string | null,
): Promise<{ id: string; token: string; expiresAt: string | null }> {
  const connection = await repos.connections.get(orgId, connectionId);
  if (!connection) throw new NotFoundError('connection', connectionId);
  const issued = issueToken('ibscim');
  const id = randomUUID();
  await repos.scimTokens.insert({
    id,
    orgId,
    connectionId,
    prefix: issued.prefix,
    tokenHash: issued.hash,
    description,
    createdAt: nowIso(),
    lastUsedAt: null,
    revokedAt: null,
    expiresAt,
  });
  await recordAudit(repos, orgId, actor, {
    action: 'scim_token.issued',
    target: { type: 'scim_token', id, label: issued.prefix },
    data: { connectionId, expiresAt },
  });
  return { id, token: issued.token, expiresAt };
}
