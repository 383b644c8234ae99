/** The directory the IdPs pushed: users (search, status) and groups, loaded page by page. */
import { api, query } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, emptyState, h, scrollBox } from '../dom.js';
import type { GroupRow, Page, UserRow } from '../types.js';

export async function directoryPage(ctx: PageContext): Promise<void> {
  const q = h('input', {
    type: 'search',
    placeholder: 'Search by name or userName',
    'aria-label': 'Search users and groups',
    'data-testid': 'directory-search',
  });
  const status = h(
    'select',
    { 'aria-label': 'Show users by status' },
    h('option', { value: '' }, 'All users'),
    h('option', { value: 'active' }, 'Active'),
    h('option', { value: 'inactive' }, 'Deactivated'),
  );
  const users = h('tbody', {});
  const groups = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more users');
  let cursor: string | null = null;

  const loadUsers = async (reset: boolean): Promise<void> => {
    if (!reset && cursor === null) return; // past the last page
    if (reset) {
      users.replaceChildren();
      cursor = null;
    }
    const page = await api<Page<UserRow>>(
      'GET',
      `/users${query({ q: q.value, status: status.value, cursor, limit: 50 })}`,
    );
    for (const u of page.items) {
      users.append(
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, u.userName)),
          h('td', {}, u.displayName ?? ''),
          h('td', {}, u.email ?? ''),
          h('td', {}, u.active ? 'active' : h('span', { class: 'bad' }, 'deactivated')),
        ),
      );
    }
    if (reset && page.items.length === 0) {
      users.append(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 4 },
            emptyState(
              'No users.',
              q.value || status.value
                ? 'Nothing matches this search.'
                : 'Users appear here when the identity provider pushes them over SCIM (see Connections).',
            ),
          ),
        ),
      );
    }
    // No next page: the button goes (an absent cursor would load the first page again).
    cursor = page.nextCursor ?? null;
    more.hidden = cursor === null;
  };
  const loadGroups = async (): Promise<void> => {
    const page = await api<Page<GroupRow>>('GET', `/groups${query({ q: q.value, limit: 100 })}`);
    groups.replaceChildren(
      ...page.items.map((g) =>
        h(
          'tr',
          {},
          h('td', {}, g.displayName),
          h('td', {}, g.externalId ?? ''),
          h('td', {}, g.memberCount),
          h('td', {}, g.includes.map((i) => i.displayName).join(', ')),
        ),
      ),
    );
    if (page.items.length === 0) groups.append(h('tr', {}, h('td', { colspan: 4 }, 'No groups yet.')));
  };

  more.addEventListener('click', () => void busy(more, 'Loading…', () => loadUsers(false)));
  let timer: number | undefined;
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void Promise.all([loadUsers(true), loadGroups()]), 250);
  });
  status.addEventListener('change', () => void loadUsers(true));

  ctx.main.append(
    h('h1', {}, 'Directory'),
    h('div', { class: 'row' }, q, status),
    h('h2', {}, 'Users'),
    scrollBox(
      h(
        'table',
        { 'data-testid': 'users' },
        h(
          'thead',
          {},
          h('tr', {}, ...['userName', 'Name', 'Email', 'Status'].map((x) => h('th', { scope: 'col' }, x))),
        ),
        users,
      ),
    ),
    more,
    h('h2', {}, 'Groups'),
    scrollBox(
      h(
        'table',
        { 'data-testid': 'groups' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Group', 'External id', 'Members', 'Includes groups'].map((x) => h('th', { scope: 'col' }, x)),
          ),
        ),
        groups,
      ),
    ),
  );
  await Promise.all([loadUsers(true), loadGroups()]);
}
