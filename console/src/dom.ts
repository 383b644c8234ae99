import { describeError } from './api.js';

/** A tiny element builder: text always goes through textContent, so nothing the API returns is parsed as HTML. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((event: Event) => void) | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, '').toLowerCase(), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A value to copy, with a copy button. */
export function copyable(value: string, testId?: string): HTMLElement {
  const code = h('code', { 'data-testid': testId }, value);
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary small',
      onclick: () => {
        void navigator.clipboard?.writeText(value).then(() => {
          button.textContent = 'Copied';
          setTimeout(() => (button.textContent = 'Copy'), 1500);
        });
      },
    },
    'Copy',
  );
  return h('span', { class: 'copyable' }, code, button);
}

export function when(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Each body cell named by its column's header (data-label), so narrow screens can show rows as cards. */
function labelCells(tableEl: HTMLTableElement): void {
  // Explicit roles: a table shown as blocks keeps its table semantics for screen readers.
  tableEl.setAttribute('role', 'table');
  for (const section of [tableEl.tHead, ...tableEl.tBodies]) section?.setAttribute('role', 'rowgroup');
  for (const row of tableEl.rows) row.setAttribute('role', 'row');
  for (const th of tableEl.querySelectorAll('thead th')) th.setAttribute('role', 'columnheader');
  for (const td of tableEl.querySelectorAll('tbody td')) td.setAttribute('role', 'cell');
  const headers = [...tableEl.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
  for (const row of tableEl.tBodies[0]?.rows ?? []) {
    [...row.cells].forEach((cell, i) => {
      if (cell.colSpan > 1 || !headers[i]) return;
      cell.setAttribute('data-label', headers[i]!);
    });
  }
}

/**
 * A table in a box of its own: wider than the screen it scrolls inside the box, and a data
 * table (not a grid of checkboxes) becomes cards on a narrow screen (console.css), its cells
 * labelled by their columns as rows arrive.
 */
export function scrollBox(tableEl: HTMLTableElement): HTMLElement {
  if (!tableEl.classList.contains('grid')) {
    tableEl.classList.add('cards');
    labelCells(tableEl);
    new MutationObserver(() => labelCells(tableEl)).observe(tableEl, { childList: true, subtree: true });
  }
  return h('div', { class: 'table-wrap' }, tableEl);
}

export function table(headers: string[], rows: Child[][], testId?: string): HTMLElement {
  return scrollBox(
    h(
      'table',
      { 'data-testid': testId },
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  );
}

export function emptyState(title: string, next: Child): HTMLElement {
  return h('div', { class: 'empty', 'data-testid': 'empty-state' }, h('strong', {}, title), h('p', {}, next));
}

/** A form's submit handler: runs `work`, and shows what went wrong in `error` if it fails. */
export function submitting(error: HTMLElement, work: () => Promise<void>): (e: Event) => Promise<void> {
  return async (e: Event) => {
    e.preventDefault();
    error.hidden = true;
    try {
      await work();
    } catch (err) {
      error.hidden = false;
      error.textContent = describeError(err);
    }
  };
}

/** Runs a long operation with a visible "working" state on its button. */
export async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const text = button.textContent;
  button.disabled = true;
  button.textContent = label;
  button.classList.add('busy');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = text;
    button.classList.remove('busy');
  }
}

export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', {}, hint) : null);
}
