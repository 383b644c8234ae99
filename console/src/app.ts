/** The admin console: loads the session, draws the navigation, routes by URL hash. */
import { ApiError, api, describeError, setCsrfToken } from './api.js';
import { clear, h } from './dom.js';
import { accessPage } from './pages/access.js';
import { auditPage } from './pages/audit.js';
import { connectionPage, connectionsPage } from './pages/connections.js';
import { directoryPage } from './pages/directory.js';
import { mappingsPage } from './pages/mappings.js';
import { policyPage } from './pages/policy.js';
import { setupPage } from './pages/setup.js';
import { teamPage, teamsPage } from './pages/teams.js';
import { tokensPage } from './pages/tokens.js';
import { webhooksPage } from './pages/webhooks.js';
import { userPage } from './pages/user.js';
import type { Session } from './types.js';

export interface PageContext {
  readonly session: Session;
  readonly main: HTMLElement;
  readonly params: readonly string[];
  navigate(hash: string): void;
}

type Page = (ctx: PageContext) => Promise<void>;

const ROUTES: ReadonlyArray<{ pattern: RegExp; page: Page; nav: string }> = [
  { pattern: /^connections$/, page: connectionsPage, nav: 'connections' },
  { pattern: /^connections\/([^/]+)$/, page: connectionPage, nav: 'connections' },
  { pattern: /^directory$/, page: directoryPage, nav: 'directory' },
  { pattern: /^users\/([^/]+)$/, page: userPage, nav: 'directory' },
  { pattern: /^teams$/, page: teamsPage, nav: 'teams' },
  { pattern: /^teams\/([^/]+)$/, page: teamPage, nav: 'teams' },
  { pattern: /^mappings$/, page: mappingsPage, nav: 'mappings' },
  { pattern: /^access$/, page: accessPage, nav: 'access' },
  { pattern: /^audit$/, page: auditPage, nav: 'audit' },
  { pattern: /^policy$/, page: policyPage, nav: 'policy' },
  { pattern: /^tokens$/, page: tokensPage, nav: 'tokens' },
  { pattern: /^webhooks$/, page: webhooksPage, nav: 'webhooks' },
];

const NAV: ReadonlyArray<[string, string, boolean]> = [
  ['connections', 'Connections', false],
  ['directory', 'Directory', false],
  ['teams', 'Teams', false],
  ['mappings', 'Mappings', false],
  ['access', 'Access checker', false],
  ['audit', 'Audit log', false],
  ['policy', 'Policy', true],
  ['tokens', 'Tokens', false],
  ['webhooks', 'Webhooks', false],
];

function signedOut(root: HTMLElement, message: string): void {
  clear(root);
  root.append(
    h(
      'main',
      { class: 'signin' },
      h('h1', {}, 'identity-bridge console'),
      h('p', {}, message),
      h('p', {}, h('a', { href: '/login', class: 'button' }, 'Sign in with SSO')),
      h(
        'p',
        { class: 'muted' },
        'First time here? Use the one-time setup link printed at the first start, or run: npx identity-bridge setup-link --org ORG',
      ),
    ),
  );
}

/**
 * Each screen gets a title of its own (its heading, its section, the org), and after a move
 * between screens the focus goes to the new heading, so a screen reader announces the screen.
 */
function titleAfter(main: HTMLElement, section: string, org: string, moveFocus: boolean): void {
  const heading = main.querySelector('h1');
  const name = heading?.textContent?.trim() || section;
  document.title = `${name === section ? name : `${name} · ${section}`} · ${org} · identity-bridge`;
  if (heading && moveFocus) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}

async function start(): Promise<void> {
  const root = document.getElementById('app')!;
  if (location.pathname.replace(/\/$/, '') === '/admin/setup') {
    await setupPage(root);
    return;
  }
  let session: Session;
  try {
    session = await api<Session>('GET', '/session');
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 401)
      signedOut(root, 'Sign in to manage your organization.');
    else signedOut(root, describeError(error));
    return;
  }
  setCsrfToken(session.csrfToken);
  clear(root);
  const nav = h('nav', { 'aria-label': 'Console sections' });
  const main = h('main', { id: 'main' });
  const logout = h(
    'button',
    {
      type: 'button',
      class: 'secondary small',
      onclick: async () => {
        await api('POST', '/session/logout').catch(() => undefined);
        await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
        location.href = '/admin';
      },
    },
    'Sign out',
  );
  root.append(
    h(
      'header',
      {},
      h('span', { class: 'brand' }, 'identity-bridge'),
      h('span', { class: 'org', 'data-testid': 'org-name' }, session.org.name),
      h('span', { class: 'who' }, `${session.actor.label ?? ''} · ${session.role}`, ' ', logout),
    ),
    nav,
    main,
  );

  const render = async (): Promise<void> => {
    const hash = location.hash.replace(/^#\/?/, '') || 'connections';
    const found = ROUTES.map((r) => ({ r, m: r.pattern.exec(hash) })).find((x) => x.m);
    clear(nav);
    for (const [key, label, ownerOnly] of NAV) {
      if (ownerOnly && session.role !== 'Owner') continue;
      const current = found?.r.nav === key;
      nav.append(
        h(
          'a',
          { href: `#/${key}`, class: current ? 'active' : undefined, 'aria-current': current ? 'page' : undefined },
          label,
        ),
      );
    }
    clear(main);
    if (!found) {
      main.append(h('p', {}, 'No such page. ', h('a', { href: '#/connections' }, 'Go to connections')));
      return;
    }
    main.append(h('p', { class: 'muted' }, 'Loading…'));
    const ctx: PageContext = {
      session,
      main,
      params: found.m!.slice(1).map((p) => decodeURIComponent(p)),
      navigate: (to) => {
        location.hash = to;
      },
    };
    const section = NAV.find(([key]) => key === found.r.nav)?.[1] ?? 'Console';
    try {
      clear(main);
      await found.r.page(ctx);
      titleAfter(main, section, session.org.name, moved);
    } catch (error) {
      clear(main);
      const forbidden = error instanceof ApiError && error.problem.status === 403;
      main.append(
        h(
          'div',
          { class: 'error', role: 'alert', 'data-testid': forbidden ? 'forbidden' : 'page-error' },
          describeError(error),
        ),
      );
    }
  };
  let moved = false;
  window.addEventListener('hashchange', () => {
    moved = true;
    void render();
  });
  await render();
}

void start();
