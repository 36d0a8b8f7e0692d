// Building the page without markup strings: every text goes through text nodes (textContent), never innerHTML,
// so a name such as "<img src=x onerror=...>" is shown as written and never run.

/** An element TAG with PROPS ({class, text, on: {event: fn}, and attributes}) and CHILDREN (nodes, strings, arrays,
 *  null skipped). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else if (k === 'selected') el.selected = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Empties EL and fills it with CHILDREN. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const longDate = new Intl.DateTimeFormat('fr-FR', {
  weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC',
});
const shortDate = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const money = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });

/** "jeudi 12 mars 2026" for "2026-03-12" (or a timestamp); "—" for nothing. */
export function dateLongue(iso) {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? iso + 'T00:00:00Z' : iso);
  return Number.isNaN(d.getTime()) ? iso : longDate.format(d);
}

/** "12 mars 2026". */
export function dateCourte(iso) {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? iso + 'T00:00:00Z' : iso);
  return Number.isNaN(d.getTime()) ? iso : shortDate.format(d);
}

/** "1 234,56 €" for cents. */
export function euros(cents) {
  return cents === null || cents === undefined ? '—' : money.format(cents / 100);
}

/** "Martin Alice" for a person object, or the words for one the reader may not see. */
export function nom(person) {
  if (!person) return 'Personne non visible pour votre rôle';
  return `${person.family_name} ${person.given_names}`;
}

/** Says TEXT to screen readers (and shows it in the status line). */
export function annonce(text) {
  const el = document.getElementById('annonce');
  el.textContent = '';
  window.setTimeout(() => { el.textContent = text; }, 50);
}

/** A table with a caption, column headers and ROWS (arrays of cells: nodes or text); a line when there is none. */
export function tableau(caption, headers, rows, empty = 'Rien à signaler.') {
  if (rows.length === 0) return h('p', { class: 'vide', text: empty });
  return h('div', { class: 'defile', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', {},
      h('caption', { text: caption }),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c))))))));
}

/** A link to a page of the front. */
export function lien(hash, text, props = {}) {
  return h('a', { href: hash, ...props }, text);
}

/** The message of an error from the API, in French when it has words of its own. */
export function erreur(e) {
  return h('p', { class: 'erreur', role: 'alert' }, e && e.message ? e.message : String(e));
}

/** A section with a level-2 heading and an id (for the heading's link). */
export function section(id, title, ...children) {
  return h('section', { 'aria-labelledby': `t-${id}`, id },
    h('h2', { id: `t-${id}`, text: title }), ...children);
}
