/**
 * SAML 2.0 sign-in per connection with passport and @node-saml/passport-saml's
 * MultiSamlStrategy. Strict by configuration: signed assertions always (and signed
 * responses when the connection asks), InResponseTo required unless the connection allows
 * IdP-initiated login, the request-id cache in the database (shared by every instance,
 * expiring after 10 minutes), 30 s of clock skew, the audience checked. And strict by the
 * checks the library leaves out (saml-checks.ts): Destination, Recipient, Issuer; plus a
 * replay cache of assertion ids, a refusal of any DOCTYPE, and a RelayState honoured only
 * as a path on this service.
 */
import type { NextFunction, Request, Response } from 'express';
import {
  MultiSamlStrategy,
  type Profile,
  type VerifiedCallback,
  type VerifyWithRequest,
} from '@node-saml/passport-saml';
import { SAML, ValidateInResponseTo, type CacheProvider, type SamlConfig } from '@node-saml/node-saml';
import { Passport, type Strategy as PassportStrategy } from 'passport';
import type { DirectoryUser } from '../domain/directory.js';
import type { SamlSettings } from '../domain/sso-settings.js';
import { nowIso } from '../store/rows.js';
import type { Store } from '../store/store.js';
import { checkResponse } from './saml-checks.js';
import { safeReturnTo } from './oidc-login.js';
import { SignInRefused, signInUser, type Directories } from './sign-in.js';

const STRATEGY = 'saml';
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

interface Loaded {
  readonly orgId: string;
  readonly connectionId: string;
  readonly settings: SamlSettings;
}

/** The connection each request in flight is for (set by `load`, read by the strategy's callbacks). */
const connectionOf = new WeakMap<object, Loaded>();

/**
 * passport-saml's type declarations are written against Express 4's; at run time it is
 * handed Express 5 requests, which it reads the same way. The one cast is here.
 */
type AnyRequest = object;
type Verify = (req: AnyRequest, profile: Profile | null, done: VerifiedCallback) => void;

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
  private readonly passport = new Passport();
  private readonly strategy: MultiSamlStrategy;

  constructor(
    private readonly store: Store,
    private readonly directories: Directories,
    private readonly publicUrl: string,
  ) {
    const signon: Verify = (req, profile, done) => {
      this.verify(req, profile).then(
        (signedIn) => done(null, signedIn as unknown as Record<string, unknown>),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    };
    const logout: Verify = (_req, _profile, done) => done(null, undefined);
    const strategy = new MultiSamlStrategy(
      {
        passReqToCallback: true,
        getSamlOptions: (req, done) => {
          const loaded = connectionOf.get(req);
          if (!loaded) {
            done(new SignInRefused('the connection has no SAML settings'));
            return;
          }
          done(null, this.optionsFor(loaded));
        },
      },
      signon as unknown as VerifyWithRequest,
      logout as unknown as VerifyWithRequest,
    );
    this.strategy = strategy;
    this.passport.use(STRATEGY, strategy as unknown as PassportStrategy);
  }

  entityId(connectionId: string): string {
    return `${this.publicUrl}/sso/${connectionId}/saml/metadata`;
  }

  acsUrl(connectionId: string): string {
    return `${this.publicUrl}/sso/${connectionId}/saml/acs`;
  }

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

  private optionsFor(loaded: Loaded): SamlConfig {
    const { settings, orgId, connectionId } = loaded;
    return {
      callbackUrl: this.acsUrl(connectionId),
      entryPoint: settings.idpSsoUrl,
      issuer: this.entityId(connectionId),
      audience: this.entityId(connectionId),
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

  /** Loads the connection named in the path; a refusal when it has no SAML settings. */
  async load(req: Request): Promise<void> {
    const connectionId = String(req.params.connection);
    const orgId = await this.store.repos.connections.ownerOf(connectionId);
    const settings = orgId ? await this.store.repos.connections.samlSettings(orgId, connectionId) : undefined;
    if (!orgId || !settings) throw new SignInRefused('the connection has no SAML settings');
    connectionOf.set(req, { orgId, connectionId, settings });
  }

  /** SP-initiated login (HTTP-Redirect binding); the RelayState carries where to land. */
  login(req: Request, res: Response, next: NextFunction): void {
    req.body = { RelayState: safeReturnTo(req.query.returnTo) };
    this.passport.authenticate(STRATEGY, { session: false })(req, res, next);
  }

  /** The ACS: resolves to the signed-in user, or rejects with a SignInRefused. */
  acs(req: Request, res: Response): Promise<SamlSignedIn> {
    return new Promise((resolve, reject) => {
      const raw = (req.body as { SAMLResponse?: unknown } | undefined)?.SAMLResponse;
      if (typeof raw !== 'string') {
        reject(new SignInRefused('no SAMLResponse in the request'));
        return;
      }
      if (/<!DOCTYPE/i.test(Buffer.from(raw, 'base64').toString('utf8'))) {
        reject(new SignInRefused('the response carries a DOCTYPE'));
        return;
      }
      this.passport.authenticate(STRATEGY, { session: false }, (error: unknown, result: unknown) => {
        if (error) {
          reject(
            error instanceof SignInRefused
              ? error
              : new SignInRefused(`the response failed validation: ${String((error as Error).message ?? error)}`),
          );
        } else if (!result) {
          reject(new SignInRefused('the response named no user'));
        } else {
          resolve(result as SamlSignedIn);
        }
      })(req, res, () => reject(new SignInRefused('the response was not handled')));
    });
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

  metadata(req: Request): Promise<string> {
    return new Promise((resolve, reject) => {
      this.strategy.generateServiceProviderMetadata(req as unknown as SamlRequest, null, null, (error, xml) =>
        error || !xml ? reject(error ?? new Error('no metadata')) : resolve(xml),
      );
    });
  }

  private async verify(req: AnyRequest, profile: Profile | null): Promise<SamlSignedIn> {
    const loaded = connectionOf.get(req);
    if (!loaded) throw new SignInRefused('the connection has no SAML settings');
    const { orgId, connectionId, settings } = loaded;
    if (!profile) throw new SignInRefused('the response named no user');
    const facts = (() => {
      try {
        return checkResponse(profile.getSamlResponseXml?.() ?? '', profile.getAssertionXml?.() ?? '', {
          acsUrl: this.acsUrl(connectionId),
          idpEntityId: settings.idpEntityId,
        });
      } catch (error) {
        throw new SignInRefused((error as Error).message);
      }
    })();
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
    const relayState = (req as { body?: { RelayState?: unknown } }).body?.RelayState;
    return {
      user,
      orgId,
      connectionId,
      returnTo: safeReturnTo(relayState),
      nameId: profile.nameID,
      nameIdFormat: typeof profile.nameIDFormat === 'string' ? profile.nameIDFormat : undefined,
      sessionIndex: typeof profile.sessionIndex === 'string' ? profile.sessionIndex : undefined,
    };
  }
}

type SamlRequest = Parameters<MultiSamlStrategy['generateServiceProviderMetadata']>[0];
