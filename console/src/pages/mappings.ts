/**
 * Mappings: IdP group → membership, role, teams. A new or changed mapping is previewed (who
 * gains and loses what) before it is saved; a deletion says how many people it changes.
 */
import { api, describeError, query } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, emptyState, field, h, submitting, table } from '../dom.js';
import type { ConnectionSummary, GroupRow, Mapping, Page, Preview, Team } from '../types.js';
import { previewTable } from '../access-preview.js';

/** The warning that a mapping's members get every scope, and where to narrow it. */
function everyScopeBanner(owner: boolean, what: string): HTMLElement {
  return h(
    'div',
    { class: 'warning-banner', role: 'note', 'data-testid': 'every-scope-warning' },
    h('strong', {}, `${what} get every scope. `),
    'A group mapped with no team (and no role above User) makes its members Users, and a User in no team gets the organization’s default: today every scope, source:delete and devices:delete included, on any device group they can reach. Give the mapping a team, or ',
    owner
      ? h('a', { href: '#/policy' }, 'narrow the User default in the policy')
      : 'ask an Owner to narrow the User default in the policy',
    '.',
  );
}

export async function mappingsPage(ctx: PageContext): Promise<void> {
  const [{ items: mappings }, { items: connections }, { items: teams }] = await Promise.all([
    api<{ items: Mapping[] }>('GET', '/mappings?limit=500'),
    api<{ items: ConnectionSummary[] }>('GET', '/connections?limit=500'),
    api<{ items: Team[] }>('GET', '/teams?limit=500'),
  ]);
  const owner = ctx.session.role === 'Owner';
  const connectionName = new Map(connections.map((c) => [c.id, c.name]));
  const reload = (): void => {
    ctx.main.replaceChildren();
    void mappingsPage(ctx);
  };
  const groupName = (m: Mapping): string => m.group?.displayName ?? m.matchValue;
  ctx.main.append(h('h1', {}, 'Mappings'));
  const everyScope = mappings.filter((m) => m.grantsEveryScope);
  if (everyScope.length) {
    ctx.main.append(
      everyScopeBanner(
        owner,
        `Members of ${everyScope.length === 1 ? `the group ${groupName(everyScope[0]!)}` : `${everyScope.length} mapped groups`}`,
      ),
    );
  }
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
              groupName(m),
              m.warning ? h('small', { class: 'warn' }, ` (${m.warning})`) : null,
              m.grantsEveryScope ? h('small', { class: 'warn' }, ' (members get every scope)') : null,
            ),
            connectionName.get(m.connectionId) ?? 'unknown connection',
            m.role ?? 'User',
            m.teams.map((t) => t.name).join(', ') || 'no team',
            m.group?.members ?? 0,
            h(
              'span',
              { class: 'actions' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary small',
                  'aria-label': `Edit the mapping of ${groupName(m)}`,
                  onclick: () => edit(m),
                },
                'Edit',
              ),
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger small',
                  'aria-label': `Delete the mapping of ${groupName(m)}`,
                  onclick: async (e: Event) => {
                    const button = e.currentTarget as HTMLButtonElement;
                    const p = await api<Preview>('POST', '/mappings/preview', { operation: 'delete', mappingId: m.id });
                    const consequence =
                      p.changedUsers === 0
                        ? 'No one’s access changes.'
                        : `${p.changedUsers}${p.truncated ? '+' : ''} of its ${p.affectedUsers} member(s) lose what it gives (${[m.role ? `role ${m.role}` : '', ...m.teams.map((t) => `team ${t.name}`)].filter(Boolean).join(', ') || 'membership'}) at once.`;
                    if (confirm(`Delete the mapping of ${groupName(m)}? ${consequence}`)) {
                      await busy(button, 'Deleting…', () => api('DELETE', `/mappings/${m.id}`));
                      reload();
                    }
                  },
                },
                'Delete',
              ),
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
  const heading = h('h2', {}, 'New mapping');
  const preview = h('div', {});
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const previewButton = h('button', { type: 'button', 'data-testid': 'preview-mapping' }, 'Preview changes');
  const save = h('button', { type: 'submit', disabled: true, 'data-testid': 'save-mapping' }, 'Save mapping');
  const cancel = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Cancel editing');
  /** The mapping being edited; undefined for a new one. */
  let editing: Mapping | undefined;

  const loadGroups = async (): Promise<void> => {
    const page = await api<Page<GroupRow>>('GET', `/groups${query({ connectionId: connection.value, limit: 500 })}`);
    group.replaceChildren(
      ...page.items.map((g) => h('option', { value: g.id }, `${g.displayName} (${g.memberCount} members)`)),
    );
    if (page.items.length === 0) group.append(h('option', { value: '' }, 'no groups pushed yet'));
  };
  const chosenTeams = (): string[] => teamBoxes.filter((t) => t.box.checked).map((t) => t.box.value);
  const body = () => ({
    connectionId: connection.value,
    group: group.value,
    matchBy: 'id',
    role: role.value || null,
    teams: chosenTeams(),
  });
  const change = () => ({ role: role.value || null, teams: chosenTeams() });
  const invalidate = (): void => {
    save.disabled = true;
    preview.replaceChildren();
  };
  const edit = (m: Mapping): void => {
    editing = m;
    heading.textContent = `Edit the mapping of ${groupName(m)}`;
    connection.value = m.connectionId;
    connection.disabled = true;
    group.replaceChildren(h('option', { value: m.group?.id ?? m.matchValue }, groupName(m)));
    group.disabled = true;
    role.value = m.role ?? '';
    for (const t of teamBoxes) t.box.checked = m.teams.some((x) => x.name === t.box.value);
    save.textContent = 'Save changes';
    cancel.hidden = false;
    invalidate();
    heading.scrollIntoView();
    role.focus();
  };
  cancel.addEventListener('click', reload);
  connection.addEventListener('change', () => {
    invalidate();
    void loadGroups();
  });
  for (const el of [group, role, ...teamBoxes.map((t) => t.box)]) el.addEventListener('change', invalidate);
  previewButton.addEventListener('click', async () => {
    err.hidden = true;
    try {
      const p = await busy(previewButton, 'Computing…', () =>
        api<Preview>(
          'POST',
          '/mappings/preview',
          editing
            ? { operation: 'update', mappingId: editing.id, change: change() }
            : { operation: 'create', mapping: body() },
        ),
      );
      preview.replaceChildren(
        ...(p.grantsEveryScope ? [everyScopeBanner(owner, 'With this mapping, its members')] : []),
        previewTable(p),
      );
      save.disabled = false;
    } catch (error) {
      err.hidden = false;
      err.textContent = describeError(error);
    }
  });

  ctx.main.append(
    heading,
    h(
      'form',
      {
        class: 'card',
        onsubmit: submitting(err, async () => {
          const target = editing;
          await busy(save, 'Applying to the group’s members…', () =>
            target ? api('PATCH', `/mappings/${target.id}`, change()) : api('POST', '/mappings', body()),
          );
          reload();
        }),
      },
      field('Connection', connection),
      field('IdP group', group, 'matched by its id, so renaming it in the IdP keeps the mapping'),
      field('Role', role),
      h(
        'fieldset',
        { class: 'field' },
        h('legend', {}, 'Teams'),
        teams.length
          ? h('div', { class: 'checks' }, ...teamBoxes.map((t) => t.label))
          : h('small', {}, 'No teams yet: create one under Teams.'),
      ),
      err,
      h('div', { class: 'row' }, previewButton, save, cancel),
      preview,
    ),
  );
  await loadGroups();
}
