/** The org policy (Owners): membership mode, allowed and denied scopes, the User default. */
import { api, describeError } from '../api.js';
import { previewTable } from '../access-preview.js';
import type { Preview } from '../types.js';
import type { PageContext } from '../app.js';
import { busy, field, h, submitting } from '../dom.js';

export interface Policy {
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

/** Read-only scopes of every resource: the narrow default a User in no team can be given in one click. */
function readOnly(p: Policy): string[] {
  return p.catalog.actions.includes('read') ? p.catalog.resources.map((r) => `${r}:read`) : [];
}

/**
 * The warning that a User in no team gets every scope (the default): members of a group
 * mapped without a team are such Users. `narrow` sets the read-only default.
 */
export function everyScopeWarning(p: Policy, narrow?: () => void): HTMLElement | null {
  if (p.defaultUserScopes !== null) return null;
  const examples = ['source:delete', 'devices:delete'].filter((s) => {
    const [resource, action] = s.split(':');
    return p.catalog.resources.includes(resource!) && p.catalog.actions.includes(action!);
  });
  return h(
    'div',
    { class: 'warning-banner', role: 'note', 'data-testid': 'every-scope-warning' },
    h('strong', {}, 'A User in no team gets every scope. '),
    `Members of a group mapped with no team are such Users: they hold ${examples.length ? examples.join(' and ') : 'every permission'} on any device group they can reach. `,
    narrow
      ? h(
          'button',
          { type: 'button', class: 'secondary small', 'data-testid': 'narrow-default', onclick: narrow },
          'Give Users in no team read-only scopes',
        )
      : h('a', { href: '#/policy' }, 'Narrow the default in the policy'),
  );
}

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
  const defaults = h('input', {
    value: p.defaultUserScopes?.join(', ') ?? '',
    placeholder: 'every scope',
    'data-testid': 'policy-default-scopes',
  });
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const saved = h(
    'p',
    { class: 'good', role: 'status', hidden: true, 'data-testid': 'policy-saved' },
    'Saved: every later decision uses it.',
  );
  const preview = h('div', {});
  let previewed: Preview | undefined;
  const previewButton = h(
    'button',
    { type: 'button', class: 'secondary', 'data-testid': 'preview-policy' },
    'Preview changes',
  );
  const save = h('button', { type: 'submit', disabled: true, 'data-testid': 'save-policy' }, 'Save policy');
  const body = () => ({
    membership: membership.value,
    allowedScopes: listOrNull(allowed.value),
    deniedScopes: listOrNull(denied.value) ?? [],
    defaultUserScopes: listOrNull(defaults.value),
  });
  const invalidate = (): void => {
    save.disabled = true;
    previewed = undefined;
    saved.hidden = true;
    preview.replaceChildren();
  };
  for (const el of [membership, allowed, denied, defaults]) {
    el.addEventListener('input', invalidate);
    el.addEventListener('change', invalidate);
  }
  const runPreview = async (): Promise<void> => {
    err.hidden = true;
    try {
      const result = await busy(previewButton, 'Computing…', () => api<Preview>('POST', '/policy/preview', body()));
      previewed = result;
      preview.replaceChildren(previewTable(result, 'evaluated'));
      save.disabled = false;
    } catch (error) {
      err.hidden = false;
      err.textContent = describeError(error);
    }
  };
  previewButton.addEventListener('click', () => void runPreview());
  const warning = everyScopeWarning(p, () => {
    defaults.value = readOnly(p).join(', ');
    invalidate();
    void runPreview();
    defaults.focus();
  });
  ctx.main.append(
    h('h1', {}, 'Organization policy'),
    h(
      'p',
      { class: 'muted' },
      'The policy bounds what teams and role defaults may grant. Grants beyond it are refused when edited, and suppressed (and shown as such) when the policy tightens later. Preview a change to see who gains and loses what before saving it.',
    ),
    ...(warning ? [warning] : []),
    h(
      'form',
      {
        class: 'card',
        'data-testid': 'policy-form',
        onsubmit: submitting(err, async () => {
          const losing =
            previewed?.users.filter(
              (u) =>
                u.losses.scopes.length + u.losses.teams.length + u.losses.deviceGroups.length > 0 ||
                (u.before.member && !u.after.member),
            ).length ?? 0;
          if (
            losing > 0 &&
            !window.confirm(
              `Saving this policy cuts access for ${losing}${previewed?.truncated ? '+' : ''} user(s) at once: their next decisions are refused for what they lose. Save it?`,
            )
          )
            return;
          await busy(save, 'Saving…', () => api('PUT', '/policy', body()));
          ctx.main.replaceChildren();
          await policyPage(ctx);
          ctx.main.querySelector<HTMLElement>('[data-testid="policy-saved"]')?.removeAttribute('hidden');
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
      h('div', { class: 'row' }, previewButton, save),
      preview,
    ),
  );
}
