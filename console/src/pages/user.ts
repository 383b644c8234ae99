/** One user: who they are, their IdP groups, and their effective access with the explanation chain. */
import { api } from '../api.js';
import type { PageContext } from '../app.js';
import { append, h, table } from '../dom.js';
import type { Explained } from '../types.js';
import { checkerForm } from './access.js';

interface UserDetail {
  id: string;
  userName: string;
  displayName: string | null;
  active: boolean;
  emails: string[];
  groups: Array<{ id: string; displayName: string }>;
  teams: Array<{ id: string; name: string; source: string }>;
}

export async function userPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0]!;
  const [user, access] = await Promise.all([
    api<UserDetail>('GET', `/users/${encodeURIComponent(id)}`),
    api<Explained>('GET', `/access/users/${encodeURIComponent(id)}`),
  ]);
  append(
    ctx.main,
    h('p', {}, h('a', { href: '#/directory' }, '← Directory')),
    h('h1', {}, user.displayName ?? user.userName, ' ', h('small', {}, user.userName)),
    h(
      'div',
      { class: 'status' },
      h('span', {}, user.active ? 'Active' : 'Deactivated by the identity provider'),
      h('span', {}, `Member: ${access.member ? 'yes' : 'no'}`),
      h('span', { 'data-testid': 'user-role' }, `Role: ${access.role}`),
    ),
    h('h2', {}, 'Effective access'),
    h('p', { 'data-testid': 'user-scopes' }, access.scopes.length ? access.scopes.join(', ') : 'No scopes'),
    access.deviceGroups.length
      ? table(
          ['Device group', 'Actions'],
          access.deviceGroups.map((d) => [d.name, d.actions.join(', ')]),
          'user-device-groups',
        )
      : null,
    h('h2', {}, 'Why: the explanation chain'),
    h(
      'ol',
      { class: 'explanation', 'data-testid': 'explanation' },
      ...access.explanation.map((line) => h('li', {}, line)),
    ),
    h('h2', {}, 'IdP groups'),
    user.groups.length
      ? h('ul', {}, ...user.groups.map((g) => h('li', {}, g.displayName)))
      : h('p', { class: 'muted' }, 'In no group.'),
    h('h2', {}, 'Teams'),
    user.teams.length
      ? h(
          'ul',
          {},
          ...user.teams.map((t) =>
            h(
              'li',
              {},
              h('a', { href: `#/teams/${encodeURIComponent(t.name)}` }, t.name),
              ` (${t.source === 'idp' ? 'from a mapping' : 'added by an admin'})`,
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'In no team.'),
    h('h2', {}, `Can ${user.userName} …?`),
    await checkerForm(user.userName),
  );
}
