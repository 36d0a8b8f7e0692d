// Calls to commissiond from the page. The session is an HttpOnly cookie the page never sees; what the page holds
// is the session's CSRF value, sent as X-CSRF-Token with every call (the server refuses the cookie without it).

let csrf = null;
let whenSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super(messageOf(status, problem));
    this.status = status;
    this.problem = problem || {};
  }
}

const MESSAGES = {
  401: 'Votre session a pris fin : reconnectez-vous.',
  403: "Votre rôle ne permet pas cette action.",
  404: 'Introuvable, ou hors de votre périmètre.',
  409: "L'état actuel ne permet pas cette action.",
  412: 'La fiche a changé entre-temps : rechargez la page.',
  422: 'Certaines valeurs ne sont pas acceptées.',
  429: 'Trop de tentatives : réessayez dans une minute.',
  503: 'Le service est momentanément indisponible : réessayez.',
};

function messageOf(status, problem) {
  const base = MESSAGES[status] || `Erreur ${status}.`;
  // The server's detail is in English: shown after the French words, as text, for the coordinator's support call.
  return problem && problem.detail ? `${base} (${problem.detail})` : base;
}

/** What to do when the server says the session is over (idle, signed out, token revoked). */
export function onSignedOut(fn) { whenSignedOut = fn; }

export function signedIn() { return csrf !== null; }

/** METHOD PATH with BODY (JSON); resolves to {status, etag, body}; rejects with an ApiError. */
export async function api(method, path, body, extraHeaders = {}) {
  const headers = { Accept: 'application/json', ...extraHeaders };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store', redirect: 'error',
    });
  } catch (e) {
    throw new ApiError(0, { detail: 'le serveur ne répond pas' });
  }
  const type = r.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await r.json().catch(() => null) : null;
  if (r.status === 401 && csrf !== null) {
    csrf = null;
    whenSignedOut();
  }
  if (!r.ok) throw new ApiError(r.status, data);
  return { status: r.status, etag: r.headers.get('ETag'), body: data };
}

export const get = (path) => api('GET', path).then((r) => r.body);

/** Every item of a list, following next_cursor (at most PAGES pages of 200). */
export async function all(path, pages = 10) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < pages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** Picks up a session the browser already has (its cookie): true when there is one. */
export async function resume() {
  try {
    const r = await api('GET', '/v1/web/session');
    csrf = r.body.csrf_token;
    return true;
  } catch (e) {
    if (e.status === 401 || e.status === 404 || e.status === 403) return false;
    throw e;
  }
}

/** Opens a session with TOKEN (the page forgets the token at once: only the cookie and the CSRF value remain). */
export async function signIn(token) {
  const r = await api('POST', '/v1/web/session', { token });
  csrf = r.body.csrf_token;
  return r.body;
}

/** Opens a session with a sign-in link's secret (one use). */
export async function signInWithLink(link) {
  const r = await api('POST', '/v1/web/session', { link });
  csrf = r.body.csrf_token;
  return r.body;
}

export async function signOut() {
  try {
    await api('DELETE', '/v1/web/session');
  } finally {
    csrf = null;
  }
}

/** A key for a creation, so that a retried click does not create twice. */
export function idempotencyKey() {
  return { 'Idempotency-Key': crypto.randomUUID() };
}
