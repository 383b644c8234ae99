/** What the admin API's routes are built from. */
import type { Services } from '../services.js';
import type { SecretBox } from '../sso/secret-box.js';

export interface AdminApiDeps {
  readonly services: Services;
  /** Seals OIDC client secrets. */
  readonly box: SecretBox;
  readonly publicUrl: string;
}
