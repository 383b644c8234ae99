/** Each rule of DESIGN.md "Access semantics", and the FoundriesFactory examples, on the pure model. */
import { decide } from '../../src/access/decision.js';
import {
  evaluateAccess,
  type MappingConfig,
  type OrgAccessConfig,
  type TeamConfig,
  type UserFacts,
} from '../../src/access/effective-access.js';
import { explainAccess } from '../../src/access/explanation.js';
import { assertWithinPolicy, type AccessPolicy } from '../../src/access/policy.js';
import { catalogOf, satisfies, validateGrant } from '../../src/access/scope.js';
import type { Role } from '../../src/domain/role.js';

const READ_ONLY = ['ci:read', 'source:read', 'devices:read', 'targets:read', 'containers:read'];

function policy(over: Partial<AccessPolicy> = {}): AccessPolicy {
  return {
    membership: 'mapped',
    catalog: catalogOf(null),
    defaultUserScopes: null,
    allowedScopes: null,
    deniedScopes: [],
    ...over,
  };
}

function team(id: string, scopes: string[], deviceGroups: string[] = []): TeamConfig {
  return { id, name: id, scopes, deviceGroups };
}

function mapping(id: string, teamIds: string[], role: Role | null = null, grantsMembership = true): MappingConfig {
  return { id, connectionId: 'c1', matchBy: 'id', matchValue: `g-${id}`, grantsMembership, role, teamIds };
}

function orgConfig(teams: TeamConfig[], mappings: MappingConfig[], p: AccessPolicy = policy()): OrgAccessConfig {
  return {
    orgId: 'o1',
    version: 1,
    policy: p,
    teams: new Map(teams.map((t) => [t.id, t])),
    mappings: new Map(mappings.map((m) => [m.id, m])),
  };
}

function user(mappingIds: string[], over: Partial<UserFacts> = {}): UserFacts {
  return {
    id: 'u1',
    userName: 'dana@example.com',
    active: true,
    mappedGroups: mappingIds.map((m) => ({ mappingId: m, groupId: `g-${m}`, groupName: `Group ${m}` })),
    manualTeamIds: [],
    ...over,
  };
}

function can(config: OrgAccessConfig, facts: UserFacts, scope: string, deviceGroup?: string): boolean {
  return decide(config.policy, evaluateAccess(config, facts), { scope, deviceGroup }).allowed;
}

describe('scope algebra', () => {
  it('lets read-update satisfy read, and resource:* satisfy every action of that resource only', () => {
    expect(satisfies('ci:read-update', 'ci:read')).toBe(true);
    expect(satisfies('ci:read', 'ci:read-update')).toBe(false);
    expect(satisfies('devices:*', 'devices:delete')).toBe(true);
    expect(satisfies('devices:*', 'ci:read')).toBe(false);
  });

  it('refuses a scope outside the catalog with a 400 naming the catalog, and accepts an org extension', () => {
    expect(() => validateGrant(catalogOf(null), 'robots:read')).toThrow(/Unknown scope "robots:read"/);
    expect(validateGrant(catalogOf({ resources: ['robots'], actions: [] }), 'robots:read')).toBe('robots:read');
  });
});

describe('rule 1: membership', () => {
  const config = orgConfig([], [mapping('m1', []), mapping('m2', [], null, false)]);

  it('makes an active user in a membership-granting mapped group a member', () => {
    expect(evaluateAccess(config, user(['m1'])).member).toBe(true);
  });

  it('does not make a member of a user only in a mapping that grants no membership, or in no mapped group', () => {
    expect(evaluateAccess(config, user(['m2'])).member).toBe(false);
    expect(evaluateAccess(config, user([])).member).toBe(false);
  });

  it('gives a deactivated user no membership and no access', () => {
    const facts = user(['m1'], { active: false });
    expect(evaluateAccess(config, facts).member).toBe(false);
    const decision = decide(config.policy, evaluateAccess(config, facts), { scope: 'ci:read' });
    expect(decision).toEqual({ allowed: false, reason: expect.stringMatching(/deactivated/) });
  });

  it('makes every active provisioned user a member when the policy says so', () => {
    const open = orgConfig([], [], policy({ membership: 'all_provisioned' }));
    expect(evaluateAccess(open, user([])).member).toBe(true);
  });
});

describe('rule 2: role', () => {
  it('takes the highest role among the mapped groups, and User when none names one', () => {
    const config = orgConfig([], [mapping('m1', [], 'Admin'), mapping('m2', [], 'Owner'), mapping('m3', [])]);
    expect(evaluateAccess(config, user(['m1', 'm2', 'm3'])).role).toBe('Owner');
    expect(evaluateAccess(config, user(['m1', 'm3'])).role).toBe('Admin');
    expect(evaluateAccess(config, user(['m3'])).role).toBe('User');
  });
});

describe('rule 3: teams', () => {
  it('is the union of mapped teams and manual memberships, each with how the user got in', () => {
    const config = orgConfig([team('a', []), team('b', [])], [mapping('m1', ['a'])]);
    const access = evaluateAccess(config, user(['m1'], { manualTeamIds: ['b', 'a'] }));
    expect(access.teams.map((t) => t.id)).toEqual(['a', 'b']);
    expect(access.teams[0]!.via.map((v) => v.kind).sort()).toEqual(['manual', 'mapping']);
  });
});

describe('rule 4: effective scopes (FoundriesFactory teams)', () => {
  const config = orgConfig(
    [team('read-only-users', READ_ONLY), team('read-write-ci', ['ci:read-update'])],
    [mapping('ro', ['read-only-users']), mapping('rw', ['read-write-ci']), mapping('none', [])],
  );

  it('lets a member of read-only-users and read-write-ci update CI and only read the rest', () => {
    const facts = user(['ro', 'rw']);
    expect(can(config, facts, 'ci:read-update')).toBe(true);
    expect(can(config, facts, 'ci:read')).toBe(true);
    expect(can(config, facts, 'source:read')).toBe(true);
    expect(can(config, facts, 'source:read-update')).toBe(false);
    expect(can(config, facts, 'targets:delete')).toBe(false);
  });

  it('gives a User in no team the org default, every scope, until the org narrows it', () => {
    expect(can(config, user(['none']), 'source:delete')).toBe(true);
    const narrowed = orgConfig([], [mapping('none', [])], policy({ defaultUserScopes: ['source:read'] }));
    expect(can(narrowed, user(['none']), 'source:read')).toBe(true);
    expect(can(narrowed, user(['none']), 'source:read-update')).toBe(false);
  });

  it('gives an Owner or Admin in no team every scope, and limits them to their teams once in one', () => {
    const admins = orgConfig([team('ro', READ_ONLY)], [mapping('adm', [], 'Admin'), mapping('ro', ['ro'])]);
    expect(can(admins, user(['adm']), 'containers:delete')).toBe(true);
    expect(can(admins, user(['adm', 'ro']), 'containers:delete')).toBe(false);
    expect(can(admins, user(['adm', 'ro']), 'containers:read')).toBe(true);
  });

  it('narrows access when a user joins a team', () => {
    expect(can(config, user(['none']), 'ci:delete')).toBe(true);
    expect(can(config, user(['none', 'ro']), 'ci:delete')).toBe(false);
  });
});

describe('rule 5: device groups', () => {
  const config = orgConfig(
    [
      team('read-only-users', READ_ONLY, ['test-lab-devices']),
      team('lab-dev-users', ['devices:read-update'], ['test-lab-devices']),
      team('fleet', ['devices:*']),
    ],
    [mapping('ro', ['read-only-users']), mapping('lab', ['lab-dev-users']), mapping('fleet', ['fleet'])],
  );

  it('lets read-only-users see only test-lab-devices, and not change it', () => {
    const facts = user(['ro']);
    expect(can(config, facts, 'devices:read', 'test-lab-devices')).toBe(true);
    expect(can(config, facts, 'devices:read', 'production')).toBe(false);
    expect(can(config, facts, 'devices:read-update', 'test-lab-devices')).toBe(false);
    expect(evaluateAccess(config, facts).deviceGroups).toEqual([{ name: 'test-lab-devices', actions: ['read'] }]);
  });

  it('lets lab-dev-users modify test-lab-devices and nothing else', () => {
    const facts = user(['lab']);
    expect(can(config, facts, 'devices:read-update', 'test-lab-devices')).toBe(true);
    expect(can(config, facts, 'devices:read', 'test-lab-devices')).toBe(true);
    expect(can(config, facts, 'devices:read-update', 'production')).toBe(false);
  });

  it('(b) reaches no device group through a team with devices scopes but no device groups', () => {
    const access = evaluateAccess(config, user(['fleet']));
    expect(can(config, user(['fleet']), 'devices:delete', 'production')).toBe(false);
    expect(can(config, user(['fleet']), 'devices:read', 'test-lab-devices')).toBe(false);
    const refused = decide(config.policy, access, { scope: 'devices:read', deviceGroup: 'production' });
    expect(refused.reason).toMatch(
      /team "fleet" grants devices:read but holds no device group, so it reaches none \(rule 5b\)/,
    );
    expect(access.deviceGroups).toEqual([]);
    expect(access.scopes.filter((s) => s.startsWith('devices:'))).toEqual([]);
    expect(explainAccess(access)).toContain(
      'scopes devices:read, devices:read-update, devices:create, devices:delete: from team "fleet" on no device group: the team holds none (rule 5b)',
    );
  });

  it('(b) reaches a device group through a team that holds it, for the actions its devices scopes satisfy', () => {
    const access = evaluateAccess(config, user(['lab']));
    const granted = decide(config.policy, access, { scope: 'devices:read', deviceGroup: 'test-lab-devices' });
    expect(granted).toEqual({
      allowed: true,
      reason:
        'devices:read on device group "test-lab-devices" granted by team "lab-dev-users", which holds it (rule 5b)',
    });
    expect(can(config, user(['lab']), 'devices:delete', 'test-lab-devices')).toBe(false);
    expect(decide(config.policy, access, { scope: 'devices:read-update', deviceGroup: 'production' }).reason).toMatch(
      /only on device groups "test-lab-devices" \(by team "lab-dev-users", rule 5b\), not on device group "production"/,
    );
  });

  it('asks for the device group when the scope is held only on some', () => {
    const reason = decide(config.policy, evaluateAccess(config, user(['lab'])), { scope: 'devices:read' }).reason;
    expect(reason).toMatch(/only on device groups "test-lab-devices" .*; name the device group/);
  });

  it('(a) lets a member manage devices they own and device groups they created, whatever their teams', () => {
    const access = evaluateAccess(config, user(['fleet']));
    const owned = decide(config.policy, access, { scope: 'devices:read-update', deviceGroup: 'mine', ownerId: 'u1' });
    expect(owned).toEqual({
      allowed: true,
      reason: '"dana@example.com" owns it, and members manage what they own or created (rule 5a)',
    });
    const created = decide(config.policy, access, {
      scope: 'devices:read',
      deviceGroup: 'mine',
      creatorId: 'dana@example.com',
    });
    expect(created.allowed).toBe(true);
    expect(created.reason).toMatch(/created the device group, .*\(rule 5a\)/);
    expect(
      decide(config.policy, access, { scope: 'devices:read', deviceGroup: 'mine', creatorId: 'someone-else' }).allowed,
    ).toBe(false);
    expect(decide(config.policy, access, { scope: 'devices:read-update', ownerId: 'someone-else' }).allowed).toBe(
      false,
    );
  });

  it('(a) stays within the org policy', () => {
    const strict = orgConfig([], [mapping('none', [])], policy({ deniedScopes: ['devices:delete'] }));
    const access = evaluateAccess(strict, user(['none']));
    expect(decide(strict.policy, access, { scope: 'devices:delete', deviceGroup: 'g', ownerId: 'u1' }).allowed).toBe(
      false,
    );
  });

  it('lets Owners and Admins in no team with scopes reach every device group', () => {
    const admins = orgConfig([team('ci', ['ci:read'])], [mapping('adm', [], 'Admin'), mapping('ci', ['ci'])]);
    const access = evaluateAccess(admins, user(['adm']));
    const granted = decide(admins.policy, access, { scope: 'devices:delete', deviceGroup: 'production' });
    expect(granted.allowed).toBe(true);
    expect(granted.reason).toMatch(/granted by the Admin role's default .*, which reaches every device group/);
    expect(explainAccess(access).join('\n')).toMatch(
      /devices:delete: from the Admin role's default .* on every device group/,
    );
    // In a team with scopes an Admin is limited to the union, device groups included.
    expect(can(admins, user(['adm', 'ci']), 'devices:read', 'production')).toBe(false);
  });

  it("gives a User in no team with scopes the org's default scopes, and device groups only by (a)", () => {
    const open = orgConfig([], [mapping('none', [])]);
    const facts = user(['none']);
    const access = evaluateAccess(open, facts);
    expect(can(open, facts, 'source:delete')).toBe(true);
    expect(can(open, facts, 'devices:read', 'production')).toBe(false);
    expect(decide(open.policy, access, { scope: 'devices:read', deviceGroup: 'production' }).reason).toMatch(
      /the org's default for Users .* grants devices:read only on device groups "dana@example.com" owns or created \(rule 5a/,
    );
    expect(decide(open.policy, access, { scope: 'devices:read', deviceGroup: 'mine', creatorId: 'u1' }).allowed).toBe(
      true,
    );
    expect(explainAccess(access).join('\n')).toMatch(/only on device groups the user owns or created \(rule 5a\)/);
  });
});

describe('rule 7: explanations', () => {
  it('names the group, the mapping, the team and the scope', () => {
    const config = orgConfig([team('read-write-ci', ['ci:read-update'])], [mapping('rw', ['read-write-ci'])]);
    const lines = explainAccess(evaluateAccess(config, user(['rw'])));
    expect(lines.join('\n')).toMatch(/team "read-write-ci": IdP group "Group rw" → its mapping \(matched/);
    expect(lines).toContain('scopes ci:read-update: from team "read-write-ci"');
  });

  it('says a display-name mapping breaks on rename, and which default applies to a user in no team', () => {
    const config = orgConfig([], [{ ...mapping('dn', []), matchBy: 'display_name' }]);
    const text = explainAccess(evaluateAccess(config, user(['dn']))).join('\n');
    expect(text).toMatch(/renaming the group breaks it/);
    expect(text).toMatch(/org's default for Users applies/);
  });
});

describe('rule 8: policy layers', () => {
  it('refuses a team grant beyond the policy, naming the scope and the rule', () => {
    const p = policy({ deniedScopes: ['devices:delete'] });
    expect(() => assertWithinPolicy(p, ['devices:*'], 'Team "fleet"')).toThrow(
      /devices:delete \(the org policy denies devices:delete\)/,
    );
    expect(() => assertWithinPolicy(p, ['devices:read-update'], 'Team "fleet"')).not.toThrow();
  });

  it('suppresses grants a tightened policy excludes, and shows them as suppressed', () => {
    const tightened = policy({ allowedScopes: ['ci:*', 'source:read'] });
    const config = orgConfig(
      [team('rw', ['ci:read-update', 'source:read-update'])],
      [mapping('rw', ['rw'])],
      tightened,
    );
    const access = evaluateAccess(config, user(['rw']));
    expect(access.scopes).toEqual(['ci:read-update']);
    expect(access.suppressed.map((s) => s.scope)).toEqual(['source:read-update']);
    const decision = decide(config.policy, access, { scope: 'source:read' });
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toMatch(/suppressed: the org policy allows only/);
  });

  it('bounds role defaults too: an Admin in no team never gets a denied scope', () => {
    const config = orgConfig([], [mapping('adm', [], 'Admin')], policy({ deniedScopes: ['targets:delete'] }));
    expect(can(config, user(['adm']), 'targets:delete')).toBe(false);
    expect(can(config, user(['adm']), 'targets:create')).toBe(true);
  });

  it('denying a read also denies the read-update that would pass a read check', () => {
    const config = orgConfig(
      [team('rw', ['source:read-update'])],
      [mapping('rw', ['rw'])],
      policy({ deniedScopes: ['source:read'] }),
    );
    expect(can(config, user(['rw']), 'source:read')).toBe(false);
  });
});
