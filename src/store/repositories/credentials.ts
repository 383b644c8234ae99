import type { Knex } from 'knex';
import type { ApiTokenKind } from '../../domain/secret-token.js';
import { toIso, toIsoOrNull } from '../rows.js';

/** A bearer credential as stored: never the token itself, only its lookup prefix and hash. */
export interface StoredCredential {
  readonly id: string;
  readonly orgId: string;
  readonly prefix: string;
  readonly tokenHash: string;
  readonly description: string | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  readonly expiresAt: string | null;
}

export interface ScimTokenRecord extends StoredCredential {
  readonly connectionId: string;
}

/** `admin`: the admin API, with a role; `api`: the decision API (role User). */

export interface AdminTokenRecord extends StoredCredential {
  readonly kind: ApiTokenKind;
  readonly role: string;
}

type Row = Record<string, unknown>;

function toStored(row: Row): StoredCredential {
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    prefix: row.prefix as string,
    tokenHash: row.token_hash as string,
    description: (row.description as string | null) ?? null,
    createdAt: toIso(row.created_at),
    lastUsedAt: toIsoOrNull(row.last_used_at),
    revokedAt: toIsoOrNull(row.revoked_at),
    expiresAt: toIsoOrNull(row.expires_at),
  };
}

/** Shared shape of the scim_tokens and admin_tokens tables. */
abstract class CredentialRepository<T extends StoredCredential> {
  protected abstract readonly table: string;
  protected abstract toRecord(row: Row): T;

  constructor(protected readonly db: Knex) {}

  /**
   * The authentication entry point: a presented token names its prefix, the prefix names
   * the row, and the row names the org. Not scoped because the org is what it finds.
   */
  async findByPrefix(prefix: string): Promise<T | undefined> {
    const row = await this.db<Row>(this.table).where({ prefix }).first();
    return row ? this.toRecord(row) : undefined;
  }

  async get(orgId: string, id: string): Promise<T | undefined> {
    const row = await this.db<Row>(this.table).where({ org_id: orgId, id }).first();
    return row ? this.toRecord(row) : undefined;
  }

  async revoke(orgId: string, id: string, at: string): Promise<boolean> {
    const n = await this.db(this.table).where({ org_id: orgId, id }).whereNull('revoked_at').update({ revoked_at: at });
    return n > 0;
  }

  /** Records use; skips the write when the stored time is recent, so a busy token costs no write per request. */
  async touch(orgId: string, id: string, at: string, notBefore: string): Promise<void> {
    await this.db(this.table)
      .where({ org_id: orgId, id })
      .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', notBefore))
      .update({ last_used_at: at });
  }

  /** Operator-level: which org a credential belongs to (the CLI revokes by id alone). */
  async ownerOf(id: string): Promise<string | undefined> {
    const row = await this.db<Row>(this.table).where({ id }).first('org_id');
    return row ? (row.org_id as string) : undefined;
  }
}

export class ScimTokenRepository extends CredentialRepository<ScimTokenRecord> {
  protected readonly table = 'scim_tokens';

  protected toRecord(row: Row): ScimTokenRecord {
    return { ...toStored(row), connectionId: row.connection_id as string };
  }

  async insert(token: ScimTokenRecord): Promise<void> {
    await this.db(this.table).insert({
      id: token.id,
      org_id: token.orgId,
      connection_id: token.connectionId,
      prefix: token.prefix,
      token_hash: token.tokenHash,
      description: token.description,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
    });
  }

  async listForConnection(orgId: string, connectionId: string): Promise<ScimTokenRecord[]> {
    const rows = await this.db<Row>(this.table)
      .where({ org_id: orgId, connection_id: connectionId })
      .orderBy('created_at')
      .orderBy('id');
    return rows.map((r) => this.toRecord(r));
  }
}

export class AdminTokenRepository extends CredentialRepository<AdminTokenRecord> {
  protected readonly table = 'admin_tokens';

  protected toRecord(row: Row): AdminTokenRecord {
    return { ...toStored(row), kind: row.kind === 'api' ? 'api' : 'admin', role: row.role as string };
  }

  async insert(token: AdminTokenRecord): Promise<void> {
    await this.db(this.table).insert({
      id: token.id,
      org_id: token.orgId,
      prefix: token.prefix,
      token_hash: token.tokenHash,
      description: token.description,
      kind: token.kind,
      role: token.role,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
    });
  }

  async list(orgId: string, kind: ApiTokenKind): Promise<AdminTokenRecord[]> {
    const rows = await this.db<Row>(this.table).where({ org_id: orgId, kind }).orderBy('created_at').orderBy('id');
    return rows.map((r) => this.toRecord(r));
  }
}
