/**
 * The secret that signs session cookies and encrypts stored secrets. Taken from
 * SESSION_SECRET; when unset, generated once and kept in the database so that every
 * instance and every restart shares it — convenient for a trial, and loudly reported,
 * because anyone who can read the database can then forge sessions.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config.js';
import { nowIso } from '../domain/clock.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/logger.js';

export async function resolveSessionSecret(config: Config, store: Store, logger?: Logger): Promise<string> {
  if (config.sessionSecret !== undefined) return config.sessionSecret;
  const { value, created } = await store.repos.instanceSecrets.getOrCreate(
    'session_secret',
    randomBytes(48).toString('base64url'),
    nowIso(),
  );
  logger?.warn(
    { generated: created },
    'SESSION_SECRET is not set: using a secret generated and stored in the database. ' +
      'Set SESSION_SECRET (at least 32 random characters) in production.',
  );
  return value;
}
