/**
 * Audit events in words: who (by name: "Okta (SCIM)" rather than a token of a connection
 * id), what happened as a sentence, and the details with ids replaced by the names of
 * connections, teams and users the console knows. Ids stay available on hover.
 */
import type { AuditEvent } from './types.js';

/** Names the console can put in place of ids (connections, teams, mappings). */
export type Names = ReadonlyMap<string, string>;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Text with every known id replaced by its name, and unknown ids shortened. */
export function named(text: string, names: Names): string {
  return text.replace(UUID, (id) => names.get(id) ?? `${id.slice(0, 8)}…`);
}

const VERBS: Readonly<Record<string, string>> = {
  created: 'created',
  updated: 'changed',
  deleted: 'deleted',
  revoked: 'revoked',
  issued: 'issued',
  renamed: 'renamed',
  deactivated: 'deactivated',
  reactivated: 'reactivated',
  used: 'used',
  rotated: 'rotated',
  secret_rotated: 'rotated the signing secret of',
  redelivered: 'redelivered an event of',
  disabled: 'disabled',
  members_changed: 'changed the members of',
  members_added: 'added members to',
  members_removed: 'removed members from',
  member_added: 'added a member to',
  member_removed: 'removed a member from',
  domain_added: 'added an email domain to',
  domain_removed: 'removed an email domain from',
  saml_configured: 'set up SAML sign-in for',
  oidc_configured: 'set up OIDC sign-in for',
  directory_source_set: 'chose where the people come from for',
  signed_in: 'signed in through',
  refused: 'was refused sign-in through',
  completed: 'completed',
  failed: 'failed',
  held: 'held for approval',
  approved: 'approved',
  discarded: 'discarded',
};

const THINGS: Readonly<Record<string, string>> = {
  scim_token: 'the SCIM token',
  admin_token: 'the admin API token',
  api_token: 'the decision API token',
  webhook_endpoint: 'the webhook endpoint',
  setup_link: 'a setup link',
  directory_sync: 'a directory sync run',
  sessions: 'the sessions',
  org: 'the organization',
  sso: 'SSO',
  mapping: 'the mapping',
  policy: 'the org policy',
};

/** Events told better by a sentence of their own than by "who verb thing target". */
const SENTENCES: Readonly<Record<string, (e: AuditEvent, who: string) => string>> = {
  'setup_link.used': (e) =>
    `Someone signed in with a setup link${typeof e.data?.role === 'string' ? ` as ${e.data.role}` : ''}`,
  'setup_link.issued': (_e, who) => `${who} issued a one-time setup link`,
  'policy.updated': (_e, who) => `${who} changed the org policy`,
  'sso.signed_in': (e) => `${e.actorLabel ?? 'Someone'} signed in`,
};

/** Who did it, by name. */
export function whoOf(e: AuditEvent, names: Names): string {
  if (e.actorType === 'scim') {
    const connection = /connection ([0-9a-f-]{36})/i.exec(e.actorLabel ?? '')?.[1];
    return `${connection ? (names.get(connection) ?? 'an identity provider') : 'an identity provider'} (SCIM)`;
  }
  if (e.actorType === 'system') return 'identity-bridge';
  return named(e.actorLabel ?? e.actorType, names);
}

/** The target, by name. */
export function targetOf(e: AuditEvent, names: Names): string {
  const label = e.targetLabel ?? (e.targetId ? names.get(e.targetId) : undefined);
  if (e.targetType === 'mapping' && e.targetId && names.has(e.targetId)) return names.get(e.targetId)!;
  if (label) return named(label, names);
  return e.targetId ? named(e.targetId, names) : '';
}

/** "Okta (SCIM) deactivated user dana@example.com" */
export function sentenceOf(e: AuditEvent, names: Names): string {
  const own = SENTENCES[e.action];
  if (own) return own(e, whoOf(e, names));
  const [thing = '', event = ''] = e.action.split('.', 2);
  const verb = VERBS[event] ?? event.replace(/_/g, ' ');
  const what = THINGS[thing] ?? thing.replace(/_/g, ' ');
  const target = targetOf(e, names);
  const object = target ? `${what} ${target}` : what;
  return `${whoOf(e, names)} ${verb} ${object}`.trim();
}

function valueText(v: unknown, names: Names): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return v.length ? v.map((x) => valueText(x, names)).join(', ') : 'none';
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${words(k)} ${valueText(x, names)}`)
      .join('; ');
  }
  const text = String(v);
  // Times as the admin's local time.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) {
    return new Date(text).toLocaleString();
  }
  return named(text, names);
}

/** camelCase and snake_case keys as words. */
function words(key: string): string {
  return key
    .replace(/Ids?$/, (m) => (m === 'Ids' ? 's' : ''))
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
}

/** The event's details as short sentences: what changed from what to what, and the rest as "key value". */
export function detailsOf(e: AuditEvent, names: Names): string[] {
  const data = e.data;
  if (!data) return [];
  const out: string[] = [];
  const before = data.before as Record<string, unknown> | undefined;
  const after = data.after as Record<string, unknown> | undefined;
  if (before && after && typeof before === 'object' && typeof after === 'object') {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const b = valueText(before[key], names);
      const a = valueText(after[key], names);
      if (a !== b) out.push(`${words(key)}: ${b} → ${a}`);
    }
  } else if (after && typeof after === 'object') {
    for (const [key, v] of Object.entries(after)) out.push(`${words(key)}: ${valueText(v, names)}`);
  }
  for (const [key, v] of Object.entries(data)) {
    if (key === 'before' || key === 'after') continue;
    if (key === 'addedUsers' || key === 'removedUsers') continue;
    if ((key === 'added' && data.addedUsers) || (key === 'removed' && data.removedUsers)) continue;
    if (v === 0 || v === null || (Array.isArray(v) && v.length === 0)) continue;
    out.push(`${words(key)}: ${valueText(v, names)}`);
  }
  const addedUsers = data.addedUsers as string[] | undefined;
  const removedUsers = data.removedUsers as string[] | undefined;
  if (addedUsers?.length)
    out.unshift(`added ${addedUsers.join(', ')}${Number(data.added) > addedUsers.length ? ' and more' : ''}`);
  if (removedUsers?.length)
    out.unshift(`removed ${removedUsers.join(', ')}${Number(data.removed) > removedUsers.length ? ' and more' : ''}`);
  return out;
}
