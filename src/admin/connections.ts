/** An org's IdP connections: creating them, their sign-in domains, and what the console shows of them. */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { CONNECTION_KINDS, isConnectionKind, type Connection } from '../domain/connection.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import { nowIso } from '../domain/clock.js';
import { oidcEndpoints, samlEndpoints, type OidcEndpoints, type SamlEndpoints } from '../domain/sso-endpoints.js';
import type { ConnectionSettingsView, ConnectionStatus } from '../store/read-models/connection-status.js';
import type { Store } from '../store/store.js';

/** One connection as the console shows it: status, settings, and what to enter at the IdP. */
export interface ConnectionDetail extends ConnectionStatus, ConnectionSettingsView {
  readonly scimBaseUrl: string;
  readonly samlEndpoints: SamlEndpoints;
  readonly oidcEndpoints: OidcEndpoints;
}

export class ConnectionService {
  constructor(
    private readonly store: Store,
    private readonly publicUrl: string,
  ) {}

  async create(orgId: string, input: { kind: string; name: string }, actor: Actor): Promise<Connection> {
    const kind = input.kind.trim().toLowerCase();
    if (!isConnectionKind(kind)) {
      throw new InvalidInputError('connection.invalid_kind', `kind must be one of ${CONNECTION_KINDS.join(', ')}`);
    }
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) {
      throw new InvalidInputError('connection.invalid_name', 'The connection name must be 1 to 200 characters');
    }
    return this.store.transaction(async (repos) => {
      const at = nowIso();
      const connection: Connection = {
        id: randomUUID(),
        orgId,
        kind,
        name,
        lastScimRequestAt: null,
        lastScimError: null,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      await repos.connections.insert(connection);
      await recordAudit(repos, orgId, actor, {
        action: 'connection.created',
        target: { type: 'connection', id: connection.id, label: name },
        data: { kind },
      });
      return connection;
    });
  }

  async get(orgId: string, id: string): Promise<Connection> {
    const connection = await this.store.repos.connections.get(orgId, id);
    if (!connection) throw new NotFoundError('connection', id);
    return connection;
  }

  list(orgId: string): Promise<Connection[]> {
    return this.store.repos.connections.list(orgId);
  }

  /** The live status of each connection given (last SCIM request and error, counts, sign-in). */
  statuses(orgId: string, connections: readonly Connection[]): Promise<ConnectionStatus[]> {
    return this.store.readModels.connectionStatus.statuses(orgId, connections);
  }

  async detail(orgId: string, connectionId: string): Promise<ConnectionDetail> {
    const connection = await this.get(orgId, connectionId);
    const view = this.store.readModels.connectionStatus;
    const [[status], settings] = await Promise.all([
      view.statuses(orgId, [connection]),
      view.settings(orgId, connectionId),
    ]);
    return {
      ...status!,
      scimBaseUrl: `${this.publicUrl}/scim/v2`,
      saml: settings.saml,
      oidc: settings.oidc,
      samlEndpoints: samlEndpoints(this.publicUrl, connectionId),
      oidcEndpoints: oidcEndpoints(this.publicUrl, connectionId),
      domains: settings.domains,
      tokens: settings.tokens,
    };
  }

  /** Remembers the last error answered to a connection's IdP (shown in its status). */
  recordScimError(
    orgId: string,
    connectionId: string,
    error: { at: string; status: number; method: string; path: string; detail: string },
  ): Promise<void> {
    return this.store.repos.connections.recordScimError(orgId, connectionId, error);
  }

  /** Operator-level: the org that owns a connection named by id alone (CLI). */
  async ownerOf(id: string): Promise<string> {
    const orgId = await this.store.repos.connections.ownerOf(id);
    if (!orgId) throw new NotFoundError('connection', id);
    return orgId;
  }

  /** Adds an email domain: sign-in discovery by email, and which emails the connection's IdP may vouch for. */
  async addDomain(orgId: string, connectionId: string, rawDomain: string, actor: Actor): Promise<string> {
    const domain = rawDomain.trim().toLowerCase();
    if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) {
      throw new InvalidInputError('connection.invalid_domain', `${JSON.stringify(rawDomain)} is not a domain name`);
    }
    return this.store.transaction(async (repos) => {
      if (!(await repos.connections.get(orgId, connectionId))) throw new NotFoundError('connection', connectionId);
      if (!(await repos.connections.addDomain(orgId, connectionId, domain, nowIso()))) {
        throw new ConflictError('connection.domain_taken', `The domain ${domain} is already registered`);
      }
      await recordAudit(repos, orgId, actor, {
        action: 'connection.domain_added',
        target: { type: 'connection', id: connectionId },
        data: { domain },
      });
      return domain;
    });
  }

  async removeDomain(orgId: string, connectionId: string, rawDomain: string, actor: Actor): Promise<void> {
    const domain = rawDomain.trim().toLowerCase();
    await this.store.transaction(async (repos) => {
      const domains = await repos.connections.domains(orgId, connectionId);
      if (!domains.includes(domain)) throw new NotFoundError('domain', domain);
      await repos.connections.removeDomain(orgId, domain);
      await recordAudit(repos, orgId, actor, {
        action: 'connection.domain_removed',
        target: { type: 'connection', id: connectionId },
        data: { domain },
      });
    });
  }
}
