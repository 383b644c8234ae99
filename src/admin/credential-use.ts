/**
 * What every bearer credential (SCIM, admin and decision-API tokens) shares when it is
 * presented: it must match its stored hash (constant time), be neither revoked nor past its
 * expiry, and its last use is recorded, at most once a minute, so a busy token costs no
 * write per request.
 */
import { tokenMatches } from '../domain/secret-token.js';
import type { StoredCredential } from '../store/repositories/credentials.js';

/** Stored last-used times are refreshed at most this often. */
export const LAST_USED_GRANULARITY_MS = 60_000;

export function isLive<T extends StoredCredential>(stored: T | undefined, token: string, now: number): stored is T {
  return (
    stored !== undefined &&
    tokenMatches(token, stored.tokenHash) &&
    stored.revokedAt === null &&
    (stored.expiresAt === null || Date.parse(stored.expiresAt) > now)
  );
}

interface Touchable {
  touch(orgId: string, id: string, at: string, notBefore: string): Promise<void>;
}

export async function recordUse(repository: Touchable, stored: StoredCredential, now: number): Promise<void> {
  if (stored.lastUsedAt !== null && now - Date.parse(stored.lastUsedAt) < LAST_USED_GRANULARITY_MS) return;
  await repository.touch(
    stored.orgId,
    stored.id,
    new Date(now).toISOString(),
    new Date(now - LAST_USED_GRANULARITY_MS).toISOString(),
  );
}
