/**
 * Sign-in sessions, kept in the database so every instance knows them. The cookie holds a
 * random token; only its SHA-256 is stored. A session ends at its absolute lifetime, after
 * an idle period, at logout, or when SCIM deactivates or deletes its user.
 */
import { createHash, randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { nowIso } from '../domain/clock.js';
import { NotFoundError } from '../domain/errors/index.js';
import type { SessionRecord } from '../store/repositories/sessions.js';
import type { Store } from '../store/store.js';

export const SESSION_COOKIE = 'ib_session';
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 60 * 60 * 1000;
/** last_seen_at is written at most this often. */
const TOUCH_EVERY_MS = 60 * 1000;

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface NewSession {
  readonly orgId: string;
  readonly userId: string;
  readonly connectionId: string | null;
  readonly protocol: 'oidc' | 'saml' | 'setup-link';
  readonly data?: Readonly<Record<string, unknown>>;
}

export class SessionService {
  constructor(private readonly store: Store) {}

  /** A new session (a new id: never one the browser already had). Returns the cookie value. */
  async start(session: NewSession): Promise<{ token: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = new Date(now + SESSION_ABSOLUTE_MS).toISOString();
    await this.store.repos.sessions.insert({
      idHash: hashOf(token),
      orgId: session.orgId,
      userId: session.userId,
      connectionId: session.connectionId,
      protocol: session.protocol,
      data: session.data ?? null,
      createdAt: new Date(now).toISOString(),
      lastSeenAt: new Date(now).toISOString(),
      expiresAt,
      revokedAt: null,
    });
    return { token, expiresAt };
  }

  /** The live session a cookie names, or undefined (expired, idle too long, revoked, unknown). */
  async authenticate(token: string | undefined): Promise<SessionRecord | undefined> {
    if (!token || token.length > 100) return undefined;
    const now = Date.now();
    const session = await this.store.repos.sessions.findLive(hashOf(token), new Date(now).toISOString());
    if (!session) return undefined;
    const lastSeen = Date.parse(session.lastSeenAt);
    if (now - lastSeen > SESSION_IDLE_MS) return undefined;
    if (now - lastSeen > TOUCH_EVERY_MS)
      await this.store.repos.sessions.touch(session.idHash, new Date(now).toISOString());
    return session;
  }

  async end(token: string | undefined): Promise<void> {
    if (!token) return;
    const session = await this.store.repos.sessions.findLive(hashOf(token), nowIso());
    if (session) await this.store.repos.sessions.revoke(session.orgId, session.idHash, nowIso());
  }

  /** Ends every session of the user named by id or userName; returns their id and how many sessions were live. */
  async revokeUserNamed(orgId: string, user: string, actor: Actor): Promise<{ userId: string; ended: number }> {
    const repos = this.store.repos;
    const found = (await repos.users.get(orgId, user)) ?? (await repos.users.findByUserName(orgId, user));
    if (!found) throw new NotFoundError('user', user);
    return { userId: found.id, ended: await this.revokeUser(orgId, found.id, actor) };
  }

  /** Ends every session of a user (an admin's revocation); returns how many were live. */
  async revokeUser(orgId: string, userId: string, actor: Actor): Promise<number> {
    return this.store.transaction(async (repos) => {
      const ended = await repos.sessions.revokeAllForUser(orgId, userId, nowIso());
      const user = await repos.users.get(orgId, userId);
      await recordAudit(repos, orgId, actor, {
        action: 'sessions.revoked',
        target: { type: 'user', id: userId, label: user?.userName ?? null },
        data: { sessions: ended },
      });
      return ended;
    });
  }
}

/** A session's ids for telemetry: the start of the stored hash names it without revealing the cookie. */
export function telemetryIdsOf(session: { orgId: string; userId: string; idHash: string }): {
  orgId: string;
  userId: string;
  id: string;
} {
  return { orgId: session.orgId, userId: session.userId, id: session.idHash.slice(0, 16) };
}
