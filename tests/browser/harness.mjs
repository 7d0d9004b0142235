// What the browser tests (run.mjs, forms.mjs) share: the stack stack.py
// starts, Chromium's launch options, the checks, axe-core, a page that
// records CSP violations and script errors, and the loop that runs the tests.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));

// Headless Chromium from Debian (CHROMIUM overrides the path); no browser download.
export const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

// playwright-core's chromium; without it, say what to run and fail.
export async function loadChromium(who) {
  try {
    return (await import('playwright-core')).chromium;
  } catch (e) {
    console.error(`${who}: playwright-core is not installed in tests/browser/node_modules: run scripts/deps.sh --tests`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

// ---- the stack -------------------------------------------------------------

// stack.py (with extra arguments), or INTAKE_BROWSER_STACK_CMD; its JSON line.
export function startStack(extra = []) {
  const cmd = process.env.INTAKE_BROWSER_STACK_CMD;
  const argv = cmd ? ['sh', '-c', cmd]
    : [process.env.INTAKE_PYTHON || 'python3', path.join(HERE, 'stack.py'), ...extra];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stack did not start within 120 s')), 120000);
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', line => {
      clearTimeout(timer);
      try {
        resolve({ child, info: JSON.parse(line) });
      } catch (e) {
        reject(new Error('the stack printed ' + JSON.stringify(line)));
      }
    });
    child.once('exit', code => { clearTimeout(timer); reject(new Error('the stack exited with ' + code)); });
  });
}

export function stopStack(child, keep) {
  return new Promise(resolve => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => { child.kill('SIGKILL'); }, 60000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.stdin.end(keep ? 'keep\n' : '');
  });
}

// ---- checks ----------------------------------------------------------------

export class Fail extends Error {}
export function check(cond, msg) { if (!cond) throw new Fail(msg); }
export function same(got, want, what) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new Fail(`${what}:\n      got  ${g.slice(0, 400)}\n      want ${w.slice(0, 400)}`);
}

let AXE;
export async function axe(page, what) {
  AXE ??= fs.readFileSync(path.join(HERE, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(AXE);   // through the DevTools protocol: the page's CSP stays on
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const v = r.violations.map(x => `${x.id} (${x.impact}): ${x.nodes.map(n => n.target.join(' ')).join(', ')}`);
  check(v.length === 0, `axe violations${what ? ' on ' + what : ''}:\n      ` + v.join('\n      '));
}

// A new page of ctx that records CSP violations and script errors in page.problems.
export async function watchedPage(ctx) {
  const page = await ctx.newPage();
  page.problems = [];
  page.on('pageerror', e => page.problems.push('page error: ' + e.message));
  page.on('console', m => {
    if (/Content Security Policy/i.test(m.text())) page.problems.push('CSP: ' + m.text());
  });
  return page;
}

export function clean(page) {
  check(page.problems.length === 0, page.problems.join('\n      '));
}

// ---- the loop --------------------------------------------------------------

// Run each test with args, closing the pages it left; one line each. {passed, failed}.
// INTAKE_BROWSER_ONLY=REGEX runs only the tests whose names match (by hand).
export async function runTests(ctx, tests, args) {
  let passed = 0, failed = 0;
  const only = process.env.INTAKE_BROWSER_ONLY ? new RegExp(process.env.INTAKE_BROWSER_ONLY) : null;
  for (const t of tests) {
    if (only && !only.test(t.name)) continue;
    const pagesBefore = new Set(ctx.pages());
    try {
      await t.fn(args);
      passed++;
      console.log('ok   ' + t.name);
    } catch (e) {
      failed++;
      console.log('FAIL ' + t.name + '\n      ' + (e instanceof Fail ? e.message : e.stack));
    }
    for (const p of ctx.pages()) if (!pagesBefore.has(p)) await p.close().catch(() => {});
  }
  return { passed, failed };
}
