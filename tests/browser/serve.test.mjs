// Threshold's web player in a real browser: Debian's Chromium, headless, driven by
// playwright-core. A trainee plays the phone story to a good and to a bad outcome
// (one of them with JavaScript off), reloads and answers from a stale tab in the
// middle, resumes from the link in a fresh browser, plays from the keyboard alone and
// downloads the transcript; a supervisor sees both attempts and exports them. axe-core
// checks every page for WCAG 2.1 A and AA; @learninglocker/xapi-validation checks the
// exported statements. scripts/test starts the server and sets the variables below.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const validateStatement = require('@learninglocker/xapi-validation').default;
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const URL = process.env.THRESHOLD_URL;
const TOKEN = process.env.THRESHOLD_TOKEN;
const BIN = process.env.THRESHOLD_BIN;
const DB = process.env.THRESHOLD_DB;
const STORY = process.env.THRESHOLD_STORY || 'stories/doorway-phone-number';
const SLUG = path.basename(STORY);
const SHOTS = process.env.SCREENSHOT_DIR;

// Never a silent skip: without a browser or a server, the tests fail and say why.
if (!fs.existsSync(CHROMIUM)) {
  throw new Error(`no browser at ${CHROMIUM}: install one with ` +
    '`apt-get update && apt-get install -y chromium` (scripts/test does this)');
}
if (!URL || !TOKEN || !BIN || !DB) {
  throw new Error('THRESHOLD_URL, THRESHOLD_TOKEN, THRESHOLD_BIN and THRESHOLD_DB are unset: ' +
    'run these tests through scripts/test, which starts `threshold serve`');
}

// Paths to a good and to a bad outcome, from the story's own analysis.
const analysis = JSON.parse(execFileSync(BIN, ['analyze', '--format', 'json', STORY]));
const pathTo = (rating) => {
  const o = analysis.outcomes.find((o) => o.rating === rating && o.reachable && o.path);
  assert.ok(o, `the story has a reachable ${rating} outcome`);
  return { title: o.title, numbers: o.path.map((s) => s.number) };
};
const GOOD = pathTo('good');
const BAD = pathTo('bad');

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Playwright gives every launch a fresh, temporary --user-data-dir of its own.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** axe-core on the page: no WCAG 2.1 A or AA violation. */
async function axe(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  assert.deepEqual(found, [], `axe on ${what}`);
  console.log(`axe: ${what}: ${result.passes.length} rules passed, 0 violations`);
  return result;
}

async function startAttempt(page, name, cohort) {
  await page.goto(URL + '/');
  const form = page.locator(`form:has(input[name="story"][value="${SLUG}"])`);
  await form.getByLabel('Your name').fill(name);
  await form.getByLabel('Cohort code (optional)').fill(cohort);
  await form.locator('button[type="submit"]').click();
  await page.waitForURL(/\/a\/[0-9a-f]{32}/);
  return new globalThis.URL(page.url()).pathname;
}

const stepOf = (page) => page.locator('input[name="step"]').getAttribute('value');

async function choose(page, n) {
  await Promise.all([page.waitForNavigation(), page.locator(`button[name="choice"][value="${n}"]`).click()]);
}

test('a trainee plays to a good outcome, reloads, meets a stale tab, resumes and downloads the transcript', async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await page.goto(URL + '/');
  await axe(page, 'the story list (phone)');
  const at = await startAttempt(page, 'Rowan Browser', 'B2');
  await axe(page, 'the scene page (phone)');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(wide, 'no sideways scrolling on a phone');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'serve-scene.png'), fullPage: false });

  // The first choice from the keyboard alone: Tab to the button, Enter.
  let focused = '';
  for (let k = 0; k < 60 && focused !== String(GOOD.numbers[0]); k++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.getAttribute('name') === 'choice'
      ? document.activeElement.value : '');
  }
  assert.equal(focused, String(GOOD.numbers[0]), 'the choice is reachable by Tab');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await stepOf(page), '2');

  // A second tab on the same attempt, left at step 2.
  const stale = await context.newPage();
  await stale.goto(URL + at);
  assert.equal(await stepOf(stale), '2');

  await choose(page, GOOD.numbers[1]);
  await page.reload();
  assert.equal(await stepOf(page), '3', 'a reload shows the same step, nothing added');
  await page.goBack();
  await page.goForward();
  assert.equal(await stepOf(page), '3');
  // The stale tab answers step 2 again: nothing changes, it is shown where play stands.
  await choose(stale, 1);
  assert.equal(await stepOf(stale), '3');
  await stale.close();

  // Resume from the link in another browser (no cookies).
  const link = await page.locator('a[href*="/resume/"]').getAttribute('href');
  await context.close();
  const other = await browser.newContext(PHONE);
  const page2 = await other.newPage();
  await page2.goto(link);
  await axe(page2, 'the resume page');
  await Promise.all([page2.waitForNavigation(), page2.getByRole('button', { name: 'Continue' }).click()]);
  assert.equal(new globalThis.URL(page2.url()).pathname, at);
  assert.equal(await stepOf(page2), '3');
  for (const n of GOOD.numbers.slice(2)) await choose(page2, n);
  const body = await page2.textContent('main');
  assert.ok(body.includes(GOOD.title), `reached ${GOOD.title}`);
  assert.ok(body.includes('Debrief') && body.includes('Where the other doors led'));
  await axe(page2, 'the debrief');

  const [download] = await Promise.all([
    page2.waitForEvent('download'),
    page2.getByRole('link', { name: 'Download the transcript (Markdown)' }).click(),
  ]);
  const md = fs.readFileSync(await download.path(), 'utf8');
  assert.match(md, /^# Transcript: /);
  assert.equal((md.match(/\*\*Choice \d+: took/g) || []).length, GOOD.numbers.length, 'each choice once');
  assert.ok(md.includes(GOOD.title));
  await other.close();
});

test('a trainee plays to a bad outcome with JavaScript off', async () => {
  const context = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
  const page = await context.newPage();
  await startAttempt(page, 'Jules NoScript', 'B2');
  for (const n of BAD.numbers) await choose(page, n);
  const body = await page.textContent('main');
  assert.ok(body.includes(BAD.title), `reached ${BAD.title}`);
  await context.close();
});

test('a supervisor sees both attempts and exports them', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const resp = await page.goto(URL + '/supervisor');
  assert.equal(resp.status(), 401);
  await axe(page, 'the supervisor sign-in');
  await page.getByLabel('Supervisor token').fill(TOKEN);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  await axe(page, "the supervisor's index");
  await Promise.all([page.waitForNavigation(), page.locator(`a[href="/supervisor/story/${SLUG}"]`).click()]);
  const text = await page.textContent('main');
  for (const want of ['Rowan Browser', 'Jules NoScript', GOOD.title, BAD.title, 'How often each choice was taken']) {
    assert.ok(text.includes(want), `the story page shows ${want}`);
  }
  await axe(page, "the supervisor's story page");
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'serve-supervisor.png'), fullPage: false });
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Rowan Browser' }).first().click()]);
  assert.ok((await page.textContent('main')).includes('# Transcript:'));
  await axe(page, "one attempt's transcript");

  await page.goto(URL + '/supervisor');
  const [csvDl] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download all attempts as CSV' }).click()]);
  const csv = fs.readFileSync(await csvDl.path(), 'utf8');
  assert.ok(csv.startsWith('attempt,story,'));
  assert.ok(csv.includes('Rowan Browser') && csv.includes('Jules NoScript'));
  const [xDl] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download as xAPI statements' }).click()]);
  const statements = JSON.parse(fs.readFileSync(await xDl.path(), 'utf8'));
  checkStatements(statements, 'the download');
  // The same from the command line.
  const cli = JSON.parse(execFileSync(BIN, ['export', '--db', DB, '--format', 'xapi']));
  checkStatements(cli, '`threshold export`');
  await context.close();
});

function checkStatements(statements, what) {
  assert.ok(Array.isArray(statements) && statements.length >= GOOD.numbers.length + BAD.numbers.length + 2);
  const problems = statements.flatMap((s, k) => validateStatement(s).map((w) => `${k}: ${JSON.stringify(w)}`));
  assert.deepEqual(problems, [], `xAPI validation of ${what}`);
  const completed = statements.filter((s) => s.verb.id === 'http://adlnet.gov/expapi/verbs/completed');
  assert.ok(completed.some((s) => s.result.score.scaled === 1 && s.result.success === true));
  assert.ok(completed.some((s) => s.result.score.scaled === 0 && s.result.success === false));
  console.log(`xapi: ${what}: ${statements.length} statements, all valid (${completed.length} completions)`);
}
