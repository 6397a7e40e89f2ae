// Shared helpers for the browser tests: one chromium, one context per user (so each
// person has their own session cookie), screenshots into artifacts/.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE = process.env.BASE_URL || 'http://127.0.0.1:8080';
export const PASSWORD = process.env.DEMO_PASSWORD || 'Yishi@2026demo';
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

let browser;
const pages = new Set();
export async function launch() {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return browser;
}

export async function close() {
  await browser?.close();
}

/** A fresh page in its own browser context (its own cookies). */
export async function newPage({ width = 1280, username = 'anonymous' } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => console.log(`[${username}] pageerror: ${e.message}`));
  page.username = username;
  pages.add(page);
  page.on('close', () => pages.delete(page));
  return page;
}

/** A signed-in page for `username` in its own browser context. */
export async function signIn(username, { width = 1280 } = {}) {
  const page = await newPage({ width, username });
  await page.goto(BASE + '/');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForSelector('header.topbar');
  return page;
}

/** Navigates inside the app and waits for the page to settle (no spinner). */
export async function open(page, path) {
  await page.goto(BASE + path);
  await page.waitForSelector('header.topbar');
  await settle(page);
}

export async function settle(page) {
  await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 15000 });
}

/** Confirms the open confirmation dialog. */
export async function confirm(page) {
  const dialog = page.locator('.modal');
  await dialog.waitFor();
  await dialog.locator('.btn.primary, .btn.danger').click();
  await dialog.waitFor({ state: 'detached' });
}

/** Clicks a button, confirms, and waits until the action finished without an error. */
export async function act(page, scope, name, { confirmIt = true } = {}) {
  const root = scope || page;
  await root.getByRole('button', { name, exact: true }).click();
  if (confirmIt) await confirm(page);
  await settleAction(page);
}

/** Waits for pending buttons to finish and fails on an error box. */
export async function settleAction(page) {
  await page.waitForTimeout(150);
  await page.waitForFunction(() => ![...document.querySelectorAll('button')].some((b) => b.disabled && /中…$/.test(b.textContent)), null, { timeout: 15000 }).catch(() => {});
  await page.waitForLoadState('networkidle').catch(() => {});
  await settle(page);
  const err = page.locator('.error');
  if (await err.count()) {
    throw new Error(`[${page.username}] action failed: ${(await err.first().innerText()).replace(/\s+/g, ' ')}`);
  }
}

let failedStep = null;
/**
 * A named step: on failure every open page is saved as `FAILED-<step>-<user>.png`.
 * Steps of a scenario build on each other, so after a failure the rest are skipped —
 * unless `independent` is set.
 */
export async function step(t, name, fn, { independent = false } = {}) {
  if (failedStep && !independent) {
    await t.test(name, { skip: `依赖的步骤失败：${failedStep}` }, () => {});
    return;
  }
  await t.test(name, async () => {
    try {
      await fn();
    } catch (e) {
      const tag = name.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 40);
      for (const p of pages) {
        await p.screenshot({ path: join(ARTIFACTS, `FAILED-${tag}-${p.username}.png`), fullPage: true }).catch(() => {});
      }
      if (!independent) failedStep = name;
      throw e;
    }
  });
}

export async function shot(page, name) {
  // From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The id at the end of the current URL (`/proposals/<id>`). */
export function idFromUrl(page) {
  const parts = new URL(page.url()).pathname.split('/').filter(Boolean);
  return parts[1];
}

/** A raw API call from the page, with the session cookie and CSRF token (as a forced request would be). */
export async function api(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('yishi.csrf') || '' };
      const r = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      let json = null;
      try { json = await r.json(); } catch { /* empty body */ }
      return { status: r.status, json };
    },
    { method, path, body },
  );
}

/** Moves the server's test clock forward (server started with YISHI_TEST_CLOCK=1). */
export async function advanceClock(page, seconds) {
  const r = await api(page, 'POST', '/_test/clock', { advance_seconds: seconds });
  assert.equal(r.status, 200, `test clock: ${JSON.stringify(r.json)}`);
  return r.json;
}

/** `YYYY-MM-DDTHH:MM` in Asia/Shanghai, `days` from now at the given hour. */
export function localDateTime(days, hour = 9, minute = 30) {
  const d = new Date(Date.now() + 8 * 3600e3 + days * 86400e3);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(hour)}:${pad(minute)}`;
}

export { assert };
