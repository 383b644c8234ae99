/**
 * OpenID Connect sign-in per connection (openid-client 6): discovery of the connection's
 * issuer, authorization code flow with PKCE S256, state and nonce, and the ID token's
 * signature checked against the IdP's JWKS even when it comes from the token endpoint
 * (`enableNonRepudiationChecks`; by default the library trusts TLS there). Wrong iss, aud,
 * azp, expired tokens and `alg: none` are refused by the library.
 *
 * The outstanding request (state, nonce, sealed PKCE verifier, the browser binding) lives
 * in the database, so a login started on one instance completes on any other, and each
 * can be answered once. The browser that started the login must finish it: a cookie set
 * at the start is matched at the callback (login CSRF).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { OidcSettings } from '../domain/sso-settings.js';
import { oidcEndpoints } from '../domain/sso-endpoints.js';
import { nowIso } from '../domain/clock.js';
import type { Store } from '../store/store.js';
import type { SecretBox } from './secret-box.js';
import { safeReturnTo } from './return-to.js';
import { SignInRefused, signInUser, type Directories } from './sign-in.js';
import type { DirectoryUser } from '../domain/directory.js';
import { OutboundError, type GuardedFetch } from '../outbound/guarded-fetch.js';

const REQUEST_TTL_MS = 10 * 60 * 1000;
const DISCOVERY_TTL_MS = 10 * 60 * 1000;

export interface OidcStart {
  readonly redirectTo: string;
  /** Cookie value binding this browser to the request. */
  readonly binding: string;
}

export interface OidcSignedIn {
  readonly user: DirectoryUser;
  readonly orgId: string;
  readonly connectionId: string;
  readonly returnTo: string;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The groups claim; undefined when absent or when Entra points to Graph instead (overage). */
function claimedGroups(claims: oidc.IDToken, name: string): string[] | undefined {
  const overage = (claims._claim_names as Record<string, unknown> | undefined)?.[name];
  if (overage !== undefined) return undefined;
  const value = claims[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/** A discovery that failed, in words that say what to fix and never what the far side answered. */
function refusedFetch(error: unknown): SignInRefused {
  if (error instanceof OutboundError) return new SignInRefused(`the identity provider's issuer URL ${error.message}`);
  return new SignInRefused("the identity provider's OpenID configuration could not be read from its issuer URL");
}

export class OidcLogin {
  private readonly discovered = new Map<string, { config: oidc.Configuration; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly directories: Directories,
    private readonly box: SecretBox,
    private readonly publicUrl: string,
    /** Every request to the IdP (discovery, JWKS, token) goes through it. */
    private readonly outbound: GuardedFetch,
  ) {}

  redirectUri(connectionId: string): string {
    return oidcEndpoints(this.publicUrl, connectionId).redirectUri;
  }

  /** "Sign in with SSO": the connection an email domain names, when it has OpenID Connect sign-in. */
  async connectionForDomain(domain: string): Promise<string | undefined> {
    const found = await this.store.repos.connections.findByDomain(domain);
    if (!found) return undefined;
    const ready = await this.store.repos.connections.oidcSettings(found.orgId, found.connectionId);
    return ready ? found.connectionId : undefined;
  }

  private async settingsOf(connectionId: string): Promise<{ orgId: string; settings: OidcSettings }> {
    const orgId = await this.store.repos.connections.ownerOf(connectionId);
    const settings = orgId ? await this.store.repos.connections.oidcSettings(orgId, connectionId) : undefined;
    if (!orgId || !settings) throw new SignInRefused('the connection has no OpenID Connect settings');
    return { orgId, settings };
  }

  private async configOf(connectionId: string, settings: OidcSettings): Promise<oidc.Configuration> {
    const key = `${connectionId}|${settings.issuer}|${settings.clientId}|${settings.clientSecretSealed}`;
    const cached = this.discovered.get(key);
    if (cached && cached.until > Date.now()) return cached.config;
    const issuer = new URL(settings.issuer);
    const config = await oidc
      .discovery(issuer, settings.clientId, this.box.open(settings.clientSecretSealed), undefined, {
        [oidc.customFetch]: this.outbound.fetch,
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        throw refusedFetch(error);
      });
    oidc.enableNonRepudiationChecks(config);
    this.discovered.set(key, { config, until: Date.now() + DISCOVERY_TTL_MS });
    return config;
  }

  async start(connectionId: string, returnTo: unknown): Promise<OidcStart> {
    const { orgId, settings } = await this.settingsOf(connectionId);
    const config = await this.configOf(connectionId, settings);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const binding = randomBytes(24).toString('base64url');
    const now = Date.now();
    await this.store.repos.ssoRequests.insert({
      id: sha256(state),
      orgId,
      connectionId,
      protocol: 'oidc',
      data: {
        nonce,
        verifier: this.box.seal(verifier),
        binding: sha256(binding),
        returnTo: safeReturnTo(returnTo),
      },
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + REQUEST_TTL_MS).toISOString(),
    });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(connectionId),
      scope: settings.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { redirectTo: url.href, binding };
  }

  /** Completes the flow from the callback URL the browser arrived at. */
  async finish(connectionId: string, callbackUrl: URL, binding: string | undefined): Promise<OidcSignedIn> {
    const { orgId, settings } = await this.settingsOf(connectionId);
    const state = callbackUrl.searchParams.get('state');
    if (!state) throw new SignInRefused('the callback carries no state');
    const request = await this.store.repos.ssoRequests.take(orgId, connectionId, sha256(state), nowIso());
    if (!request || request.protocol !== 'oidc') throw new SignInRefused('unknown, used or expired state');
    const data = request.data as { nonce: string; verifier: string; binding: string; returnTo: string };
    if (!binding || sha256(binding) !== data.binding) {
      throw new SignInRefused('the login was not started by this browser');
    }
    if (callbackUrl.searchParams.has('error')) {
      throw new SignInRefused(`the identity provider answered ${callbackUrl.searchParams.get('error')}`);
    }
    const config = await this.configOf(connectionId, settings);
    // The library compares the redirect it is given with the one it sent: use ours, not the Host header's.
    const current = new URL(this.redirectUri(connectionId));
    current.search = callbackUrl.search;
    let claims: oidc.IDToken;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: this.box.open(data.verifier),
        expectedState: state,
        expectedNonce: data.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims()!;
    } catch (error) {
      throw new SignInRefused(`the identity provider's answer failed validation: ${(error as Error).message}`);
    }
    const user = await signInUser(
      this.store,
      this.directories,
      { orgId, connectionId },
      {
        protocol: 'oidc',
        subject:
          typeof claims.tid === 'string' && typeof claims.oid === 'string' ? `${claims.tid}/${claims.oid}` : claims.sub,
        userName: typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined,
        trustedEmail: await this.trustedEmail(orgId, connectionId, claims),
        displayName: typeof claims.name === 'string' ? claims.name : undefined,
        groups: claimedGroups(claims, settings.groupsClaim),
      },
      settings.jit,
    );
    return { user, orgId, connectionId, returnTo: data.returnTo };
  }

  /** The email, when the IdP says it is verified and its domain is one of the connection's. */
  private async trustedEmail(orgId: string, connectionId: string, claims: oidc.IDToken): Promise<string | undefined> {
    const email = claims.email;
    if (typeof email !== 'string' || claims.email_verified !== true) return undefined;
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    const domains = await this.store.repos.connections.domains(orgId, connectionId);
    return domains.includes(domain) ? email : undefined;
  }
}
