/** What the admin API's routes are built from. */
import type { Services } from '../services.js';

export interface AdminApiDeps {
  readonly services: Services;
  readonly publicUrl: string;
}
