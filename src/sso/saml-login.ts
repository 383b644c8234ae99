/**
 * SAML 2.0 sign-in per connection on @node-saml/node-saml, in two steps with no state kept
 * between them but the database's: `start` builds the AuthnRequest redirect, `finish`
 * validates the POSTed response and signs the user in. No Express or passport types here:
 * the routes hand in the connection id and the form fields (ADR 0004).
 *
 * Strict by configuration: signed assertions always (and signed responses when the
 * connection asks), InResponseTo required unless the connection allows IdP-initiated
 * login, the request-id cache in the database (shared by every instance, expiring after 10
 * minutes), 30 s of clock skew, the audience checked. And strict by the checks the library
 * leaves out (saml-checks.ts): Destination, Recipient, Issuer; plus a replay cache of
 * assertion ids, a refusal of any DOCTYPE, and a RelayState honoured only as a path on
 * this service.
 */
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile, type SamlConfig } from '@node-saml/node-saml';
import { nowIso } from '../domain/clock.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { SamlSettings } from '../domain/sso-settings.js';
import { samlEndpoints } from '../domain/sso-endpoints.js';
import type { Store } from '../store/store.js';
import { safeReturnTo } from './return-to.js';
import { checkResponse, type AssertionFacts } from './saml-checks.js';
import { SignInRefused, signInUser, type Directories } from './sign-in.js';

const REQUEST_TTL_MS = 10 * 60 * 1000;
const REPLAY_TTL_MS = 24 * 60 * 60 * 1000;

export interface SamlSignedIn {
  readonly user: DirectoryUser;
  readonly orgId: string;
  readonly connectionId: string;
  readonly returnTo: string;
  readonly nameId: string;
  readonly nameIdFormat: string | undefined;
  readonly sessionIndex: string | undefined;
}

/** The form fields the IdP POSTs to the ACS (HTTP-POST binding). */
export interface SamlPost {
  readonly SAMLResponse?: unknown;
  readonly RelayState?: unknown;
}

interface Loaded {
  readonly orgId: string;
  readonly connectionId: string;
  readonly settings: SamlSettings;
}

function attribute(profile: Profile, name: string): string | undefined {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const value = attributes[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/** Entra sends this instead of the groups when a user is in too many: the list is unknown. */
const ENTRA_GROUPS_OVERAGE = 'http://schemas.microsoft.com/claims/groups.link';

function claimedGroups(profile: Profile, name: string): string[] | undefined {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  if (attributes[ENTRA_GROUPS_OVERAGE] !== undefined) return undefined;
  const value = attributes[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

export class SamlLogin {
  constructor(
    private readonly store: Store,
    private readonly directories: Directories,
    private readonly publicUrl: string,
  ) {}

  /** SP-initiated login (HTTP-Redirect binding): where to send the browser; the RelayState carries where to land. */
  async start(connectionId: string, returnTo: unknown): Promise<{ readonly redirectTo: string }> {
    const saml = this.samlFor(await this.load(connectionId));
    // The ACS URL is absolute, so the library needs no Host header.
    return { redirectTo: await saml.getAuthorizeUrlAsync(safeReturnTo(returnTo), undefined, {}) };
  }

  /** The ACS: the signed-in user, or a SignInRefused saying why not. */
  async finish(connectionId: string, post: SamlPost): Promise<SamlSignedIn> {
    const loaded = await this.load(connectionId);
    const raw = post.SAMLResponse;
    if (typeof raw !== 'string') throw new SignInRefused('no SAMLResponse in the request');
    if (/<!DOCTYPE/i.test(Buffer.from(raw, 'base64').toString('utf8'))) {
      throw new SignInRefused('the response carries a DOCTYPE');
    }
    const profile = await this.validate(loaded, raw);
    const facts = this.checkedFacts(loaded, profile);
    const { orgId, settings } = loaded;
    const expiresAt = facts.notOnOrAfter ?? new Date(Date.now() + REPLAY_TTL_MS).toISOString();
    if (!(await this.store.repos.samlReplay.remember(orgId, connectionId, facts.id, expiresAt))) {
      throw new SignInRefused('the assertion was already used (replay)');
    }
    const email = attribute(profile, settings.attributes.email);
    const domains = await this.store.repos.connections.domains(orgId, connectionId);
    const trusted =
      email && domains.includes(email.slice(email.lastIndexOf('@') + 1).toLowerCase()) ? email : undefined;
    const user = await signInUser(
      this.store,
      this.directories,
      { orgId, connectionId },
      {
        protocol: 'saml',
        subject: profile.nameID,
        userName: profile.nameID,
        trustedEmail: trusted,
        displayName: attribute(profile, settings.attributes.name),
        groups: claimedGroups(profile, settings.attributes.groups),
      },
      settings.jit,
    );
    return {
      user,
      orgId,
      connectionId,
      returnTo: safeReturnTo(post.RelayState),
      nameId: profile.nameID,
      nameIdFormat: typeof profile.nameIDFormat === 'string' ? profile.nameIDFormat : undefined,
      sessionIndex: typeof profile.sessionIndex === 'string' ? profile.sessionIndex : undefined,
    };
  }

  /** The SP metadata the IdP admin uploads; a SignInRefused when the connection has no SAML settings. */
  async metadata(connectionId: string): Promise<string> {
    return this.samlFor(await this.load(connectionId)).generateServiceProviderMetadata(null, null);
  }

  /**
   * Where to send the browser for SP-initiated single logout (a signed-in SAML session of a
   * connection whose IdP has a logout URL); undefined when there is nowhere to go.
   */
  async logoutUrl(
    orgId: string,
    connectionId: string,
    session: { nameId: string; nameIdFormat: string | null; sessionIndex: string | null },
  ): Promise<string | undefined> {
    const settings = await this.store.repos.connections.samlSettings(orgId, connectionId);
    if (!settings?.idpLogoutUrl) return undefined;
    const saml = new SAML({
      ...this.optionsFor({ orgId, connectionId, settings }),
      logoutUrl: settings.idpLogoutUrl,
    });
    return saml.getLogoutUrlAsync(
      {
        issuer: settings.idpEntityId,
        nameID: session.nameId,
        nameIDFormat: session.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
        ...(session.sessionIndex ? { sessionIndex: session.sessionIndex } : {}),
      },
      '/',
      {},
    );
  }

  /** The connection named in the path with its SAML settings; a refusal when it has none. */
  private async load(connectionId: string): Promise<Loaded> {
    const orgId = await this.store.repos.connections.ownerOf(connectionId);
    const settings = orgId ? await this.store.repos.connections.samlSettings(orgId, connectionId) : undefined;
    if (!orgId || !settings) throw new SignInRefused('the connection has no SAML settings');
    return { orgId, connectionId, settings };
  }

  /** The library's checks: signatures, audience, time window, InResponseTo. */
  private async validate(loaded: Loaded, samlResponse: string): Promise<Profile> {
    let result: { profile: Profile | null; loggedOut: boolean };
    try {
      result = await this.samlFor(loaded).validatePostResponseAsync({ SAMLResponse: samlResponse });
    } catch (error) {
      throw new SignInRefused(`the response failed validation: ${String((error as Error).message ?? error)}`);
    }
    // A LogoutResponse posted to the ACS signs nobody in.
    if (result.loggedOut) throw new SignInRefused('the response was not handled');
    if (!result.profile) throw new SignInRefused('the response named no user');
    return result.profile;
  }

  /** The checks the library leaves out, on the XML it validated. */
  private checkedFacts(loaded: Loaded, profile: Profile): AssertionFacts {
    try {
      return checkResponse(profile.getSamlResponseXml?.() ?? '', profile.getAssertionXml?.() ?? '', {
        acsUrl: samlEndpoints(this.publicUrl, loaded.connectionId).acsUrl,
        idpEntityId: loaded.settings.idpEntityId,
      });
    } catch (error) {
      throw new SignInRefused((error as Error).message);
    }
  }

  private samlFor(loaded: Loaded): SAML {
    return new SAML(this.optionsFor(loaded));
  }

  private optionsFor(loaded: Loaded): SamlConfig {
    const { settings, orgId, connectionId } = loaded;
    const endpoints = samlEndpoints(this.publicUrl, connectionId);
    return {
      callbackUrl: endpoints.acsUrl,
      entryPoint: settings.idpSsoUrl,
      issuer: endpoints.entityId,
      audience: endpoints.entityId,
      idpCert: [...settings.idpCerts],
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: settings.wantResponseSigned,
      validateInResponseTo: settings.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: REQUEST_TTL_MS,
      acceptedClockSkewMs: 30_000,
      cacheProvider: this.cacheFor(orgId, connectionId),
      disableRequestedAuthnContext: true,
      identifierFormat: null,
      signatureAlgorithm: 'sha256',
    };
  }

  /** The AuthnRequest ids awaiting an answer, in the database (any instance may receive the response). */
  private cacheFor(orgId: string, connectionId: string): CacheProvider {
    const requests = this.store.repos.ssoRequests;
    return {
      saveAsync: async (key, value) => {
        const now = Date.now();
        await requests.insert({
          id: key,
          orgId,
          connectionId,
          protocol: 'saml',
          data: { issued: value },
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + REQUEST_TTL_MS).toISOString(),
        });
        return { value, createdAt: now };
      },
      getAsync: async (key) => {
        const found = await requests.peek(orgId, connectionId, key, nowIso());
        return found && found.protocol === 'saml' ? String((found.data as { issued: string }).issued) : null;
      },
      removeAsync: async (key) => (key !== null && (await requests.remove(orgId, connectionId, key)) ? key : null),
    };
  }
}
