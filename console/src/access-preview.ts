/** The preview of an access change (a mapping, the policy): each changed user's gains and losses. */
import { h, table } from './dom.js';
import type { Delta, Preview } from './types.js';

function describe(d: Delta): string {
  return (
    [...d.teams.map((t) => `team ${t}`), ...d.scopes, ...d.deviceGroups.map((g) => `device group ${g}`)].join(', ') ||
    '—'
  );
}

/** Who gains and loses what: the answer of a mapping or policy preview, before anything is saved. */
export function previewTable(p: Preview, what = 'in the group'): HTMLElement {
  const changed = p.users.filter((u) => u.changed);
  return h(
    'div',
    { class: 'card preview', 'data-testid': 'mapping-preview' },
    h('h3', {}, 'Preview: nothing is saved yet'),
    h(
      'p',
      {},
      `${p.affectedUsers} user(s) ${what}; ${p.changedUsers} would change${p.truncated ? ' (first ones shown)' : ''}.`,
    ),
    changed.length
      ? table(
          ['User', 'Role', 'Gains', 'Loses'],
          changed.map((u) => [
            u.userName,
            u.before.role === u.after.role && u.before.member === u.after.member
              ? u.after.role
              : `${u.before.member ? u.before.role : 'not a member'} → ${u.after.member ? u.after.role : 'not a member'}`,
            h('span', { class: 'good' }, describe(u.gains)),
            h('span', { class: 'bad' }, describe(u.losses)),
          ]),
          'preview-users',
        )
      : h('p', { class: 'muted' }, 'No one’s access changes.'),
  );
}
