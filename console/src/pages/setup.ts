/** The one-time setup link: names the organization when needed, then signs the holder in as its Owner. */
import { api, describeError } from '../api.js';
import { busy, field, h, submitting } from '../dom.js';

export async function setupPage(root: HTMLElement): Promise<void> {
  const secret = location.hash.slice(1);
  // The secret stays out of the address bar (and history) from here on.
  history.replaceState(null, '', '/admin/setup');
  const box = h('main', { class: 'signin' }, h('h1', {}, 'Set up identity-bridge'));
  root.replaceChildren(box);
  const finish = async (orgName?: string): Promise<void> => {
    await api('POST', '/setup/redeem', { secret, ...(orgName ? { orgName } : {}) });
    location.href = '/admin#/connections';
  };
  try {
    const { needsOrgName } = await api<{ needsOrgName: boolean }>('POST', '/setup/inspect', { secret });
    if (!needsOrgName) {
      box.append(h('p', {}, 'Signing you in…'));
      await finish();
      return;
    }
    const name = h('input', { required: true, placeholder: 'Example Corp', 'data-testid': 'org-name-input' });
    const err = h('div', { class: 'error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit' }, 'Create organization');
    box.append(
      h('p', {}, 'Name your organization. You become its Owner, and connect its identity provider next.'),
      h(
        'form',
        {
          class: 'card',
          onsubmit: submitting(err, async () => {
            await busy(submit, 'Creating…', () => finish(name.value));
          }),
        },
        field('Organization name', name),
        err,
        submit,
      ),
    );
  } catch (error) {
    box.append(h('div', { class: 'error', role: 'alert' }, describeError(error)));
  }
}
