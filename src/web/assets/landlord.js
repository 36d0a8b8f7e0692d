// The landlord's page (#/bailleur): its units, the placements in them and the deposits it has to refund. What a
// landlord's token reads is already limited to its own units by the API.
import { all } from './api.js';
import { h, fill, dateLongue, dateCourte, euros, nom, tableau, section } from './dom.js';
import { UNIT_KIND, UNIT_STATUS, DEPOSIT_STATUS, LEASE, fr } from './labels.js';

export async function landlordPage(main, me, setTitle) {
  setTitle('Mes logements');
  const [units, placements, outstanding, overdue] = await Promise.all([
    all('/v1/units'), all('/v1/placements?active=true'), all('/v1/deposits?status=outstanding'),
    all('/v1/deposits?status=overdue')]);
  const unitName = new Map(units.map((u) => [u.id, `${u.label}, ${u.town}`]));
  fill(main,
    h('h1', { text: 'Mes logements' }),
    h('p', { class: 'compte', text: `${me.scope ? me.scope.name : ''} — ${units.length} logement(s).` }),
    section('logements', 'Logements', tableau('Logements confiés à la commission', ['Logement', 'Adresse', 'Type', 'Places', 'Occupées', 'État'],
      units.map((u) => [u.label, `${u.address || ''}, ${u.town}`, fr(UNIT_KIND, u.kind), String(u.places),
        String(u.occupied_places ?? '—'),
        u.status === 'available' && u.occupied_places >= u.places ? 'complet' : fr(UNIT_STATUS, u.status)]), 'Aucun logement.')),
    section('attributions', 'Attributions en cours', tableau('Personnes logées', ['Personne', 'Logement', 'Entrée', 'Bail'],
      placements.map((p) => [nom(p.person), unitName.get(p.unit_id) || (p.unit ? `${p.unit.label}, ${p.unit.town}` : '—'),
        dateLongue(p.move_in_date), fr(LEASE, p.lease)]), 'Aucune attribution en cours.')),
    section('restitutions', 'Cautions à restituer', tableau('Cautions à restituer à la sortie', ['Personne', 'Logement', 'Sortie', 'Montant détenu', 'À restituer avant le', 'État'],
      [...overdue, ...outstanding].map((d) => [nom(d.person), unitName.get(d.unit_id) || '—', dateCourte(d.exit_date),
        euros(d.balance_cents), dateLongue(d.refund_due_on), fr(DEPOSIT_STATUS, d.status)]), 'Aucune caution à restituer.')));
}
