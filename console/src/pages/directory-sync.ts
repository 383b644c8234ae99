/**
 * A Google Workspace connection's provisioning: where its people come from (the Google
 * directory sync, or SCIM pushes for an app in Google's catalog), the sync's settings, its
 * last and next run with what changed and what went wrong, "Sync now", and the banner of a
 * run the guard holds with the people it would deprovision, to approve or discard.
 */
import { api } from '../api.js';
import { busy, copyable, field, h, submitting, table, when } from '../dom.js';
import type { DirectorySyncStatus, SyncCounts, SyncRun } from '../types.js';

const STATUS_WORDS: Record<SyncRun['status'], string> = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  held: 'held by the guard',
  approved: 'approved',
  discarded: 'discarded',
};

const TRIGGER_WORDS: Record<SyncRun['trigger'], string> = {
  schedule: 'scheduled',
  manual: 'Sync now',
  approval: 'after approval',
  watch: 'Google notified a change',
};

function duration(run: SyncRun): string {
  if (!run.finishedAt) return '';
  const seconds = Math.max(0, (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
  return seconds < 90 ? `${seconds.toFixed(seconds < 10 ? 1 : 0)} s` : `${Math.round(seconds / 60)} min`;
}

/** "3 created, 1 deactivated, 12 memberships added" (only what happened). */
export function changes(counts: SyncCounts | null): string {
  if (!counts) return '';
  const parts: Array<[number, string]> = [
    [counts.usersCreated, 'created'],
    [counts.usersUpdated, 'updated'],
    [counts.usersDeactivated, 'deactivated'],
    [counts.usersReactivated, 'reactivated'],
    [counts.usersDeleted, 'deleted'],
    [counts.groupsCreated, 'groups created'],
    [counts.groupsUpdated, 'groups updated'],
    [counts.groupsDeleted, 'groups deleted'],
    [counts.membershipsAdded, 'memberships added'],
    [counts.membershipsRemoved, 'memberships removed'],
    [counts.usersSkipped, 'users skipped'],
  ];
  const said = parts.filter(([n]) => n > 0).map(([n, words]) => `${n} ${words}`);
  return said.length ? said.join(', ') : 'no changes';
}

function lines(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The held run: who it would deprovision, and the two ways out. */
function heldBanner(connectionId: string, held: SyncRun, owner: boolean, refresh: () => void): HTMLElement {
  const h0 = held.held!;
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const approve = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: submitting(err, async () => {
        if (!window.confirm(`Deactivate or delete ${h0.total} people now, as Google's directory says?`)) return;
        await busy(approve, 'Approving…', () => api('POST', `/connections/${connectionId}/directory-sync/approve`));
        refresh();
      }),
    },
    `Approve: apply all ${h0.total}`,
  );
  const discard = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: submitting(err, async () => {
        await busy(discard, 'Discarding…', () => api('POST', `/connections/${connectionId}/directory-sync/discard`));
        refresh();
      }),
    },
    'Discard',
  );
  return h(
    'div',
    { class: 'notice warn', role: 'alert', 'data-testid': 'sync-held' },
    h(
      'p',
      {},
      h('strong', {}, 'A sync is waiting for you. '),
      `On ${when(held.startedAt)} the directory sync would have deactivated or deleted ${h0.total} people, ` +
        `more than the guard lets through (${h0.limit}). Nothing was applied, and no run starts until you decide. ` +
        'Check Google first: a changed org-unit filter or a suspended admin account can look like a mass departure.',
    ),
    h(
      'ul',
      { 'data-testid': 'sync-held-users' },
      ...h0.users.map((u) =>
        h(
          'li',
          {},
          h('a', { href: `#/users/${u.id}` }, u.userName),
          u.action === 'delete' ? ' (delete)' : ' (deactivate)',
        ),
      ),
      h0.total > h0.users.length ? h('li', {}, `… and ${h0.total - h0.users.length} more`) : null,
    ),
    owner ? approve : h('p', { class: 'muted' }, 'An Owner can approve it; you can discard it.'),
    ' ',
    discard,
    err,
  );
}

function runsTable(runs: readonly SyncRun[]): HTMLElement {
  return table(
    ['Started', 'Trigger', 'Outcome', 'Took', 'What changed', 'Problem'],
    runs.map((r) => [
      when(r.startedAt),
      TRIGGER_WORDS[r.trigger],
      h('span', { class: r.status === 'failed' ? 'bad' : r.status === 'held' ? 'warn' : '' }, STATUS_WORDS[r.status]),
      duration(r),
      changes(r.counts),
      r.errorMessage ? h('span', { class: r.status === 'failed' ? 'bad' : 'warn' }, r.errorMessage) : '',
    ]),
    'sync-runs',
  );
}

/** The settings form: credentials (kept when left empty), filters, schedule, grace period and guard. */
function settingsForm(connectionId: string, s: DirectorySyncStatus, refresh: () => void): HTMLElement {
  const g = s.google;
  const kind = h(
    'select',
    { name: 'credentialKind', 'aria-label': 'Credentials' },
    h('option', { value: 'service_account' }, 'A service account with domain-wide delegation'),
    h('option', { value: 'oauth' }, "An admin's OAuth client and refresh token"),
  );
  kind.value = g?.credentials.kind ?? 'service_account';
  const key = h('textarea', { rows: 4, name: 'serviceAccountKey', placeholder: '{"type": "service_account", …}' });
  const subject = h('input', { name: 'subject', type: 'email', placeholder: 'admin@example.com' });
  if (g?.credentials.kind === 'service_account') subject.value = g.credentials.subject;
  const clientId = h('input', { name: 'clientId' });
  const clientSecret = h('input', { name: 'clientSecret', type: 'password', autocomplete: 'off' });
  const refreshToken = h('input', { name: 'refreshToken', type: 'password', autocomplete: 'off' });
  const serviceAccount = h(
    'div',
    {},
    field(
      'Service account key (JSON)',
      key,
      g?.credentials.kind === 'service_account'
        ? `in use: ${g.credentials.clientEmail}; leave empty to keep it`
        : 'the key file you downloaded; stored encrypted, never shown again',
    ),
    field('Admin to act as', subject, 'a Google admin who may read users and groups'),
  );
  const oauth = h(
    'div',
    {},
    field(
      'OAuth client ID',
      clientId,
      g?.credentials.kind === 'oauth' ? `in use: ${g.credentials.clientId}` : undefined,
    ),
    field('Client secret', clientSecret, 'stored encrypted'),
    field('Refresh token', refreshToken, 'of an admin who granted the read-only scopes; stored encrypted'),
  );
  const showKind = (): void => {
    serviceAccount.hidden = kind.value !== 'service_account';
    oauth.hidden = kind.value !== 'oauth';
  };
  kind.addEventListener('change', showKind);
  showKind();
  const orgUnits = h('textarea', { rows: 2, name: 'orgUnits', placeholder: '/Engineering' });
  orgUnits.value = (g?.orgUnits ?? []).join('\n');
  const groups = h('textarea', { rows: 2, name: 'groups', placeholder: 'engineering@example.com' });
  groups.value = (g?.groups ?? []).join('\n');
  const number = (name: string, value: number, min: number, max: number): HTMLInputElement => {
    const input = h('input', { name, type: 'number', min, max, step: 1 });
    input.value = String(value);
    return input;
  };
  const interval = number('intervalMinutes', g?.intervalMinutes ?? 15, 5, 1440);
  const deleteAfter = number('deleteAfterDays', g?.deleteAfterDays ?? 30, 0, 3650);
  const guardPercent = number('guardPercent', g?.guard.percent ?? 10, 0, 100);
  const guardMinimum = number('guardMinimum', g?.guard.minimum ?? 5, 0, 1_000_000);
  const watch = h('input', { type: 'checkbox', name: 'watch' });
  watch.checked = g?.watch ?? false;
  const err = h('div', { class: 'error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit' }, g ? 'Save sync settings' : 'Start syncing from Google');
  const credentials = (): object | undefined => {
    if (kind.value === 'service_account') {
      if (!key.value.trim()) {
        if (g?.credentials.kind !== 'service_account') throw new Error("Paste the service account's JSON key");
        if (subject.value.trim() === g.credentials.subject) return undefined;
        throw new Error('Paste the service account key again to change the admin it acts as');
      }
      return { serviceAccountKey: key.value, subject: subject.value.trim() };
    }
    if (!clientId.value.trim() && g?.credentials.kind === 'oauth') return undefined;
    return { clientId: clientId.value.trim(), clientSecret: clientSecret.value, refreshToken: refreshToken.value };
  };
  return h(
    'form',
    {
      'data-testid': 'sync-settings',
      onsubmit: submitting(err, async () => {
        const chosen = credentials();
        await busy(save, 'Saving…', () =>
          api('PUT', `/connections/${connectionId}/directory-sync`, {
            source: 'google',
            google: {
              ...(chosen ? { credentials: chosen } : {}),
              orgUnits: lines(orgUnits.value),
              groups: lines(groups.value),
              intervalMinutes: Number(interval.value),
              deleteAfterDays: Number(deleteAfter.value),
              guardPercent: Number(guardPercent.value),
              guardMinimum: Number(guardMinimum.value),
              watch: watch.checked,
            },
          }),
        );
        refresh();
      }),
    },
    h('h3', {}, 'Sync settings'),
    field('Credentials', kind),
    serviceAccount,
    oauth,
    field('Only these org units', orgUnits, 'one per line, with what is under them; empty: everyone'),
    field('Only these groups', groups, 'group emails, one per line, with the groups they include; empty: every group'),
    field('Run every (minutes)', interval),
    field('Delete people gone from Google after (days)', deleteAfter, 'until then they are deactivated'),
    field('Hold a run that would deprovision more than (%)', guardPercent),
    field('…and at least (people)', guardMinimum),
    h(
      'label',
      { class: 'inline' },
      watch,
      ' Sync early when Google reports a user change (Google posts to this service: PUBLIC_URL must be public https)',
    ),
    err,
    save,
  );
}

/**
 * The provisioning section of a Google connection. `scimParts` is what SCIM provisioning
 * shows (steps and tokens), used only when the connection takes SCIM pushes; `changed` is
 * told whenever the section shows something new.
 */
export async function googleProvisioning(
  connectionId: string,
  owner: boolean,
  steps: HTMLElement,
  scimParts: HTMLElement[],
  changed: () => Promise<void>,
  /** Whether SCIM is already in use here (a token issued or people received); else the sync is proposed first. */
  scimInUse: boolean,
): Promise<HTMLElement> {
  const section = h('section', { 'data-testid': 'provisioning' });
  let polling: ReturnType<typeof setTimeout> | undefined;
  let first = true;
  let chosen = false;
  const render = async (): Promise<void> => {
    // After the first, each render follows a change: the page's status line follows too.
    if (!first) void changed().catch(() => undefined);
    first = false;
    if (polling) clearTimeout(polling);
    const s = await api<DirectorySyncStatus>('GET', `/connections/${connectionId}/directory-sync`);
    // While a run goes on, look again every few seconds (only while this section is on screen).
    const watch = (): void => {
      polling = setTimeout(() => {
        if (section.isConnected) void render();
      }, 2000);
    };
    if (s.running) watch();
    const source = h(
      'select',
      { name: 'source', 'aria-label': 'Where people come from', 'data-testid': 'sync-source' },
      h('option', { value: 'google' }, "Google directory sync (pulls users and groups from Google's Directory API)"),
      h('option', { value: 'scim' }, 'SCIM pushes (only for an app from Google’s catalog that provisions)'),
    );
    source.value = s.source;
    const sourceErr = h('div', { class: 'error', role: 'alert', hidden: true });
    const sourceForm = h(
      'form',
      {
        class: 'row',
        onsubmit: submitting(sourceErr, async () => {
          chosen = true;
          if (source.value === 'scim') {
            await api('PUT', `/connections/${connectionId}/directory-sync`, { source: 'scim' });
            await render();
          } else {
            s.source = 'google';
            await paint(s);
          }
        }),
      },
      field('People come from', source),
      h('button', { type: 'submit', class: 'secondary' }, 'Choose'),
      sourceErr,
    );
    const paint = async (st: DirectorySyncStatus): Promise<void> => {
      const parts: HTMLElement[] = [h('h2', {}, '1. Provisioning')];
      if (owner) parts.push(sourceForm);
      if (st.source === 'scim') {
        section.replaceChildren(...parts, ...scimParts);
        return;
      }
      parts.push(steps);
      const card = h('div', { class: 'card', 'data-testid': 'directory-sync' }, h('h3', {}, 'Google directory sync'));
      card.append(
        h('div', { class: 'copy-row' }, h('span', {}, 'OAuth scopes to delegate: '), copyable(st.scopes.join(','))),
      );
      if (st.held) card.append(heldBanner(connectionId, st.held, owner, () => void render()));
      const last = st.lastRun;
      const syncErr = h('div', { class: 'error', role: 'alert', hidden: true });
      const syncNow = h(
        'button',
        {
          type: 'button',
          'data-testid': 'sync-now',
          disabled: st.running || !st.google,
          onclick: submitting(syncErr, async () => {
            await busy(syncNow, 'Starting…', () => api('POST', `/connections/${connectionId}/directory-sync/runs`));
            await render();
          }),
        },
        st.running ? 'Syncing…' : 'Sync now',
      );
      card.append(
        h(
          'div',
          { class: 'status', 'data-testid': 'sync-status' },
          h(
            'span',
            {},
            st.running
              ? 'A run is going on now.'
              : last
                ? `Last run: ${when(last.startedAt)}, ${STATUS_WORDS[last.status]}${last.finishedAt ? ` in ${duration(last)}` : ''}`
                : st.google
                  ? 'No run yet.'
                  : 'Not set up yet: fill in the settings below.',
          ),
          last && !st.running ? h('span', {}, `Changes: ${changes(last.counts)}`) : null,
          h('span', {}, `Next run: ${st.nextRunAt ? when(st.nextRunAt) : st.held ? 'after you decide' : 'none'}`),
          st.watching ? h('span', {}, `Google's change notifications on until ${when(st.watching.until)}`) : null,
          last?.errorMessage && !st.running
            ? h(
                'span',
                { class: last.status === 'failed' ? 'bad' : 'warn', 'data-testid': 'sync-error' },
                last.errorMessage,
              )
            : null,
        ),
        syncNow,
        syncErr,
      );
      if (st.runs.length) card.append(h('h3', {}, 'Recent runs'), runsTable(st.runs));
      if (owner) card.append(settingsForm(connectionId, st, () => void render()));
      section.replaceChildren(...parts, card);
    };
    // A new Google connection: a custom app cannot receive SCIM pushes from Google, so the
    // directory sync is what is proposed (saved only when its settings are).
    if (s.source === 'scim' && !scimInUse && !chosen && !s.google) {
      source.value = 'google';
      await paint({ ...s, source: 'google' });
    } else {
      await paint(s);
    }
  };
  await render();
  return section;
}
