/** The audit log: filters (by words), newest first, each event as a sentence with names, load more, CSV export of the same filter. */
import { api, query } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, field, h, scrollBox, when } from '../dom.js';
import { detailsOf, sentenceOf, whoOf, type Names } from '../audit-words.js';
import type { AuditEvent, ConnectionSummary, Mapping, Page, Team } from '../types.js';

/** Names of what the org has (connections, teams, mapped groups), to put in place of ids. */
async function namesOf(): Promise<Names> {
  const [connections, teams, mappings] = await Promise.all([
    api<{ items: ConnectionSummary[] }>('GET', '/connections?limit=500').catch(() => ({ items: [] })),
    api<{ items: Team[] }>('GET', '/teams?limit=500').catch(() => ({ items: [] })),
    api<{ items: Mapping[] }>('GET', '/mappings?limit=500').catch(() => ({ items: [] })),
  ]);
  const names = new Map<string, string>();
  for (const c of connections.items) names.set(c.id, c.name);
  for (const t of teams.items) names.set(t.id, t.name);
  for (const m of mappings.items) {
    names.set(m.id, `of group ${m.group?.displayName ?? m.matchValue}`);
    if (m.group) names.set(m.group.id, m.group.displayName);
  }
  return names;
}

export async function auditPage(ctx: PageContext): Promise<void> {
  const names = await namesOf();
  const actor = h('input', { placeholder: 'a name, e.g. Okta or dana' });
  const action = h('input', { placeholder: 'words, e.g. "token revoked" or "mapping"' });
  const target = h('input', { placeholder: 'target id' });
  const person = h('input', { placeholder: 'userName, e.g. walter@example.com', 'data-testid': 'audit-user' });
  const since = h('input', { type: 'datetime-local' });
  const rows = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const exportLink = h('a', { class: 'button secondary', 'data-testid': 'audit-export' }, 'Export CSV');
  let cursor: string | null = null;
  const connectionByName = (text: string): string => {
    const wanted = text.trim().toLowerCase();
    for (const [id, name] of names) if (name.toLowerCase() === wanted) return `connection ${id}`;
    return text.trim();
  };
  const filters = () => ({
    actor: actor.value.trim() ? connectionByName(actor.value) : undefined,
    action: action.value.trim(),
    target: target.value.trim(),
    user: person.value.trim(),
    since: since.value ? new Date(since.value).toISOString() : undefined,
  });
  const load = async (reset: boolean): Promise<void> => {
    if (!reset && cursor === null) return; // past the last page
    if (reset) {
      rows.replaceChildren();
      cursor = null;
      exportLink.setAttribute('href', `/admin/api/v1/audit/export${query(filters())}`);
    }
    const page = await api<Page<AuditEvent>>('GET', `/audit${query({ ...filters(), cursor, limit: 100 })}`);
    for (const e of page.items) {
      const details = detailsOf(e, names);
      rows.append(
        h(
          'tr',
          { 'data-testid': 'audit-row' },
          h('td', { class: 'nowrap' }, when(e.occurredAt)),
          h('td', {}, whoOf(e, names)),
          h(
            'td',
            { title: e.targetId ? `${e.targetType ?? 'target'} id ${e.targetId}` : undefined },
            sentenceOf(e, names),
            h('br', {}),
            h('code', { class: 'action' }, e.action),
          ),
          h(
            'td',
            {},
            details.length ? h('ul', { class: 'details' }, ...details.map((d) => h('li', {}, d))) : '',
            e.data
              ? h(
                  'details',
                  {},
                  h('summary', {}, 'ids and raw data'),
                  h('pre', {}, JSON.stringify({ target: e.targetId, ...e.data }, null, 1)),
                )
              : null,
          ),
        ),
      );
    }
    if (reset && page.items.length === 0) rows.append(h('tr', {}, h('td', { colspan: 4 }, 'No events match.')));
    // No next page: the button goes (an absent cursor would load the first page again).
    cursor = page.nextCursor ?? null;
    more.hidden = cursor === null;
  };
  more.addEventListener('click', () => void busy(more, 'Loading…', () => load(false)));
  const apply = h('button', { type: 'submit', class: 'secondary' }, 'Filter');
  ctx.main.append(
    h('h1', {}, 'Audit log'),
    h(
      'form',
      {
        class: 'row',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void load(true);
        },
      },
      field('Person', person),
      field('Who', actor),
      field('What', action),
      field('Target', target),
      field('Since', since),
      apply,
      exportLink,
    ),
    scrollBox(
      h(
        'table',
        { 'data-testid': 'audit' },
        h(
          'thead',
          {},
          h('tr', {}, ...['When', 'Who', 'What happened', 'Details'].map((x) => h('th', { scope: 'col' }, x))),
        ),
        rows,
      ),
    ),
    more,
  );
  await load(true);
}
