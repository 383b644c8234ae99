/** Sign-in sessions, looked up by the hash of the cookie value (the value itself is never stored). */
import { prepared } from '../prepared-statements.js';
import type { Knex } from 'knex';
import { fromJson, toIso, toIsoOrNull, toJson } from '../rows.js';

export interface SessionRecord {
  readonly idHash: string;
  readonly orgId: string;
  readonly userId: string;
  readonly connectionId: string | null;
  readonly protocol: string;
  readonly data: Readonly<Record<string, unknown>> | null;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

type Row = Record<string, unknown>;

export class SessionRepository {
  constructor(private readonly db: Knex) {}

  async insert(s: SessionRecord): Promise<void> {
    await this.db('sessions').insert({
      id_hash: s.idHash,
      org_id: s.orgId,
      user_id: s.userId,
      connection_id: s.connectionId,
      protocol: s.protocol,
      data: toJson(s.data),
      created_at: s.createdAt,
      last_seen_at: s.lastSeenAt,
      expires_at: s.expiresAt,
      revoked_at: s.revokedAt,
    });
  }

  /** The entry point of session authentication: the cookie names the session, the session names the org. */
  async findLive(idHash: string, now: string): Promise<SessionRecord | undefined> {
    const row = await this.db<Row>('sessions')
      .where({ id_hash: idHash })
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .first();
    if (!row) return undefined;
    return {
      idHash: row.id_hash as string,
      orgId: row.org_id as string,
      userId: row.user_id as string,
      connectionId: (row.connection_id as string | null) ?? null,
      protocol: row.protocol as string,
      data: fromJson(row.data),
      createdAt: toIso(row.created_at),
      lastSeenAt: toIso(row.last_seen_at),
      expiresAt: toIso(row.expires_at),
      revokedAt: toIsoOrNull(row.revoked_at),
    };
  }

  async touch(idHash: string, at: string): Promise<void> {
    await this.db('sessions').where({ id_hash: idHash }).update({ last_seen_at: at });
  }

  async revoke(orgId: string, idHash: string, at: string): Promise<boolean> {
    return (
      (await this.db('sessions')
        .where({ org_id: orgId, id_hash: idHash })
        .whereNull('revoked_at')
        .update({ revoked_at: at })) > 0
    );
  }

  /** Ends every session of a user (deactivation, deletion). */
  async revokeAllForUser(orgId: string, userId: string, at: string): Promise<number> {
    return prepared(
      this.db,
      this.db('sessions').where({ org_id: orgId, user_id: userId }).whereNull('revoked_at').update({ revoked_at: at }),
    );
  }

  async deleteExpired(before: string): Promise<number> {
    return this.db('sessions').where('expires_at', '<', before).delete();
  }
}
