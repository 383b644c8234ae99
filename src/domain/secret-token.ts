/**
 * Bearer tokens: 256 random bits, shown once, stored only as a SHA-256 hash next to a
 * public lookup prefix, and verified in constant time.
 *
 * Shape: `<kind>_<12 hex prefix>_<43 base64url secret>`, e.g. `ibscim_3f9a0c1b2d4e_…`.
 * The kind marker makes a leaked token recognisable (secret scanners, logs).
 * A plain SHA-256 suffices (no slow KDF): the secret is random, not a password.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from './errors/index.js';

/** SCIM tokens (an IdP), admin API tokens (automation), decision API tokens (a factory service). */
export type TokenKind = 'ibscim' | 'ibadm' | 'ibapi';

/** An org's automation token: for the admin API (`ibadm_`), or for the decision API only (`ibapi_`). */
export type ApiTokenKind = 'admin' | 'api';

export interface IssuedToken {
  /** The whole token: give it to the caller once, never store it. */
  readonly token: string;
  readonly prefix: string;
  readonly hash: string;
}

const TOKEN_PATTERN = /^(ibscim|ibadm|ibapi)_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** Hashed on every authenticated request (the verified-token cache is keyed by it): the one-shot form. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export function issueToken(kind: TokenKind): IssuedToken {
  const prefix = `${kind}_${randomBytes(6).toString('hex')}`;
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix, hash: hashToken(token) };
}

/** The lookup prefix of a well-formed token of one of the given kinds, else undefined. */
export function tokenPrefix(token: string, ...kinds: TokenKind[]): string | undefined {
  const m = TOKEN_PATTERN.exec(token);
  return m && kinds.includes(m[1] as TokenKind) ? `${m[1]}_${m[2]}` : undefined;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
/** The longest a credential may be issued for. */
export const MAX_TOKEN_LIFETIME_DAYS = 3650;

/**
 * When a credential issued now for `expiresIn` (`30m`, `12h`, `90d`, `52w`) expires, as an
 * ISO-8601 instant; undefined when the text is not such a duration.
 */
export function expiryAfter(expiresIn: string, now = Date.now()): string | undefined {
  const m = /^\s*(\d{1,6})\s*([mhdw])\s*$/.exec(expiresIn);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (ms <= 0 || ms > MAX_TOKEN_LIFETIME_DAYS * 86_400_000) return undefined;
  return new Date(now + ms).toISOString();
}

/** The expiry a request names as `expiresIn` (null: never expires); 400 for anything but a duration. */
export function expiresAtFor(expiresIn: string | undefined, now = Date.now()): string | null {
  if (expiresIn === undefined) return null;
  const at = expiryAfter(expiresIn, now);
  if (!at) {
    throw new InvalidInputError(
      'token.invalid_expiry',
      `The expiry must be a duration such as 30m, 12h, 90d or 52w, at most ${MAX_TOKEN_LIFETIME_DAYS} days: ${JSON.stringify(expiresIn)} is not`,
    );
  }
  return at;
}

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
