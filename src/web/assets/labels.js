// The French words for the API's codes (the API speaks English; people read French).

export const ROLE = {
  coordinator: 'coordination', caregiver: 'équipe soignante', curator: 'curatelle / tutelle',
  landlord: 'bailleur', observer: 'observation',
};
export const SESSION_STATUS = { planned: 'prévue', open: 'ouverte', closed: 'close' };
export const APPLICATION_STATUS = {
  draft: 'brouillon', submitted: 'déposée', scheduled: "à l'ordre du jour", approved: 'acceptée', refused: 'refusée',
  deferred: 'reportée', placed: 'logée', withdrawn: 'retirée', lapsed: 'caduque',
};
export const URGENCY = { normal: 'normale', high: 'élevée', urgent: 'urgente' };
export const UNIT_KIND = {
  hlm_apartment: 'appartement HLM', foyer_place: 'place en foyer', transitional_place: 'place transitoire',
  residence_place: 'place en résidence',
};
export const UNIT_STATUS = {
  available: 'disponible', occupied: 'occupé', out_of_service: 'hors service', withdrawn: 'retiré',
};
export const OUTCOME = { approve: 'acceptée', refuse: 'refusée', defer: 'reportée' };
export const REFUSAL_REASON = {
  no_suitable_unit: 'pas de logement adapté', care_project_not_ready: 'projet de soins pas encore prêt',
  incomplete_file: 'dossier incomplet', outside_sector: 'hors secteur',
  needs_other_structure: "relève d'une autre structure", other: 'autre motif',
};
export const GROUP = {
  elected_officials: 'Élus', landlords: 'Bailleurs', care_team: 'Équipe soignante', curators: 'Curateurs et tuteurs',
  user_family_associations: "Associations d'usagers et de familles", association: 'Association', other: 'Autres',
};
export const AGENDA_KIND = { application: 'Demande', review: 'Bilan trimestriel', incident: 'Incident' };
export const INCIDENT_KIND = {
  rent_arrears: 'impayés de loyer', disturbance: 'troubles de voisinage', damage: 'dégradations',
  hospitalisation: 'hospitalisation', prolonged_absence: 'absence prolongée', other: 'autre',
};
export const INCIDENT_STATUS = { open: 'ouvert', acknowledged: 'pris en compte', closed: 'clos' };
export const DEPOSIT_STATUS = {
  not_paid: 'non versée', held: 'détenue par le bailleur', outstanding: 'à restituer', overdue: 'restitution en retard',
  settled: 'soldée',
};
export const PROTECTION = {
  none: 'aucune', sauvegarde_de_justice: 'sauvegarde de justice', curatelle_simple: 'curatelle simple',
  curatelle_renforcee: 'curatelle renforcée', tutelle: 'tutelle',
};
export const LEASE = {
  association_main_tenant: "l'association est locataire en titre", sliding_lease: 'bail glissant',
  direct_lease: 'bail direct',
};
export const RENT_STATUS = { up_to_date: 'à jour', arrears: 'impayés' };
export const REVIEW_STATUS = { due: 'à faire', overdue: 'en retard', scheduled: 'prévu', ok: 'à jour' };
export const AGREEMENT_STATUS = { active: 'en cours', expired: 'échue', ended: 'terminée', renewed: 'renouvelée' };

/** The French word for CODE in TABLE, or the code itself. */
export function fr(table, code) {
  if (code === null || code === undefined) return '—';
  return table[code] || String(code).replaceAll('_', ' ');
}
