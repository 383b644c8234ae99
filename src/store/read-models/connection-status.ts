/**
 * What the console shows of a connection: when its IdP last called (any token, any
 * request), the last error answered to it, how many users and groups it has pushed, which
 * sign-in it has, and (for one connection) its sign-in settings without their secrets, its
 * domains and its SCIM tokens without the tokens. Reads only.
 */
import type { Connection, ConnectionKind } from '../../domain/connection.js';
import type { SamlAttributeNames } from '../../domain/sso-settings.js';
import type { DirectorySourceKind, SyncStatus } from '../../domain/directory-sync.js';
import type { ConnectionRepository } from '../repositories/connections.js';
import type { ScimTokenRecord, ScimTokenRepository } from '../repositories/credentials.js';
import type { DirectorySyncRepository } from '../repositories/directory-sync.js';
import type { DirectoryBrowseReadModel } from './directory-browse.js';

export interface ScimErrorSeen {
  readonly at: string;
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly detail: string;
}

export interface ConnectionStatus {
  readonly id: string;
  readonly kind: ConnectionKind;
  readonly name: string;
  readonly createdAt: string;
  readonly status: {
    readonly lastScimRequestAt: string | null;
    readonly lastScimError: ScimErrorSeen | null;
    readonly users: number;
    readonly groups: number;
    /** Where the connection's people come from. */
    readonly source: DirectorySourceKind;
    /** The directory sync's last finished run, for a connection it feeds. */
    readonly lastSync: {
      readonly at: string;
      readonly status: SyncStatus;
      readonly errorMessage: string | null;
    } | null;
  };
  readonly sso: { readonly saml: boolean; readonly oidc: boolean };
}

export interface ScimTokenView {
  readonly id: string;
  readonly connectionId: string;
  readonly prefix: string;
  readonly description: string | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  readonly expiresAt: string | null;
}

/** A SCIM token as it may be shown: never its hash. */
export function scimTokenView(t: ScimTokenRecord): ScimTokenView {
  return {
    id: t.id,
    connectionId: t.connectionId,
    prefix: t.prefix,
    description: t.description,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
    expiresAt: t.expiresAt,
  };
}

/** Sign-in settings as an admin may read them back: no certificates' text, no client secret. */
export interface ConnectionSettingsView {
  readonly saml: {
    readonly idpEntityId: string;
    readonly idpSsoUrl: string;
    readonly certificates: number;
    readonly wantResponseSigned: boolean;
    readonly allowIdpInitiated: boolean;
    readonly jit: boolean;
    readonly attributes: SamlAttributeNames;
    readonly idpLogoutUrl: string | null;
  } | null;
  readonly oidc: {
    readonly issuer: string;
    readonly clientId: string;
    readonly groupsClaim: string;
    readonly jit: boolean;
  } | null;
  readonly domains: string[];
  readonly tokens: ScimTokenView[];
}

/** The last error as stored (JSON); an unreadable one is shown as its text. */
function parseError(raw: string | null): ScimErrorSeen | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as ScimErrorSeen;
  } catch {
    return { at: '', status: 0, method: '', path: '', detail: raw };
  }
}

export class ConnectionStatusReadModel {
  constructor(
    private readonly repos: {
      readonly connections: ConnectionRepository;
      readonly scimTokens: ScimTokenRepository;
      readonly directorySync: DirectorySyncRepository;
    },
    private readonly browse: DirectoryBrowseReadModel,
  ) {}

  /** The status of each of the org's connections given, in their order. */
  async statuses(orgId: string, list: readonly Connection[]): Promise<ConnectionStatus[]> {
    const { connections, scimTokens, directorySync } = this.repos;
    const counts = await this.browse.countsByConnection(orgId);
    return Promise.all(
      list.map(async (c) => {
        const [tokens, saml, oidc, source] = await Promise.all([
          scimTokens.listForConnection(orgId, c.id),
          connections.samlSettings(orgId, c.id),
          connections.oidcSettings(orgId, c.id),
          directorySync.sourceOf(c.id),
        ]);
        const lastRun =
          source === 'google'
            ? (await directorySync.runs(orgId, c.id, 5)).find((r) => r.status !== 'running')
            : undefined;
        const lastUsed = tokens
          .map((t) => t.lastUsedAt)
          .concat(c.lastScimRequestAt)
          .filter((t): t is string => t !== null)
          .sort()
          .pop();
        return {
          id: c.id,
          kind: c.kind,
          name: c.name,
          createdAt: c.createdAt,
          status: {
            lastScimRequestAt: lastUsed ?? null,
            lastScimError: parseError(c.lastScimError),
            users: counts.get(c.id)?.users ?? 0,
            groups: counts.get(c.id)?.groups ?? 0,
            source: source ?? 'scim',
            lastSync: lastRun
              ? {
                  at: lastRun.finishedAt ?? lastRun.startedAt,
                  status: lastRun.status,
                  errorMessage: lastRun.errorMessage,
                }
              : null,
          },
          sso: { saml: saml !== undefined, oidc: oidc !== undefined },
        };
      }),
    );
  }

  /** One connection's sign-in settings, domains and SCIM tokens. */
  async settings(orgId: string, connectionId: string): Promise<ConnectionSettingsView> {
    const { connections, scimTokens } = this.repos;
    const [saml, oidc, domains, tokens] = await Promise.all([
      connections.samlSettings(orgId, connectionId),
      connections.oidcSettings(orgId, connectionId),
      connections.domains(orgId, connectionId),
      scimTokens.listForConnection(orgId, connectionId),
    ]);
    return {
      saml: saml
        ? {
            idpEntityId: saml.idpEntityId,
            idpSsoUrl: saml.idpSsoUrl,
            certificates: saml.idpCerts.length,
            wantResponseSigned: saml.wantResponseSigned,
            allowIdpInitiated: saml.allowIdpInitiated,
            jit: saml.jit,
            attributes: saml.attributes,
            idpLogoutUrl: saml.idpLogoutUrl ?? null,
          }
        : null,
      oidc: oidc
        ? { issuer: oidc.issuer, clientId: oidc.clientId, groupsClaim: oidc.groupsClaim, jit: oidc.jit }
        : null,
      domains,
      tokens: tokens.map(scimTokenView),
    };
  }
}
