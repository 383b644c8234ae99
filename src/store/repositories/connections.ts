import type { Knex } from 'knex';
import type { Connection, ConnectionKind } from '../../domain/connection.js';
import { ConflictError } from '../../domain/errors/index.js';
import type { OidcSettings, SamlSettings } from '../../domain/sso-settings.js';
import { fromJson, isUniqueViolation, toIso, toIsoOrNull, toJson } from '../rows.js';

interface ConnectionRow {
  id: string;
  org_id: string;
  kind: string;
  name: string;
  last_scim_request_at: unknown;
  last_scim_error: string | null;
  version: number;
  created_at: unknown;
  updated_at: unknown;
}

function toConnection(row: ConnectionRow): Connection {
  return {
    id: row.id,
    orgId: row.org_id,
    kind: row.kind as ConnectionKind,
    name: row.name,
    lastScimRequestAt: toIsoOrNull(row.last_scim_request_at),
    lastScimError: row.last_scim_error,
    version: Number(row.version),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** IdP connections of an org. Every query is scoped to the org it is given. */
export class ConnectionRepository {
  constructor(private readonly db: Knex) {}

  /** A new connection; a name the org already uses (case-insensitive) is a ConflictError. */
  async insert(connection: Connection): Promise<void> {
    try {
      await this.db('connections').insert({
        id: connection.id,
        org_id: connection.orgId,
        kind: connection.kind,
        name: connection.name,
        name_lower: connection.name.toLowerCase(),
        version: connection.version,
        created_at: connection.createdAt,
        updated_at: connection.updatedAt,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          'connection.name_taken',
          `A connection named ${JSON.stringify(connection.name)} already exists`,
        );
      }
      throw error;
    }
  }

  async get(orgId: string, id: string): Promise<Connection | undefined> {
    const row = await this.db<ConnectionRow>('connections').where({ org_id: orgId, id }).first();
    return row ? toConnection(row) : undefined;
  }

  async list(orgId: string): Promise<Connection[]> {
    const rows = await this.db<ConnectionRow>('connections')
      .where({ org_id: orgId })
      .orderBy('created_at')
      .orderBy('id');
    return rows.map(toConnection);
  }

  async oidcSettings(orgId: string, id: string): Promise<OidcSettings | undefined> {
    const row = (await this.db('connections').where({ org_id: orgId, id }).first('oidc_settings')) as
      { oidc_settings: unknown } | undefined;
    return fromJson<OidcSettings>(row?.oidc_settings) ?? undefined;
  }

  async setOidcSettings(orgId: string, id: string, settings: OidcSettings, at: string): Promise<boolean> {
    return (
      (await this.db('connections')
        .where({ org_id: orgId, id })
        .update({ oidc_settings: toJson(settings), updated_at: at, version: this.db.raw('version + 1') })) > 0
    );
  }

  async samlSettings(orgId: string, id: string): Promise<SamlSettings | undefined> {
    const row = (await this.db('connections').where({ org_id: orgId, id }).first('saml_settings')) as
      { saml_settings: unknown } | undefined;
    return fromJson<SamlSettings>(row?.saml_settings) ?? undefined;
  }

  async setSamlSettings(orgId: string, id: string, settings: SamlSettings, at: string): Promise<boolean> {
    return (
      (await this.db('connections')
        .where({ org_id: orgId, id })
        .update({ saml_settings: toJson(settings), updated_at: at, version: this.db.raw('version + 1') })) > 0
    );
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    return (await this.db('connections').where({ org_id: orgId, id }).delete()) > 0;
  }

  /** Registers an email domain for sign-in discovery; false when another connection already claims it. */
  async addDomain(orgId: string, connectionId: string, domain: string, at: string): Promise<boolean> {
    try {
      await this.db('connection_domains').insert({
        domain: domain.toLowerCase(),
        org_id: orgId,
        connection_id: connectionId,
        created_at: at,
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async domains(orgId: string, connectionId: string): Promise<string[]> {
    const rows: Array<{ domain: string }> = await this.db('connection_domains')
      .where({ org_id: orgId, connection_id: connectionId })
      .orderBy('domain')
      .select('domain');
    return rows.map((r) => r.domain);
  }

  async removeDomain(orgId: string, domain: string): Promise<boolean> {
    return (await this.db('connection_domains').where({ org_id: orgId, domain: domain.toLowerCase() }).delete()) > 0;
  }

  /** Sign-in discovery: an email's domain names the connection, and so the org. Not scoped for that reason. */
  async findByDomain(domain: string): Promise<{ orgId: string; connectionId: string } | undefined> {
    const row: { org_id: string; connection_id: string } | undefined = await this.db('connection_domains')
      .where({ domain: domain.toLowerCase() })
      .first('org_id', 'connection_id');
    return row ? { orgId: row.org_id, connectionId: row.connection_id } : undefined;
  }

  /**
   * Which org owns a connection. Operator-level lookup (the CLI names a connection by id
   * alone); the answer is then used to scope every further call.
   */
  async ownerOf(id: string): Promise<string | undefined> {
    const row = await this.db<ConnectionRow>('connections').where({ id }).first('org_id');
    return row?.org_id;
  }

  /** The last SCIM request the connection's IdP got an error for (shown in the console's status). */
  async recordScimError(
    orgId: string,
    id: string,
    error: { at: string; status: number; method: string; path: string; detail: string },
  ): Promise<void> {
    await this.db('connections')
      .where({ org_id: orgId, id })
      .update({ last_scim_error: JSON.stringify(error) });
  }
}
