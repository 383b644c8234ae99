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
