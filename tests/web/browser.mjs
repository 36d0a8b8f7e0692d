// The browser half of tests/web/test_browser.py: Debian's Chromium (headless) through playwright-core, on the
// daemon the Python side started and filled. Prints one TAP line per case ("ok - name" / "not ok - name") and
// "# ..." details; exits 1 when a case failed. Usage: node browser.mjs CONFIG.json
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const STEP = 15000; // the longest wait for one thing to show (a loaded shared machine)

let failed = 0;
async function test(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}`);
    for (const line of String(e && e.stack ? e.stack : e).split('\n').slice(0, 12)) console.log(`# ${line}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: cfg.chromium, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=fr-FR'],
});

/** A fresh browser profile (its own cookies) with a page that records CSP violations and console errors. */
async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'fr-FR' });
  const page = await context.newPage();
  page.violations = [];
  page.errors = [];
  await page.exposeFunction('__reportViolation', (v) => page.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
    });
  });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return { context, page };
}

async function signIn(page, base, token) {
  await page.goto(`${base}/`);
  await page.getByLabel("Jeton d'accès").fill(token);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('navigation', { name: 'Menu principal' }).waitFor({ state: 'visible', timeout: STEP });
}

/** axe-core in the page (WCAG 2.0/2.1 A and AA): no serious or critical violation. */
async function accessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  console.log(`# axe ${what}: ${result.passes.length} rules passed, ${result.violations.length} violated, ${result.incomplete.length} to review`);
  for (const v of result.violations) {
    console.log(`# axe ${what}: ${v.impact} ${v.id} (${v.nodes.length}): ${v.help} — ${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(' | ')}`);
  }
  assert(bad.length === 0, `${what}: ${bad.length} serious/critical axe violations: ${bad.map((v) => v.id).join(', ')}`);
  return result;
}

async function shot(page, name) {
  await page.screenshot({ path: join(cfg.screenshots, `${name}.png`), fullPage: true });
}

async function bearer(method, path, token, body) {
  const r = await fetch(`${cfg.base}${path}`, {
    method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

const T = cfg.tokens;
const room = `${cfg.base}/#/seance/${cfg.session_id}`;
const { page: coord } = await newPage({ width: 1600, height: 1000 });

await test('the coordinator signs in with a token; the page never holds it', async () => {
  await signIn(coord, cfg.base, T.coordinator);
  const cookies = await coord.context().cookies();
  const c = cookies.find((x) => x.name === 'commissiond_session');
  assert(c && c.httpOnly && c.sameSite === 'Strict', `cookie: ${JSON.stringify(c)}`);
  const seen = await coord.evaluate(() => document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage)
    + document.documentElement.outerHTML);
  assert(!seen.includes(T.coordinator), 'the token is readable by the page');
  assert(!seen.includes(c.value), 'the session id is readable by the page');
  assert(await coord.getByLabel("Jeton d'accès").count() === 0, 'the sign-in form is still shown');
});

await test('the session room: build the agenda, tick attendance by group, open', async () => {
  await coord.goto(room);
  await coord.getByRole('heading', { level: 1, name: /^Séance du / }).waitFor({ timeout: STEP });
  await coord.getByRole('button', { name: "Construire l'ordre du jour" }).click();
  await coord.locator('.ordre-du-jour > li').first().waitFor({ timeout: STEP });
  assert(await coord.locator('.ordre-du-jour > li.point-application').count() === 3, 'three applications on the agenda');
  assert(await coord.locator('.ordre-du-jour > li.point-incident').count() === 2, 'two open incidents on the agenda');
  // last session's attendees are offered, unticked; tick the elected officials as a group, one landlord, add one
  await coord.getByRole('button', { name: 'Tout cocher : Élus' }).click();
  await coord.getByLabel('M. Paul Masson (Lille Métropole Habitat)').check();
  await coord.getByLabel('Collège').selectOption('care_team');
  await coord.getByLabel('Nom', { exact: true }).fill('Dr Anne Roussel');
  await coord.getByRole('button', { name: 'Ajouter', exact: true }).click();
  await coord.getByLabel('Dr Anne Roussel').waitFor({ timeout: STEP });
  assert(await coord.getByLabel('M. Jean Lefebvre (Ville d\'Hellemmes)').isChecked(), 'adding someone unticked the others');
  await coord.getByRole('button', { name: 'Enregistrer les présences' }).click();
  await coord.getByText('4 présent(s)', { exact: false }).waitFor({ timeout: STEP });
  await coord.getByRole('button', { name: 'Ouvrir la séance' }).click();
  await coord.getByText('ouverte', { exact: true }).waitFor({ timeout: STEP });
});

/** The agenda line of the person named NAME. */
const line = (name) => coord.locator('.ordre-du-jour > li.point-application').filter({ has: coord.locator('.personne', { hasText: name }) });

await test('decisions in two clicks: approve with a free unit, refuse with a reason, defer; the counts follow', async () => {
  const plain = line(cfg.names.plain);
  await plain.getByRole('button', { name: 'Accepter' }).click();
  const unitSelect = plain.getByLabel(/Logement attribué/);
  await unitSelect.selectOption(await unitSelect.locator('option', { hasText: cfg.units.mine }).getAttribute('value'));
  await plain.getByRole('button', { name: "Confirmer l'acceptation" }).click();
  await line(cfg.names.plain).getByText(`Décision : acceptée — ${cfg.units.mine}`).waitFor({ timeout: STEP });

  const img = line(cfg.names.img);
  await img.getByRole('button', { name: 'Refuser' }).click();
  await img.getByLabel(/Motif du refus/).selectOption('incomplete_file');
  await img.getByRole('button', { name: 'Confirmer le refus' }).click();
  await line(cfg.names.img).getByText('Décision : refusée — dossier incomplet').waitFor({ timeout: STEP });

  // keyboard only: Tab to "Reporter", Enter; the confirmation takes the focus; Enter
  const script = line(cfg.names.script);
  await script.getByRole('button', { name: 'Reporter' }).focus();
  await coord.keyboard.press('Enter');
  const focused = await coord.evaluate(() => document.activeElement && document.activeElement.textContent);
  assert(focused === 'Confirmer le report', `the focus after "Reporter" is on ${focused}`);
  await coord.keyboard.press('Enter');
  await line(cfg.names.script).getByText('Décision : reportée').waitFor({ timeout: STEP });
  const counts = await coord.locator('#compteurs').textContent();
  assert(counts.includes('1 acceptée(s)') && counts.includes('1 refusée(s)') && counts.includes('1 reportée(s)')
    && counts.includes('0 restant à décider'), `counts: ${counts}`);
  await shot(coord, 'salle-de-seance');
  await accessible(coord, 'the session room');
});

await test("names with markup render as text; nothing injected runs; the CSP blocks inline script", async () => {
  const texts = await coord.locator('.personne').allTextContents();
  assert(texts.some((t) => t.includes(cfg.names.img)), `the <img> name is not shown as text: ${texts}`);
  assert(texts.some((t) => t.includes(cfg.names.script)), `the <script> name is not shown as text: ${texts}`);
  assert(await coord.locator('.ordre-du-jour img').count() === 0, 'an <img> element was made from a name');
  assert(await coord.locator('.ordre-du-jour script').count() === 0, 'a <script> element was made from a name');
  assert(await coord.evaluate(() => window.__xss) === undefined, 'injected code ran');
  // a script element with inline code, added to the page: the policy refuses to run it, and says so
  await coord.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
  });
  await coord.waitForFunction(() => true);
  for (let i = 0; i < 50 && !coord.violations.some((v) => v.blocked === 'inline'); i++) await coord.waitForTimeout(100);
  assert(await coord.evaluate(() => window.__inline) === undefined, 'an inline script ran');
  assert(coord.violations.some((v) => v.blocked === 'inline' && /script-src/.test(v.directive)),
    `no CSP violation reported: ${JSON.stringify(coord.violations)}`);
});

await test('close the session, then open the sealed minutes to print', async () => {
  await coord.getByRole('button', { name: 'Clore la séance' }).click();
  await coord.getByRole('button', { name: 'Confirmer la clôture' }).click();
  const link = coord.getByRole('link', { name: /Ouvrir le procès-verbal scellé/ });
  await link.waitFor({ timeout: STEP });
  const [pv] = await Promise.all([coord.context().waitForEvent('page'), link.click()]);
  await pv.waitForLoadState();
  const text = await pv.locator('body').innerText();
  assert(/procès-verbal/i.test(text), `the minutes page: ${text.slice(0, 300)}`);
  assert(text.includes('Dupont'), 'the chair is not in the minutes');
  await pv.close();
});

await test("the coordinator's desk: waiting list, free places, and a line opens its record", async () => {
  await coord.goto(`${cfg.base}/#/bureau`);
  await coord.getByRole('heading', { level: 1, name: 'Bureau de la coordination' }).waitFor({ timeout: STEP });
  await coord.locator('#places-resultats table').waitFor({ timeout: STEP });
  await coord.locator('#liste-attente-resultats table').waitFor({ timeout: STEP });
  await coord.locator('#incidents-resultats table').waitFor({ timeout: STEP });
  const desk = await coord.locator('main').innerText();
  assert(desk.includes('impayés de loyer') && desk.includes('hospitalisation'), 'the open incidents are missing');
  assert(desk.includes('CONV-LMH-2024-07'), 'the agreement ending within 90 days is missing');
  const waiting = await coord.locator('#liste-attente-resultats').innerText();
  assert(waiting.includes(cfg.names.script), `the deferred application is not waiting: ${waiting}`);
  await coord.getByLabel('Type de logement souhaité').selectOption('foyer_place');
  await coord.getByRole('button', { name: 'Filtrer' }).click();
  await coord.getByText('0 demande(s) en attente.').waitFor({ timeout: STEP });
  await coord.getByLabel('Type de logement souhaité').selectOption('');
  await coord.getByRole('button', { name: 'Filtrer' }).click();
  await coord.locator('#liste-attente-resultats table').waitFor({ timeout: STEP });
  await shot(coord, 'bureau');
  await accessible(coord, 'the desk');
  await coord.locator('#liste-attente-resultats a').first().click();
  await coord.getByRole('heading', { level: 1, name: /^Demande — / }).waitFor({ timeout: STEP });
});

await test('a curator sees only the people its service protects, and no care note', async () => {
  const { page, context } = await newPage({ width: 1280, height: 900 });
  await signIn(page, cfg.base, T.curator);
  await page.getByRole('heading', { level: 1, name: 'Personnes protégées' }).waitFor({ timeout: STEP });
  await page.locator('.carte dl').first().waitFor({ timeout: STEP });
  const names = await page.locator('.carte h2').allTextContents();
  assert(names.length === 2 && names.some((n) => n.includes(cfg.names.img)) && names.some((n) => n.includes(cfg.names.placed)),
    `the curator's people: ${JSON.stringify(names)}`);
  const text = await page.locator('main').innerText();
  for (const s of cfg.secrets) assert(!text.includes(s), `the curator's page shows "${s}"`);
  assert(!text.includes(cfg.names.script) && !text.includes(cfg.names.plain), 'another service\'s person is shown');
  assert(text.includes(cfg.units.placed), 'the placement is not in the status');
  assert(text.includes('impayés de loyer'), 'the rent arrears incident is not in the status');
  assert(await page.evaluate(() => window.__xss) === undefined, 'injected code ran');
  await shot(page, 'curateur');
  await accessible(page, "the curator's page");
  // phone width: still readable, nothing wider than the screen
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 5).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`));
  assert(overflow <= 1, `the page is ${overflow}px wider than a phone: ${wide.join(', ')}`);
  await shot(page, 'curateur-telephone');
  await context.close();
});

await test('a landlord sees only its units', async () => {
  const { page, context } = await newPage();
  await signIn(page, cfg.base, T.landlord);
  await page.getByRole('heading', { level: 1, name: 'Mes logements' }).waitFor({ timeout: STEP });
  const text = await page.locator('main').innerText();
  assert(text.includes(cfg.units.mine) && text.includes(cfg.units.placed), `its units are missing: ${text.slice(0, 400)}`);
  assert(!text.includes(cfg.units.other), "another landlord's unit is shown");
  for (const s of cfg.secrets) assert(!text.includes(s), `the landlord's page shows "${s}"`);
  await shot(page, 'bailleur');
  await accessible(page, "the landlord's page");
  await context.close();
});

await test('a sign-in link made by the coordinator opens a session once, and leaves no secret in the address', async () => {
  await coord.goto(`${cfg.base}/#/jetons`);
  await coord.getByRole('heading', { level: 1, name: 'Accès' }).waitFor({ timeout: STEP });
  await coord.getByRole('button', { name: 'Créer un lien de connexion pour UDAF' }).click();
  const url = await coord.locator('#lien-url').inputValue();
  assert(url.startsWith(`${cfg.base}/#/connexion/`), `the link: ${url}`);
  await accessible(coord, 'the tokens page');
  const { page, context } = await newPage();
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: 'Personnes protégées' }).waitFor({ timeout: STEP });
  assert(!page.url().includes('connexion'), `the secret stays in the address: ${page.url()}`);
  await context.close();
  const again = await newPage();
  await again.page.goto(url);
  await again.page.getByText('Ce lien de connexion a déjà servi').waitFor({ timeout: STEP });
  await again.context.close();
});

await test('keyboard only: the skip link comes first and moves to the content', async () => {
  const { page, context } = await newPage();
  await page.goto(`${cfg.base}/`);
  await page.getByLabel("Jeton d'accès").waitFor({ timeout: STEP });
  await accessible(page, 'the sign-in page');
  // the token field has the focus; the one stop before it is the skip link, the first of the page
  assert(await page.evaluate(() => document.activeElement.id) === 'jeton', 'the token field has not the focus');
  await page.keyboard.press('Shift+Tab');
  const first = await page.evaluate(() => document.activeElement.textContent);
  assert(first === 'Aller au contenu', `the Tab stop before the token field is "${first}"`);
  const firstInDom = await page.evaluate(() => document.querySelector('a[href], button, input, select, textarea').id);
  assert(firstInDom === 'lien-evitement', `the first focusable element is #${firstInDom}`);
  await page.keyboard.press('Enter');
  assert(await page.evaluate(() => document.activeElement.id) === 'contenu', 'the skip link does not move the focus');
  await context.close();
});

await test('an idle session ends: the next call shows the sign-in page', async () => {
  const { page, context } = await newPage();
  await signIn(page, cfg.idle_base, T.coordinator);
  await page.waitForTimeout(4500); // the idle daemon's --web-idle-timeout is 3 s
  await page.getByRole('link', { name: 'Bureau de la coordination' }).click();
  await page.getByText('Votre session a pris fin').waitFor({ timeout: STEP });
  assert(await page.getByLabel("Jeton d'accès").isVisible(), 'no sign-in form');
  const r = await page.evaluate(async () => (await fetch('/v1/web/session')).status);
  assert(r === 401, `the ended session still answers ${r}`);
  await context.close();
});

await test('revoking the token ends its session at once', async () => {
  const { page, context } = await newPage();
  await signIn(page, cfg.base, T.coordinator2);
  const revoked = await bearer('POST', `/v1/tokens/${cfg.coordinator2_id}/revoke`, T.coordinator);
  assert(revoked.status === 200, `revoke: ${revoked.status}`);
  await page.getByRole('link', { name: 'Séances' }).click(); // the page shown: loaded again
  await page.getByText('Votre session a pris fin').waitFor({ timeout: STEP });
  await context.close();
});

await test('a forged cross-site POST is refused (no CSRF header; a custom header cannot be sent)', async () => {
  // The coordinator's browser is signed in; a page from another origin of the same site (another port of
  // 127.0.0.1: the SameSite cookie IS sent) posts to the API, as a form and as a fetch.
  const before = await bearer('GET', '/v1/organisations?limit=200', T.coordinator);
  const { page, context } = await newPage();
  await signIn(page, cfg.base, T.coordinator);
  const evil = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><body>
      <form id="f" method="POST" action="${cfg.base}/v1/organisations" enctype="text/plain">
        <input name='{"kind":"partner","name":"Forgé par formulaire","x":"' value='"}'></form>
      <script>
        window.results = [];
        fetch('${cfg.base}/v1/organisations', { method: 'POST', mode: 'no-cors', credentials: 'include',
          headers: { 'Content-Type': 'text/plain' }, body: '{"kind":"partner","name":"Forgé par fetch"}' })
          .then((r) => window.results.push('no-cors:' + r.type), (e) => window.results.push('no-cors:error'));
        fetch('${cfg.base}/v1/organisations', { method: 'POST', credentials: 'include',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'x' },
          body: '{"kind":"partner","name":"Forgé avec en-tête"}' })
          .then((r) => window.results.push('cors:' + r.status), (e) => window.results.push('cors:blocked'));
      </script></body></html>`);
  });
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
  const evilUrl = `http://127.0.0.1:${evil.address().port}/`;
  const seen = [];
  page.on('response', (r) => { if (r.url().startsWith(`${cfg.base}/v1/organisations`)) seen.push(r.status()); });
  await page.goto(evilUrl);
  await page.waitForFunction(() => window.results && window.results.length === 2, null, { timeout: STEP });
  const results = await page.evaluate(() => window.results);
  assert(results.includes('cors:blocked'), `the request with a custom header was not blocked: ${results}`);
  await Promise.all([page.waitForNavigation({ timeout: STEP }).catch(() => null), page.evaluate(() => document.getElementById('f').submit())]);
  const formAnswer = await page.locator('body').innerText();
  assert(/forbidden|X-CSRF-Token/.test(formAnswer), `the forged form's answer: ${formAnswer.slice(0, 300)}`);
  evil.close();
  const after = await bearer('GET', '/v1/organisations?limit=200', T.coordinator);
  assert(after.body.items.length === before.body.items.length, 'an organisation was created by a forged request');
  console.log(`# forged answers seen: ${seen.join(', ')}; fetch results: ${results.join(', ')}`);
  await context.close();
});

await test('no page raised a script error or a CSP violation of its own', async () => {
  const own = coord.violations.filter((v) => v.blocked !== 'inline');
  assert(coord.errors.length === 0, `script errors: ${coord.errors.join('; ')}`);
  assert(own.length === 0, `CSP violations by the front itself: ${JSON.stringify(own)}`);
});

await browser.close();
console.log('# done');
process.exit(failed ? 1 : 0);
