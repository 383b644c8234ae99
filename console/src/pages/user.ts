/** One user: who they are, their IdP groups, their effective access with the explanation chain, and its history. */
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

interface HistoryEntry {
  id: string;
  occurredAt: string;
  summary: string[];
  causeText: string;
}

interface HistoryPage {
  items: HistoryEntry[];
  nextCursor: string | null;
}

const STAMP = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** "Dec 3, 14:14: lost devices:read-update on test-lab-devices. Okta removed walter from group Test Lab, SCIM PATCH, request 1f2e..." */
function historyItem(e: HistoryEntry): HTMLElement {
  return h(
    'li',
    { 'data-testid': 'history-entry' },
    h('time', { datetime: e.occurredAt, title: e.occurredAt }, STAMP.format(new Date(e.occurredAt))),
    ': ',
    h('strong', {}, e.summary.join('; ')),
    '. ',
    h('span', { class: 'muted' }, e.causeText),
  );
}

/** The timeline of the user's changes of access, newest first, a page at a time. */
async function historySection(userId: string): Promise<HTMLElement> {
  const list = h('ol', { class: 'timeline', 'data-testid': 'history' });
  const section = h('section', { 'aria-labelledby': 'history-heading' }, h('h2', { id: 'history-heading' }, 'History'));
  let more: HTMLElement | null = null;
  const load = async (cursor: string | null): Promise<void> => {
    const page = await api<HistoryPage>(
      'GET',
      `/users/${encodeURIComponent(userId)}/access-history${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    append(list, ...page.items.map(historyItem));
    more?.remove();
    more = null;
    if (page.nextCursor) {
      const next = page.nextCursor;
      more = h('button', { type: 'button', class: 'secondary', 'data-testid': 'history-more' }, 'Load more');
      more.addEventListener('click', () => void load(next));
      section.append(more);
    }
    if (!list.children.length && !cursor)
      list.replaceWith(h('p', { class: 'muted' }, 'No change of access recorded yet.'));
  };
  section.append(list);
  await load(null);
  return section;
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
    await historySection(user.id),
  );
}
