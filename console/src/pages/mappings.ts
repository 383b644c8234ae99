/** Mappings: IdP group → membership, role, teams. A new mapping is previewed (who gains and loses what) before it is saved. */
import { api, describeError, query } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, emptyState, field, h, submitting, table } from '../dom.js';
import type { ConnectionSummary, Delta, GroupRow, Mapping, Page, Preview, Team } from '../types.js';

function describe(d: Delta): string {
  return (
    [...d.teams.map((t) => `team ${t}`), ...d.scopes, ...d.deviceGroups.map((g) => `device group ${g}`)].join(', ') ||
    '—'
  );
}

function previewTable(p: Preview): HTMLElement {
  const changed = p.users.filter((u) => u.changed);
  return h(
    'div',
    { class: 'card preview', 'data-testid': 'mapping-preview' },
    h('h3', {}, 'Preview: nothing is saved yet'),
    h(
      'p',
      {},
      `${p.affectedUsers} user(s) in the group; ${p.changedUsers} would change${p.truncated ? ' (first ones shown)' : ''}.`,
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

export async function mappingsPage(ctx: PageContext): Promise<void> {
  const [{ items: mappings }, { items: connections }, { items: teams }] = await Promise.all([
    api<{ items: Mapping[] }>('GET', '/mappings?limit=500'),
    api<{ items: ConnectionSummary[] }>('GET', '/connections?limit=500'),
    api<{ items: Team[] }>('GET', '/teams?limit=500'),
  ]);
  const connectionName = new Map(connections.map((c) => [c.id, c.name]));
  const reload = (): void => {
    ctx.main.replaceChildren();
    void mappingsPage(ctx);
  };
  ctx.main.append(h('h1', {}, 'Mappings'));
  ctx.main.append(
    mappings.length === 0
      ? emptyState(
          'No group is mapped yet.',
          'Map an IdP group to teams and a role below; you will see who gains what before saving.',
        )
      : table(
          ['IdP group', 'Connection', 'Role', 'Teams', 'Members', ''],
          mappings.map((m) => [
            h(
              'span',
              {},
              m.group?.displayName ?? m.matchValue,
              m.warning ? h('small', { class: 'warn' }, ` (${m.warning})`) : null,
            ),
            connectionName.get(m.connectionId) ?? m.connectionId,
            m.role ?? '—',
            m.teams.map((t) => t.name).join(', ') || '—',
            m.group?.members ?? 0,
            h(
              'button',
              {
                type: 'button',
                class: 'danger small',
                onclick: async (e: Event) => {
                  const button = e.currentTarget as HTMLButtonElement;
                  const p = await api<Preview>('POST', '/mappings/preview', { operation: 'delete', mappingId: m.id });
                  if (confirm(`Deleting this mapping changes access for ${p.changedUsers} user(s). Delete it?`)) {
                    await busy(button, 'Deleting…', () => api('DELETE', `/mappings/${m.id}`));
                    reload();
                  }
                },
              },
              'Delete',
            ),
          ]),
          'mappings',
        ),
  );
  if (connections.length === 0) {
    ctx.main.append(
      h('p', {}, 'Connect an identity provider first (', h('a', { href: '#/connections' }, 'Connections'), ').'),
    );
    return;
  }

  const connection = h(
    'select',
    { 'data-testid': 'mapping-connection' },
    ...connections.map((c) => h('option', { value: c.id }, c.name)),
  );
  const group = h('select', { 'data-testid': 'mapping-group' });
  const role = h(
    'select',
    { 'data-testid': 'mapping-role' },
    h('option', { value: '' }, 'no role (User)'),
    ...['User', 'Admin', 'Owner'].map((r) => h('option', { value: r }, r)),
  );
  const teamBoxes = teams.map((t) => {
    const box = h('input', { type: 'checkbox', value: t.name, 'aria-label': t.name });
    return { box, label: h('label', { class: 'inline' }, box, ` ${t.name}`) };
  });
  const preview = h('div', {});
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const previewButton = h('button', { type: 'button', 'data-testid': 'preview-mapping' }, 'Preview changes');
  const save = h('button', { type: 'submit', disabled: true, 'data-testid': 'save-mapping' }, 'Save mapping');

  const loadGroups = async (): Promise<void> => {
    const page = await api<Page<GroupRow>>('GET', `/groups${query({ connectionId: connection.value, limit: 500 })}`);
    group.replaceChildren(
      ...page.items.map((g) => h('option', { value: g.id }, `${g.displayName} (${g.memberCount} members)`)),
    );
    if (page.items.length === 0) group.append(h('option', { value: '' }, 'no groups pushed yet'));
  };
  const body = () => ({
    connectionId: connection.value,
    group: group.value,
    matchBy: 'id',
    role: role.value || null,
    teams: teamBoxes.filter((t) => t.box.checked).map((t) => t.box.value),
  });
  const invalidate = (): void => {
    save.disabled = true;
    preview.replaceChildren();
  };
  connection.addEventListener('change', () => {
    invalidate();
    void loadGroups();
  });
  for (const el of [group, role, ...teamBoxes.map((t) => t.box)]) el.addEventListener('change', invalidate);
  previewButton.addEventListener('click', async () => {
    err.hidden = true;
    try {
      const p = await busy(previewButton, 'Computing…', () =>
        api<Preview>('POST', '/mappings/preview', { operation: 'create', mapping: body() }),
      );
      preview.replaceChildren(previewTable(p));
      save.disabled = false;
    } catch (error) {
      err.hidden = false;
      err.textContent = describeError(error);
    }
  });

  ctx.main.append(
    h('h2', {}, 'New mapping'),
    h(
      'form',
      {
        class: 'card',
        onsubmit: submitting(err, async () => {
          await busy(save, 'Applying to the group’s members…', () => api('POST', '/mappings', body()));
          reload();
        }),
      },
      field('Connection', connection),
      field('IdP group', group, 'matched by its id, so renaming it in the IdP keeps the mapping'),
      field('Role', role),
      h(
        'div',
        { class: 'field' },
        h('span', {}, 'Teams'),
        teams.length
          ? h('div', { class: 'checks' }, ...teamBoxes.map((t) => t.label))
          : h('small', {}, 'No teams yet: create one under Teams.'),
      ),
      err,
      h('div', { class: 'row' }, previewButton, save),
      preview,
    ),
  );
  await loadGroups();
}
