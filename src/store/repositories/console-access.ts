/**
 * Setup links and the console sessions they start. A link is redeemed once: `claim` marks
 * it used with a conditional UPDATE, so two browsers racing on one link get one session.
 */
import type { Knex } from 'knex';
import { toIso, toIsoOrNull } from '../rows.js';

type Row = Record<string, unknown>;

export interface SetupLink {
  readonly id: string;
  readonly orgId: string | null;
  readonly tokenHash: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
}

export interface ConsoleSession {
  readonly idHash: string;
  readonly orgId: string;
  readonly role: string;
  readonly origin: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export class ConsoleAccessRepository {
  constructor(private readonly db: Knex) {}

  async insertLink(link: SetupLink): Promise<void> {
    await this.db('setup_links').insert({
      id: link.id,
      org_id: link.orgId,
      token_hash: link.tokenHash,
      created_at: link.createdAt,
      expires_at: link.expiresAt,
      used_at: link.usedAt,
    });
  }

  /** The unused, unexpired link with this hash. */
  async findLiveLink(tokenHash: string, now: string): Promise<SetupLink | undefined> {
    const row = await this.db<Row>('setup_links')
      .where({ token_hash: tokenHash })
      .whereNull('used_at')
      .where('expires_at', '>', now)
      .first();
    if (!row) return undefined;
    return {
      id: row.id as string,
      orgId: (row.org_id as string | null) ?? null,
      tokenHash: row.token_hash as string,
      createdAt: toIso(row.created_at),
      expiresAt: toIso(row.expires_at),
      usedAt: toIsoOrNull(row.used_at),
    };
  }

  /** Marks the link used (and bound to its org); false when another request got there first. */
  async claimLink(id: string, orgId: string, now: string): Promise<boolean> {
    const n = await this.db('setup_links')
      .where({ id })
      .whereNull('used_at')
      .where('expires_at', '>', now)
      .update({ used_at: now, org_id: orgId });
    return n > 0;
  }

  async insertSession(s: ConsoleSession): Promise<void> {
    await this.db('console_sessions').insert({
      id_hash: s.idHash,
      org_id: s.orgId,
      role: s.role,
      origin: s.origin,
      created_at: s.createdAt,
      expires_at: s.expiresAt,
      revoked_at: null,
    });
  }

  async findLiveSession(idHash: string, now: string): Promise<ConsoleSession | undefined> {
    const row = await this.db<Row>('console_sessions')
      .where({ id_hash: idHash })
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .first();
    if (!row) return undefined;
    return {
      idHash: row.id_hash as string,
      orgId: row.org_id as string,
      role: row.role as string,
      origin: row.origin as string,
      createdAt: toIso(row.created_at),
      expiresAt: toIso(row.expires_at),
    };
  }

  async revokeSession(idHash: string, now: string): Promise<void> {
    await this.db('console_sessions').where({ id_hash: idHash }).whereNull('revoked_at').update({ revoked_at: now });
  }
}
