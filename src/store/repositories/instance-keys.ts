/**
 * Instance-wide key material (not tenant data): generated secrets and the keys that sign
 * access tokens. Shared by every instance through the database.
 */
import type { Knex } from 'knex';
import { fromJson, isUniqueViolation, toIso, toIsoOrNull, toJson } from '../rows.js';

type Row = Record<string, unknown>;

export class InstanceSecretRepository {
  constructor(private readonly db: Knex) {}

  /** Returns the stored secret, storing `generated` first when there is none (first writer wins). */
  async getOrCreate(name: string, generated: string, at: string): Promise<{ value: string; created: boolean }> {
    const existing = await this.db<Row>('instance_secrets').where({ name }).first();
    if (existing) return { value: existing.value as string, created: false };
    try {
      await this.db('instance_secrets').insert({ name, value: generated, created_at: at });
      return { value: generated, created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const row = await this.db<Row>('instance_secrets').where({ name }).first();
      return { value: row?.value as string, created: false };
    }
  }
}

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  readonly publicJwk: Readonly<Record<string, unknown>>;
  readonly privateJwkEncrypted: string;
  readonly createdAt: string;
  readonly retiredAt: string | null;
}

export class SigningKeyRepository {
  constructor(private readonly db: Knex) {}

  async insert(key: SigningKeyRecord): Promise<void> {
    await this.db('signing_keys').insert({
      kid: key.kid,
      alg: key.alg,
      public_jwk: toJson(key.publicJwk),
      private_jwk_encrypted: key.privateJwkEncrypted,
      created_at: key.createdAt,
      retired_at: key.retiredAt,
    });
  }

  /** Keys not yet retired, newest first (the first one signs; all of them verify). */
  async listActive(): Promise<SigningKeyRecord[]> {
    const rows = await this.db<Row>('signing_keys').whereNull('retired_at').orderBy('created_at', 'desc');
    return rows.map((r) => ({
      kid: r.kid as string,
      alg: r.alg as string,
      publicJwk: fromJson<Record<string, unknown>>(r.public_jwk) ?? {},
      privateJwkEncrypted: r.private_jwk_encrypted as string,
      createdAt: toIso(r.created_at),
      retiredAt: toIsoOrNull(r.retired_at),
    }));
  }

  async retire(kid: string, at: string): Promise<void> {
    await this.db('signing_keys').where({ kid }).update({ retired_at: at });
  }
}
