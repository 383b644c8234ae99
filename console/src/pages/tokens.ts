/**
 * Tokens: the org's decision API tokens (factory services) and, for Owners, admin API
 * tokens (automation). Issue one (shown once, optionally expiring), see when each was last
 * used, and revoke it after confirming: a revoked token is refused at once.
 */
import { api, describeError } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, copyable, field, h, table, when } from '../dom.js';

interface TokenView {
  readonly id: string;
  readonly kind: 'admin' | 'api';
  readonly prefix: string;
  readonly role: string;
  readonly description: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

const EXPIRIES: ReadonlyArray<[string, string]> = [
  ['90d', '90 days'],
  ['30d', '30 days'],
  ['365d', 'one year'],
  ['', 'never'],
];

function state(t: TokenView): string {
  if (t.revokedAt) return `revoked ${when(t.revokedAt)}`;
  if (t.expiresAt && Date.parse(t.expiresAt) <= Date.now()) return `expired ${when(t.expiresAt)}`;
  return t.expiresAt ? `active until ${when(t.expiresAt)}` : 'active, never expires';
}

async function tokenSection(kind: 'api' | 'admin', title: string, explanation: string): Promise<HTMLElement> {
  const path = kind === 'api' ? '/api-tokens' : '/admin-tokens';
  const section = h('section', { class: 'card', 'data-testid': `${kind}-tokens` });
  const render = async (): Promise<void> => {
    const { items } = await api<{ items: TokenView[] }>('GET', path);
    const description = h('input', {
      name: 'description',
      'aria-label': 'Description',
      placeholder: kind === 'api' ? 'which service uses it' : 'what it is for',
    });
    const expiry = h(
      'select',
      { name: 'expiresIn', 'aria-label': 'Expires' },
      ...EXPIRIES.map(([value, label]) => h('option', { value }, label)),
    );
    const role =
      kind === 'admin'
        ? h(
            'select',
            { name: 'role', 'aria-label': 'Role' },
            h('option', { value: 'Admin' }, 'Admin'),
            h('option', { value: 'Owner' }, 'Owner'),
          )
        : undefined;
    const issued = h('div', { 'data-testid': `${kind}-token-issued` });
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const issue = h('button', { type: 'submit' }, 'Issue token');
    const form = h(
      'form',
      {
        class: 'inline',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          error.hidden = true;
          try {
            const token = await busy(issue, 'Issuing…', () =>
              api<{ token: string }>('POST', path, {
                ...(description.value.trim() ? { description: description.value.trim() } : {}),
                ...(expiry.value ? { expiresIn: expiry.value } : {}),
                ...(role ? { role: role.value } : {}),
              }),
            );
            await render();
            section
              .querySelector(`[data-testid="${kind}-token-issued"]`)!
              .replaceWith(
                h(
                  'div',
                  { class: 'notice', 'data-testid': `${kind}-token-issued` },
                  h('strong', {}, 'Copy this token now: it is shown only once. '),
                  copyable(token.token, `${kind}-token-value`),
                ),
              );
          } catch (err) {
            error.hidden = false;
            error.textContent = describeError(err);
          }
        },
      },
      field('Description', description),
      ...(role ? [field('Role', role)] : []),
      field('Expires', expiry),
      issue,
    );
    const rows = items.map((t) => [
      h('code', {}, `${t.prefix}_…`),
      t.description ?? '',
      ...(kind === 'admin' ? [t.role] : []),
      when(t.createdAt),
      t.lastUsedAt ? when(t.lastUsedAt) : 'never used',
      state(t),
      t.revokedAt
        ? ''
        : h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              'aria-label': `Revoke ${t.prefix}`,
              onclick: async () => {
                const what = t.description ? `"${t.description}" (${t.prefix})` : t.prefix;
                if (!window.confirm(`Revoke ${what}? Whatever uses it is refused from now on.`)) return;
                await api('DELETE', `${path}/${t.id}`);
                await render();
              },
            },
            'Revoke',
          ),
    ]);
    section.replaceChildren(
      h('h2', {}, title),
      h('p', { class: 'muted' }, explanation),
      items.length === 0
        ? h('p', { class: 'muted' }, 'No token yet.')
        : table(
            ['Token', 'Description', ...(kind === 'admin' ? ['Role'] : []), 'Created', 'Last used', 'State', ''],
            rows,
            `${kind}-token-list`,
          ),
      h('h3', {}, 'Issue a token'),
      form,
      error,
      issued,
    );
  };
  await render();
  return section;
}

export async function tokensPage(ctx: PageContext): Promise<void> {
  // Both sections are built before either is shown, so the page appears whole.
  const sections = await Promise.all([
    tokenSection(
      'api',
      'Decision API tokens',
      'Factory services send one of these to /v1/access to ask who may do what. Give each service its own, so you can revoke one without the others.',
    ),
    ...(ctx.session.role === 'Owner'
      ? [
          tokenSection(
            'admin',
            'Admin API tokens',
            'Scripts and automation use these on /admin/api/v1 with the role you choose. Prefer an expiry.',
          ),
        ]
      : []),
  ]);
  ctx.main.append(h('h1', {}, 'Tokens'), ...sections);
}
