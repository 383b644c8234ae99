/**
 * Bearer tokens: 256 random bits, shown once, stored only as a SHA-256 hash next to a
 * public lookup prefix, and verified in constant time.
 *
 * Shape: `<kind>_<12 hex prefix>_<43 base64url secret>`, e.g. `ibscim_3f9a0c1b2d4e_…`.
 * The kind marker makes a leaked token recognisable (secret scanners, logs).
 * A plain SHA-256 suffices (no slow KDF): the secret is random, not a password.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenKind = 'ibscim' | 'ibadm';

export interface IssuedToken {
  /** The whole token: give it to the caller once, never store it. */
  readonly token: string;
  readonly prefix: string;
  readonly hash: string;
}

const TOKEN_PATTERN = /^(ibscim|ibadm)_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function issueToken(kind: TokenKind): IssuedToken {
  const prefix = `${kind}_${randomBytes(6).toString('hex')}`;
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix, hash: hashToken(token) };
}

/** The lookup prefix of a well-formed token of the given kind, else undefined. */
export function tokenPrefix(token: string, kind: TokenKind): string | undefined {
  const m = TOKEN_PATTERN.exec(token);
  return m && m[1] === kind ? `${m[1]}_${m[2]}` : undefined;
}

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
