/** The org policy (Owners): membership mode, allowed and denied scopes, the User default. */
import { api } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, field, h, submitting } from '../dom.js';

interface Policy {
  membership: 'mapped' | 'all_provisioned';
  catalog: { resources: string[]; actions: string[] };
  defaultUserScopes: string[] | null;
  allowedScopes: string[] | null;
  deniedScopes: string[];
}

const listOrNull = (text: string): string[] | null => {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? items : null;
};

export async function policyPage(ctx: PageContext): Promise<void> {
  const p = await api<Policy>('GET', '/policy');
  const membership = h(
    'select',
    {},
    h('option', { value: 'mapped' }, 'Members are the users of mapped groups'),
    h('option', { value: 'all_provisioned' }, 'Every active provisioned user is a member'),
  );
  membership.value = p.membership;
  const allowed = h('input', { value: p.allowedScopes?.join(', ') ?? '', placeholder: 'no bound' });
  const denied = h('input', { value: p.deniedScopes.join(', ') });
  const defaults = h('input', { value: p.defaultUserScopes?.join(', ') ?? '', placeholder: 'every scope' });
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const saved = h('p', { class: 'good', hidden: true }, 'Saved: every later decision uses it.');
  const save = h('button', { type: 'submit' }, 'Save policy');
  ctx.main.append(
    h('h1', {}, 'Organization policy'),
    h(
      'p',
      { class: 'muted' },
      'The policy bounds what teams and role defaults may grant. Grants beyond it are refused when edited, and suppressed (and shown as such) when the policy tightens later.',
    ),
    h(
      'form',
      {
        class: 'card',
        'data-testid': 'policy-form',
        onsubmit: submitting(err, async () => {
          await busy(save, 'Saving…', () =>
            api('PUT', '/policy', {
              membership: membership.value,
              allowedScopes: listOrNull(allowed.value),
              deniedScopes: listOrNull(denied.value) ?? [],
              defaultUserScopes: listOrNull(defaults.value),
            }),
          );
          saved.hidden = false;
        }),
      },
      field('Membership', membership),
      field('Allowed scopes', allowed, 'comma-separated; empty means no bound'),
      field('Denied scopes', denied, 'never granted, whatever a team says'),
      field('Default scopes of a User in no team', defaults, 'empty means every scope'),
      h(
        'p',
        { class: 'muted' },
        `Catalog: resources ${p.catalog.resources.join(', ')}; actions ${p.catalog.actions.join(', ')}.`,
      ),
      err,
      saved,
      save,
    ),
  );
}
