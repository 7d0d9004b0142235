#!/usr/bin/env node
// Browser tests of www/intake-embed.js, the demo pages and the SSI example, in
// real headless Chromium (/usr/bin/chromium, driven by playwright-core; no
// browser download) against the real stack started by stack.py: the
// Integrify stand-in, the intake pool and nginx, plus two intranet sites on
// other origins (one listed in cors_origins, one not). Loopback only.
//
//   node tests/browser/run.mjs            (after scripts/deps.sh)
//
// Environment: INTAKE_SRC, INTAKE_BIN (as for tests/integration); INTAKE_PYTHON;
// INTAKE_BROWSER_STACK_CMD runs another command instead of stack.py (it must
// print stack.py's JSON line); CHROMIUM overrides /usr/bin/chromium;
// INTAKE_BROWSER_KEEP=1 keeps the stack's work directory.
// Prints one line per test and ends with "N passed, M failed".

import fs from 'node:fs';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';

import {
  HERE, LAUNCH, loadChromium, startStack, stopStack, Fail, check, same, axe, watchedPage, clean,
  runTests,
} from './harness.mjs';

const chromium = await loadChromium('run.mjs');

// ---- expectations from the fixture -----------------------------------------

function expected(info) {
  const fx = JSON.parse(fs.readFileSync(info.fixture, 'utf8'));
  const rep = name => fx.reports.find(r => r.name === name);
  const list = (name, v, l, where) => rep(name).rows.filter(where || (() => true))
    .map(r => ({ value: r[v], label: r[l] }));
  return {
    divisions: list('Divisions', 0, 1),
    departments: d => list('Departments', 0, 1, r => r[2] === d),
    allDepartments: list('Departments', 0, 1),
    regions: list('Regions', 0, 1),
    locations: g => list('Locations', 0, 1, r => r[3] === g),
    allLocations: list('Locations', 0, 1),
    categories: list('Request Categories', 0, 1),
    priorities: list('Priorities', 0, 1),
    assets: rep('Asset Notes'),
  };
}

// ---- helpers ---------------------------------------------------------------

const FAILED = 'Could not load the list. Try again later.';

// The options of a select as {value, label}, the placeholder ("") left out.
function options(page, sel) {
  return page.$eval(sel, s => Array.from(s.options).filter(o => o.value !== '')
    .map(o => ({ value: o.value, label: o.textContent })));
}

async function until(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last === true) return;
    } catch (e) {
      if (e instanceof Fail) last = e.message; else throw e;
    }
    if (Date.now() > end) throw new Fail(`timed out waiting for ${what}` + (typeof last === 'string' ? ': ' + last : ''));
    await new Promise(r => setTimeout(r, 50));
  }
}

// Wait until sel holds exactly `want` (placeholder aside) and is no longer busy.
async function waitList(page, sel, want, what) {
  await until(what || sel + ' to fill', async () => {
    const busy = await page.$eval(sel, s => s.getAttribute('aria-busy'));
    same(await options(page, sel), want, sel + ' options');
    check(busy === null, sel + ' still aria-busy');
    return true;
  });
}

// The accessible state next to a select: live region text, describedby, busy.
function status(page, sel) {
  return page.$eval(sel, s => {
    const live = s.nextElementSibling;
    return {
      text: live && live.classList.contains('intake-status') ? live.textContent : null,
      role: live && live.getAttribute('role'),
      describedby: (s.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean),
      liveId: live && live.id,
      busy: s.getAttribute('aria-busy'),
      error: s.classList.contains('intake-error'),
      disabled: s.disabled,
      value: s.value,
    };
  });
}

async function waitError(page, sel) {
  await until(sel + ' to show its error', async () => {
    const st = await status(page, sel);
    check(st.text === FAILED, `${sel} status text ${JSON.stringify(st.text)}`);
    check(st.role === 'status', `${sel} live region role ${st.role}`);
    check(st.describedby.includes(st.liveId), `${sel} aria-describedby ${st.describedby} lacks ${st.liveId}`);
    check(st.busy === null && st.error, `${sel} busy=${st.busy} error class=${st.error}`);
    return true;
  });
}

// A page that records CSP violations, script errors and the API requests it made.
async function open(ctx, url, { init } = {}) {
  const page = await watchedPage(ctx);
  page.requests = [];
  page.on('request', r => { if (r.url().includes('/api/')) page.requests.push(r.url()); });
  if (init) await page.addInitScript(init);
  const resp = await page.goto(url);
  check(resp && resp.ok(), `GET ${url}: ${resp && resp.status()}`);
  return page;
}

// Answer a choices request from a list, in pages as intake would.
function fulfilList(route, all, origin) {
  const u = new URL(route.request().url());
  const page = Number(u.searchParams.get('page') || 1), per = Number(u.searchParams.get('per_page') || 100);
  const items = all.slice((page - 1) * per, page * per);
  return route.fulfill({
    status: 200, contentType: 'application/json',
    headers: { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' },
    body: JSON.stringify({ source: 'x', items, page, per_page: per, total: all.length, more: page * per < all.length }),
  });
}

// ---- the tests ---------------------------------------------------------------

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('demo page: every list fills from the stand-in, placeholders first', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.intake + '/demo-choices.html');
  await waitList(page, '#division', X.divisions);
  await waitList(page, '#region', X.regions);
  await waitList(page, '#category', X.categories);
  await waitList(page, '#priority', X.priorities);
  for (const sel of ['#division', '#region', '#category']) {
    const first = await page.$eval(sel, s => [s.options[0].value, s.options[0].textContent, s.value]);
    check(first[0] === '' && /^Choose a/.test(first[1]) && first[2] === '', `${sel} placeholder ${first}`);
  }
  same((await status(page, '#priority')).value, 'P3', 'priority preselected by data-intake-value');
  for (const sel of ['#department', '#location']) {
    const st = await status(page, sel);
    check(st.disabled, sel + ' is enabled while its parent has no value');
    same(await options(page, sel), [], sel + ' options while the parent is empty');
  }
  clean(page);
});

test('demo page: labels with <>&"\' and non-ASCII are text, not markup', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.intake + '/demo-choices.html');
  await waitList(page, '#category', X.categories);
  const labels = (await options(page, '#category')).map(o => o.label);
  for (const l of ['R&D <Lab> "North"', "O'Brien's team", 'Prototype bench & <test rig>'])
    check(labels.includes(l), 'missing label ' + l);
  same(await page.$$eval('#category *:not(option)', n => n.length), 0, 'elements made from labels');
  await page.selectOption('#region', 'APAC');
  await waitList(page, '#location', X.locations('APAC'));
  check((await options(page, '#location')).some(o => o.label.startsWith('東京')), 'no 東京 location');
  clean(page);
});

test('demo page: a division loads only its departments; a new one replaces them', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.intake + '/demo-choices.html');
  await waitList(page, '#division', X.divisions);
  await page.selectOption('#division', 'Finance');
  await waitList(page, '#department', X.departments('Finance'));
  check(!(await status(page, '#department')).disabled, 'department still disabled');
  await page.selectOption('#department', X.departments('Finance')[3].value);
  await page.selectOption('#division', 'People & Culture');
  await waitList(page, '#department', X.departments('People & Culture'));
  same((await status(page, '#department')).value, '', 'department value after its division changed');
  await page.selectOption('#division', '');
  await until('department to empty and disable', async () => {
    const st = await status(page, '#department');
    same(await options(page, '#department'), [], 'department options');
    return st.disabled && st.value === '' && st.text === '';
  });
  await page.selectOption('#division', 'Finance');
  await waitList(page, '#department', X.departments('Finance'));
  same((await status(page, '#department')).value, X.departments('Finance')[3].value,
    'the department chosen before is chosen again when it is back in the list');
  clean(page);
});

test('demo page: the report table is built as text from the JSON format', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.intake + '/demo-choices.html');
  await until('the report table', async () => (await page.$$('[data-intake-report] table.intake-report')).length === 1);
  const t = await page.$eval('table.intake-report', t => ({
    caption: t.caption && t.caption.textContent,
    head: Array.from(t.tHead.rows[0].cells).map(c => [c.tagName, c.getAttribute('scope'), c.textContent]),
    rows: Array.from(t.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.textContent)),
    markup: t.querySelectorAll('tbody td *').length,
  }));
  same(t.caption, 'Asset notes', 'caption');
  same(t.head.map(h => h[2]), ['Tag', 'Description', 'Owner', 'Notes'], 'header cells');
  check(t.head.every(h => h[0] === 'TH' && h[1] === 'col'), 'header cells are not th scope=col');
  const cols = X.assets.columns.map(c => c.label);
  const want = X.assets.rows.map(r => ['Tag', 'Description', 'Owner', 'Notes'].map(c => r[cols.indexOf(c)] || ''));
  same(t.rows.slice(0, want.length), want.slice(0, t.rows.length), 'rows');
  check(t.rows.length > 0, 'no rows');
  same(t.markup, 0, 'elements made from cells');
  clean(page);
});

test('demo page: axe-core finds no violations on the filled page', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.intake + '/demo-choices.html');
  await waitList(page, '#division', X.divisions);
  await page.selectOption('#division', 'Sales');
  await waitList(page, '#department', X.departments('Sales'));
  await waitList(page, '#category', X.categories);
  await until('the report table', async () => (await page.$$('table.intake-report')).length === 1);
  await axe(page);
  clean(page);
});

test('index page links the demo pages; axe-core finds no violations', async ({ ctx, info }) => {
  const page = await open(ctx, info.intake + '/');
  const links = await page.$$eval('a', a => a.map(x => x.getAttribute('href')));
  check(links.includes('/demo-choices.html') && links.includes('/demo-ssi.html'), 'links: ' + links);
  await axe(page);
  clean(page);
});

test('allowed origin: lists fill cross-origin; data-intake-value cascades at load', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.allowed + '/embed.html');
  await waitList(page, '#division', X.divisions);
  await waitList(page, '#region', X.regions);
  same((await status(page, '#region')).value, 'APAC', 'region from data-intake-value');
  await waitList(page, '#location', X.locations('APAC'));
  same((await status(page, '#location')).value, 'SIN-01', 'location from data-intake-value');
  check(page.requests.some(u => u.startsWith(info.intake + '/api/choices/locations?') && /[?&]parent=APAC(&|$)/.test(u)),
    'no locations request with parent=APAC: ' + page.requests.join(' '));
  check(page.requests.every(u => /[?&]format=json(&|$)/.test(u) && (/\/reports\//.test(u) || /[?&]per_page=1000(&|$)/.test(u))),
    'requests without format=json&per_page=1000: ' + page.requests.join(' '));
  clean(page);
});

test('allowed origin: a selection already in the page is kept', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.allowed + '/embed.html');
  await waitList(page, '#category', X.categories);
  same((await status(page, '#category')).value, 'CAT-0010', 'category kept from <option selected>');
  await waitList(page, '#priority', X.priorities);
  same((await status(page, '#priority')).value, 'P2', 'priority from data-intake-value');
  const pri = await status(page, '#priority');
  same(pri.describedby, ['priority-hint'], 'aria-describedby of a list that loaded');
  same(pri.text, '', 'live region text of a list that loaded');
  clean(page);
});

test('allowed origin: unknown and failing lists show an accessible error', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.allowed + '/embed.html');
  await waitError(page, '#broken');
  await waitError(page, '#unknown');
  const broken = await status(page, '#broken');
  check(broken.describedby[0] === 'broken-hint', 'the page\'s own aria-describedby was dropped: ' + broken.describedby);
  same(await page.$eval('#broken', s => s.options.length), 0, 'options of a failed list');
  await waitList(page, '#division', X.divisions);
  await until('the report table', async () => (await page.$$('#assets table.intake-report')).length === 1);
  await axe(page);
  clean(page);
});

test('allowed origin: a stale answer for an old parent value is discarded', async ({ ctx, info, X }) => {
  for (const abortable of [true, false]) {
    // Without AbortController only the sequence check stands between the late
    // answer and the list.
    const page = await open(ctx, info.allowed + '/embed.html',
      { init: abortable ? undefined : () => { window.AbortController = undefined; } });
    await waitList(page, '#division', X.divisions);
    let release, seen, settled;
    const held = new Promise(r => { release = r; });
    const asked = new Promise(r => { seen = r; });
    const over = new Promise(r => { settled = r; });
    const stale = u => new URL(u).pathname === '/api/choices/departments' && new URL(u).searchParams.get('parent') === 'Finance';
    page.on('requestfinished', r => { if (stale(r.url())) settled(); });
    page.on('requestfailed', r => { if (stale(r.url())) settled(); });
    await page.route(u => stale(u.href), async route => {
      seen();
      try {
        const resp = await route.fetch();
        await held;
        await route.fulfill({ response: resp });
      } catch (e) { /* the page gave up on it: that is the point */ }
    });
    await page.selectOption('#division', 'Finance');
    await asked;
    const st = await status(page, '#department');
    check(st.busy === 'true' && st.text === 'Loading…', 'loading state: ' + JSON.stringify(st));
    same(await options(page, '#department'), [], 'department options while loading');
    await page.selectOption('#division', 'Sales');
    await waitList(page, '#department', X.departments('Sales'));
    release();
    await over;                      // the late answer reached the page (or was cancelled)
    await page.waitForTimeout(200);  // and its script had a moment to (wrongly) use it
    await waitList(page, '#department', X.departments('Sales'), 'Sales departments to stay (abortable=' + abortable + ')');
    clean(page);
    await page.close();
  }
});

test('allowed origin: a list follows "more" through every page', async ({ ctx, info }) => {
  const page = await ctx.newPage();
  const all = Array.from({ length: 2501 }, (_, i) => ({ value: 'V' + i, label: 'Item ' + i }));
  const seen = [];
  await page.route(u => u.pathname === '/api/choices/categories', route => {
    seen.push(new URL(route.request().url()).searchParams.get('page'));
    return fulfilList(route, all, info.allowed);
  });
  await page.goto(info.allowed + '/embed.html');
  await waitList(page, '#category', all);
  same(seen, ['1', '2', '3'], 'pages asked for');
  await page.close();
});

test('allowed origin: a child of a child cascades, clears and disables', async ({ ctx, info }) => {
  const page = await ctx.newPage();
  const lists = { a: [{ value: 'a1', label: 'A one' }, { value: 'a2', label: 'A two' }] };
  const byParent = (p) => [1, 2].map(n => ({ value: p + '.' + n, label: p + ' / ' + n }));
  await page.route(u => u.pathname.startsWith('/api/choices/chain-'), route => {
    const u = new URL(route.request().url());
    const list = u.pathname.endsWith('-a') ? lists.a : byParent(u.searchParams.get('parent'));
    return fulfilList(route, list, info.allowed);
  });
  await page.goto(info.allowed + '/chain.html');
  await waitList(page, '#a', lists.a);
  for (const sel of ['#b', '#c']) check((await status(page, sel)).disabled, sel + ' enabled without a parent value');
  await page.selectOption('#a', 'a2');
  await waitList(page, '#b', byParent('a2'));
  check((await status(page, '#c')).disabled, '#c enabled before #b has a value');
  await page.selectOption('#b', 'a2.1');
  await waitList(page, '#c', byParent('a2.1'));
  check(!(await status(page, '#c')).disabled, '#c still disabled');
  await page.selectOption('#a', 'a1');
  await waitList(page, '#b', byParent('a1'));
  await until('#c to empty and disable', async () => {
    const st = await status(page, '#c');
    same(await options(page, '#c'), [], '#c options');
    return st.disabled;
  });
  await page.close();
});

test('other origin (not in cors_origins): no list, an accessible error instead', async ({ ctx, info }) => {
  const page = await open(ctx, info.other + '/embed.html');
  for (const sel of ['#division', '#region', '#category', '#priority']) await waitError(page, sel);
  same(await options(page, '#division'), [], 'division options');
  same(await options(page, '#category'), [{ value: 'CAT-0010', label: 'Kept while loading' }],
    'category keeps the option the page had');
  same(await page.$$('#assets table'), [], 'report table');
  check(page.requests.some(u => u.startsWith(info.intake + '/api/choices/divisions')), 'the page did not even ask');
  clean(page);
});

test('SSI: demo-ssi.html is filled by intake\'s nginx, errors show the fallback', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.intake + '/demo-ssi.html');
  same(await options(page, '#department'), X.allDepartments, 'departments');
  same(await options(page, '#priority'), X.priorities, 'priorities');
  same((await status(page, '#priority')).value, 'P3', 'priority selected=P3');
  same(await page.$eval('#unavailable', s => Array.from(s.options).map(o => [o.value, o.textContent])),
    [['', '(list unavailable)']], 'fallback of an unknown list');
  const html = await (await page.request.get(info.intake + '/demo-ssi.html')).text();
  check(!html.includes('<!--#') && !html.includes('"error"'), 'SSI commands or a JSON error reached the browser');
  await axe(page);
  clean(page);
});

test('SSI: conf/nginx/ssi-example.conf works on another nginx', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.allowed + '/forms/ssi.html');
  same(await options(page, '#department'), X.allDepartments, 'departments');
  same(await options(page, '#category'), X.categories, 'categories (with <>&"\' labels)');
  same((await status(page, '#category')).value, 'CAT-0010', 'category selected=');
  for (const sel of ['#broken', '#unknown'])
    same(await page.$eval(sel, s => Array.from(s.options).map(o => [o.value, o.textContent])),
      [['', '(list unavailable)']], sel + ' fallback');
  same(await page.$$eval('select *:not(option)', n => n.length), 0, 'elements made from labels');
  clean(page);
});

// ---- the README's Select2 and Tom Select examples, against real intake ------

// The first difference of two lists of labels, for a message.
function listDiff(got, want) {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  return `${got.length} shown, ${want.length} wanted; first difference at ${i}: ${JSON.stringify(got[i])} vs ${JSON.stringify(want[i])}`;
}
const sameList = (got, want, what) => check(JSON.stringify(got) === JSON.stringify(want), what + ': ' + listDiff(got, want));

// What intake's search finds: labels containing the term, case folded.
const finds = (list, term) => list.filter(o => o.label.toLowerCase().includes(term.toLowerCase()));

// A term that finds some but not all of a list: the longest word of one label.
function termFrom(list, i) {
  return list[i].label.split(/\s+/).sort((a, b) => b.length - a.length)[0].slice(0, 5);
}

test('README Select2 example: pages on scroll, searches on the server, picks a value', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.allowed + '/widgets/select2.html');
  const shown = () => page.$$eval('.select2-results__option', ns => ns
    .filter(n => !/load|message/.test(n.className)).map(n => n.textContent));
  await page.click('.select2-selection');
  await until('the first page of categories', async () => {
    const got = await shown();
    check(got.length >= 50, 'shown ' + got.length);
    sameList(got.slice(0, 50), X.categories.slice(0, 50).map(o => o.label), 'first page'); return true;
  });
  await page.$eval('.select2-results__options', ul => { ul.scrollTop = ul.scrollHeight; ul.dispatchEvent(new Event('scroll')); });
  await until('the second page of categories', async () => {
    sameList(await shown(), X.categories.slice(0, 100).map(o => o.label), 'two pages'); return true;
  });
  const term = termFrom(X.categories, 137);
  const want = finds(X.categories, term);
  check(want.length > 0 && want.length < X.categories.length, `term ${term} finds ${want.length}`);
  await page.fill('.select2-search__field', term);
  await until('search results for ' + term, async () => {
    sameList(await shown(), want.slice(0, 50).map(o => o.label), 'results for ' + term); return true;
  });
  await page.click('.select2-results__option--selectable >> nth=0');
  same(await page.$eval('#category', s => s.value), want[0].value, 'the picked value');
  const asked = page.requests.map(u => new URL(u));
  check(asked.every(u => u.pathname === '/api/choices/categories' && u.searchParams.get('format') === 'select2'),
    'requests: ' + page.requests.join(' '));
  check(asked.some(u => u.searchParams.get('page') === '2'), 'no second page was asked for');
  check(asked.some(u => u.searchParams.get('term') === term), 'the search was not sent: ' + page.requests.join(' '));
  clean(page);
  await page.close();
});

test('README Tom Select example: pages on scroll, searches on the server, picks a value', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.allowed + '/widgets/tom-select.html');
  const all = X.allLocations;
  const shown = () => page.$$eval('.ts-dropdown .option[data-value]', ns => ns.map(n => n.textContent));
  await page.click('.ts-control');
  await until('the first page of locations', async () => {
    sameList(await shown(), all.slice(0, 50).map(o => o.label), 'first page'); return true;
  });
  await page.$eval('.ts-dropdown-content', d => { d.scrollTop = d.scrollHeight; d.dispatchEvent(new Event('scroll')); });
  await until('the second page of locations', async () => {
    sameList(await shown(), all.slice(0, 100).map(o => o.label), 'two pages'); return true;
  });
  const term = termFrom(all, 211);
  const want = finds(all, term);
  check(want.length > 0 && want.length < all.length, `term ${term} finds ${want.length}`);
  await page.fill('#location-ts-control', term);
  await until('search results for ' + term, async () => {
    sameList(await shown(), want.slice(0, 50).map(o => o.label), 'results for ' + term); return true;
  });
  await page.click('.ts-dropdown .option[data-value] >> nth=0');
  same(await page.$eval('#location', s => s.value), want[0].value, 'the picked value');
  const asked = page.requests.map(u => new URL(u));
  check(asked.every(u => u.pathname === '/api/choices/locations'), 'requests: ' + page.requests.join(' '));
  check(asked.some(u => u.searchParams.get('page') === '2'), 'no second page was asked for');
  check(asked.some(u => u.searchParams.get('q') === term), 'the search was not sent: ' + page.requests.join(' '));
  clean(page);
  await page.close();
});

// ---- intake-combobox.js: a long list as an APG combobox, keyboard only ------

test('combobox: keyboard only, it searches and pages on the server and picks a value; axe clean', async ({ ctx, info, X }) => {
  const page = await open(ctx, info.allowed + '/combobox.html');
  const all = X.allLocations;
  const input = page.locator('#location-combobox');
  const shown = () => page.$$eval('#location-listbox [role=option]', ns => ns.map(n => n.textContent));
  const attr = (a) => input.getAttribute(a);
  // The label now names the combobox; the select is hidden but still in the form.
  same(await page.$eval('label[for="location-combobox"]', l => l.textContent), 'Location', 'label');
  same(await page.$eval('#location', s => s.hidden && s.form !== null), true, 'the select is hidden, in the form');
  await page.keyboard.press('Tab');
  same(await page.evaluate(() => document.activeElement.id), 'location-combobox', 'Tab reaches the combobox');
  same(await attr('aria-expanded'), 'false', 'closed at first');
  // Down arrow opens the first page of everything.
  await page.keyboard.press('ArrowDown');
  await until('the first page', async () => {
    sameList(await shown(), all.slice(0, 20).map(o => o.label), 'first page'); return true;
  });
  same(await attr('aria-expanded'), 'true', 'expanded');
  // Walking down past the end of a page asks for the next one.
  for (let i = 0; i < 19; i++) await page.keyboard.press('ArrowDown');
  await until('the second page', async () => {
    const got = await shown();
    check(got.length >= 40, got.length + ' options');
    sameList(got.slice(0, 40), all.slice(0, 40).map(o => o.label), 'two pages'); return true;
  });
  const active = await attr('aria-activedescendant');
  same(await page.$eval('#' + active, n => n.textContent), all[18].label, 'the active option');
  // Typing searches on the server.
  const term = termFrom(all, 211);
  const want = finds(all, term);
  await input.fill('');
  await page.keyboard.type(term);
  await until('matches for ' + term, async () => {
    sameList(await shown(), want.slice(0, 20).map(o => o.label), 'matches'); return true;
  });
  check(await page.$eval('#location-listbox + [role=status]', n => /results/.test(n.textContent)), 'no result count is announced');
  await axe(page, 'the open combobox');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  same(await page.$eval('#location', s => s.value), want[1].value, 'the picked value');
  same(await input.inputValue(), want[1].label, 'the combobox shows the label');
  same(await attr('aria-expanded'), 'false', 'closed after the pick');
  // Escape on a closed combobox clears it; Tab moves on.
  await page.keyboard.press('Escape');
  same(await page.$eval('#location', s => s.value), '', 'cleared by Escape');
  await page.keyboard.press('Tab');
  same(await page.evaluate(() => document.activeElement.id), 'note', 'Tab leaves the combobox');
  const asked = page.requests.map(u => new URL(u));
  check(asked.some(u => u.searchParams.get('q') === term), 'the search was not sent: ' + page.requests.join(' '));
  check(asked.some(u => u.searchParams.get('page') === '2'), 'no second page was asked for');
  clean(page);
  await page.close();
});

test('intake-combobox.js stays small and free of eval, inline styles and HTML parsing', async ({ info }) => {
  const src = fs.readFileSync(path.join(info.src || path.join(HERE, '../..'), 'www/intake-combobox.js'), 'utf8');
  const gz = zlib.gzipSync(Buffer.from(src)).length;
  console.log('# intake-combobox.js: ' + Buffer.byteLength(src) + ' bytes, ' + gz + ' gzipped');
  check(gz <= 5120, 'intake-combobox.js is ' + gz + ' bytes gzipped, over 5 KB');
  for (const bad of [/\beval\s*\(/, /new\s+Function/, /innerHTML/, /outerHTML/, /insertAdjacentHTML/, /\.style\b/, /document\.write/, /setAttribute\(\s*['"]style/])
    check(!bad.test(src), 'intake-combobox.js matches ' + bad);
});

test('intake-embed.js stays small and free of eval, inline styles and HTML parsing', async ({ info }) => {
  const src = fs.readFileSync(path.join(info.src || path.join(HERE, '../..'), 'www/intake-embed.js'), 'utf8');
  // What a page pays for it over a gzipping server is its gzipped size: at most 5 KB,
  // the budget every intake script has; the source stays under 7 KB besides.
  const gz = zlib.gzipSync(Buffer.from(src)).length;
  console.log('# intake-embed.js: ' + Buffer.byteLength(src) + ' bytes, ' + gz + ' gzipped');
  check(gz <= 5120, 'intake-embed.js is ' + gz + ' bytes gzipped, over 5 KB');
  check(Buffer.byteLength(src) < 7168, 'intake-embed.js is ' + Buffer.byteLength(src) + ' bytes, over 7 KB');
  for (const bad of [/\beval\s*\(/, /new\s+Function/, /innerHTML/, /outerHTML/, /insertAdjacentHTML/, /\.style\b/, /document\.write/, /setAttribute\(\s*['"]style/])
    check(!bad.test(src), 'intake-embed.js matches ' + bad);
});

test('every www/*.js script: its gzipped size printed, each within the 5 KB budget', async ({ info }) => {
  const www = path.join(info.src || path.join(HERE, '../..'), 'www');
  const scripts = fs.readdirSync(www).filter(f => f.endsWith('.js')).sort();
  check(scripts.length >= 3, 'scripts in www/: ' + scripts.join(' '));
  const over = [];
  for (const f of scripts) {
    const src = fs.readFileSync(path.join(www, f));
    const gz = zlib.gzipSync(src, { level: 9 }).length;
    console.log(`# ${f}: ${src.length} bytes, ${gz} gzipped (budget 5120)`);
    if (gz > 5120) over.push(`${f} (${gz})`);
  }
  check(over.length === 0, 'over the 5 KB gzipped budget: ' + over.join(', '));
});

// ---- main ------------------------------------------------------------------

async function main() {
  let stack;
  try {
    stack = await startStack();
  } catch (e) {
    console.error('run.mjs: ' + e.message);
    console.log('0 passed, 1 failed');
    return 1;
  }
  const info = stack.info;
  info.src = process.env.INTAKE_SRC || path.join(HERE, '../..');
  const X = expected(info);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-chromium-'));
  let ctx, passed = 0, failed = 0;
  try {
    ctx = await chromium.launchPersistentContext(profile, LAUNCH);
    ctx.setDefaultTimeout(20000);
    ({ passed, failed } = await runTests(ctx, tests, { ctx, info, X }));
  } catch (e) {
    failed++;
    console.log('FAIL starting Chromium: ' + e.message);
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    await stopStack(stack.child, failed > 0 || !!process.env.INTAKE_BROWSER_KEEP);
    try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 }); } catch (e) { /* a temp dir */ }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
