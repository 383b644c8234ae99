/** The access checker: "can USER do SCOPE on DEVICE GROUP?", with the reason. */
import { api, describeError } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, field, h } from '../dom.js';
import type { Catalog } from '../types.js';

export async function checkerForm(user = ''): Promise<HTMLElement> {
  const catalog = await api<Catalog>('GET', '/catalog');
  const who = h('input', { value: user, required: true, placeholder: 'userName or id', 'data-testid': 'check-user' });
  const scope = h(
    'select',
    { 'data-testid': 'check-scope' },
    ...catalog.scopes.map((s) => h('option', { value: s }, s)),
  );
  const deviceGroup = h('input', {
    placeholder: 'optional, e.g. test-lab-devices',
    'data-testid': 'check-device-group',
  });
  const result = h('div', { 'data-testid': 'check-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Check');
  return h(
    'form',
    {
      class: 'card',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const d = await busy(submit, 'Checking…', () =>
            api<{ allowed: boolean; reason: string }>('POST', '/access/check', {
              user: who.value,
              scope: scope.value,
              ...(deviceGroup.value.trim() ? { deviceGroup: deviceGroup.value.trim() } : {}),
            }),
          );
          result.replaceChildren(
            h(
              'p',
              { class: d.allowed ? 'good' : 'bad' },
              h('strong', {}, d.allowed ? 'Allowed. ' : 'Denied. '),
              d.reason,
            ),
          );
        } catch (error) {
          result.replaceChildren(h('p', { class: 'error' }, describeError(error)));
        }
      },
    },
    field('User', who),
    field('Scope', scope),
    field('Device group', deviceGroup),
    submit,
    result,
  );
}

export async function accessPage(ctx: PageContext): Promise<void> {
  ctx.main.append(
    h('h1', {}, 'Access checker'),
    h(
      'p',
      { class: 'muted' },
      'Answers what a factory service would be told, with the reason. Open a user in the Directory for the full explanation.',
    ),
    await checkerForm(),
  );
}
