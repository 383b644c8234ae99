/** The services on a test store, built by the composition root with a fixed session secret. */
import { createServices, type ServiceSettings, type Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';

export const TEST_SESSION_SECRET = 'test-session-secret-that-is-long-enough-0123456789';

export function testServices(store: Store, settings: Partial<ServiceSettings> = {}): Services {
  return createServices(store, { publicUrl: 'http://localhost:8080', sessionSecret: TEST_SESSION_SECRET, ...settings });
}
