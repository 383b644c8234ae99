/**
 * The signed-in employee behind a session cookie, and what they may see of themselves:
 * their profile with their current access (`/auth/me`), and a short-lived access token for
 * factory services (`/auth/token`). A session whose user is gone or deactivated signs in
 * nobody.
 */
import type { EffectiveAccess } from '../access/effective-access.js';
import type { AccessService } from '../decisions/access-service.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { SessionRecord } from '../store/repositories/sessions.js';
import type { Store } from '../store/store.js';
import type { AccessTokenService } from './access-tokens.js';
import type { SessionService } from './sessions.js';

export interface SignedIn {
  readonly session: SessionRecord;
  readonly user: DirectoryUser;
}

/** What `/auth/me` answers. */
export interface AccountProfile {
  readonly user: { id: string; userName: string; email: string | null; displayName: string | null };
  readonly org: { id: string; slug?: string; name?: string };
  readonly member: boolean;
  readonly role: string;
  readonly teams: string[];
  readonly scopes: readonly string[];
  readonly deviceGroups: EffectiveAccess['deviceGroups'];
  readonly groups: string[];
}

/** The session a cookie names (for telemetry, even when it signs nobody in), and who it signs in. */
export interface CurrentSession {
  readonly session: SessionRecord | undefined;
  /** Only for a live session whose user exists and is active. */
  readonly signedIn: SignedIn | undefined;
}

export class AccountService {
  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly access: AccessService,
    private readonly accessTokens: AccessTokenService,
  ) {}

  /** The live session a cookie names with its active user; undefined for anyone else. */
  async current(cookie: string | undefined): Promise<CurrentSession> {
    const session = await this.sessions.authenticate(cookie);
    const user = session ? await this.store.repos.users.get(session.orgId, session.userId) : undefined;
    return { session, signedIn: session && user?.active ? { session, user } : undefined };
  }

  async profile({ session, user }: SignedIn): Promise<AccountProfile> {
    const repos = this.store.repos;
    const [org, access, groups] = await Promise.all([
      repos.organizations.findById(session.orgId),
      this.access.effectiveAccess(session.orgId, user.id),
      repos.users.groupsOf(session.orgId, [user.id]),
    ]);
    const email = user.multiValued.emails?.find((e) => e.primary)?.value ?? user.multiValued.emails?.[0]?.value ?? null;
    return {
      user: { id: user.id, userName: user.userName, email, displayName: user.displayName },
      org: org ? { id: org.id, slug: org.slug, name: org.name } : { id: session.orgId },
      member: access.member,
      role: access.role,
      teams: access.teams.map((t) => t.name),
      scopes: access.scopes,
      deviceGroups: access.deviceGroups,
      groups: (groups.get(user.id) ?? []).map((g) => g.displayName),
    };
  }

  /** An access token with the user's access as it stands now. */
  accessToken({ session, user }: SignedIn): Promise<{ token: string; expiresIn: number }> {
    return this.accessTokens.issue(session.orgId, user.id);
  }
}
