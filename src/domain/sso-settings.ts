/** Per-connection sign-in settings (OIDC now; SAML beside it). */
import { InvalidInputError } from './errors/index.js';

export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  /** Sealed with the instance's secret box; never returned by any API. */
  readonly clientSecretSealed: string;
  readonly scopes: readonly string[];
  readonly groupsClaim: string;
  readonly jit: boolean;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** An issuer URL: https, or http on a loopback host (local trials and tests). */
export function checkIssuer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInputError('sso.invalid_issuer', `${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    return value.replace(/\/+$/, '') === url.origin ? url.origin : value;
  }
  throw new InvalidInputError(
    'sso.insecure_issuer',
    `The issuer must use https (http is accepted only on a loopback address): ${JSON.stringify(value)}`,
  );
}

/** Which SAML attribute carries what, by IdP kind (Google's names are the admin's choice). */
export interface SamlAttributeNames {
  readonly email: string;
  readonly name: string;
  readonly groups: string;
}

export const SAML_ATTRIBUTE_DEFAULTS: Readonly<Record<string, SamlAttributeNames>> = {
  entra: {
    email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    name: 'http://schemas.microsoft.com/identity/claims/displayname',
    groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
  },
  okta: { email: 'email', name: 'displayName', groups: 'groups' },
  google: { email: 'email', name: 'name', groups: 'groups' },
  generic: { email: 'email', name: 'displayName', groups: 'groups' },
};

export interface SamlSettings {
  readonly idpEntityId: string;
  readonly idpSsoUrl: string;
  /** PEM certificates; several during a key rollover. */
  readonly idpCerts: readonly string[];
  /** Require the Response to be signed too (Entra signs only the assertion by default). */
  readonly wantResponseSigned: boolean;
  readonly allowIdpInitiated: boolean;
  readonly jit: boolean;
  readonly attributes: SamlAttributeNames;
  /** The IdP's single logout URL (HTTP-Redirect binding), when it has one. */
  readonly idpLogoutUrl?: string;
}
