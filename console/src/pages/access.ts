/** The access checker: "can USER do SCOPE on DEVICE GROUP?", with the reason. */
import { ApiError, api, describeError, query } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, field, h } from '../dom.js';
import type { Catalog, Page, UserRow } from '../types.js';

export async function checkerForm(user = ''): Promise<HTMLElement> {
  const catalog = await api<Catalog>('GET', '/catalog');
  const suggestions = h('datalist', { id: 'check-user-suggestions' });
  const who = h('input', {
    value: user,
    required: true,
    autocomplete: 'off',
    list: 'check-user-suggestions',
    placeholder: 'a name or userName, e.g. dana',
    'data-testid': 'check-user',
  });
  /** Users whose name or userName contains the text: the input suggests them as you type. */
  const matching = async (text: string): Promise<UserRow[]> =>
    text.trim().length < 2
      ? []
      : (await api<Page<UserRow>>('GET', `/users${query({ q: text.trim(), limit: 8 })}`)).items;
  let typing: number | undefined;
  who.addEventListener('input', () => {
    clearTimeout(typing);
    typing = window.setTimeout(async () => {
      const found = await matching(who.value).catch(() => []);
      suggestions.replaceChildren(
        ...found.map((u) => h('option', { value: u.userName }, u.displayName ? `${u.displayName}` : u.userName)),
      );
    }, 200);
  });
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
          // Not found by that exact name: offer the users whose names contain it.
          const found =
            error instanceof ApiError && error.problem.status === 404 ? await matching(who.value).catch(() => []) : [];
          result.replaceChildren(
            h('p', { class: 'error', role: 'alert' }, describeError(error)),
            found.length
              ? h(
                  'p',
                  { 'data-testid': 'check-suggestions' },
                  'Did you mean: ',
                  ...found.flatMap((u, i) => [
                    i > 0 ? ', ' : '',
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'link',
                        onclick: () => {
                          who.value = u.userName;
                          submit.click();
                        },
                      },
                      u.userName,
                    ),
                  ]),
                  '?',
                )
              : '',
          );
        }
      },
    },
    field('User', who),
    suggestions,
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
