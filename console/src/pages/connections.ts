/** Connections: the list with live status, and one connection with per-IdP instructions, tokens and SSO settings. */
import { api } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, copyable, emptyState, field, h, submitting, table, when } from '../dom.js';
import { guideFor, type GuideStep } from '../idp-guides.js';
import { googleProvisioning } from './directory-sync.js';
import type { ConnectionDetail, ConnectionSummary } from '../types.js';

const KINDS: ReadonlyArray<[string, string]> = [
  ['okta', 'Okta'],
  ['entra', 'Microsoft Entra ID'],
  ['google', 'Google Workspace'],
  ['generic', 'Other SCIM / SAML provider'],
];

function statusLine(c: ConnectionSummary): HTMLElement {
  if (c.status.source === 'google') {
    const run = c.status.lastSync;
    return h(
      'div',
      { class: 'status', 'data-testid': 'connection-status' },
      h('span', {}, `Google directory sync: ${run ? `last run ${when(run.at)}, ${run.status}` : 'no run yet'}`),
      h('span', {}, `Users: ${c.status.users}`),
      h('span', {}, `Groups: ${c.status.groups}`),
      run?.errorMessage
        ? h('span', { class: run.status === 'failed' || run.status === 'held' ? 'bad' : 'warn' }, run.errorMessage)
        : run?.status === 'held'
          ? h('span', { class: 'bad' }, 'A run waits for your approval')
          : null,
    );
  }
  const err = c.status.lastScimError;
  return h(
    'div',
    { class: 'status', 'data-testid': 'connection-status' },
    h('span', {}, `Last SCIM request: ${when(c.status.lastScimRequestAt)}`),
    h('span', {}, `Users received: ${c.status.users}`),
    h('span', {}, `Groups received: ${c.status.groups}`),
    err
      ? h(
          'span',
          { class: 'bad' },
          `Last error (${when(err.at)}): ${err.status} on ${err.method} ${err.path}: ${err.detail}`,
        )
      : h('span', { class: 'good' }, 'No errors'),
  );
}

export async function connectionsPage(ctx: PageContext): Promise<void> {
  const { items } = await api<{ items: ConnectionSummary[] }>('GET', '/connections?limit=500');
  const owner = ctx.session.role === 'Owner';
  ctx.main.append(h('h1', {}, 'Connections'));
  if (items.length === 0) {
    ctx.main.append(
      emptyState(
        'No identity provider is connected yet.',
        owner
          ? 'Add a connection for Okta, Entra ID or Google Workspace below; the next page walks you through the IdP side.'
          : 'An Owner of the organization adds the first connection.',
      ),
    );
  } else {
    ctx.main.append(
      table(
        ['Name', 'Kind', 'Status', 'Sign-in'],
        items.map((c) => [
          h('a', { href: `#/connections/${c.id}` }, c.name),
          KINDS.find(([k]) => k === c.kind)?.[1] ?? c.kind,
          statusLine(c),
          [c.sso.saml ? 'SAML' : '', c.sso.oidc ? 'OIDC' : ''].filter(Boolean).join(', ') || 'not set up',
        ]),
        'connections',
      ),
    );
  }
  if (!owner) return;
  const kind = h(
    'select',
    { name: 'kind', 'data-testid': 'connection-kind' },
    ...KINDS.map(([k, label]) => h('option', { value: k }, label)),
  );
  const name = h('input', {
    name: 'name',
    required: true,
    placeholder: 'e.g. Okta production',
    'data-testid': 'connection-name',
  });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit' }, 'Add connection');
  ctx.main.append(
    h('h2', {}, 'Add a connection'),
    h(
      'form',
      {
        class: 'card',
        onsubmit: submitting(error, async () => {
          const created = await busy(submit, 'Creating…', () =>
            api<ConnectionDetail>('POST', '/connections', { kind: kind.value, name: name.value }),
          );
          ctx.navigate(`#/connections/${created.id}`);
        }),
      },
      field('Identity provider', kind),
      field('Name', name),
      error,
      submit,
    ),
  );
}

function steps(list: readonly GuideStep[]): HTMLElement {
  return h(
    'ol',
    { class: 'steps' },
    ...list.map((s) =>
      h(
        'li',
        {},
        h('p', {}, s.text),
        ...(s.copy ?? []).map((c) => h('div', { class: 'copy-row' }, h('span', {}, `${c.label}: `), copyable(c.value))),
      ),
    ),
  );
}

export async function connectionPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0]!;
  let c = await api<ConnectionDetail>('GET', `/connections/${id}`);
  const owner = ctx.session.role === 'Owner';
  const guide = guideFor(c);
  const reload = (): void => {
    void connectionPage({ ...ctx, main: replace(ctx.main) });
  };
  let status = statusLine(c);
  /** The status line again, after the provisioning section changed what it says. */
  const refreshStatus = async (): Promise<void> => {
    const next = statusLine(await api<ConnectionDetail>('GET', `/connections/${id}`));
    status.replaceWith(next);
    status = next;
  };
  ctx.main.append(
    h('p', {}, h('a', { href: '#/connections' }, '← Connections')),
    h(
      'h1',
      {},
      c.name,
      c.name.toLowerCase().includes(guide.title.toLowerCase()) ? null : h('small', {}, ` ${guide.title}`),
    ),
    status,
  );
  const unreachable = publicUrlWarning(c.scimBaseUrl, c.kind, guide.title);
  if (unreachable) ctx.main.append(unreachable);
  const scimSteps = steps(guide.scim);

  // Tokens
  const tokenBox = h('div', { class: 'card' });
  let tokenList = tokensOf(c);
  /** The token list again, after a token was issued or rotated (the new one is listed at once). */
  const refreshTokens = async (): Promise<void> => {
    c = await api<ConnectionDetail>('GET', `/connections/${id}`);
    const next = tokensOf(c);
    tokenList.replaceWith(next);
    tokenList = next;
  };
  tokenBox.append(h('h3', {}, 'SCIM tokens'), tokenList);
  function tokensOf(c: ConnectionDetail): HTMLElement {
    return c.tokens.length === 0
      ? h('p', { class: 'muted' }, 'No token yet: issue one and paste it into the identity provider.')
      : table(
          ['Token', 'Description', 'Created', 'Last used', 'State', ''],
          c.tokens.map((t) => [
            h('code', {}, `${t.prefix}_…`),
            t.description ?? '',
            when(t.createdAt),
            when(t.lastUsedAt),
            t.revokedAt
              ? `revoked ${when(t.revokedAt)}`
              : t.expiresAt && Date.parse(t.expiresAt) <= Date.now()
                ? `expired ${when(t.expiresAt)}`
                : t.expiresAt
                  ? `active until ${when(t.expiresAt)}`
                  : 'active',
            owner && !t.revokedAt
              ? h(
                  'span',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary small',
                      'aria-label': `Rotate ${t.prefix}_…`,
                      onclick: async () => {
                        if (
                          !window.confirm(
                            `Rotate the SCIM token ${t.prefix}_…? A new token is shown once; paste it into ${guide.title} before the old one stops working.`,
                          )
                        )
                          return;
                        showToken(await api('POST', `/connections/${id}/scim-tokens/${t.id}/rotate`));
                      },
                    },
                    'Rotate',
                  ),
                  ' ',
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'danger small',
                      'aria-label': `Revoke ${t.prefix}_…`,
                      onclick: async () => {
                        const others = c.tokens.filter((o) => o.id !== t.id && !o.revokedAt).length;
                        const consequence =
                          others === 0
                            ? `${guide.title} will get 401 on its next SCIM request and stop provisioning until you issue a new token and paste it there.`
                            : `Any ${guide.title} configuration still using it gets 401 at once.`;
                        if (!window.confirm(`Revoke the SCIM token ${t.prefix}_…? ${consequence}`)) return;
                        await api('DELETE', `/connections/${id}/scim-tokens/${t.id}`);
                        reload();
                      },
                    },
                    'Revoke',
                  ),
                )
              : '',
          ]),
          'scim-tokens',
        );
  }
  const issued = h('div', { 'data-testid': 'issued-token' });
  const showToken = (t: { token: string }): void => {
    void refreshTokens();
    issued.replaceChildren(
      h(
        'div',
        { class: 'notice' },
        h('strong', {}, 'Copy this token now: it is shown only once. '),
        copyable(t.token, 'scim-token-value'),
      ),
    );
  };
  if (owner) {
    const issue = h(
      'button',
      {
        type: 'button',
        'data-testid': 'issue-token',
        onclick: async () =>
          showToken(
            await busy(issue, 'Issuing…', () =>
              api<{ token: string }>('POST', `/connections/${id}/scim-tokens`, { description: guide.title }),
            ),
          ),
      },
      'Issue SCIM token',
    );
    tokenBox.append(issue, issued);
  }
  // A Google connection takes its people from the directory sync or from SCIM pushes, never both.
  ctx.main.append(
    ...(guide.directorySync
      ? [
          await googleProvisioning(
            id,
            owner,
            steps(guide.directorySync),
            [scimSteps, tokenBox],
            refreshStatus,
            c.tokens.length > 0 || c.status.users > 0,
          ),
        ]
      : [h('h2', {}, '1. Provisioning (SCIM)'), scimSteps, tokenBox]),
  );

  // SAML
  ctx.main.append(h('h2', {}, '2. Sign-in (SAML)'), steps(guide.saml));
  const samlBox = h('div', { class: 'card' });
  samlBox.append(
    h('h3', {}, 'What the identity provider needs'),
    h('div', { class: 'copy-row' }, h('span', {}, 'Entity ID: '), copyable(c.samlEndpoints.entityId)),
    h('div', { class: 'copy-row' }, h('span', {}, 'ACS URL: '), copyable(c.samlEndpoints.acsUrl)),
    h('div', { class: 'copy-row' }, h('span', {}, 'SP metadata: '), copyable(c.samlEndpoints.metadataUrl)),
    c.saml
      ? h(
          'p',
          { class: 'good' },
          `SAML is set up: IdP ${c.saml.idpEntityId}, ${c.saml.certificates} signing certificate(s)${c.saml.jit ? ', just-in-time provisioning on' : ''}.`,
        )
      : h('p', { class: 'muted' }, 'SAML sign-in is not set up yet.'),
  );
  if (owner) {
    const xml = h('textarea', { rows: 4, placeholder: '<EntityDescriptor …> (the IdP metadata XML)' });
    const url = h('input', { placeholder: 'https://… (the IdP metadata URL)' });
    const jit = h('input', { type: 'checkbox' });
    jit.checked = c.saml?.jit ?? c.kind === 'google';
    const err = h('div', { class: 'error', role: 'alert', hidden: true });
    const save = h('button', { type: 'submit' }, 'Save SAML settings');
    samlBox.append(
      h(
        'form',
        {
          onsubmit: submitting(err, async () => {
            await busy(save, 'Saving…', () =>
              api('PUT', `/connections/${id}/saml`, {
                ...(xml.value.trim() ? { metadataXml: xml.value } : { metadataUrl: url.value.trim() }),
                jit: jit.checked,
              }),
            );
            reload();
          }),
        },
        field('Paste the IdP metadata XML', xml),
        field('…or its metadata URL', url),
        h(
          'label',
          { class: 'inline' },
          jit,
          ' Create users at their first sign-in (just-in-time; for IdPs without SCIM)',
        ),
        err,
        save,
      ),
    );
  }
  ctx.main.append(samlBox);

  // OIDC
  const oidcBox = h('div', { class: 'card' }, h('h3', {}, 'Sign-in with OpenID Connect (instead of SAML)'));
  oidcBox.append(
    h('div', { class: 'copy-row' }, h('span', {}, 'Redirect URI: '), copyable(c.oidcEndpoints.redirectUri)),
    c.oidc
      ? h('p', { class: 'good' }, `OIDC is set up: issuer ${c.oidc.issuer}, client ${c.oidc.clientId}.`)
      : h('p', { class: 'muted' }, 'Not set up.'),
  );
  if (owner) {
    const issuer = h('input', { placeholder: ISSUER_EXAMPLES[c.kind] ?? ISSUER_EXAMPLES.generic });
    const clientId = h('input', {});
    const secret = h('input', { type: 'password', autocomplete: 'off' });
    const err = h('div', { class: 'error', role: 'alert', hidden: true });
    const save = h('button', { type: 'submit', class: 'secondary' }, 'Save OIDC settings');
    oidcBox.append(
      h(
        'form',
        {
          onsubmit: submitting(err, async () => {
            await busy(save, 'Saving…', () =>
              api('PUT', `/connections/${id}/oidc`, {
                issuer: issuer.value,
                clientId: clientId.value,
                clientSecret: secret.value,
              }),
            );
            reload();
          }),
        },
        field('Issuer', issuer),
        field('Client ID', clientId),
        field('Client secret', secret, 'stored encrypted; never shown again'),
        err,
        save,
      ),
    );
  }
  ctx.main.append(oidcBox);

  // Domains
  const domainBox = h(
    'div',
    { class: 'card' },
    h('h3', {}, '3. Email domains'),
    h(
      'p',
      { class: 'muted' },
      'Employees who type an email of these domains at /login are sent to this identity provider.',
    ),
    c.domains.length ? h('ul', {}, ...c.domains.map((d) => h('li', {}, d))) : h('p', {}, 'None yet.'),
  );
  if (owner) {
    const domain = h('input', { placeholder: 'example.com', 'aria-label': 'Email domain' });
    const err = h('div', { class: 'error', role: 'alert', hidden: true });
    domainBox.append(
      h(
        'form',
        {
          class: 'row',
          onsubmit: submitting(err, async () => {
            await api('POST', `/connections/${id}/domains`, { domain: domain.value });
            reload();
          }),
        },
        domain,
        h('button', { type: 'submit', class: 'secondary' }, 'Add domain'),
        err,
      ),
    );
  }
  ctx.main.append(domainBox);
}

/**
 * Cloud IdPs call the SCIM URL from the internet over https: a loopback or plain-http URL
 * means PUBLIC_URL is not set to the address they can reach.
 */
function publicUrlWarning(scimBaseUrl: string, kind: string, idp: string): HTMLElement | null {
  let url: URL;
  try {
    url = new URL(scimBaseUrl);
  } catch {
    return null;
  }
  const loopback = /^(localhost|127\.|\[::1\]|0\.0\.0\.0)/.test(url.hostname);
  if (!loopback && url.protocol === 'https:') return null;
  return h(
    'div',
    { class: 'warning-banner', role: 'note', 'data-testid': 'public-url-warning' },
    h(
      'strong',
      {},
      kind === 'google'
        ? 'Google cannot send SCIM requests or change notifications to this address. '
        : `${kind === 'generic' ? 'A cloud identity provider' : idp} cannot reach this address. `,
    ),
    `The URLs below start with ${url.origin}, ${loopback ? 'which only this machine can reach' : 'which is not https'}. `,
    'Start the service with PUBLIC_URL set to the public https address your identity provider can reach (for example PUBLIC_URL=https://identity.example.com), then come back here.',
  );
}

const ISSUER_EXAMPLES: Readonly<Record<string, string>> = {
  okta: 'https://your-org.okta.com',
  entra: 'https://login.microsoftonline.com/<tenant id>/v2.0',
  google: 'https://accounts.google.com',
  generic: 'https://idp.example.com',
};

/** Swaps the page's main element for a fresh one (a reload without losing the route). */
function replace(main: HTMLElement): HTMLElement {
  while (main.firstChild) main.removeChild(main.firstChild);
  return main;
}
