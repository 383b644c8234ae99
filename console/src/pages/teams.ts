/** Teams: list, create with the resource × action grid, edit scopes/device groups/members. */
import { api } from '../api.js';
import type { PageContext } from '../app.js';
import { append, busy, emptyState, field, h, scrollBox, submitting, table } from '../dom.js';
import type { Catalog, Team } from '../types.js';

interface TeamDetail extends Team {
  memberList: Array<{ userId: string; userName: string; source: 'idp' | 'manual' }>;
}

/** Checkboxes for every resource × action of the org's catalog. */
function scopeGrid(catalog: Catalog, selected: readonly string[]): { element: HTMLTableElement; value(): string[] } {
  const boxes: HTMLInputElement[] = [];
  const element = h(
    'table',
    { class: 'grid', 'data-testid': 'scope-grid' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, 'Resource'), ...catalog.actions.map((a) => h('th', { scope: 'col' }, a))),
    ),
    h(
      'tbody',
      {},
      ...catalog.resources.map((r) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, r),
          ...catalog.actions.map((a) => {
            const box = h('input', { type: 'checkbox', value: `${r}:${a}`, 'aria-label': `${r}:${a}` });
            box.checked = selected.includes(`${r}:${a}`);
            boxes.push(box);
            return h('td', {}, box);
          }),
        ),
      ),
    ),
  );
  return { element, value: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

/** A team's scopes, those the policy cuts struck through with the reason. */
function scopeList(t: Team): HTMLElement | string {
  if (t.scopes.length === 0) return 'none (role default)';
  const cut = new Set(t.suppressed.map((x) => x.scope));
  const span = h('span', {});
  t.scopes.forEach((scope, i) => {
    if (i > 0) span.append(', ');
    const reason = t.suppressed.find((x) => x.scope === scope)?.reason;
    span.append(cut.has(scope) ? h('s', { title: reason ?? '' }, scope) : scope);
  });
  if (t.suppressed.length) {
    span.append(
      h(
        'small',
        { class: 'warn', 'data-testid': 'suppressed-scopes' },
        ` (cut by the policy: ${t.suppressed.map((x) => x.scope).join(', ')})`,
      ),
    );
  }
  return span;
}

const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export async function teamsPage(ctx: PageContext): Promise<void> {
  const [{ items }, catalog] = await Promise.all([
    api<{ items: Team[] }>('GET', '/teams?limit=500'),
    api<Catalog>('GET', '/catalog'),
  ]);
  ctx.main.append(h('h1', {}, 'Teams'));
  ctx.main.append(
    items.length === 0
      ? emptyState('No teams yet.', 'Create a team with the scopes it grants, then map an IdP group to it (Mappings).')
      : table(
          ['Team', 'Description', 'Scopes', 'Device groups', 'Members'],
          items.map((t) => [
            h('a', { href: `#/teams/${encodeURIComponent(t.name)}` }, t.name),
            t.description ?? '',
            scopeList(t),
            t.deviceGroups.join(', ') || '—',
            `${t.members.idp} from the IdP, ${t.members.manual} manual`,
          ]),
          'teams',
        ),
  );
  const name = h('input', { required: true, 'data-testid': 'team-name' });
  const description = h('input', {});
  const grid = scopeGrid(catalog, []);
  const devices = h('input', { placeholder: 'e.g. test-lab-devices', 'data-testid': 'team-device-groups' });
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit' }, 'Create team');
  ctx.main.append(
    h('h2', {}, 'New team'),
    h(
      'form',
      {
        class: 'card',
        onsubmit: submitting(err, async () => {
          const t = await busy(submit, 'Creating…', () =>
            api<Team>('POST', '/teams', {
              name: name.value,
              description: description.value || null,
              scopes: grid.value(),
              deviceGroups: splitList(devices.value),
            }),
          );
          ctx.navigate(`#/teams/${encodeURIComponent(t.name)}`);
        }),
      },
      field('Name', name),
      field('Description', description),
      h(
        'div',
        { class: 'field' },
        h('span', {}, 'Scopes'),
        scrollBox(grid.element),
        h('small', {}, 'read-update includes read. A team with no scope leaves its members on their role default.'),
      ),
      field('Device groups', devices, 'comma-separated; devices scopes of this team apply to these groups'),
      err,
      submit,
    ),
  );
}

export async function teamPage(ctx: PageContext): Promise<void> {
  const name = ctx.params[0]!;
  const [team, catalog] = await Promise.all([
    api<TeamDetail>('GET', `/teams/${encodeURIComponent(name)}`),
    api<Catalog>('GET', '/catalog'),
  ]);
  const reload = (): void => {
    ctx.main.replaceChildren();
    void teamPage(ctx);
  };
  const grid = scopeGrid(catalog, team.scopes);
  const description = h('input', { value: team.description ?? '', 'data-testid': 'team-description' });
  const devices = h('input', { value: team.deviceGroups.join(', ') });
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const memberErr = h('div', { class: 'error', role: 'alert', hidden: true, 'data-testid': 'team-member-error' });
  const save = h('button', { type: 'submit' }, 'Save team');
  const member = h('input', { placeholder: 'userName, e.g. dana@example.com', 'data-testid': 'team-member' });
  append(
    ctx.main,
    h('p', {}, h('a', { href: '#/teams' }, '← Teams')),
    h('h1', {}, team.name),
    team.description ? h('p', { 'data-testid': 'team-description-text' }, team.description) : null,
    team.suppressed.length
      ? h(
          'div',
          { class: 'warning-banner', role: 'note' },
          h('strong', {}, 'The org policy cuts some of these scopes: '),
          team.suppressed.map((x) => `${x.scope} (${x.reason})`).join('; '),
          '. Members do not get them while the policy stands.',
        )
      : null,
    h(
      'form',
      {
        class: 'card',
        onsubmit: submitting(err, async () => {
          const removed = team.scopes.filter((x) => !grid.value().includes(x));
          const members = team.members.idp + team.members.manual;
          if (
            removed.length > 0 &&
            members > 0 &&
            !confirm(`Save ${team.name}? Its ${members} member(s) lose ${removed.join(', ')} at once.`)
          )
            return;
          await busy(save, 'Saving…', () =>
            api('PATCH', `/teams/${encodeURIComponent(team.id)}`, {
              description: description.value.trim() || null,
              scopes: grid.value(),
              deviceGroups: splitList(devices.value),
            }),
          );
          reload();
        }),
      },
      field('Description', description),
      h('div', { class: 'field' }, h('span', {}, 'Scopes'), scrollBox(grid.element)),
      field('Device groups', devices),
      err,
      save,
    ),
    h('h2', {}, 'Members'),
    team.memberList.length
      ? table(
          ['User', 'Source', ''],
          team.memberList.map((m) => [
            h('a', { href: `#/users/${encodeURIComponent(m.userId)}` }, m.userName),
            m.source === 'idp' ? 'from a mapping' : 'added by an admin',
            m.source === 'manual'
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'danger small',
                    'aria-label': `Remove ${m.userName} from ${team.name}`,
                    onclick: async () => {
                      if (!confirm(`Remove ${m.userName} from ${team.name}? They lose what the team grants at once.`))
                        return;
                      await api(
                        'DELETE',
                        `/teams/${encodeURIComponent(team.id)}/members/${encodeURIComponent(m.userId)}`,
                      );
                      reload();
                    },
                  },
                  'Remove',
                )
              : '',
          ]),
        )
      : h('p', { class: 'muted' }, 'No members yet: map an IdP group to this team, or add someone here.'),
    h(
      'form',
      {
        class: 'row',
        onsubmit: submitting(memberErr, async () => {
          await api('POST', `/teams/${encodeURIComponent(team.id)}/members`, { user: member.value });
          reload();
        }),
      },
      field('Add a member', member),
      h('button', { type: 'submit', class: 'secondary' }, 'Add member'),
    ),
    memberErr,
    h(
      'p',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: async () => {
            if (confirm(`Delete team ${team.name}? Its members lose what it grants at once.`)) {
              await api('DELETE', `/teams/${encodeURIComponent(team.id)}`);
              ctx.navigate('#/teams');
            }
          },
        },
        'Delete team',
      ),
    ),
  );
}
