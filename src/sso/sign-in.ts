/**
 * Who an SSO identity is: the org's SCIM-provisioned user named by the identity's
 * userName, then its (verified, allowed-domain) email, then its subject as externalId.
 * A deactivated user is refused (SSO never resurrects one); an unknown one is refused
 * unless the connection provisions just in time. Every outcome is audited, never with
 * the token or assertion itself.
 */
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import type { DirectoryUser } from '../domain/directory.js';
import { EMPTY_ENTERPRISE, EMPTY_NAME } from '../domain/directory.js';
import { AppError, InvalidInputError } from '../domain/errors/index.js';
import type { GroupDirectory } from '../directory/group-directory.js';
import type { UserDirectory } from '../directory/user-directory.js';
import { directoryKeptElsewhere, syncClaimedGroups } from './claimed-groups.js';
import type { Store } from '../store/store.js';

export interface SsoIdentity {
  readonly protocol: 'oidc' | 'saml';
  /** The IdP's stable subject (OIDC issuer + sub; SAML NameID). */
  readonly subject: string;
  readonly userName: string | undefined;
  /** Only when the IdP vouches for it (verified) and its domain is one of the connection's. */
  readonly trustedEmail: string | undefined;
  readonly displayName: string | undefined;
  /** Group names from the claim; undefined when the IdP did not say (no claim, or an overage link). */
  readonly groups?: readonly string[] | undefined;
}

/** A sign-in the service refuses; `reason` goes to the audit log, the user sees a generic page. */
export class SignInRefused extends AppError {
  constructor(
    readonly reason: string,
    /** Whether the refusal is already in the audit log. */
    readonly audited = false,
  ) {
    super('sso.refused', 'Sign-in refused', 403);
  }
}

export interface Directories {
  readonly users: UserDirectory;
  readonly groups: GroupDirectory;
}

export async function signInUser(
  store: Store,
  directories: Directories,
  scope: { orgId: string; connectionId: string },
  identity: SsoIdentity,
  jit: boolean,
): Promise<DirectoryUser> {
  const { users } = directories;
  const repos = store.repos;
  const actor: Actor = { type: 'user', id: null, label: identity.userName ?? identity.subject, requestId: null };
  const refuse = async (reason: string): Promise<never> => {
    await recordAudit(repos, scope.orgId, actor, {
      action: 'sso.refused',
      target: { type: 'connection', id: scope.connectionId },
      data: { protocol: identity.protocol, reason, userName: identity.userName ?? null },
    });
    throw new SignInRefused(reason, true);
  };

  let user: DirectoryUser | undefined;
  if (identity.userName) user = await repos.users.findByUserName(scope.orgId, identity.userName);
  if (!user && identity.trustedEmail) user = await repos.users.findByUserName(scope.orgId, identity.trustedEmail);
  if (!user && identity.trustedEmail) user = await repos.users.findByEmail(scope.orgId, identity.trustedEmail);
  if (!user) user = await repos.users.findByExternalId(scope.orgId, scope.connectionId, identity.subject);

  if (user && !user.active) return refuse('the user is deactivated in the identity provider');
  if (!user) {
    const userName = identity.trustedEmail ?? identity.userName;
    if (!jit) return refuse('no provisioned user matches this identity (just-in-time provisioning is off)');
    if (!userName) return refuse('the identity names no userName or verified email to provision');
    try {
      user = await users.create(
        scope,
        {
          externalId: identity.subject,
          userName,
          active: true,
          displayName: identity.displayName ?? null,
          nickName: null,
          profileUrl: null,
          title: null,
          userType: null,
          preferredLanguage: null,
          locale: null,
          timezone: null,
          name: EMPTY_NAME,
          enterprise: EMPTY_ENTERPRISE,
          multiValued: identity.trustedEmail
            ? {
                emails: [
                  { value: identity.trustedEmail, primary: true, type: 'work', display: null, subAttributes: null },
                ],
              }
            : {},
          extensions: null,
        },
        { ...actor, type: 'user' },
      );
    } catch (error) {
      // The directory's own limits (a userName past 512 characters, say): refused and audited, like any refusal.
      if (error instanceof InvalidInputError) return refuse(`the identity cannot be provisioned: ${error.message}`);
      throw error;
    }
  }
  if (
    jit &&
    identity.groups !== undefined &&
    user.connectionId === scope.connectionId &&
    !(await directoryKeptElsewhere(store, scope.orgId, scope.connectionId))
  ) {
    await syncClaimedGroups(store, directories.groups, scope, user.id, identity.groups, { ...actor, id: user.id });
  }
  await recordAudit(
    repos,
    scope.orgId,
    { ...actor, id: user.id },
    {
      action: 'sso.signed_in',
      target: { type: 'user', id: user.id, label: user.userName },
      data: { protocol: identity.protocol, connectionId: scope.connectionId },
    },
  );
  return user;
}
