import { createHash } from 'node:crypto';
import { hashToken, issueToken, tokenMatches, tokenPrefix } from '../../src/domain/secret-token.js';

describe('secret tokens', () => {
  it('issues a kind-marked token whose stored hash is its SHA-256 and whose prefix starts it', () => {
    const issued = issueToken('ibscim');
    expect(issued.token).toMatch(/^ibscim_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(issued.token.startsWith(`${issued.prefix}_`)).toBe(true);
    expect(issued.hash).toBe(createHash('sha256').update(issued.token).digest('hex'));
    expect(issued.hash).not.toContain(issued.token.slice(issued.prefix.length + 1));
  });

  it('never issues the same token twice', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => issueToken('ibadm').token));
    expect(tokens.size).toBe(200);
  });

  it('extracts the prefix only from a well-formed token of the expected kind', () => {
    const { token, prefix } = issueToken('ibscim');
    expect(tokenPrefix(token, 'ibscim')).toBe(prefix);
    expect(tokenPrefix(token, 'ibadm')).toBeUndefined();
    expect(tokenPrefix(`${token}x`, 'ibscim')).toBeUndefined();
    expect(tokenPrefix('Bearer abc', 'ibscim')).toBeUndefined();
  });

  it('matches a token against its hash and rejects any other token', () => {
    const a = issueToken('ibscim');
    const b = issueToken('ibscim');
    expect(tokenMatches(a.token, a.hash)).toBe(true);
    expect(tokenMatches(b.token, a.hash)).toBe(false);
    expect(tokenMatches(a.token, 'abcd')).toBe(false);
    expect(hashToken(a.token)).toBe(a.hash);
  });
});
