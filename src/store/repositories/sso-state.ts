/**
 * Short-lived SSO state shared by every instance through the database: outstanding
 * SP-initiated requests (SAML AuthnRequest ids; OIDC state, nonce and PKCE verifier) and
 * consumed SAML assertion ids (replay protection).
 */
import type { Knex } from 'knex';
import { fromJson, isUniqueViolation, toIso, toJson } from '../rows.js';

type Row = Record<string, unknown>;

export interface SsoRequest {
  readonly id: string;
  readonly orgId: string;
  readonly connectionId: string;
  readonly protocol: 'saml' | 'oidc';
  readonly data: Readonly<Record<string, unknown>> | null;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export class SsoRequestRepository {
  constructor(private readonly db: Knex) {}

  async insert(r: SsoRequest): Promise<void> {
    await this.db('sso_requests').insert({
      id: r.id,
      org_id: r.orgId,
      connection_id: r.connectionId,
      protocol: r.protocol,
      data: toJson(r.data),
      created_at: r.createdAt,
      expires_at: r.expiresAt,
    });
  }

  /** Removes and returns a live request of this connection: each request can be answered once. */
  async take(orgId: string, connectionId: string, id: string, now: string): Promise<SsoRequest | undefined> {
    const row = await this.db<Row>('sso_requests').where({ org_id: orgId, connection_id: connectionId, id }).first();
    if (!row) return undefined;
    const deleted = await this.db('sso_requests').where({ org_id: orgId, id }).delete();
    if (deleted === 0 || toIso(row.expires_at) <= now) return undefined;
    return {
      id,
      orgId,
      connectionId,
      protocol: row.protocol as 'saml' | 'oidc',
      data: fromJson(row.data),
      createdAt: toIso(row.created_at),
      expiresAt: toIso(row.expires_at),
    };
  }

  /** A live request of this connection, left in place. */
  async peek(orgId: string, connectionId: string, id: string, now: string): Promise<SsoRequest | undefined> {
    const row = await this.db<Row>('sso_requests').where({ org_id: orgId, connection_id: connectionId, id }).first();
    if (!row || toIso(row.expires_at) <= now) return undefined;
    return {
      id,
      orgId,
      connectionId,
      protocol: row.protocol as 'saml' | 'oidc',
      data: fromJson(row.data),
      createdAt: toIso(row.created_at),
      expiresAt: toIso(row.expires_at),
    };
  }

  async remove(orgId: string, connectionId: string, id: string): Promise<boolean> {
    return (await this.db('sso_requests').where({ org_id: orgId, connection_id: connectionId, id }).delete()) > 0;
  }

  async deleteExpired(before: string): Promise<number> {
    return this.db('sso_requests').where('expires_at', '<', before).delete();
  }
}

export class SamlReplayRepository {
  constructor(private readonly db: Knex) {}

  /** Records an assertion id; false when it was already seen (a replay). */
  async remember(orgId: string, connectionId: string, assertionId: string, expiresAt: string): Promise<boolean> {
    try {
      await this.db('saml_replay_cache').insert({
        org_id: orgId,
        connection_id: connectionId,
        assertion_id: assertionId,
        expires_at: expiresAt,
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async deleteExpired(before: string): Promise<number> {
    return this.db('saml_replay_cache').where('expires_at', '<', before).delete();
  }
}
