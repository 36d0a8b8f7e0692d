// The session room (#/seance/ID): one screen for the coordinator and the chair, projected. The agenda in order
// with what the reader may see of each line; attendance ticked by group; a decision in two clicks (approve with a
// free unit, refuse with a reason, defer); the running counts; closing; the sealed minutes to print.
import { api, get, all } from './api.js';
import { h, fill, dateLongue, nom, annonce, erreur, section } from './dom.js';
import {
  SESSION_STATUS, URGENCY, UNIT_KIND, OUTCOME, REFUSAL_REASON, GROUP, AGENDA_KIND, INCIDENT_KIND,
  INCIDENT_STATUS, APPLICATION_STATUS, fr,
} from './labels.js';

export async function roomPage(main, me, id, setTitle) {
  const room = new Room(main, me, id, setTitle);
  await room.load();
}

class Room {
  constructor(main, me, id, setTitle) {
    Object.assign(this, { main, me, id, setTitle });
    this.coordinator = me.role === 'coordinator';
    this.units = [];
    this.suggested = [];
  }

  async load() {
    this.session = await get(`/v1/sessions/${this.id}`);
    this.people = null;
    this.items = null;
    if (this.me.role !== 'observer') this.items = (await get(`/v1/sessions/${this.id}/agenda`)).items;
    if (this.coordinator && this.session.status !== 'closed') {
      this.units = await all('/v1/units?status=vacant');
      this.suggested = await this.previousAttendees();
    }
    this.render();
  }

  /** The attendees of the latest earlier session: the names to tick today. */
  async previousAttendees() {
    const closed = (await all('/v1/sessions?status=closed', 2))
      .filter((s) => s.session_date < this.session.session_date)
      .sort((a, b) => (a.session_date < b.session_date ? 1 : -1));
    if (closed.length === 0) return [];
    return (await get(`/v1/sessions/${closed[0].id}`)).attendees || [];
  }

  render() {
    const s = this.session;
    const title = `Séance du ${dateLongue(s.session_date)}`;
    this.setTitle(title);
    this.counts = h('p', { class: 'compteurs', id: 'compteurs', 'aria-live': 'polite' });
    this.state = h('div', { id: 'etat-seance' });
    fill(this.main,
      h('h1', { text: title }),
      h('p', { class: 'sous-titre' },
        `${s.town}${s.place ? `, ${s.place}` : ''} — présidée par ${s.chair_name}${s.chair_title ? `, ${s.chair_title}` : ''}`),
      h('p', {}, 'État : ', h('strong', { class: `etat etat-${s.status}`, text: fr(SESSION_STATUS, s.status) })),
      this.counts,
      this.state,
      this.actions(),
      this.attendance(),
      this.agenda());
    this.updateCounts();
  }

  async act(what, fn) {
    fill(this.state, h('p', { text: `${what}…` }));
    try {
      await fn();
      await this.load();
      annonce(`${what} : fait.`);
    } catch (e) {
      fill(this.state, erreur(e));
      return e;
    }
    return null;
  }

  actions() {
    const s = this.session;
    const box = h('div', { class: 'actions' });
    if (s.status === 'closed') {
      box.append(h('a', {
        class: 'bouton', id: 'ouvrir-pv', href: `/v1/sessions/${s.id}/minutes`, target: '_blank', rel: 'noopener',
      }, 'Ouvrir le procès-verbal scellé (pour impression et signature)'));
      return box;
    }
    if (!this.coordinator) return box;
    if (s.status === 'planned') {
      box.append(
        h('button', { type: 'button', id: 'construire', on: { click: () => this.act("Construction de l'ordre du jour", () => api('POST', `/v1/sessions/${s.id}/agenda/build`)) } }, "Construire l'ordre du jour"),
        h('button', { type: 'button', id: 'ouvrir', on: { click: () => this.act('Ouverture de la séance', () => api('POST', `/v1/sessions/${s.id}/open`)) } }, 'Ouvrir la séance'));
    } else if (s.status === 'open') {
      const confirm = h('div', { class: 'confirmation', hidden: true });
      const closeButton = h('button', {
        type: 'button', id: 'clore',
        on: {
          click: () => {
            const left = this.undecided();
            fill(confirm,
              h('p', { text: left > 0 ? `${left} point(s) sans décision : ils seront reportés à la prochaine séance.` : 'Tous les points sont décidés.' }),
              h('button', {
                type: 'button', id: 'confirmer-cloture',
                on: { click: () => this.act('Clôture de la séance', () => api('POST', `/v1/sessions/${s.id}/close`, { defer_undecided: left > 0 })) },
              }, left > 0 ? 'Clore et reporter les points restants' : 'Confirmer la clôture'),
              h('button', { type: 'button', class: 'secondaire', on: { click: () => { confirm.hidden = true; closeButton.focus(); } } }, 'Annuler'));
            confirm.hidden = false;
            confirm.querySelector('button').focus();
          },
        },
      }, 'Clore la séance');
      box.append(closeButton, confirm);
    }
    return box;
  }

  undecided() {
    return (this.items || []).filter((i) => i.kind === 'application' && !i.decision).length;
  }

  updateCounts() {
    const apps = (this.items || []).filter((i) => i.kind === 'application');
    const n = (o) => apps.filter((i) => i.decision && i.decision.outcome === o).length;
    const present = (this.session.attendees || []).length;
    const parts = [`${present} présent(s)`];
    if (this.items) {
      parts.push(`${apps.length} demande(s) à l'ordre du jour`, `${n('approve')} acceptée(s)`, `${n('refuse')} refusée(s)`,
        `${n('defer')} reportée(s)`, `${this.undecided()} restant à décider`);
    }
    fill(this.counts, parts.join(' · '));
  }

  attendance() {
    const s = this.session;
    const editable = this.coordinator && s.status !== 'closed';
    const current = s.attendees || [];
    if (!editable) {
      const byGroup = Object.keys(GROUP).map((g) => [g, current.filter((a) => a.group === g)]).filter(([, l]) => l.length);
      return section('presences', 'Présences',
        byGroup.length === 0 ? h('p', { class: 'vide', text: 'Aucune présence enregistrée.' })
          : h('dl', { class: 'presences' }, byGroup.map(([g, l]) => [h('dt', { text: GROUP[g] }),
            l.map((a) => h('dd', { text: a.organisation ? `${a.name} (${a.organisation})` : a.name }))])));
    }
    if (!this.people) {
      // Last session's attendees are offered unticked; those recorded for this one are ticked.
      const key = (a) => `${a.group}\u0000${a.name}\u0000${a.organisation || ''}`;
      this.people = new Map();
      for (const a of this.suggested) this.people.set(key(a), { ...a, checked: false });
      for (const a of current) this.people.set(key(a), { ...a, checked: true });
    }
    const box = section('presences', 'Présences', this.attendanceForm());
    this.attendanceBox = box;
    return box;
  }

  attendanceForm() {
    const form = h('form', { class: 'presences', id: 'form-presences' });
    let n = 0;
    for (const [g, label] of Object.entries(GROUP)) {
      const people = [...this.people.values()].filter((a) => a.group === g);
      if (people.length === 0) continue;
      const list = h('ul', { class: 'cases' }, people.map((a) => {
        const cid = `presence-${n++}`;
        return h('li', {},
          h('input', { type: 'checkbox', id: cid, checked: a.checked, on: { change: (ev) => { a.checked = ev.target.checked; } } }),
          h('label', { for: cid, text: a.organisation ? `${a.name} (${a.organisation})` : a.name }));
      }));
      form.append(h('fieldset', { class: 'groupe' },
        h('legend', { text: label }), list,
        h('button', {
          type: 'button', class: 'lien-bouton',
          on: { click: () => { for (const a of people) a.checked = true; for (const c of list.querySelectorAll('input')) c.checked = true; } },
        }, `Tout cocher : ${label}`)));
    }
    const group = h('select', { id: 'ajout-groupe' }, Object.entries(GROUP).map(([v, t]) => h('option', { value: v }, t)));
    const name = h('input', { id: 'ajout-nom', type: 'text', maxlength: '200' });
    const org = h('input', { id: 'ajout-structure', type: 'text', maxlength: '200' });
    form.append(h('fieldset', { class: 'ajout' },
      h('legend', { text: 'Ajouter une personne présente' }),
      h('div', { class: 'champ' }, h('label', { for: 'ajout-groupe', text: 'Collège' }), group),
      h('div', { class: 'champ' }, h('label', { for: 'ajout-nom', text: 'Nom' }), name),
      h('div', { class: 'champ' }, h('label', { for: 'ajout-structure', text: 'Structure (facultatif)' }), org),
      h('button', {
        type: 'button', class: 'secondaire', id: 'ajouter-presence',
        on: {
          click: () => {
            const a = { group: group.value, name: name.value.trim(), organisation: org.value.trim() || null, checked: true };
            if (!a.name) { name.focus(); return; }
            this.people.set(`${a.group}\u0000${a.name}\u0000${a.organisation || ''}`, a);
            const fresh = this.attendanceForm();
            this.attendanceBox.querySelector('form').replaceWith(fresh);
            annonce(`${a.name} ajouté(e) aux présents.`);
            fresh.querySelector('#ajout-nom').focus();
          },
        },
      }, 'Ajouter')));
    form.append(h('button', { type: 'submit', id: 'enregistrer-presences' }, 'Enregistrer les présences'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const attendees = [...this.people.values()].filter((a) => a.checked)
        .map((a) => ({ group: a.group, name: a.name, organisation: a.organisation || null }));
      this.act('Enregistrement des présences', () => api('PUT', `/v1/sessions/${this.id}/attendance`, { attendees }));
    });
    return form;
  }

  agenda() {
    if (this.items === null) return section('ordre-du-jour', "Ordre du jour", h('p', { class: 'vide', text: "Votre rôle ne donne pas accès à l'ordre du jour." }));
    if (this.items.length === 0) {
      return section('ordre-du-jour', "Ordre du jour", h('p', { class: 'vide', text: "L'ordre du jour est vide." }));
    }
    const items = [...this.items].sort((a, b) => a.position - b.position);
    return section('ordre-du-jour', "Ordre du jour",
      h('ol', { class: 'ordre-du-jour' }, items.map((i) => this.item(i))));
  }

  item(i) {
    const li = h('li', { class: `point point-${i.kind}`, id: `point-${i.id}`, 'data-position': String(i.position) });
    const head = h('h3', {}, `${i.position}. ${fr(AGENDA_KIND, i.kind)} — `);
    const body = [];
    if (i.kind === 'application') {
      const a = i.application;
      head.append(h('span', { class: 'personne', text: nom(a.person) }));
      body.push(h('ul', { class: 'faits' },
        h('li', {}, `Urgence : ${fr(URGENCY, a.urgency)}`),
        a.waiting_days !== null && a.waiting_days !== undefined ? h('li', {}, `En attente depuis ${a.waiting_days} jour(s)`) : null,
        h('li', {}, `Souhaite : ${(a.wished_unit_kinds || []).map((k) => fr(UNIT_KIND, k)).join(', ') || '—'}`),
        h('li', {}, `Communes : ${(a.wished_towns || []).join(', ') || 'indifférent'}`),
        h('li', {}, `Demande : ${fr(APPLICATION_STATUS, a.status)}`)));
      if (a.situation) body.push(h('p', { class: 'situation' }, h('strong', { text: 'Situation : ' }), a.situation));
    } else {
      const p = i.placement;
      head.append(h('span', { class: 'personne', text: p ? nom(p.person) : 'Non visible pour votre rôle' }));
      if (p) body.push(h('p', {}, `${p.unit_label || ''}${p.unit_town ? `, ${p.unit_town}` : ''} — entrée le ${dateLongue(p.move_in_date)}`
        + (p.next_review_on ? ` — bilan dû le ${dateLongue(p.next_review_on)}` : '')));
      if (i.incident) body.push(h('p', {}, `Incident : ${fr(INCIDENT_KIND, i.incident.kind)} du ${dateLongue(i.incident.occurred_on)} (${fr(INCIDENT_STATUS, i.incident.status)})`));
    }
    if (i.note) body.push(h('p', { class: 'note' }, h('strong', { text: 'Note : ' }), i.note));
    li.append(head, ...body);
    if (i.kind === 'application') li.append(this.decision(i));
    return li;
  }

  decision(i) {
    const d = i.decision;
    const box = h('div', { class: 'decision' });
    if (d) {
      let text = `Décision : ${fr(OUTCOME, d.outcome)}`;
      if (d.outcome === 'approve' && d.unit_label) text += ` — ${d.unit_label}${d.unit_town ? `, ${d.unit_town}` : ''}`;
      if (d.outcome === 'refuse') text += ` — ${fr(REFUSAL_REASON, d.refusal_reason)}`;
      box.append(h('p', { class: `verdict verdict-${d.outcome}`, text }));
      return box;
    }
    if (!(this.coordinator && this.session.status === 'open')) {
      box.append(h('p', { class: 'verdict', text: 'Pas encore décidé.' }));
      return box;
    }
    const panel = h('div', { class: 'confirmation', hidden: true });
    const who = nom(i.application.person);
    const send = (body, what) => this.act(what, () => api('POST', `/v1/sessions/${this.id}/decisions`, { agenda_item_id: i.id, ...body }));
    const open = (kind) => {
      const pid = `choix-${i.id}`;
      if (kind === 'approve') {
        const wished = i.application.wished_unit_kinds || [];
        const units = [...this.units].sort((a, b) => Number(wished.includes(b.kind)) - Number(wished.includes(a.kind)));
        const select = h('select', { id: pid },
          units.map((u) => h('option', { value: u.id }, `${u.label} — ${u.town} (${fr(UNIT_KIND, u.kind)}, ${u.vacant_places} place(s) libre(s))`)));
        fill(panel,
          h('label', { for: pid, text: `Logement attribué à ${who}` }), select,
          units.length === 0 ? h('p', { class: 'erreur', text: 'Aucun logement libre.' }) : null,
          h('button', { type: 'button', class: 'confirmer', disabled: units.length === 0, on: { click: () => send({ outcome: 'approve', unit_id: select.value }, 'Acceptation') } }, "Confirmer l'acceptation"),
          h('button', { type: 'button', class: 'secondaire', on: { click: () => { panel.hidden = true; } } }, 'Annuler'));
      } else if (kind === 'refuse') {
        const select = h('select', { id: pid },
          Object.entries(REFUSAL_REASON).map(([v, t]) => h('option', { value: v }, t)));
        fill(panel,
          h('label', { for: pid, text: `Motif du refus pour ${who}` }), select,
          h('button', { type: 'button', class: 'confirmer', on: { click: () => send({ outcome: 'refuse', refusal_reason: select.value }, 'Refus') } }, 'Confirmer le refus'),
          h('button', { type: 'button', class: 'secondaire', on: { click: () => { panel.hidden = true; } } }, 'Annuler'));
      } else {
        fill(panel,
          h('p', { text: `Reporter la demande de ${who} à la prochaine séance ?` }),
          h('button', { type: 'button', class: 'confirmer', on: { click: () => send({ outcome: 'defer' }, 'Report') } }, 'Confirmer le report'),
          h('button', { type: 'button', class: 'secondaire', on: { click: () => { panel.hidden = true; } } }, 'Annuler'));
      }
      panel.hidden = false;
      panel.querySelector('button.confirmer').focus();
    };
    box.append(
      h('div', { class: 'choix', role: 'group', 'aria-label': `Décision pour ${who}` },
        h('button', { type: 'button', class: 'accepter', on: { click: () => open('approve') } }, 'Accepter'),
        h('button', { type: 'button', class: 'refuser', on: { click: () => open('refuse') } }, 'Refuser'),
        h('button', { type: 'button', class: 'reporter', on: { click: () => open('defer') } }, 'Reporter')),
      panel);
    return box;
  }
}

