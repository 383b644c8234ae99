/** The audit log: filters, newest first, load more, CSV export of the same filter. */
import { api, query } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, field, h, when } from '../dom.js';
import type { AuditEvent, Page } from '../types.js';

export async function auditPage(ctx: PageContext): Promise<void> {
  const actor = h('input', { placeholder: 'id or label' });
  const action = h('input', { placeholder: 'e.g. mapping.created' });
  const target = h('input', { placeholder: 'target id' });
  const person = h('input', { placeholder: 'userName, e.g. walter@example.com', 'data-testid': 'audit-user' });
  const since = h('input', { type: 'datetime-local' });
  const rows = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const exportLink = h('a', { class: 'button secondary', 'data-testid': 'audit-export' }, 'Export CSV');
  let cursor: string | null = null;
  const filters = () => ({
    actor: actor.value,
    action: action.value,
    target: target.value,
    user: person.value.trim(),
    since: since.value ? new Date(since.value).toISOString() : undefined,
  });
  const load = async (reset: boolean): Promise<void> => {
    if (reset) {
      rows.replaceChildren();
      cursor = null;
      exportLink.setAttribute('href', `/admin/api/v1/audit/export${query(filters())}`);
    }
    const page = await api<Page<AuditEvent>>('GET', `/audit${query({ ...filters(), cursor, limit: 100 })}`);
    for (const e of page.items) {
      rows.append(
        h(
          'tr',
          {},
          h('td', {}, when(e.occurredAt)),
          h('td', {}, `${e.actorLabel ?? e.actorType}`),
          h('td', {}, h('code', {}, e.action)),
          h('td', {}, e.targetLabel ?? e.targetId ?? ''),
          h('td', {}, h('small', {}, e.data ? JSON.stringify(e.data).slice(0, 300) : '')),
        ),
      );
    }
    if (reset && page.items.length === 0) rows.append(h('tr', {}, h('td', { colspan: 5 }, 'No events match.')));
    cursor = page.nextCursor;
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
      field('Actor', actor),
      field('Action', action),
      field('Target', target),
      field('Since', since),
      apply,
      exportLink,
    ),
    h(
      'table',
      { 'data-testid': 'audit' },
      h('thead', {}, h('tr', {}, ...['When', 'Who', 'Action', 'Target', 'Details'].map((x) => h('th', {}, x)))),
      rows,
    ),
    more,
  );
  await load(true);
}
