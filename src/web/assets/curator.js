// The curator's page (#/protegees): the people its service protects, each with the one-call status (decision,
// placement, deposit, rent, open incidents, next review). The status route already leaves out everything
// care-confidential (situation, care notes, hospitalisations); this page shows only the members listed here.
import { get, all } from './api.js';
import { h, fill, dateLongue, euros, nom, erreur } from './dom.js';
import {
  APPLICATION_STATUS, OUTCOME, REFUSAL_REASON, DEPOSIT_STATUS, INCIDENT_KIND, INCIDENT_STATUS, PROTECTION, LEASE,
  RENT_STATUS, fr,
} from './labels.js';

export async function curatorPage(main, me, setTitle) {
  setTitle('Personnes protégées');
  const people = await all('/v1/people');
  people.sort((a, b) => nom(a).localeCompare(nom(b), 'fr'));
  const list = h('ul', { class: 'cartes', id: 'protegees' });
  fill(main,
    h('h1', { text: 'Personnes protégées' }),
    h('p', { class: 'compte', text: `${people.length} personne(s) suivie(s) par ${me.scope ? me.scope.name : 'votre service'}.` }),
    list);
  const statuses = await Promise.all(people.map((p) => get(`/v1/people/${p.id}/status`).catch((e) => e)));
  people.forEach((p, i) => list.append(card(p, statuses[i])));
}

function line(term, value) {
  return [h('dt', { text: term }), h('dd', { text: value })];
}

function card(person, s) {
  const headingId = `personne-${person.id}`;
  const li = h('li', { class: 'carte', 'aria-labelledby': headingId });
  li.append(h('h2', { id: headingId, class: 'personne', text: nom(person) }));
  if (s instanceof Error) {
    li.append(erreur(s));
    return li;
  }
  const dl = h('dl', { class: 'statut' });
  dl.append(...line('Protection', fr(PROTECTION, s.person.protection)));
  const a = s.application;
  dl.append(...line('Demande', a ? `${fr(APPLICATION_STATUS, a.status)}${a.submitted_at ? `, déposée le ${dateLongue(a.submitted_at)}` : ''}` : 'aucune'));
  const d = s.last_decision;
  dl.append(...line('Dernière décision', d
    ? `${fr(OUTCOME, d.outcome)}${d.refusal_reason ? ` (${fr(REFUSAL_REASON, d.refusal_reason)})` : ''}, séance du ${dateLongue(d.session_date)}`
    : 'aucune'));
  const pl = s.placement;
  dl.append(...line('Logement', pl
    ? `${pl.unit ? `${pl.unit.label}, ${pl.unit.town}` : '—'} — entrée le ${dateLongue(pl.move_in_date)}${pl.exit_date ? `, sortie le ${dateLongue(pl.exit_date)}` : ''} — ${fr(LEASE, pl.lease)}`
    : 'pas de logement'));
  const dep = s.deposit;
  dl.append(...line('Caution', dep
    ? `${fr(DEPOSIT_STATUS, dep.status)}, solde ${euros(dep.balance_cents)}${dep.penalty_unpaid_cents ? `, pénalité impayée ${euros(dep.penalty_unpaid_cents)}` : ''}`
    : '—'));
  const rent = s.rent;
  dl.append(...line('Loyer', rent ? `${fr(RENT_STATUS, rent.status)}${rent.arrears_cents ? ` : ${euros(rent.arrears_cents)} d'impayés` : ''}${rent.as_of ? ` (au ${dateLongue(rent.as_of)})` : ''}` : '—'));
  const inc = s.open_incidents || [];
  dl.append(...line('Incidents en cours', inc.length === 0 ? 'aucun'
    : inc.map((i) => `${fr(INCIDENT_KIND, i.kind)} du ${dateLongue(i.occurred_on)} (${fr(INCIDENT_STATUS, i.status)})`).join(' ; ')));
  dl.append(...line('Prochain bilan', s.next_review_on ? dateLongue(s.next_review_on) : '—'));
  li.append(dl);
  return li;
}
