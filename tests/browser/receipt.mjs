#!/usr/bin/env node
// Browser tests of the look and feel of the public form (issue 15, item 7) in
// real headless Chromium against the real stack (stack.py --forms-dir
// conf/forms): the receipt reads the same with and without JavaScript (its
// heading, sentence, "Send another request" link, no required-fields legend,
// no focus ring), the 422 page's title starts with "Error:" in both modes,
// every invalid input (number and date too) shows the error border, an
// impossible date gets its own message, and screenshots of the error state
// and the receipt sent with JavaScript at 1280 and 390 pixels wide are saved
// under build/screenshots (INTAKE_ARTIFACTS overrides), beside forms.mjs's.
//
//   node tests/browser/receipt.mjs        (after scripts/deps.sh --tests)
//
// Environment: as forms.mjs (INTAKE_SRC, INTAKE_BIN, INTAKE_BROWSER_ONLY=REGEX).
// Prints one line per test and ends with "N passed, M failed".

import fs from 'node:fs';
import path from 'node:path';

import {
  HERE, LAUNCH, loadChromium, startStack, stopStack, check, same, axe, watchedPage, clean, runTests,
} from './harness.mjs';

const SRC = process.env.INTAKE_SRC || path.join(HERE, '../..');
const FORM = '/forms/it-request';
const SCRIPT = /^\/static\/[^/]+\/intake-form\.js$/;
const SHOTS = process.env.INTAKE_ARTIFACTS || path.join(SRC, 'build', 'screenshots');

const chromium = await loadChromium('receipt.mjs');

const GOOD = {
  requester_name: 'Zoë Brun', requester_email: 'zoe@example.com', department: 'IT-010',
  location: 'ZRH-01', category: 'CAT-0645', priority: 'P2',
  description: 'A second screen for the desk by the window.', needed_by: '2027-02-28', asset_tag: '104233',
};

// The form page, with intake-form.js (js true) or with it blocked (as when it does not load).
async function open(ctx, js, width = 1280) {
  const page = await watchedPage(ctx);
  await page.setViewportSize({ width, height: 900 });
  if (!js)
    await page.route(u => SCRIPT.test(u.pathname), route =>
      route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: '' }));
  const resp = await page.goto(page.intake + FORM);
  check(resp && resp.status() === 200, `GET ${FORM}: ${resp && resp.status()}`);
  page.loadedAt = Date.now();
  same(await page.evaluate(() => typeof window.IntakeForm === 'object'), js, 'intake-form.js ran');
  // The server checks, not the browser: a date input cannot even hold 2027-02-30.
  await page.evaluate(() => {
    document.querySelector('form.intake-form').noValidate = true;
    document.querySelector('#f-needed_by').type = 'text';
  });
  return page;
}

// Choose a select's value: on a native select as a person does; on one
// intake-combobox.js made a combobox (the select hidden), through the select
// the combobox keeps its value in (forms.mjs drives the combobox itself).
async function choose(page, k, value) {
  const sel = page.locator('#f-' + k);
  if (await sel.isVisible()) return sel.selectOption(value);
  await sel.evaluate((s, val) => {
    s.value = val;
    s.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

async function fill(page, over = {}) {
  const v = { ...GOOD, ...over };
  for (const k of ['requester_name', 'requester_email', 'description', 'needed_by', 'asset_tag'])
    await page.locator('#f-' + k).fill(v[k]);
  for (const k of ['department', 'location', 'category']) await choose(page, k, v[k]);
  await page.locator(`#field-priority input[value="${v.priority}"]`).check();
}

// Send the form; without JavaScript wait for the page it lands on, with it for fetch's answer shown.
async function send(page, js, waitFor) {
  const wait = 1100 - (Date.now() - page.loadedAt);   // faster than a second is a bot's
  if (wait > 0) await page.waitForTimeout(wait);
  const button = page.locator('form.intake-form button[type=submit]');
  if (!js) {
    const [resp] = await Promise.all([page.waitForNavigation(), button.click()]);
    return resp.status();
  }
  await button.click();
  await page.locator(waitFor).first().waitFor();
  return 0;
}

async function shot(page, what, width) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `form-${what}-${width}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const png = fs.readFileSync(file);
  check(png.length > 1000 && png.readUInt32BE(16) === width, `${file}: not a ${width}px wide PNG`);
  console.log('# screenshot ' + file);
}

// What a person sees of the receipt, with the reference and request ID made generic.
async function receiptSeen(page) {
  const r = await page.evaluate(() => {
    const p = document.querySelector('p.intake-receipt');
    const a = p && p.nextElementSibling && p.nextElementSibling.querySelector('a');
    if (p) p.focus();       // where the script puts focus; no ring either way
    const cs = p && getComputedStyle(p);
    return {
      title: document.title, h1: document.querySelector('h1').textContent,
      role: p && p.getAttribute('role'), text: p && p.textContent,
      link: a && [a.textContent, new URL(a.href).pathname],
      outline: cs && cs.outlineStyle,
      legend: document.querySelectorAll('.intake-legend, .intake-description, form, .intake-error-summary').length,
    };
  });
  const ref = /[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(r.text || '');
  check(ref, 'the receipt names no reference: ' + r.text);
  r.text = r.text.replace(ref[0], 'REF').replace(/as request [^ ]+\./, 'as request ID.');
  return r;
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('receipt: the same page with and without JavaScript, calm, with a "send another" link', async ({ ctx }) => {
  const seen = {};
  for (const js of [false, true]) {
    const page = await open(ctx, js);
    await fill(page);
    const status = await send(page, js, 'p.intake-receipt');
    if (!js) same(status, 200, 'status of the receipt page');
    seen[js] = await receiptSeen(page);
    if (js) {
      const focused = await page.evaluate(() => document.activeElement.className);
      same(focused, 'intake-receipt', 'focus after sending with JavaScript');
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await shot(page, 'receipt-js', width);
      }
    }
    await axe(page, 'the receipt ' + (js ? 'with' : 'without') + ' JavaScript');
    clean(page);
    await page.close();
  }
  const r = seen[false];
  check(/^Thank you\. Your request was sent to the service desk/.test(r.text), 'receipt sentence: ' + r.text);
  same(r.h1, 'Request sent', 'receipt heading');
  same(r.title, 'IT request: Request sent', 'receipt title');
  same(r.role, 'status', 'receipt role');
  same(r.link, ['Send another request', FORM], 'the send-another link');
  same(r.outline, 'none', 'the receipt\'s outline when focused');
  same(r.legend, 0, 'form, legend, description or summary left on the receipt');
  same(seen[true], r, 'the receipt with JavaScript, against the one without');
});

test('error state: the 422 title starts with "Error:", every invalid input is red, an impossible date is told so', async ({ ctx }) => {
  for (const js of [false, true]) {
    const page = await open(ctx, js, 1280);
    await fill(page, { requester_email: 'not-an-email', asset_tag: '5', needed_by: '2027-02-30' });
    const status = await send(page, js, '.intake-error-summary');
    if (!js) same(status, 422, 'status of the post with errors');
    const title = await page.title();
    check(title.startsWith('Error: IT request'), `title ${js ? 'with' : 'without'} JavaScript: ${title}`);
    const looks = await page.locator('.intake-form [aria-invalid="true"]').evaluateAll(ns => ns.map(n => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--error)';
      n.parentNode.appendChild(probe);
      const want = getComputedStyle(probe).color;
      probe.remove();
      const cs = getComputedStyle(n);
      return { id: n.id, type: n.type, ok: cs.borderTopWidth === '2px' && cs.borderTopColor === want };
    }));
    same(looks.map(l => l.id).sort(), ['f-asset_tag', 'f-needed_by', 'f-requester_email'], 'invalid controls');
    for (const l of looks) check(l.ok, `${l.id} (${l.type}) does not show the error state`);
    same((await page.locator('#f-needed_by-error').textContent()).trim(), 'There is no 30 February 2027.',
      'the impossible date\'s message');
    if (js) {
      await shot(page, 'errors-js', 1280);
      // Fixed and sent again: the title loses its "Error:".
      await page.locator('#f-requester_email').fill('zoe@example.com');
      await page.locator('#f-asset_tag').fill('104233');
      await page.locator('#f-needed_by').fill('2027-02-28');
      await send(page, js, 'p.intake-receipt');
      same(await page.title(), 'IT request: Request sent', 'title after the good post');
    }
    clean(page);
    await page.close();
  }
});

async function main() {
  let stack;
  try {
    stack = await startStack(['--forms-dir', path.join(SRC, 'conf/forms')]);
  } catch (e) {
    console.error('receipt.mjs: ' + e.message);
    console.log('0 passed, 1 failed');
    return 1;
  }
  const info = stack.info;
  let browser, ctx, passed = 0, failed = 0;
  try {
    browser = await chromium.launch(LAUNCH);
    ctx = await browser.newContext();
    ctx.setDefaultTimeout(20000);
    ctx.on('page', p => { p.intake = info.intake; });
    ({ passed, failed } = await runTests(ctx, tests, { browser, ctx, info }));
  } catch (e) {
    failed++;
    console.log('FAIL starting Chromium: ' + e.message);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopStack(stack.child, failed > 0 || !!process.env.INTAKE_BROWSER_KEEP);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
