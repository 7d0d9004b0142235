#!/usr/bin/env node
// Browser tests of the public forms (GET/POST /forms/{id}) in real headless
// Chromium (/usr/bin/chromium, driven by playwright-core; no browser
// download) against the real stack started by stack.py --forms-dir conf/forms:
// the Integrify stand-in, the intake pool serving conf/forms/it-request.conf
// and nginx. Loopback only. Checks filling and sending the demo form, the
// server's 422 page (with and without JavaScript), the JSON mode, the
// fetch-submit mode of www/intake-form.js (form[data-intake-submit]), axe-core
// on every page and the W3C Nu HTML checker (npm vnu-jar, needs java) on the
// HTML exactly as intake sent it and on the pages fetch-submit left.
//
//   node tests/browser/forms.mjs          (after scripts/deps.sh --tests)
//
// Environment: INTAKE_SRC, INTAKE_BIN (as for tests/integration); INTAKE_PYTHON;
// INTAKE_BROWSER_STACK_CMD runs another command instead of stack.py (it must
// print stack.py's JSON line); CHROMIUM overrides /usr/bin/chromium; JAVA
// overrides java; INTAKE_BROWSER_KEEP=1 keeps the stack's work directory and
// the saved pages.
// Prints one line per test and ends with "N passed, M failed".

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  HERE, LAUNCH, loadChromium, startStack, stopStack, Fail, check, same, axe, watchedPage, clean,
  runTests,
} from './harness.mjs';

const SRC = process.env.INTAKE_SRC || path.join(HERE, '../..');
const VNU = path.join(HERE, 'node_modules/vnu-jar/build/dist/vnu.jar');
const FORM = '/forms/it-request';
// Where form.c names intake-form.js: /static/VERSION/intake-form.js.
const SCRIPT = /^\/static\/[^/]+\/intake-form\.js$/;

const chromium = await loadChromium('forms.mjs');

// ---- helpers -----------------------------------------------------------------

// The HTML exactly as intake sent it, kept for the Nu checker.
const SAVED = {};
async function save(name, resp) {
  SAVED[name] = await resp.text();
}

// The plain post (POST/Redirect/GET), as when intake-form.js does not load:
// form.c opts its page in to fetch-submit (see the fetch-submit tests below),
// so these pages get an empty script instead, the rest as intake sends it.
async function openForm(ctx) {
  const page = await watchedPage(ctx);
  await page.route(u => SCRIPT.test(u.pathname), route =>
    route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: '' }));
  const resp = await page.goto(page.intake + FORM);
  check(resp && resp.status() === 200, `GET ${FORM}: ${resp && resp.status()}`);
  page.loadedAt = Date.now();
  check(await page.evaluate(() => window.IntakeForm === undefined), 'intake-form.js ran although it was blocked');
  return { page, resp };
}

// The values a person types; `over` replaces some of them.
const GOOD = {
  requester_name: "Zoë O'Brien-Łukasz \"Q\" <admin>",
  requester_email: 'zoe@example.com',
  department: 'IT-010',
  location: 'ZRH-01',
  category: 'CAT-0645',
  priority: 'P2',
  description: 'My laptop screen flickers & shows <lines>.\nSince Monday, ünïcödé.',
  needed_by: '2027-02-28',
  asset_tag: '104233',
  accessories: ['Headset', 'Keyboard & mouse'],
};
const FILE = { name: 'screen shot.png', mimeType: 'image/png', buffer: Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(256, 7)]) };

// Choose a select's value: as a person does on a native select; on one
// intake-combobox.js made a combobox (the select hidden), through the select
// the combobox carries its value in (the combobox tests pick by keyboard).
async function choose(page, k, value) {
  const sel = page.locator('#f-' + k);
  if (await sel.isVisible()) return sel.selectOption(value);
  await sel.evaluate((s, v) => {
    s.value = v;
    s.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

// The value a field holds: a select's, or the checked radio button's.
async function valueOf(page, k) {
  const radios = page.locator(`#field-${k} input[type=radio]`);
  if (await radios.count() === 0) return page.locator('#f-' + k).inputValue();
  for (const r of await radios.all())
    if (await r.isChecked()) return r.getAttribute('value');
  return '';
}

async function fill(page, over = {}, { file = true } = {}) {
  const v = { ...GOOD, ...over };
  for (const k of ['requester_name', 'requester_email', 'description', 'needed_by', 'asset_tag'])
    await page.locator('#f-' + k).fill(v[k]);
  // The region first: the location follows it (with JavaScript, at once).
  if (v.region !== undefined) await choose(page, 'region', v.region);
  for (const k of ['department', 'location', 'category']) await choose(page, k, v[k]);
  await page.locator(`#field-priority input[value="${v.priority}"]`).check();
  for (const a of v.accessories) await page.getByLabel(a, { exact: true }).check();
  if (file) await page.locator('#f-attachment').setInputFiles(FILE);
  return v;
}

// Submit the form by clicking its button; the response the page ends on.
async function submit(page) {
  // Forms sent faster than a second after they were served are refused as bots.
  const wait = 1100 - (Date.now() - page.loadedAt);
  if (wait > 0) await page.waitForTimeout(wait);
  const [resp] = await Promise.all([page.waitForNavigation(), page.locator('form.intake-form button[type=submit]').click()]);
  return resp;
}

// Leave validation to the server: the browser's own constraints are off.
function noBrowserValidation(page) {
  return page.evaluate(() => { document.querySelector('form.intake-form').noValidate = true; });
}

const standinState = info => fetch(info.standin + '/__sim/state?since=0').then(r => r.json());

// What the 422 page shows about each field, read with locators (they work with JavaScript off).
async function fieldErrors(page) {
  const out = {};
  for (const div of await page.locator('.intake-field').all()) {
    const id = (await div.getAttribute('id')).replace(/^field-/, '');
    const err = div.locator('.intake-error');
    if (await err.count() === 0) continue;
    const ctl = div.locator('#f-' + id);
    out[id] = {
      text: await err.textContent(),
      errId: await err.getAttribute('id'),
      invalid: await ctl.getAttribute('aria-invalid'),
      describedby: (await ctl.getAttribute('aria-describedby') || '').split(/\s+/),
    };
  }
  return out;
}

async function checkInvalidPage(page, resp, typed) {
  same(resp.status(), 422, 'status of the post with errors');
  same(new URL(page.url()).pathname, FORM, 'URL of the 422 page');
  const summary = page.locator('.intake-error-summary');
  same(await summary.count(), 1, 'error summaries');
  same(await summary.getAttribute('role'), 'alert', 'role of the summary');
  const links = await summary.locator('a').evaluateAll(a => a.map(x => x.getAttribute('href')));
  same(links, ['#f-requester_name', '#f-requester_email'], 'summary links');
  const errs = await fieldErrors(page);
  same(Object.keys(errs), ['requester_name', 'requester_email'], 'fields with an error');
  // Every invalid control shows the error state, whatever its type (a text or
  // email input once lost to a more specific rule): a 2px border in --error.
  const looks = await page.locator('.intake-form [aria-invalid="true"]').evaluateAll(ns => ns.map(n => {
    const cs = getComputedStyle(n);
    const probe = document.createElement('span');
    probe.style.color = 'var(--error)';
    n.parentNode.appendChild(probe);
    const want = getComputedStyle(probe).color;
    probe.remove();
    return { id: n.id, width: cs.borderTopWidth, color: cs.borderTopColor, want };
  }));
  check(looks.length >= 2, 'invalid controls: ' + JSON.stringify(looks));
  for (const l of looks)
    check(l.width === '2px' && l.color === l.want, `${l.id} does not look invalid: ${JSON.stringify(l)}`);
  for (const [k, e] of Object.entries(errs)) {
    check(e.text && e.text.trim().length > 0, k + ': empty error');
    same(e.invalid, 'true', k + ' aria-invalid');
    check(e.describedby.includes(e.errId), `${k} aria-describedby ${e.describedby} lacks ${e.errId}`);
    // The error sits after the label, before the control (next to its field).
    const order = await page.locator('#field-' + k + ' > *').evaluateAll(n => n.map(x => x.tagName + '.' + x.className));
    check(order.indexOf('P.intake-error') === order.findIndex(x => x.startsWith('P.intake-error'))
      && order[0].startsWith('LABEL'), k + ' layout ' + order);
  }
  // Every value is kept.
  for (const k of ['requester_name', 'requester_email', 'description', 'needed_by', 'asset_tag'])
    same(await page.locator('#f-' + k).inputValue(), typed[k], k + ' kept');
  for (const k of ['department', 'location', 'category', 'priority'])
    same(await valueOf(page, k), typed[k], k + ' kept');
  const checked = [];
  for (const box of await page.locator('#field-accessories input[type=checkbox]').all())
    if (await box.isChecked()) checked.push(await box.getAttribute('value'));
  same(checked, typed.accessories, 'accessories kept');
}

async function checkReceipt(page, resp, info, before) {
  same(resp.status(), 200, 'status of the receipt');
  const u = new URL(page.url());
  same(u.pathname, FORM + '/receipt', 'landed on');
  const ref = u.searchParams.get('ref');
  check(ref && ref.length > 0, 'no ?ref= in ' + page.url());
  const text = await page.locator('main').textContent();
  check(text.includes(ref), `the receipt does not show the reference ${ref}: ${text.trim().slice(0, 300)}`);
  const st = await standinState(info);
  same(st.instances.length, before + 1, 'instances started');
  return { ref, st };
}

// ---- the tests ---------------------------------------------------------------

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('form: fill every field (checkboxes, a file), send, land on the receipt with the reference', async ({ ctx, info }) => {
  const { page, resp } = await openForm(ctx);
  same(resp.headers()['cache-control'], 'no-store', 'Cache-Control of the form');
  check(/default-src 'none'/.test(resp.headers()['content-security-policy'] || ''), 'no strict CSP on the form');
  await save('form', resp);
  const before = (await standinState(info)).instances.length;
  const typed = await fill(page);
  const r = await submit(page);
  const { st } = await checkReceipt(page, r, info, before);
  await save('receipt', r);
  const inst = st.instances[st.instances.length - 1];
  const values = JSON.stringify(inst.values);
  // A browser sends a textarea's line breaks as CRLF.
  for (const k of ['requester_name', 'description', 'requester_email', 'asset_tag'])
    check(values.includes(JSON.stringify(typed[k].replace(/\n/g, '\r\n')).slice(1, -1)), `the request lacks ${k}: ${values.slice(0, 300)}`);
  check(st.uploads.some(u => u.name === FILE.name && u.size === FILE.buffer.length),
    'upload not stored: ' + JSON.stringify(st.uploads));
  // Back and reload of the receipt posts nothing again.
  await page.reload();
  same((await standinState(info)).instances.length, before + 1, 'instances after reloading the receipt');
  clean(page);
});

test('form: a post with errors (browser checks off) comes back 422 with the summary, each error at its field and the values kept', async ({ ctx, info }) => {
  const { page } = await openForm(ctx);
  const before = (await standinState(info)).instances.length;
  await noBrowserValidation(page);
  const typed = await fill(page, { requester_name: 'A', requester_email: 'not-an-email' });
  const r = await submit(page);
  await checkInvalidPage(page, r, typed);
  await save('invalid', r);
  // The summary's links move focus to their field.
  await page.locator('.intake-error-summary a[href="#f-requester_email"]').click();
  same(await page.evaluate(() => document.activeElement.id), 'f-requester_email', 'focus after the summary link');
  same((await standinState(info)).instances.length, before, 'instances after a post with errors');
  // Corrected, the same page sends.
  await page.locator('#f-requester_name').fill('Al');
  await page.locator('#f-requester_email').fill('al@example.com');
  await page.locator('#f-attachment').setInputFiles(FILE);
  page.loadedAt = 0;
  const ok = await submit(page);
  await checkReceipt(page, ok, info, before);
  clean(page);
});

test('form without JavaScript: the 422 page and then the receipt', async ({ browser, info }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  try {
    ctx.setDefaultTimeout(20000);
    const page = await ctx.newPage();
    page.intake = info.intake;
    // No script can run: the browser's constraints are taken off the HTML on its way in.
    await page.route(u => u.pathname === FORM, async route => {
      if (route.request().method() !== 'GET') return route.continue();
      const resp = await route.fetch({ maxRedirects: 0 });
      const html = (await resp.text()).replace('<form class="intake-form"', '<form novalidate class="intake-form"');
      return route.fulfill({ response: resp, body: html, headers: { ...resp.headers() } });
    });
    const resp = await page.goto(info.intake + FORM);
    same(resp.status(), 200, 'GET the form');
    page.loadedAt = Date.now();
    const before = (await standinState(info)).instances.length;
    const typed = await fill(page, { requester_name: 'A', requester_email: 'not-an-email' });
    const r = await submit(page);
    await checkInvalidPage(page, r, typed);
    await page.locator('#f-requester_name').fill('Al');
    await page.locator('#f-requester_email').fill('al@example.com');
    await page.locator('#f-attachment').setInputFiles(FILE);
    page.loadedAt = 0;
    const ok = await submit(page);
    await checkReceipt(page, ok, info, before);
  } finally {
    await ctx.close();
  }
});

test('form JSON mode: 422 {"errors":[…]} then 201 {"instance_sid","reference"}', async ({ ctx, info }) => {
  const { page } = await openForm(ctx);
  const token = await page.locator('input[name=_token]').inputValue();
  await page.waitForTimeout(1100);
  const post = fields => page.request.post(info.intake + FORM, {
    headers: { Accept: 'application/json', Origin: info.intake }, multipart: { _token: token, ...fields },
  });
  const bad = await post({ requester_name: 'A', requester_email: 'x' });
  same(bad.status(), 422, 'status of a JSON post with errors');
  const errs = (await bad.json()).errors;
  check(Array.isArray(errs) && errs.every(e => e.field && e.code && e.message), 'errors: ' + JSON.stringify(errs));
  check(errs.some(e => e.field === 'requester_name') && errs.some(e => e.field === 'requester_email'), 'errors: ' + JSON.stringify(errs));
  const v = { ...GOOD };
  delete v.accessories;
  const good = await post({ ...v, attachment: FILE });
  same(good.status(), 201, 'status of a good JSON post');
  const body = await good.json();
  check(body.instance_sid && body.reference, 'body: ' + JSON.stringify(body));
});

// ---- fetch-submit: www/intake-form.js on form[data-intake-submit] --------------

// The field name -> Integrify key of each field, from the form's own file.
const KEYS = Object.fromEntries([...fs.readFileSync(path.join(SRC, 'conf/forms/it-request.conf'), 'utf8')
  .matchAll(/^\[field:(\w+)\][^[]*?^key = (\S+)/gms)].map(m => [m[1], m[2]]));

const isPost = r => r.method() === 'POST' && new URL(r.url()).pathname === FORM;

// The form page as intake sends it (it opts in to fetch-submit itself),
// recording CSP violations (the securitypolicyviolation event as well as the
// console) and console errors.
async function openFetchForm(ctx) {
  const page = await watchedPage(ctx);
  page.consoleErrors = [];
  page.on('console', m => {
    if (m.type() !== 'error') return;
    // Chromium asks for /favicon.ico on its own (intake has none): not the page's doing.
    const u = (m.location() && m.location().url) || '';
    if (/\/favicon\.ico$/.test(u)) return;
    page.consoleErrors.push(m.text() + (u ? ' (' + u + ')' : ''));
  });
  await page.addInitScript(() => {
    window.intakeTestCSP = [];
    document.addEventListener('securitypolicyviolation', e =>
      window.intakeTestCSP.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
  });
  const resp = await page.goto(page.intake + FORM);
  check(resp && resp.status() === 200, `GET ${FORM}: ${resp && resp.status()}`);
  page.loadedAt = Date.now();
  const html = await resp.text();
  check(/<script src="\/static\/[^/"]+\/intake-form\.js" defer><\/script>/.test(html), 'the form page does not load /static/VERSION/intake-form.js');
  check(/<form class="intake-form"[^>]* data-intake-submit[ >]/.test(html), 'the form page\'s form has no data-intake-submit');
  check(await page.evaluate(() => typeof window.IntakeForm === 'object' && typeof window.IntakeForm.enhance === 'function'),
    'intake-form.js did not run on the form page (or has no IntakeForm.enhance)');
  // Set on this document: still there afterwards means no page was loaded.
  await page.evaluate(() => { window.intakeTestStayed = true; });
  return page;
}

// Click the submit button; nothing to wait for, the page stays.
async function clickSend(page) {
  // Forms sent faster than a second after they were served are refused as bots.
  const wait = 1100 - (Date.now() - page.loadedAt);
  if (wait > 0) await page.waitForTimeout(wait);
  await page.locator('form.intake-form button[type=submit]').click();
}

async function stayed(page, what) {
  check(await page.evaluate(() => window.intakeTestStayed === true), `${what}: the browser loaded another page (${page.url()})`);
  same(new URL(page.url()).pathname, FORM, `${what}: URL`);
}

async function focusedIs(page, selector, what) {
  const got = await page.evaluate(s => {
    const a = document.activeElement;
    return a && a.matches(s) ? true : a ? a.outerHTML.slice(0, 120) : null;
  }, selector);
  check(got === true, `${what}: focus should be on ${selector}, is on ${got}`);
}

// The summary as a person reads it: its heading, its paragraph, its links.
async function summaryText(page) {
  return page.locator('.intake-error-summary').evaluateAll(ss => ss.map(s => ({
    role: s.getAttribute('role'),
    heading: s.querySelector('h2') && s.querySelector('h2').textContent,
    text: s.querySelector('p') && s.querySelector('p').textContent,
    items: [...s.querySelectorAll('li')].map(li => [li.querySelector('a') && li.querySelector('a').getAttribute('href'), li.textContent]),
  })));
}

// No CSP violation, no script error, no console error but the ones expected.
async function cleanFetch(page, expected = []) {
  const v = await page.evaluate(() => window.intakeTestCSP);
  check(Array.isArray(v), 'the securitypolicyviolation recorder is gone: the page was reloaded');
  check(v.length === 0, 'securitypolicyviolation events:\n      ' + v.join('\n      '));
  const errs = page.consoleErrors.filter(t => !expected.some(re => re.test(t)));
  check(errs.length === 0, 'console errors:\n      ' + errs.join('\n      '));
  clean(page);
}

// The answers kept after a failed send.
async function checkKept(page, typed) {
  for (const k of ['requester_name', 'requester_email', 'description', 'needed_by', 'asset_tag', 'department', 'location', 'category', 'priority'])
    same(await valueOf(page, k), typed[k], k + ' kept');
}

test('fetch-submit: errors in place, read as the server\'s 422 page; fixed, the receipt in place; one request started; axe clean; no CSP violation', async ({ ctx, info }) => {
  const BAD = { requester_name: '', requester_email: 'not-an-email' };
  // The server's own 422 page for the same answers: what fetch-submit must look and read like.
  const { page: plain } = await openForm(ctx);
  await noBrowserValidation(plain);
  await fill(plain, BAD, { file: false });
  same((await submit(plain)).status(), 422, 'status of the plain post with errors');
  const wantFields = await fieldErrors(plain), wantSummary = await summaryText(plain);
  await plain.close();

  const page = await openFetchForm(ctx);
  await noBrowserValidation(page);
  const before = (await standinState(info)).instances.length;
  const typed = await fill(page, BAD);

  // Each post is held until the test lets it go: meanwhile the form must be
  // busy, its button disabled, and another submit must send nothing.
  // A post nobody waits for (a double submission) goes straight on, to be counted.
  const posts = [];
  let arrived = null, release;
  await page.route(u => u.pathname === FORM, async route => {
    if (route.request().method() !== 'POST') return route.fallback();
    posts.push(route.request());
    if (arrived) {
      const a = arrived;
      arrived = null;
      a();
      await new Promise(r => { release = r; });
    }
    return route.continue();
  });
  const held = () => new Promise(r => { arrived = r; });

  // 1. With errors: the 422 shown in place.
  let onItsWay = held();
  let answer = page.waitForResponse(r => isPost(r.request()));
  await clickSend(page);
  await onItsWay;
  same(await page.locator('form.intake-form').getAttribute('aria-busy'), 'true', 'aria-busy on the form while sending');
  check(await page.locator('form.intake-form button[type=submit]').isDisabled(), 'the submit button is enabled while sending');
  await page.evaluate(() => document.querySelector('form.intake-form').requestSubmit());
  release();
  const bad = await answer;
  same(bad.status(), 422, 'status of the fetch post with errors');
  same(bad.request().headers()['accept'], 'application/json', 'Accept of the fetch post');
  const errors = (await bad.json()).errors;
  await page.locator('.intake-error-summary').first().waitFor();
  same(posts.length, 1, 'posts after a second submit while sending');
  await stayed(page, 'after the post with errors');
  await checkInvalidPage(page, bad, typed);       // as for the server's own 422 page
  for (const e of errors)
    same(await page.locator(`#f-${e.field}-error`).textContent(), e.message, `error text of ${e.field}`);
  same(await fieldErrors(page), wantFields, 'the errors at their fields, against the server\'s 422 page');
  same(await summaryText(page), wantSummary, 'the summary, against the server\'s 422 page');
  await focusedIs(page, '.intake-error-summary', 'after the post with errors');
  same(await page.locator('form.intake-form').getAttribute('aria-busy'), null, 'aria-busy after the answer');
  check(await page.locator('form.intake-form button[type=submit]').isEnabled(), 'the submit button stays disabled after the 422');
  await axe(page, 'the form with fetch-submit\'s errors');
  SAVED['fetch-invalid'] = await page.content();
  same((await standinState(info)).instances.length, before, 'instances after the post with errors');

  // 2. Fixed: the receipt in place of the form.
  await page.locator('#f-requester_name').fill('Al');
  await page.locator('#f-requester_email').fill('al@example.com');
  typed.requester_name = 'Al';
  typed.requester_email = 'al@example.com';
  onItsWay = held();
  answer = page.waitForResponse(r => isPost(r.request()));
  await clickSend(page);
  await onItsWay;
  same(await summaryText(page), [], 'the summary while sending again (old errors cleared)');
  same(await page.locator('p.intake-error').count(), 0, 'field errors while sending again (old errors cleared)');
  release();
  const good = await answer;
  check([200, 201, 202].includes(good.status()), 'status of the good fetch post: ' + good.status());
  const body = await good.json();
  check(body.status && body.reference, 'the answer lacks status or reference: ' + JSON.stringify(body));
  const receipt = page.locator('p.intake-receipt[role=status]');
  await receipt.waitFor();
  await stayed(page, 'after the good post');
  same(posts.length, 2, 'posts in all');
  const text = await receipt.textContent();
  check(text.includes(body.reference), `the receipt does not name the reference ${body.reference}: ${text}`);
  if (body.status === 'started') check(/was sent/.test(text), 'the receipt of a started request: ' + text);
  await focusedIs(page, 'p.intake-receipt', 'after the good post');
  same(await page.locator('form.intake-form, .intake-error-summary, p.intake-error').count(), 0, 'form and errors left after the receipt');
  const st = await standinState(info);
  same(st.instances.length, before + 1, 'instances started');
  const inst = st.instances[st.instances.length - 1];
  for (const k of ['requester_name', 'requester_email', 'description', 'asset_tag', 'department', 'location', 'category', 'priority', 'needed_by'])
    same(inst.values[KEYS[k]], k === 'description' ? typed[k].replace(/\n/g, '\r\n') : typed[k], `the request's ${k} (${KEYS[k]})`);
  check(inst.files.some(f => f.name === FILE.name && f.size === FILE.buffer.length),
    'the file is not on the request: ' + JSON.stringify(inst.files));
  await axe(page, 'fetch-submit\'s receipt');
  SAVED['fetch-receipt'] = await page.content();
  await cleanFetch(page, [/Failed to load resource: the server responded with a status of 422/]);
});

test('fetch-submit: a refusal, a rate limit and a network failure in the summary with the answers kept; queued and held receipts', async ({ ctx, info }) => {
  const page = await openFetchForm(ctx);
  const typed = await fill(page, {}, { file: false });
  const summaryIs = async (text, what) => {
    await page.locator('.intake-error-summary').waitFor();
    same(await summaryText(page), [{ role: 'alert', heading: null, text, items: [] }], what + ': the summary');
    await focusedIs(page, '.intake-error-summary', what);
    await stayed(page, what);
    await checkKept(page, typed);
    check(await page.locator('form.intake-form button[type=submit]').isEnabled(), what + ': the submit button stays disabled');
    same(await page.locator('form.intake-form').getAttribute('aria-busy'), null, what + ': aria-busy');
  };

  // A token the server does not accept: its 403 message.
  const token = page.locator('input[name=_token]');
  const real = await token.inputValue();
  await token.evaluate(el => { el.value = 'x' + el.value; });
  let answer = page.waitForResponse(r => isPost(r.request()));
  await clickSend(page);
  const refused = await answer;
  same(refused.status(), 403, 'status with a bad token');
  await summaryIs((await refused.json()).error.message, 'refused');
  await token.evaluate((el, v) => { el.value = v; }, real);

  // The rate limit (as the server words it), and no network at all.
  await page.route(u => u.pathname === FORM, route => route.request().method() !== 'POST' ? route.fallback()
    : route.fulfill({ status: 429, headers: { 'Retry-After': '42' }, contentType: 'application/json',
      body: '{"error":{"code":"rate_limited","message":"Too many requests were sent from here. Please wait and try again."}}' }));
  await clickSend(page);
  await page.locator('.intake-error-summary p', { hasText: '42 seconds' }).waitFor();
  await summaryIs('Too many requests were sent from here. Please wait and try again. You can send again in 42 seconds.', 'rate limited');
  await page.route(u => u.pathname === FORM, route => route.request().method() !== 'POST' ? route.fallback()
    : route.abort('connectionrefused'));
  await clickSend(page);
  await page.locator('.intake-error-summary p', { hasText: 'Could not reach' }).waitFor();
  await summaryIs('Could not reach the server; your answers are kept, please try again.', 'network failure');
  await cleanFetch(page, [/status of 403/, /status of 429/, /ERR_CONNECTION_REFUSED/]);
  await page.close();

  // The receipts for the answers the server will give: queued and held.
  for (const [status, words] of [['queued', /received and will be sent to the service desk shortly/], ['held', /a member of staff will pass it on/]]) {
    const p = await openFetchForm(ctx);
    await fill(p, {}, { file: false });
    await p.route(u => u.pathname === FORM, route => route.request().method() !== 'POST' ? route.fallback()
      : route.fulfill({ status: 202, contentType: 'application/json', body: JSON.stringify({ status, reference: 'REF-' + status, request_id: '4711' }) }));
    await clickSend(p);
    const receipt = p.locator('p.intake-receipt[role=status]');
    await receipt.waitFor();
    const text = await receipt.textContent();
    // The request ID is named once a request is started, as on the page without JavaScript.
    check(words.test(text) && text.includes('REF-' + status) && !text.includes('4711'), `the ${status} receipt: ${text}`);
    await focusedIs(p, 'p.intake-receipt', status);
    await cleanFetch(p);
    await p.close();
  }
});

// Screenshots people can look at in review: the form, its error state and the
// receipt, at a desktop and a phone width, saved under the build directory
// (INTAKE_ARTIFACTS, else build/screenshots) as CI artifacts.
test('screenshots: the form, the error state and the receipt at 1280 and 390 pixels wide', async ({ ctx, info }) => {
  const dir = process.env.INTAKE_ARTIFACTS || path.join(SRC, 'build', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  for (const width of [1280, 390]) {
    const { page } = await openForm(ctx);
    await page.setViewportSize({ width, height: 900 });
    const shot = async (what) => {
      const file = path.join(dir, `form-${what}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      const png = fs.readFileSync(file);
      check(png.length > 1000 && png.readUInt32BE(16) === width, `${file}: not a ${width}px wide PNG`);
      console.log('# screenshot ' + file);
    };
    await shot('empty');
    await noBrowserValidation(page);
    await fill(page, { requester_name: 'A', requester_email: 'not-an-email' });
    const bad = await submit(page);
    same(bad.status(), 422, 'status of the post with errors');
    await shot('errors');
    // Nothing wider than the viewport: the phone width needs no sideways scrolling.
    same(await page.evaluate(() => document.documentElement.scrollWidth), width, 'page width');
    await page.locator('#f-requester_name').fill('Al');
    await page.locator('#f-requester_email').fill('al@example.com');
    await page.locator('#f-attachment').setInputFiles(FILE);
    page.loadedAt = 0;
    const ok = await submit(page);
    check(ok.status() === 200 || ok.status() === 201, 'receipt status ' + ok.status());
    await shot('receipt');
    clean(page);
    await page.close();
  }
});

test('axe-core: no violations on the form, the 422 page and the receipt', async ({ ctx }) => {
  const { page } = await openForm(ctx);
  await axe(page, 'the form');
  await noBrowserValidation(page);
  await fill(page, { requester_name: 'A', requester_email: 'not-an-email' });
  const r = await submit(page);
  same(r.status(), 422, 'status');
  await axe(page, 'the 422 page');
  await page.locator('#f-requester_name').fill('Al');
  await page.locator('#f-requester_email').fill('al@example.com');
  page.loadedAt = 0;
  same((await submit(page)).status(), 200, 'status of the receipt');
  await axe(page, 'the receipt');
  clean(page);
});

test('intake-form.js is served by nginx, at the versioned URL the form names, cached for a year, and free of eval, inline styles and HTML parsing', async ({ info }) => {
  const page = await (await fetch(info.intake + FORM)).text();
  const m = /<script src="(\/static\/[^/"]+\/intake-form\.js)"/.exec(page);
  check(m, 'the form page names no /static/VERSION/intake-form.js');
  const r = await fetch(info.intake + m[1]);
  same(r.status, 200, 'GET ' + m[1]);
  check(/javascript/.test(r.headers.get('content-type') || ''), 'Content-Type of ' + m[1] + ': ' + r.headers.get('content-type'));
  check(/max-age=31536000/.test(r.headers.get('cache-control') || '') && /immutable/.test(r.headers.get('cache-control') || ''),
    'Cache-Control of ' + m[1] + ': ' + r.headers.get('cache-control'));
  const src = await r.text();
  same(src, fs.readFileSync(path.join(SRC, 'www/intake-form.js'), 'utf8'), 'the script nginx serves');
  for (const bad of [/\beval\s*\(/, /new\s+Function/, /innerHTML/, /outerHTML/, /insertAdjacentHTML/, /\.style\b/, /document\.write/, /setAttribute\(\s*['"]style/])
    check(!bad.test(src), 'intake-form.js matches ' + bad);
});

// ---- cascading fields, the combobox and fixed choices -------------------------

// The demo's lists, from the stand-in's fixture: locations of a region (all
// when none), regions as [code, label].
function lists(info) {
  const fx = JSON.parse(fs.readFileSync(info.fixture, 'utf8'));
  const rows = name => fx.reports.find(r => r.name === name).rows;
  return {
    locations: region => rows('Locations').filter(r => !region || r[3] === region),
    regions: rows('Regions'),
  };
}

// The fold of search text, as intake folds it (lib/util/fold.c).
const fold = s => s.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();

// The values of a select's options, without "Choose…".
const optionValues = (page, sel) => page.$$eval(sel + ' option', os => os.map(o => o.value).filter(Boolean));

// Wait until the location select holds n options (its list followed the region).
const locationsAre = (page, n) => page.waitForFunction(k =>
  document.querySelectorAll('#f-location option:not([value=""])').length === k, n);

test('cascade with JavaScript: the location combobox follows the region, keyboard only; axe clean', async ({ ctx, info }) => {
  const L = lists(info);
  const page = await openFetchForm(ctx);
  const input = page.locator('#f-location-combobox');
  await input.waitFor();
  same(await page.$eval('#f-location', s => s.hidden && s.form !== null), true, 'the select is hidden, in the form');
  same(await page.$eval('label[for="f-location-combobox"]', l => l.firstChild.textContent.trim()), 'Location', 'the label names the combobox');
  // No region yet: the whole list, as the page came.
  same(await optionValues(page, '#f-location'), L.locations().map(r => r[0]), 'locations before a region');

  await page.locator('#f-region').selectOption('EMEA');
  await locationsAre(page, L.locations('EMEA').length);
  same(await optionValues(page, '#f-location'), L.locations('EMEA').map(r => r[0]), 'the locations of EMEA');
  // Keyboard only from here: Tab from the region reaches the combobox.
  await page.locator('#f-region').focus();
  await page.keyboard.press('Tab');
  same(await page.evaluate(() => document.activeElement.id), 'f-location-combobox', 'Tab reaches the combobox');
  await page.keyboard.type('zur');
  const want = L.locations('EMEA').filter(r => fold(r[1]).includes('zur'));
  check(want.length > 0, 'the fixture has no Zürich in EMEA');
  await page.waitForFunction(n => document.querySelectorAll('#f-location-listbox [role=option]').length === n, want.length);
  same(await page.$$eval('#f-location-listbox [role=option]', ns => ns.map(n => n.textContent)), want.map(r => r[1]), 'zur finds Zürich, in EMEA');
  same(await input.getAttribute('aria-expanded'), 'true', 'aria-expanded while the list shows');
  await axe(page, 'the open location combobox');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  same(await page.$eval('#f-location', s => s.value), want[0][0], 'the picked location');
  same(await input.inputValue(), want[0][1], 'the combobox shows its label');

  // Another region does not offer it: the location is cleared, and the search follows.
  await page.locator('#f-region').selectOption('AMER');
  await locationsAre(page, L.locations('AMER').length);
  same(await page.$eval('#f-location', s => s.value), '', 'the location after AMER');
  same(await input.inputValue(), '', 'the combobox after AMER');
  await input.focus();
  await page.keyboard.type('zur');
  await page.locator('#f-location-listbox .intake-listbox-empty').waitFor();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  const sao = L.locations('AMER').filter(r => fold(r[1]).includes('sao'));
  await page.keyboard.type('sao');
  await page.waitForFunction(n => document.querySelectorAll('#f-location-listbox [role=option]').length === n, sao.length);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  same(await page.$eval('#f-location', s => s.value), sao[0][0], 'sao finds São Paulo, in AMER');
  // No region again: the whole list, and the location is kept.
  await page.locator('#f-region').selectOption('');
  await locationsAre(page, L.locations().length);
  same(await page.$eval('#f-location', s => s.value), sao[0][0], 'the location kept without a region');
  same(await input.inputValue(), sao[0][1], 'the combobox kept');
  await axe(page, 'the form after the cascade');
  await cleanFetch(page);
});

test('cascade without JavaScript: locations grouped by region; a location of another region refused (422), the right pair sent', async ({ browser, info }) => {
  const L = lists(info);
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  try {
    ctx.setDefaultTimeout(20000);
    const page = await ctx.newPage();
    page.intake = info.intake;
    same((await page.goto(info.intake + FORM)).status(), 200, 'GET the form');
    page.loadedAt = Date.now();
    check(await page.locator('#f-location').isVisible(), 'the location is a visible native select');
    same(await page.locator('#f-location-combobox').count(), 0, 'comboboxes without JavaScript');
    const groups = await page.$$eval('#f-location optgroup', gs => gs.map(g =>
      [g.label, [...g.querySelectorAll('option')].map(o => o.value)]));
    same(groups, L.regions.map(([code, label]) => [label, L.locations(code).map(r => r[0])]), 'the optgroups');
    const before = (await standinState(info)).instances.length;
    // Zürich is in EMEA, not in the Americas.
    const typed = await fill(page, { region: 'AMER', location: 'ZRH-01' });
    const bad = await submit(page);
    same(bad.status(), 422, 'status of a location of another region');
    same(await page.locator('#f-location-error').textContent(), 'Choose one of the listed options.', 'the location\'s error');
    same(await page.locator('#f-location').getAttribute('aria-invalid'), 'true', 'aria-invalid on the location');
    same(await page.locator('.intake-error-summary a').evaluateAll(a => a.map(x => x.getAttribute('href'))), ['#f-location'], 'the summary');
    for (const k of ['region', 'location', 'priority']) same(await valueOf(page, k), typed[k], k + ' kept');
    same((await standinState(info)).instances.length, before, 'instances after the refused pair');
    await page.locator('#f-region').selectOption('EMEA');
    await page.locator('#f-attachment').setInputFiles(FILE);
    page.loadedAt = 0;
    const ok = await submit(page);
    const { st } = await checkReceipt(page, ok, info, before);
    const v = st.instances[st.instances.length - 1].values;
    same([v[KEYS.region], v[KEYS.location], v[KEYS.priority]], ['EMEA', 'ZRH-01', 'P2'], 'region, location and priority sent');
  } finally {
    await ctx.close();
  }
});

test('radio group: a fieldset with a legend, required by the browser and the server, its error at the group; axe clean', async ({ ctx, info }) => {
  const { page } = await openForm(ctx);
  const group = page.getByRole('group', { name: 'Priority' });
  same(await group.locator('input[type=radio]').count(), 4, 'radio buttons in the Priority group');
  same(await valueOf(page, 'priority'), 'P3', 'the default');
  check(await page.getByRole('radio', { name: 'Critical – business stopped' }).isVisible(), 'a radio named by its label');
  await fill(page, {}, { file: false });
  await page.evaluate(() => document.querySelectorAll('input[name=priority]').forEach(r => { r.checked = false; }));
  same(await page.evaluate(() => document.querySelector('input[name=priority]').validity.valueMissing), true, 'the browser: none chosen is missing');
  await noBrowserValidation(page);
  const before = (await standinState(info)).instances.length;
  const r = await submit(page);
  same(r.status(), 422, 'status with no priority');
  same(await page.locator('#f-priority-error').textContent(), 'Please fill in this field.', 'the group\'s error');
  check((await page.locator('#field-priority fieldset').getAttribute('aria-describedby')).split(' ').includes('f-priority-error'), 'the fieldset is not described by its error');
  same(await page.locator('#field-priority input[aria-invalid="true"]').count(), 4, 'radio buttons in the error state');
  same(await page.locator('.intake-error-summary a').evaluateAll(a => a.map(x => x.getAttribute('href'))), ['#f-priority-1'], 'the summary links to the first button');
  await axe(page, 'the 422 page of a radio group');
  // Keyboard: the summary's link moves to the group; arrows choose within it.
  await page.locator('.intake-error-summary a').click();
  same(await page.evaluate(() => document.activeElement.id), 'f-priority-1', 'focus after the summary link');
  await page.keyboard.press('ArrowDown');
  same(await valueOf(page, 'priority'), 'P3', 'ArrowDown chose the next button');
  page.loadedAt = 0;
  const ok = await submit(page);
  const { st } = await checkReceipt(page, ok, info, before);
  same(st.instances[st.instances.length - 1].values[KEYS.priority], 'P3', 'the priority sent');
  clean(page);
});

// A German browser: the page, the errors intake-form.js shows and its receipt,
// all in German, from the server's catalog (data-w-* and the 422's messages).
test('German (de-CH browser): the page, fetch-submit\'s errors and its receipt in German', async ({ browser, info }) => {
  const ctx = await browser.newContext({ locale: 'de-CH' });
  try {
    ctx.setDefaultTimeout(20000);
    ctx.on('page', p => { p.intake = info.intake; });
    const page = await openFetchForm(ctx);
    same(await page.getAttribute('html', 'lang'), 'de', '<html lang>');
    await noBrowserValidation(page);
    // The combobox's words come from the page too (data-w-* on the form).
    const combo = page.locator('#f-location-combobox');
    await combo.focus();
    await page.keyboard.type('qxzqxz');
    await page.locator('#f-location-listbox .intake-listbox-empty').waitFor();
    same(await page.locator('#f-location-listbox .intake-listbox-empty').textContent(), 'Keine Treffer', 'an empty search');
    await combo.fill('');
    await page.waitForFunction(() => document.querySelectorAll('#f-location-listbox [role=option]').length > 0);
    await page.keyboard.press('Escape');
    await page.locator('#f-location-listbox').waitFor({ state: 'hidden' });
    await fill(page, { requester_name: 'A', requester_email: 'not-an-email' });
    await clickSend(page);
    await page.locator('.intake-error-summary h2').waitFor();
    same(await page.locator('.intake-error-summary h2').textContent(), 'Bitte korrigieren Sie Folgendes', 'the summary\'s heading');
    same(await page.locator('#f-requester_email-error').textContent(),
      'Geben Sie eine E-Mail-Adresse wie name@example.com ein.', 'the email\'s error');
    check((await page.title()).startsWith('Fehler: '), 'the title: ' + await page.title());
    await page.locator('#f-requester_name').fill('Al');
    await page.locator('#f-requester_email').fill('al@example.com');
    await clickSend(page);
    await page.locator('p.intake-receipt').waitFor();
    check(/^Vielen Dank\. Ihre Anfrage wurde .* Ihre Referenz ist [A-Z0-9-]+\./.test(await page.locator('p.intake-receipt').textContent()),
      'the receipt: ' + await page.locator('p.intake-receipt').textContent());
    same(await page.locator('main p a').last().textContent(), 'Weitere Anfrage senden', 'the link to a fresh form');
    await stayed(page, 'German fetch-submit');
    await cleanFetch(page, [/Failed to load resource: the server responded with a status of 422/]);
  } finally {
    await ctx.close();
  }
});

test('W3C Nu HTML checker: no errors on the form, the 422 page, the receipt and the pages fetch-submit left', async ({ workdir }) => {
  const java = process.env.JAVA || 'java';
  check(fs.existsSync(VNU), 'no ' + VNU + ': run scripts/deps.sh --tests');
  same(Object.keys(SAVED).sort(), ['fetch-invalid', 'fetch-receipt', 'form', 'invalid', 'receipt'], 'pages saved by the tests above');
  const files = Object.entries(SAVED).map(([name, html]) => {
    const f = path.join(workdir, name + '.html');
    fs.writeFileSync(f, html);
    return f;
  });
  const r = spawnSync(java, ['-jar', VNU, '--format', 'json', '--stdout', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  check(!r.error, `${java}: ${r.error && r.error.message} (Debian: apt-get install default-jre-headless)`);
  let out;
  try { out = JSON.parse(r.stdout); } catch (e) { throw new Fail('vnu printed ' + (r.stdout + r.stderr).slice(0, 500)); }
  const errors = out.messages.filter(m => m.type === 'error' || m.subType === 'fatal');
  check(errors.length === 0, 'Nu checker errors:\n      ' + errors.map(m =>
    `${path.basename(m.url || '')}:${m.lastLine}: ${m.message}\n        ${JSON.stringify((m.extract || '').slice(0, 160))}`).join('\n      '));
});

// ---- main ------------------------------------------------------------------

async function main() {
  let stack;
  try {
    stack = await startStack(['--forms-dir', path.join(SRC, 'conf/forms')]);
  } catch (e) {
    console.error('forms.mjs: ' + e.message);
    console.log('0 passed, 1 failed');
    return 1;
  }
  const info = stack.info;
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-forms-'));
  let browser, ctx, passed = 0, failed = 0;
  try {
    browser = await chromium.launch(LAUNCH);
    ctx = await browser.newContext();
    ctx.setDefaultTimeout(20000);
    ctx.on('page', p => { p.intake = info.intake; });
    ({ passed, failed } = await runTests(ctx, tests, { browser, ctx, info, workdir }));
  } catch (e) {
    failed++;
    console.log('FAIL starting Chromium: ' + e.message);
  } finally {
    if (browser) await browser.close().catch(() => {});
    const keep = failed > 0 || !!process.env.INTAKE_BROWSER_KEEP;
    await stopStack(stack.child, keep);
    if (keep) console.error('forms.mjs: kept the saved pages in ' + workdir);
    else fs.rmSync(workdir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
