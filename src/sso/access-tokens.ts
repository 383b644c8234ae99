/**
 * Short-lived access tokens for factory services: ES256 JWTs (`iss`, `sub`, `org`, `role`,
 * `teams`, `scopes`, `iat`, `exp`, `jti`) minted for a signed-in session. Signing keys
 * live in the database (private halves sealed), so every instance signs with the newest
 * and verifies with any unretired one; their public halves are served as a JWKS.
 * A token says what was true when it was minted; the decision API re-checks its user.
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWK } from 'jose';
import type { AccessService } from '../decisions/access-service.js';
import { nowIso } from '../domain/clock.js';
import type { SigningKeyRecord } from '../store/repositories/instance-keys.js';
import type { Store } from '../store/store.js';
import type { SecretBox } from './secret-box.js';

export const ACCESS_TOKEN_TTL_SECONDS = 300;
const KEYS_CACHE_MS = 30_000;
/** Keys kept for verification after a rotation: the newest signs, the previous one still verifies. */
const KEYS_KEPT = 2;

export interface AccessTokenClaims {
  readonly sub: string;
  readonly org: string;
  readonly role: string;
  readonly teams: readonly string[];
  readonly scopes: readonly string[];
}

export class AccessTokenService {
  private keys: { records: SigningKeyRecord[]; until: number } | undefined;
  private readonly privateKeys = new Map<string, KeyObject>();

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly issuer: string,
    private readonly access: AccessService,
  ) {}

  private async activeKeys(): Promise<SigningKeyRecord[]> {
    if (this.keys && this.keys.until > Date.now()) return this.keys.records;
    let records = await this.store.repos.signingKeys.listActive();
    if (records.length === 0) {
      await this.rotate();
      records = await this.store.repos.signingKeys.listActive();
    }
    this.keys = { records, until: Date.now() + KEYS_CACHE_MS };
    return records;
  }

  /** A new signing key; keys beyond the newest KEYS_KEPT are retired. */
  async rotate(): Promise<string> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const kid = randomUUID();
    await this.store.repos.signingKeys.insert({
      kid,
      alg: 'ES256',
      publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
      privateJwkEncrypted: this.box.seal(JSON.stringify(privateKey.export({ format: 'jwk' }))),
      createdAt: nowIso(),
      retiredAt: null,
    });
    const active = await this.store.repos.signingKeys.listActive();
    for (const old of active.slice(KEYS_KEPT)) await this.store.repos.signingKeys.retire(old.kid, nowIso());
    this.keys = undefined;
    return kid;
  }

  async jwks(): Promise<JSONWebKeySet> {
    return { keys: (await this.activeKeys()).map((k) => k.publicJwk as JWK) };
  }

  async issue(orgId: string, userId: string): Promise<{ token: string; expiresIn: number }> {
    const access = await this.access.effectiveAccess(orgId, userId);
    const [key] = await this.activeKeys();
    const privateKey: KeyObject = createPrivateKey({
      key: JSON.parse(this.box.open(key!.privateJwkEncrypted)) as JWK & { kty: string },
      format: 'jwk',
    });
    const token = await new SignJWT({
      org: orgId,
      role: access.role,
      teams: access.teams.map((t) => t.name),
      scopes: [...access.scopes],
    })
      .setProtectedHeader({ alg: 'ES256', kid: key!.kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
      .setJti(randomUUID())
      .sign(privateKey);
    return { token, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }

  /**
   * A Security Event Token (RFC 8417) signed with the newest access-token key, so receivers
   * verify it at the same JWKS URL: `typ` secevent+jwt, `iss` this service, `iat`, `jti`.
   */
  async signSecurityEvent(claims: Record<string, unknown>, jti: string, audience: string): Promise<string> {
    const [key] = await this.activeKeys();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: key!.kid, typ: 'secevent+jwt' })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setJti(jti)
      .sign(this.privateKeyOf(key!));
  }

  private privateKeyOf(key: SigningKeyRecord): KeyObject {
    let cached = this.privateKeys.get(key.kid);
    if (!cached) {
      cached = createPrivateKey({
        key: JSON.parse(this.box.open(key.privateJwkEncrypted)) as JWK & { kty: string },
        format: 'jwk',
      });
      this.privateKeys.set(key.kid, cached);
    }
    return cached;
  }

  /** The claims of a token this service minted and that has not expired; undefined otherwise. */
  async verify(token: string): Promise<AccessTokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(await this.jwks()), {
        issuer: this.issuer,
        algorithms: ['ES256'],
        typ: 'at+jwt',
      });
      if (typeof payload.sub !== 'string' || typeof payload.org !== 'string') return undefined;
      return payload as unknown as AccessTokenClaims;
    } catch {
      return undefined;
    }
  }
}
