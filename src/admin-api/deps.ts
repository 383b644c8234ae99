/** What the admin API's routes are built from. */
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import type { Services } from '../services.js';
import type { SecretBox } from '../sso/secret-box.js';

export interface AdminApiDeps {
  readonly services: Services;
  /** Seals OIDC client secrets. */
  readonly box: SecretBox;
  readonly publicUrl: string;
  /** Fetches URLs an admin typed (SAML metadata). */
  readonly outbound: GuardedFetch;
}
