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

export function table(headers: string[], rows: Child[][], testId?: string): HTMLElement {
  return h(
    'table',
    { 'data-testid': testId },
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
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
