// The coordinator's desk (#/bureau): the waiting list with waiting times and filters, free places per kind,
// reviews due, deposits overdue and penalties, open incidents, agreements expiring; each line opens the record
// (#/fiche/TYPE/ID, a plain view of what the API gives this reader).
import { get, all } from './api.js';
import { h, fill, dateLongue, dateCourte, euros, nom, erreur, tableau, section, lien } from './dom.js';
import {
  APPLICATION_STATUS, URGENCY, UNIT_KIND, DEPOSIT_STATUS, INCIDENT_KIND, INCIDENT_STATUS, REVIEW_STATUS,
  AGREEMENT_STATUS, fr,
} from './labels.js';

export async function deskPage(main, me, setTitle) {
  setTitle('Bureau de la coordination');
  const waiting = h('div', { id: 'liste-attente-resultats' });
  const filters = waitingFilters(waiting);
  fill(main,
    h('h1', { text: 'Bureau de la coordination' }),
    h('nav', { 'aria-label': 'Sections du bureau', class: 'sommaire' }, h('ul', {},
      [['attente', "Liste d'attente"], ['places', 'Places libres'], ['bilans', 'Bilans à faire'],
        ['cautions', 'Cautions et pénalités'], ['incidents', 'Incidents ouverts'], ['conventions', 'Conventions à échéance']]
        .map(([id, t]) => h('li', {}, h('a', { href: `#${id}`, 'data-ancre': id, text: t }))))),
    section('attente', "Liste d'attente", filters, waiting),
    section('places', 'Places libres par type', h('div', { id: 'places-resultats' })),
    section('bilans', 'Bilans trimestriels à faire', h('div', { id: 'bilans-resultats' })),
    section('cautions', 'Cautions à restituer en retard et pénalités', h('div', { id: 'cautions-resultats' })),
    section('incidents', 'Incidents ouverts', h('div', { id: 'incidents-resultats' })),
    section('conventions', 'Conventions arrivant à échéance (90 jours)', h('div', { id: 'conventions-resultats' })));
  // In-page links without touching the address (the address names the page).
  for (const a of main.querySelectorAll('a[data-ancre]')) {
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      const target = document.getElementById(`t-${a.dataset.ancre}`);
      target.setAttribute('tabindex', '-1');
      target.focus();
    });
  }
  await Promise.all([
    loadWaiting(waiting, new URLSearchParams()),
    into('places-resultats', freePlaces),
    into('bilans-resultats', reviewsDue),
    into('cautions-resultats', deposits),
    into('incidents-resultats', incidents),
    into('conventions-resultats', agreements),
  ]);
}

async function into(id, fn) {
  const el = document.getElementById(id);
  try {
    fill(el, await fn());
  } catch (e) {
    fill(el, erreur(e));
  }
}

function waitingFilters(results) {
  const kind = h('select', { id: 'filtre-type' }, h('option', { value: '' }, 'Tous'),
    Object.entries(UNIT_KIND).map(([v, t]) => h('option', { value: v }, t)));
  const town = h('input', { id: 'filtre-commune', type: 'text', maxlength: '100' });
  const referent = h('input', { id: 'filtre-referent', type: 'text', maxlength: '200' });
  const form = h('form', { class: 'filtres', 'aria-label': "Filtrer la liste d'attente" },
    h('div', { class: 'champ' }, h('label', { for: 'filtre-type', text: 'Type de logement souhaité' }), kind),
    h('div', { class: 'champ' }, h('label', { for: 'filtre-commune', text: 'Commune souhaitée' }), town),
    h('div', { class: 'champ' }, h('label', { for: 'filtre-referent', text: 'Référent' }), referent),
    h('button', { type: 'submit', text: 'Filtrer' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if (kind.value) q.set('unit_kind', kind.value);
    if (town.value.trim()) q.set('town', town.value.trim());
    if (referent.value.trim()) q.set('referent', referent.value.trim());
    loadWaiting(results, q);
  });
  return form;
}

async function loadWaiting(el, q) {
  q.set('status', 'waiting');
  try {
    const apps = await all(`/v1/applications?${q}`);
    apps.sort((a, b) => (b.waiting_days || 0) - (a.waiting_days || 0));
    fill(el, h('p', { class: 'compte', text: `${apps.length} demande(s) en attente.` }),
      tableau("Liste d'attente, les plus anciennes d'abord", ['Personne', 'Attente', 'Urgence', 'Souhaits', 'Référent', 'État'],
        apps.map((a) => [
          lien(`#/fiche/applications/${a.id}`, nom(a.person)),
          a.waiting_days === null || a.waiting_days === undefined ? '—' : `${a.waiting_days} jour(s)`,
          fr(URGENCY, a.urgency),
          `${(a.wished_unit_kinds || []).map((k) => fr(UNIT_KIND, k)).join(', ')}${(a.wished_towns || []).length ? ` — ${a.wished_towns.join(', ')}` : ''}`,
          a.referent_name || '—',
          fr(APPLICATION_STATUS, a.status)]), "Personne n'est en attente."));
  } catch (e) {
    fill(el, erreur(e));
  }
}

async function freePlaces() {
  const f = await get('/v1/units/free-places');
  return [
    h('p', { class: 'compte', text: `${f.total.free} place(s) libre(s) sur ${f.total.places} au ${dateLongue(f.as_of)}.` }),
    tableau('Places par type de logement', ['Type', 'Logements en service', 'Places', 'Occupées', 'Libres'],
      f.kinds.map((k) => [fr(UNIT_KIND, k.kind), String(k.units), String(k.places), String(k.occupied), String(k.free)])),
  ];
}

async function reviewsDue() {
  const rows = [...await all('/v1/reviews?status=overdue'), ...await all('/v1/reviews?status=due')];
  return tableau('Bilans dus ou en retard', ['Personne', 'Logement', 'Dernier bilan', 'Bilan dû le', 'État'],
    rows.map((r) => [
      lien(`#/fiche/placements/${r.placement_id}`, nom(r.person)),
      r.unit ? `${r.unit.label || ''}${r.unit.town ? `, ${r.unit.town}` : ''}` : '—',
      dateCourte(r.last_review_date), dateCourte(r.next_review_on), fr(REVIEW_STATUS, r.status)]), 'Aucun bilan en attente.');
}

async function deposits() {
  const overdue = await all('/v1/deposits?status=overdue');
  const penalties = await all('/v1/deposits?status=penalty_unpaid');
  const seen = new Set();
  const rows = [...overdue, ...penalties].filter((d) => !seen.has(d.placement_id) && seen.add(d.placement_id));
  return tableau('Cautions en retard de restitution et pénalités dues', ['Personne', 'État', 'Solde détenu', 'À restituer avant le', 'Mois de retard', 'Pénalité', 'Pénalité impayée'],
    rows.map((d) => [
      lien(`#/fiche/placements/${d.placement_id}`, nom(d.person)), fr(DEPOSIT_STATUS, d.status), euros(d.balance_cents),
      dateCourte(d.refund_due_on), String(d.months_late ?? 0), euros(d.penalty_cents), euros(d.penalty_unpaid_cents)]),
    'Aucune caution en retard.');
}

async function incidents() {
  const rows = [...await all('/v1/incidents?status=open'), ...await all('/v1/incidents?status=acknowledged')];
  rows.sort((a, b) => (a.occurred_on < b.occurred_on ? -1 : 1));
  return tableau('Incidents non clos', ['Personne', 'Nature', 'Survenu le', 'Logement', 'État'],
    rows.map((i) => [
      lien(`#/fiche/incidents/${i.id}`, nom(i.person)), fr(INCIDENT_KIND, i.kind), dateCourte(i.occurred_on),
      i.unit ? `${i.unit.label || ''}${i.unit.town ? `, ${i.unit.town}` : ''}` : '—', fr(INCIDENT_STATUS, i.status)]),
    'Aucun incident ouvert.');
}

async function agreements() {
  const rows = await all('/v1/agreements?expiring_within=90d');
  rows.sort((a, b) => (a.end_date < b.end_date ? -1 : 1));
  return tableau('Conventions à renouveler', ['Référence', 'Signataire', 'Fin', 'Jours restants', 'État'],
    rows.map((a) => [
      lien(`#/fiche/agreements/${a.id}`, a.reference), a.signatory || '—', dateLongue(a.end_date),
      a.days_to_end === null || a.days_to_end === undefined ? '—' : String(a.days_to_end), fr(AGREEMENT_STATUS, a.status)]),
    'Aucune convention à échéance.');
}

const RECORD_TYPES = {
  applications: 'Demande', placements: 'Attribution', incidents: 'Incident', agreements: 'Convention',
  units: 'Logement', people: 'Personne',
};

const FIELD_LABELS = {
  person: 'Personne', status: 'État', urgency: 'Urgence', situation: 'Situation', referent_name: 'Référent',
  waiting_days: "Jours d'attente", submitted_at: 'Déposée le', decided_on: 'Décidée le', wished_unit_kinds: 'Types souhaités',
  wished_towns: 'Communes souhaitées', move_in_date: "Date d'entrée", exit_date: 'Date de sortie', lease: 'Bail',
  kind: 'Nature', description: 'Description', occurred_on: 'Survenu le', arrears_cents: 'Impayés', reference: 'Référence',
  signatory: 'Signataire', start_date: 'Début', end_date: 'Fin', days_to_end: 'Jours restants', notes: 'Notes',
  label: 'Libellé', address: 'Adresse', town: 'Commune', places: 'Places', rent_cents: 'Loyer', charges_cents: 'Charges',
  deposit_cents: 'Caution', unit: 'Logement', family_name: 'Nom', given_names: 'Prénoms', birth_date: 'Date de naissance',
  protection: 'Protection', closing_note: 'Note de clôture', reported_by_role: 'Signalé par',
};

function show(key, v) {
  if (v === null || v === undefined) return '—';
  if (key.endsWith('_cents')) return euros(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') || '—';
  if (typeof v === 'object') {
    if ('family_name' in v) return nom(v);
    if ('label' in v) return `${v.label}${v.town ? `, ${v.town}` : ''}`;
    return Object.entries(v).map(([k, x]) => `${k} : ${x}`).join(' ; ');
  }
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return dateLongue(v);
  if (typeof v === 'boolean') return v ? 'oui' : 'non';
  return String(v);
}

export async function recordPage(main, me, type, id, setTitle) {
  if (!RECORD_TYPES[type] || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('Fiche inconnue.');
  const r = await get(`/v1/${type}/${id}`);
  const title = `${RECORD_TYPES[type]}${r.person ? ` — ${nom(r.person)}` : r.reference ? ` — ${r.reference}` : ''}`;
  setTitle(title);
  const skip = new Set(['id', 'version', 'created_at', 'updated_at', 'commission_id']);
  const entries = Object.entries(r).filter(([k, v]) => !skip.has(k) && !k.endsWith('_id') && !(Array.isArray(v) && typeof v[0] === 'object'));
  const parts = [h('h1', { text: title }),
    h('dl', { class: 'fiche' }, entries.map(([k, v]) => [h('dt', { text: FIELD_LABELS[k] || k.replaceAll('_', ' ') }), h('dd', { text: show(k, v) })]))];
  if (type === 'placements') {
    try {
      const d = await get(`/v1/placements/${id}/deposit`);
      parts.push(section('caution', 'Caution', h('dl', { class: 'fiche' },
        h('dt', { text: 'État' }), h('dd', { text: fr(DEPOSIT_STATUS, d.status) }),
        h('dt', { text: 'Montant prévu' }), h('dd', { text: euros(d.expected_cents) }),
        h('dt', { text: 'Solde détenu' }), h('dd', { text: euros(d.balance_cents) }),
        h('dt', { text: 'À restituer avant le' }), h('dd', { text: dateLongue(d.refund_due_on) }),
        h('dt', { text: 'Pénalité impayée' }), h('dd', { text: euros(d.penalty_unpaid_cents) }))));
    } catch (e) { /* not for this role */ }
  }
  parts.push(h('p', {}, h('a', { href: '#/bureau', text: 'Retour au bureau' })));
  fill(main, ...parts);
}
