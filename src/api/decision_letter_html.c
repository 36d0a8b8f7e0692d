/* The letter that tells an applicant what the commission decided (issue 12, item 4): a refusal or a deferral with
 * its reason in the words of the label table and how to be heard again; an approval with the unit and the next
 * steps. Rendered from the letter's row (src/db/letters.c) and nothing else; every user text is escaped, every
 * date written out in French.
 *
 * Which decision: the letter notifies the decision that stands on the item the session voted on. When the vote was
 * corrected later, the letter notifies the corrected decision, says what the session had voted and on which day
 * it was corrected, and is dated that day: a person is never told a decision that no longer holds. */
#include <stdlib.h>
#include <string.h>

#include "html_page.h"
#include "json_text.h"
#include "letters.h"

static const char *or_empty(const char *s) { return s != NULL ? s : ""; }

/* One A4 page: the shared style's type, tightened to a letter's spacing. */
static const char *const LETTER_STYLE =
  "body{font-size:10.5pt;line-height:1.35}p{margin:.6em 0}\n"
  ".letterhead{border-bottom:2px solid #000;padding-bottom:.4em;margin-bottom:1em}\n"
  ".letterhead .commission{font-variant:small-caps;font-size:14pt;font-weight:bold;margin:0}\n"
  ".letterhead .session{margin:.2em 0 0;font-size:10pt}\n"
  ".recipient{margin:1em 0 1em 9cm}\n"
  ".dateline{text-align:right;margin:0 0 1em}\n"
  ".object{margin:0 0 1em}\n"
  ".reason{border-left:3px solid #000;padding:.3em .8em;margin:1em 0}\n"
  ".correction{font-style:italic;font-size:10pt}\n"
  "table.unit{width:auto;margin:.6em 0 1em}table.unit th{width:8em;font-weight:normal;background:#f2f2f2}\n"
  "ol.steps li{margin-bottom:.5em}\n"
  "h2{margin:.9em 0 .3em}\n"
  ".signature{margin:1.2em 0 0 9cm}.signature .space{height:1.8cm}\n"
  "footer{margin-top:1em;border-top:1px solid #888;padding-top:.3em;font-size:9pt}\n";

/* An organisation as a reader would contact it: name, address, phone, e-mail (escaped, those it has). */
static void contact(struct html *h, const char *name, const char *address, const char *town, const char *phone,
                    const char *email) {
  html_raw(h, "<strong>");
  html_text(h, name);
  html_raw(h, "</strong>");
  if (address != NULL && *address != '\0') {
    html_raw(h, ", ");
    html_pair(h, address, ", ", town);
  } else if (town != NULL && *town != '\0') {
    html_raw(h, ", ");
    html_text(h, town);
  }
  if (phone != NULL && *phone != '\0') {
    html_raw(h, ", tél. ");
    html_text(h, phone);
  }
  if (email != NULL && *email != '\0') {
    html_raw(h, ", courriel ");
    html_text(h, email);
  }
}

/* The session as a letter names it: "jeudi 12 mars 2026 à Mons-en-Barœul (Salle du conseil)". */
static void session_words(struct html *h, const char *date, const char *town, const char *place) {
  html_long_date(h, date, true);
  html_raw(h, " à ");
  html_text(h, town);
  if (place != NULL && *place != '\0') {
    html_raw(h, " (");
    html_text(h, place);
    html_raw(h, ")");
  }
}

/* The comment of a decision, in French: the server's own comments through the label table, a person's as typed. */
static void comment_words(struct html *h, const char *comment) {
  const char *system = label_fr(LABEL_COMMENT, comment);
  html_text(h, system != NULL ? system : comment);
}

static void heard_again(struct html *h, const struct letter_row *r, bool deferred) {
  html_raw(h, "<h2>Être entendu à nouveau</h2>\n<p>");
  if (deferred)
    html_raw(h, "Votre demande reste inscrite auprès de la commission : elle sera de nouveau examinée lors d'une "
                "prochaine séance. ");
  else
    html_raw(h, "Vous pouvez demander que votre situation soit de nouveau présentée à la commission, par exemple "
                "lorsque le motif de ce refus n'existe plus. ");
  if (r->next_date != NULL) {
    html_raw(h, "La prochaine séance est prévue le ");
    session_words(h, r->next_date, r->next_town, r->next_place);
    html_raw(h, ".");
  } else {
    html_raw(h, "La date de la prochaine séance n'est pas encore fixée ; votre équipe de secteur vous la fera "
                "connaître.");
  }
  html_raw(h, "</p>\n<p>Pour cela, ou pour toute question sur cette décision, adressez-vous à votre équipe de "
              "secteur, qui présente les demandes à la commission : ");
  contact(h, r->team_name, r->team_address, r->team_town, r->team_phone, r->team_email);
  html_raw(h, ".");
  if (r->curator_name != NULL) {
    html_raw(h, " Votre mandataire judiciaire peut vous accompagner dans cette démarche : ");
    contact(h, r->curator_name, NULL, NULL, r->curator_phone, r->curator_email);
    html_raw(h, ".");
  }
  html_raw(h, "</p>\n");
}

/* The unit an approval names, as a table. */
static void unit_table(struct html *h, const struct letter_row *r) {
  html_raw(h, "<table class=\"unit\"><tbody>\n<tr><th>Logement</th><td>");
  html_text(h, r->unit_label);
  html_raw(h, "</td></tr>\n<tr><th>Nature</th><td>");
  html_text(h, html_fr(LABEL_UNIT_KIND, or_empty(r->unit_kind)));
  html_raw(h, "</td></tr>\n<tr><th>Adresse</th><td>");
  html_pair(h, r->unit_address, ", ", r->unit_town);
  html_raw(h, "</td></tr>\n<tr><th>Bailleur</th><td>");
  html_text(h, r->landlord_name);
  html_raw(h, "</td></tr>\n<tr><th>Loyer mensuel</th><td>");
  html_euros(h, long_of_text(r->rent_cents));
  html_raw(h, " hors charges, charges ");
  html_euros(h, long_of_text(r->charges_cents));
  html_raw(h, "</td></tr>\n</tbody></table>\n");
}

/* An approval: the unit (when the session named one; otherwise the coordination proposes it) and the next steps. */
static void approval(struct html *h, const struct letter_row *r) {
  bool unit = r->unit_label != NULL;
  if (unit) {
    html_raw(h, "<p>Elle a donné son <strong>accord</strong> à votre demande et vous attribue le logement "
                "suivant :</p>\n");
    unit_table(h, r);
  } else {
    html_raw(h, "<p>Elle a donné son <strong>accord</strong> à votre demande. Le logement qui vous sera attribué "
                "vous sera proposé par la coordination de la commission, avec votre équipe de secteur.</p>\n");
  }
  html_raw(h, "<h2>Les prochaines étapes</h2>\n<ol class=\"steps\">\n"
              "<li><strong>Entrée dans les lieux.</strong> La date est fixée avec vous par la coordination de la "
              "commission et votre équipe de secteur ; l'entrée peut avoir lieu dès le ");
  html_long_date(h, r->session_date, false);
  html_raw(h, ". Cet accord vaut jusqu'au ");
  html_long_date(h, r->valid_until, false);
  html_raw(h, " : sans entrée dans les lieux à cette date, il devient caduc.</li>\n"
              "<li><strong>Dépôt de garantie.</strong> L'association verse pour vous au bailleur le dépôt de "
              "garantie");
  if (unit) {
    html_raw(h, " de ");
    html_euros(h, long_of_text(r->deposit_cents));
  }
  html_raw(h, " ; vous n'avez rien à avancer.</li>\n<li><strong>Bail.</strong> Le bail (ou la convention "
              "d'occupation) est signé avec ");
  if (unit)
    html_text(h, r->landlord_name);
  else
    html_raw(h, "le bailleur");
  html_raw(h, " et l'association avant l'entrée dans les lieux. Le loyer et les charges sont à votre charge");
  if (r->curator_name != NULL)
    html_raw(h, ", avec l'aide de votre mandataire judiciaire");
  html_raw(h, ".</li>\n<li><strong>Accompagnement.</strong> Votre équipe de secteur continue de vous "
              "accompagner ; un bilan est fait avec vous chaque trimestre.</li>\n</ol>\n<p>Pour toute question, "
              "adressez-vous à votre équipe de secteur : ");
  contact(h, r->team_name, r->team_address, r->team_town, r->team_phone, r->team_email);
  html_raw(h, ".</p>\n");
}

char *decision_letter_html(const struct letter_row *r, size_t *len) {
  struct html h = {0};
  const char *outcome = or_empty(r->outcome);
  bool approve = strcmp(outcome, "approve") == 0, refuse = strcmp(outcome, "refuse") == 0;
  const char *object = approve ? "d'accord" : refuse ? "de refus" : "d'ajournement";
  const char *letter_date = r->corrected_at != NULL ? r->corrected_at : r->session_date;
  html_rawf(&h, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>Décision "
                "%s — ", object);
  html_pair(&h, r->given_names, " ", r->family_name);
  html_raw(&h, "</title>\n<style>\n");
  html_raw(&h, HTML_PRINT_STYLE);
  html_raw(&h, LETTER_STYLE);
  html_raw(&h, "</style>\n</head>\n<body>\n<header class=\"letterhead\">\n<p class=\"commission\">");
  html_text(&h, r->commission_name);
  html_raw(&h, "</p>\n<p class=\"session\">Commission appartement — séance du ");
  session_words(&h, r->session_date, r->session_town, r->session_place);
  html_raw(&h, "</p>\n</header>\n<p class=\"recipient\">");
  html_pair(&h, r->given_names, " ", r->family_name);
  if (r->person_address != NULL && *r->person_address != '\0') {
    html_raw(&h, "<br>");
    /* an address typed on several lines keeps them */
    for (const char *p = r->person_address; *p != '\0';) {
      size_t n = strcspn(p, "\n");
      char *line = strndup(p, n);
      if (line == NULL) {
        h.failed = true;
        break;
      }
      html_text(&h, line);
      free(line);
      p += n;
      if (*p == '\n') {
        html_raw(&h, "<br>");
        p++;
      }
    }
  }
  html_raw(&h, "</p>\n<p class=\"dateline\">");
  html_text(&h, r->session_town);
  html_raw(&h, ", le ");
  html_long_date(&h, letter_date, false);
  html_rawf(&h, "</p>\n<p class=\"object\"><strong>Objet :</strong> notification d'une décision %s "
                "concernant votre demande de logement</p>\n<p>Madame, Monsieur,</p>\n"
                "<p>La commission appartement s'est réunie le ",
            object);
  session_words(&h, r->session_date, r->session_town, r->session_place);
  html_raw(&h, ", sous la présidence de ");
  html_pair(&h, r->chair_name, ", ", r->chair_title);
  html_raw(&h, ", et a examiné votre demande de logement.</p>\n");
  if (approve) {
    approval(&h, r);
  } else if (refuse) {
    html_raw(&h, "<p>Elle a décidé de ne pas donner une suite favorable à votre demande.</p>\n<p class=\"reason\">"
                 "<strong>Motif :</strong> ");
    html_text(&h, html_fr(LABEL_REFUSAL_REASON, or_empty(r->refusal_reason)));
    html_raw(&h, ".");
    if (r->comment != NULL && *r->comment != '\0') {
      html_raw(&h, "<br>Observations de la commission : ");
      comment_words(&h, r->comment);
    }
    html_raw(&h, "</p>\n");
    heard_again(&h, r, false);
  } else {
    html_raw(&h, "<p>Elle a décidé d'<strong>ajourner</strong> sa décision sur votre demande.</p>\n");
    if (r->comment != NULL && *r->comment != '\0') {
      html_raw(&h, "<p class=\"reason\"><strong>Motif :</strong> ");
      comment_words(&h, r->comment);
      html_raw(&h, "</p>\n");
    }
    heard_again(&h, r, true);
  }
  if (r->corrected_at != NULL) {
    html_raw(&h, "<p class=\"correction\">En séance, la commission avait d'abord décidé : ");
    html_text(&h, html_fr(LABEL_OUTCOME, or_empty(r->voted_outcome)));
    const char *reason = label_fr(LABEL_REFUSAL_REASON, r->voted_reason);
    if (reason != NULL) {
      html_raw(&h, " (motif : ");
      html_text(&h, reason);
      html_raw(&h, ")");
    }
    if (r->voted_unit_label != NULL) {
      html_raw(&h, " (logement : ");
      html_pair(&h, r->voted_unit_label, ", ", r->voted_unit_town);
      html_raw(&h, ")");
    }
    html_raw(&h, ". Cette décision a été rectifiée le ");
    html_long_date(&h, r->corrected_at, false);
    html_raw(&h, " ; la présente lettre vous notifie la décision rectifiée, qui figure en annexe du "
                 "procès-verbal de la séance.</p>\n");
  }
  html_raw(&h, "<p>Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.</p>\n"
               "<div class=\"signature\">\n<p>Fait à ");
  html_text(&h, r->session_town);
  html_raw(&h, ", le ");
  html_long_date(&h, letter_date, false);
  html_raw(&h, ".</p>\n<p>Pour la commission appartement,<br>le président de séance,<br>");
  html_pair(&h, r->chair_name, "<br>", r->chair_title);
  html_raw(&h, "</p>\n<div class=\"space\"></div>\n</div>\n<footer>Copie : ");
  html_text(&h, r->team_name);
  if (r->curator_name != NULL) {
    html_raw(&h, " ; ");
    html_text(&h, r->curator_name);
  }
  html_raw(&h, ".</footer>\n</body>\n</html>\n");
  return html_done(&h, len);
}
