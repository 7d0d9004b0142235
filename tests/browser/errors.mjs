#!/usr/bin/env node
// The error pages people see, served through the real nginx running the
// shipped site (conf/nginx/intake.conf + intake-locations.conf), in real
// headless Chromium: every www/errors/NNN.html the site maps, caused on a
// page route (an unknown path, a post past client_max_body_size, the pool
// down, and nginx's own 429/500/503/504 on a test-only location of a second
// copy of the site, stack.py --down-site), and intake's own HTML 404 of an
// unknown form (/forms/nope). Each must come with its status, as HTML,
// under the site's CSP, styled by intake.css, with 0 axe-core violations,
// and pass the W3C Nu HTML checker (npm vnu-jar, needs java) with 0 errors
// and 0 warnings.
//
//   node tests/browser/errors.mjs          (after scripts/deps.sh --tests)
//
// Environment as for forms.mjs (INTAKE_SRC, INTAKE_BIN, INTAKE_PYTHON,
// CHROMIUM, JAVA, INTAKE_BROWSER_KEEP).
// Prints one line per test and ends with "N passed, M failed".

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import {
  HERE, LAUNCH, loadChromium, startStack, stopStack, Fail, check, same, axe, watchedPage, clean,
  runTests,
} from './harness.mjs';

const SRC = process.env.INTAKE_SRC || path.join(HERE, '../..');
const VNU = path.join(HERE, 'node_modules/vnu-jar/build/dist/vnu.jar');
const ERRORS = path.join(SRC, 'www/errors');
const FORM = '/forms/it-request';

const chromium = await loadChromium('errors.mjs');

// One request with node's http (no compression, no redirects): {status, headers, body}.
// bodyLength: announce a body of that many bytes and send none (nginx
// answers 413 from the header alone).
function request(url, { method = 'GET', headers = {}, bodyLength } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (bodyLength !== undefined) {
      h['Content-Length'] = String(bodyLength);
      h['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const req = http.request(url, { method, headers: h }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        req.destroy();
      });
    });
    req.on('error', e => (e.code === 'ECONNRESET' || e.code === 'EPIPE') ? undefined : reject(e));
    req.setTimeout(30000, () => req.destroy(new Error('no answer from ' + url)));
    if (bodyLength === undefined) req.end();
    else req.flushHeaders();
  });
}

// Every case: what is asked, the status, and the shipped page it must be
// (null: intake's own page, not a file).
function cases(info) {
  const c = [
    { name: '404: an unknown path', url: info.intake + '/no/such/page', status: 404, file: '404.html' },
    { name: '404: an unknown form (intake\'s own page)', url: info.intake + '/forms/nope', status: 404, file: null },
    { name: '413: a post past client_max_body_size', url: info.intake + FORM, method: 'POST',
      bodyLength: 11 * 1024 * 1024, status: 413, file: '413.html' },
    { name: '502: the form with the pool down', url: info.down + FORM, status: 502, file: '502.html' },
  ];
  for (const s of info.down_statuses)
    c.push({ name: `${s}: nginx's own ${s} on a page route`, url: `${info.down}/__status/${s}`, status: s, file: `${s}.html` });
  return c;
}

const SAVED = {};
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('every shipped error page has a case here', async ({ info }) => {
  const shipped = fs.readdirSync(ERRORS).filter(n => n.endsWith('.html')).sort();
  const covered = cases(info).map(c => c.file).filter(Boolean).sort();
  same(covered, shipped, 'www/errors/*.html against the cases of errors.mjs');
});

// One test per case, filled in once the stack's URLs are known (main).
function caseTests(info) {
  return cases(info).map(k => ({
    name: `${k.name}: HTML with its status, the site's CSP, styled, axe-core clean`,
    fn: async ({ ctx }) => {
      const r = await request(k.url, k);
      same(r.status, k.status, 'status of ' + (k.method || 'GET') + ' ' + k.url);
      same(r.headers['content-type'], 'text/html; charset=utf-8', 'Content-Type');
      check(/default-src 'none'/.test(r.headers['content-security-policy'] || ''),
        'no CSP: ' + r.headers['content-security-policy']);
      if (k.file) same(r.body, fs.readFileSync(path.join(ERRORS, k.file), 'utf8'), 'the body is www/errors/' + k.file);
      else check(/<h1>Page not found<\/h1>/.test(r.body), 'intake\'s 404 page: ' + r.body.slice(0, 300));
      SAVED[k.name] = r.body;

      // In Chromium: a GET as a person would make it; the post's answer is
      // replayed at its own URL (the browser cannot send 11 MB quickly).
      const page = await watchedPage(ctx);
      if (k.method === 'POST')
        await page.route(k.url, route => route.fulfill({ status: r.status, headers: r.headers, body: r.body }));
      const resp = await page.goto(k.url);
      same(resp.status(), k.status, 'status in Chromium');
      const styled = await page.evaluate(() => getComputedStyle(document.querySelector('main')).maxWidth);
      check(styled !== 'none', 'intake.css did not apply (main max-width ' + styled + ')');
      check(await page.evaluate(() => document.querySelector('h1') !== null && document.title.length > 0), 'no h1 or title');
      await axe(page, k.name);
      clean(page);
    },
  }));
}

function vnuTest() {
  return {
    name: 'W3C Nu HTML checker: no errors and no warnings on any of them',
    fn: async ({ workdir }) => {
      const java = process.env.JAVA || 'java';
      check(fs.existsSync(VNU), 'no ' + VNU + ': run scripts/deps.sh --tests');
      const files = Object.entries(SAVED).map(([name, html], i) => {
        const f = path.join(workdir, `page-${i}.html`);
        fs.writeFileSync(f, html);
        return [f, name];
      });
      check(files.length >= 8, 'only ' + files.length + ' pages were saved by the tests above');
      const r = spawnSync(java, ['-jar', VNU, '--format', 'json', '--stdout', ...files.map(f => f[0])],
        { encoding: 'utf8', maxBuffer: 64 << 20 });
      check(!r.error, `${java}: ${r.error && r.error.message} (Debian: apt-get install default-jre-headless)`);
      let out;
      try { out = JSON.parse(r.stdout); } catch (e) { throw new Fail('vnu printed ' + (r.stdout + r.stderr).slice(0, 500)); }
      const names = Object.fromEntries(files.map(([f, n]) => [path.basename(f), n]));
      const bad = out.messages.filter(m => m.type !== 'info' || m.subType === 'warning');
      check(bad.length === 0, 'Nu checker findings:\n      ' + bad.map(m =>
        `${names[path.basename(m.url || '')] || m.url}:${m.lastLine}: ${m.type}${m.subType ? '/' + m.subType : ''}: ${m.message}`).join('\n      '));
      console.log(`# vnu: ${files.length} pages, ${out.messages.length} messages`);
    },
  };
}

async function main() {
  let stack;
  try {
    stack = await startStack(['--forms-dir', path.join(SRC, 'conf/forms'), '--down-site']);
  } catch (e) {
    console.error('errors.mjs: ' + e.message);
    console.log('0 passed, 1 failed');
    return 1;
  }
  const info = stack.info;
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-errors-'));
  let browser, ctx, passed = 0, failed = 0;
  try {
    browser = await chromium.launch(LAUNCH);
    ctx = await browser.newContext();
    ctx.setDefaultTimeout(20000);
    ctx.on('page', p => { p.intake = info.intake; });
    ({ passed, failed } = await runTests(ctx, [...tests, ...caseTests(info), vnuTest()],
      { browser, ctx, info, workdir }));
  } catch (e) {
    failed++;
    console.log('FAIL starting Chromium: ' + e.message);
  } finally {
    if (browser) await browser.close().catch(() => {});
    const keep = failed > 0 || !!process.env.INTAKE_BROWSER_KEEP;
    await stopStack(stack.child, keep);
    if (keep) console.error('errors.mjs: kept the saved pages in ' + workdir);
    else fs.rmSync(workdir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
