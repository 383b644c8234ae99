/**
 * CSRF tokens of the admin API's cookie callers (console sessions, signed-in employees): an
 * HMAC of the session cookie under the session secret, so every instance derives the same
 * token and nothing is stored. Compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export class CsrfTokens {
  constructor(private readonly key: string) {}

  /** The token a caller holding this cookie must echo in X-CSRF-Token. */
  tokenFor(cookieValue: string): string {
    const sessionHash = createHash('sha256').update(cookieValue).digest('hex');
    return createHmac('sha256', this.key).update(`csrf:${sessionHash}`).digest('base64url');
  }

  matches(presented: string, expected: string): boolean {
    const x = Buffer.from(presented);
    const y = Buffer.from(expected);
    return x.length === y.length && timingSafeEqual(x, y);
  }
}
