/**
 * Recently verified bearer tokens, keyed by the token's hash: a busy caller (an IdP, a
 * factory service asking for decisions) costs no database read per request. A revocation
 * through this process forgets at once; one made by another instance takes effect within
 * AUTHENTICATION_CACHE_MS. An entry never outlives its credential's expiry.
 */
import { hashToken } from '../domain/secret-token.js';

export const AUTHENTICATION_CACHE_MS = 5_000;
const CACHE_LIMIT = 10_000;

export class VerifiedTokenCache<P> {
  private readonly entries = new Map<string, { principal: P; until: number }>();

  get(token: string): P | undefined {
    const hit = this.entries.get(hashToken(token));
    return hit && hit.until > Date.now() ? hit.principal : undefined;
  }

  remember(token: string, principal: P, expiresAt: string | null = null): void {
    if (this.entries.size >= CACHE_LIMIT) this.entries.clear();
    const until = Date.now() + AUTHENTICATION_CACHE_MS;
    this.entries.set(hashToken(token), {
      principal,
      until: expiresAt === null ? until : Math.min(until, Date.parse(expiresAt)),
    });
  }

  forget(matches: (principal: P) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.principal)) this.entries.delete(key);
  }
}
