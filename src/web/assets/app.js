// The web front: signing in, the menu for the reader's role, and the pages by address (#/seances, #/seance/ID,
// #/bureau, #/protegees, #/bailleur, #/fiche/TYPE/ID). Each page is a module that fills <main>.
import { api, get, all, resume, signIn, signInWithLink, signOut, onSignedOut, idempotencyKey } from './api.js';
import { h, fill, dateLongue, annonce, erreur, lien, tableau, section } from './dom.js';
import { ROLE, SESSION_STATUS, fr } from './labels.js';
import { roomPage } from './room.js';
import { deskPage, recordPage } from './desk.js';
import { curatorPage } from './curator.js';
import { landlordPage } from './landlord.js';

const main = document.getElementById('contenu');
let me = null;

const MENUS = {
  coordinator: [['#/seances', 'Séances'], ['#/bureau', 'Bureau de la coordination'], ['#/jetons', 'Accès']],
  observer: [['#/seances', 'Séances']],
  caregiver: [['#/seances', 'Séances']],
  curator: [['#/protegees', 'Personnes protégées'], ['#/seances', 'Séances']],
  landlord: [['#/bailleur', 'Mes logements'], ['#/seances', 'Séances']],
};

function home() { return (MENUS[me.role] || MENUS.observer)[0][0]; }

function setTitle(text) {
  document.title = `${text} — Commission appartement`;
}

function showMenu() {
  const nav = document.getElementById('menu');
  const items = MENUS[me.role] || MENUS.observer;
  // A click on the page already shown loads it again (no hashchange then).
  const reload = (ev) => { if (ev.currentTarget.getAttribute('href') === location.hash) route(); };
  fill(document.getElementById('menu-liens'), items.map(([href, text]) => h('li', {}, lien(href, text, { on: { click: reload } }))));
  const scope = me.scope ? ` — ${me.scope.name}` : '';
  fill(document.getElementById('qui'), `${me.commission.name} · ${fr(ROLE, me.role)}${scope}`);
  nav.hidden = false;
  markCurrent();
}

function markCurrent() {
  for (const a of document.querySelectorAll('#menu-liens a')) {
    if (location.hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function signInPage(message) {
  me = null;
  document.getElementById('menu').hidden = true;
  setTitle('Connexion');
  const input = h('input', {
    id: 'jeton', name: 'jeton', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': 'jeton-aide',
  });
  const status = h('div', { id: 'connexion-etat' });
  const form = h('form', { class: 'connexion', 'aria-labelledby': 't-connexion' },
    h('h1', { id: 't-connexion', text: 'Connexion' }),
    message ? h('p', { class: 'erreur', role: 'alert', text: message }) : null,
    h('label', { for: 'jeton', text: "Jeton d'accès" }),
    h('p', { id: 'jeton-aide', class: 'aide', text: 'Collez le jeton que la coordination vous a remis (il commence par cd_). Il ne sera pas conservé par la page : la connexion dure tant que vous êtes actif, et 30 minutes au plus sans activité.' }),
    input,
    h('button', { type: 'submit', text: 'Se connecter' }),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    input.value = '';
    fill(status, h('p', { text: 'Connexion…' }));
    try {
      await signIn(token);
      await start();
    } catch (e) {
      fill(status, e.status === 401 || e.status === 422
        ? h('p', { class: 'erreur', role: 'alert', text: 'Ce jeton est inconnu, expiré ou révoqué.' })
        : erreur(e));
      input.focus();
    }
  });
  fill(main, form);
  input.focus();
}

async function sessionsPage() {
  setTitle('Séances');
  const sessions = await all('/v1/sessions');
  sessions.sort((a, b) => (a.session_date < b.session_date ? 1 : -1));
  const rows = sessions.map((s) => [
    lien(`#/seance/${s.id}`, `Séance du ${dateLongue(s.session_date)}`),
    s.town, fr(SESSION_STATUS, s.status), s.chair_name]);
  const parts = [h('h1', { text: 'Séances' }),
    tableau('Séances de la commission', ['Séance', 'Ville', 'État', 'Présidence'], rows, 'Aucune séance.')];
  if (me.role === 'coordinator') parts.push(planForm());
  fill(main, ...parts);
}

function planForm() {
  const date = h('input', { id: 'plan-date', type: 'date', required: true });
  const town = h('input', { id: 'plan-ville', type: 'text', required: true, maxlength: '100' });
  const chair = h('input', { id: 'plan-presidence', type: 'text', required: true, maxlength: '200' });
  const state = h('div');
  const form = h('form', { class: 'formulaire' },
    h('div', { class: 'champ' }, h('label', { for: 'plan-date', text: 'Date' }), date),
    h('div', { class: 'champ' }, h('label', { for: 'plan-ville', text: 'Ville' }), town),
    h('div', { class: 'champ' }, h('label', { for: 'plan-presidence', text: 'Présidée par' }), chair),
    h('button', { type: 'submit', text: 'Planifier la séance' }), state);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/v1/sessions', { session_date: date.value, town: town.value, chair_name: chair.value },
        idempotencyKey());
      location.hash = `#/seance/${r.body.id}`;
    } catch (e) {
      fill(state, erreur(e));
    }
  });
  return section('planifier', 'Planifier une séance', form);
}

/** The coordinator's tokens, each with a button that makes a sign-in link (one use, 15 minutes) to hand over. */
async function tokensPage() {
  setTitle('Accès');
  const tokens = (await all('/v1/tokens')).filter((t) => t.status === 'active');
  const out = h('div', { id: 'lien-resultat', 'aria-live': 'polite' });
  const rows = tokens.map((t) => [t.label, fr(ROLE, t.role), dateLongue(t.expires_at),
    h('button', {
      type: 'button', class: 'secondaire', 'aria-label': `Créer un lien de connexion pour ${t.label}`,
      on: {
        click: async () => {
          try {
            const r = await api('POST', `/v1/tokens/${t.id}/sign-in-links`);
            const url = `${location.origin}${r.body.path}`;
            fill(out, h('label', { for: 'lien-url', text: `Lien de connexion pour ${t.label} (une seule fois, avant ${new Date(r.body.expires_at).toLocaleTimeString('fr-FR')})` }),
              h('input', { id: 'lien-url', type: 'text', readonly: true, value: url, class: 'lien-url' }));
            out.querySelector('input').select();
            out.querySelector('input').focus();
          } catch (e) {
            fill(out, erreur(e));
          }
        },
      },
    }, 'Créer un lien de connexion')]);
  fill(main, h('h1', { text: 'Accès' }),
    h('p', { text: "Un lien de connexion ouvre une session pour la personne qui détient ce jeton, sans qu'elle ait à le coller : il ne sert qu'une fois et expire au bout de 15 minutes." }),
    tableau('Jetons en cours de validité', ['Libellé', 'Rôle', 'Expire le', 'Lien'], rows, 'Aucun jeton actif.'), out);
}

async function route() {
  if (me === null) return;
  const hash = location.hash;
  if (!hash.startsWith('#/')) {
    if (hash === '' || hash === '#') { location.replace(home()); }
    return; // an in-page link (the skip link)
  }
  markCurrent();
  const [, page, ...rest] = hash.slice(1).split('/');
  fill(main, h('p', { text: 'Chargement…' }));
  try {
    if (page === 'seances') await sessionsPage();
    else if (page === 'seance' && rest[0]) await roomPage(main, me, rest[0], setTitle);
    else if (page === 'bureau') await deskPage(main, me, setTitle);
    else if (page === 'protegees') await curatorPage(main, me, setTitle);
    else if (page === 'bailleur') await landlordPage(main, me, setTitle);
    else if (page === 'jetons' && me.role === 'coordinator') await tokensPage();
    else if (page === 'fiche' && rest.length === 2) await recordPage(main, me, rest[0], rest[1], setTitle);
    else location.replace(home());
  } catch (e) {
    if (me !== null) fill(main, h('h1', { text: 'Erreur' }), erreur(e));
  }
  const h1 = main.querySelector('h1');
  if (h1) annonce(h1.textContent);
}

async function start() {
  me = await get('/v1/me');
  showMenu();
  if (!location.hash.startsWith('#/')) location.replace(home());
  else await route();
  main.focus();
}

onSignedOut(() => signInPage('Votre session a pris fin (inactivité, déconnexion ou jeton révoqué) : reconnectez-vous.'));

document.getElementById('deconnexion').addEventListener('click', async () => {
  try { await signOut(); } catch (e) { /* already over */ }
  signInPage('Vous êtes déconnecté.');
});
document.getElementById('lien-evitement').addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', route);

(async () => {
  try {
    if (location.hash.startsWith('#/connexion/')) {
      // A sign-in link: its secret leaves the address at once (history, bookmarks), then opens the session.
      const link = location.hash.slice('#/connexion/'.length);
      history.replaceState(null, '', location.pathname);
      try {
        await signInWithLink(link);
      } catch (e) {
        signInPage('Ce lien de connexion a déjà servi ou a expiré : demandez-en un autre, ou collez votre jeton.');
        return;
      }
      await start();
    } else if (await resume()) await start();
    else signInPage();
  } catch (e) {
    fill(main, h('h1', { text: 'Erreur' }), erreur(e));
  }
})();
