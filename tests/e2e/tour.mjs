// Development aid: a tour of the app as each role, at laptop and phone width.
//   node tour.mjs BASE_URL OUT_DIR [user …]
// Signs in as each demo user (password Yishi@2026demo), opens every navigation entry and
// the first object linked from each list page, saves a full-page screenshot per page and
// width (`<user>-<width>-<page>.png`), and prints what a machine can notice: page errors,
// horizontal overflow (the page wider than the screen), words in Latin letters in the
// visible text (untranslated English), pages stuck loading, and buttons that act without
// asking first. The screenshots still have to be looked at.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [base, outDir, ...argUsers] = process.argv.slice(2);
const PASSWORD = process.env.DEMO_PASSWORD || 'Yishi@2026demo';
const WIDTHS = (process.env.WIDTHS || '1280,390').split(',').map(Number);
const USERS = argUsers.length ? argUsers : [
  'zhangwei', 'lina', 'liuyang', 'zhaomin', 'sunli', 'zhoujie', 'huangxin', 'hejun', 'songtao', 'sysadmin', 'secadmin', 'auditor',
];
// Latin words allowed in the UI (abbreviations, file types, rule IDs).
const ALLOWED = new Set(['PDF', 'pdf', 'AB', 'ID', 'CSRF', 'SHA', 'English', 'OA', 'zip', 'ZIP', 'MB', 'KB']);
mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

async function settle(page) {
  await page.waitForSelector('.splash', { state: 'detached', timeout: 10000 }).catch(() => {});
  await page.waitForTimeout(400);
  await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 8000 }).catch(() => {});
  await page.waitForTimeout(200);
}

async function inspect(page) {
  return page.evaluate((allowed) => {
    const out = {};
    out.overflow = document.documentElement.scrollWidth - window.innerWidth;
    // Elements sticking out of the viewport on the right (not inside a scroll container).
    const wide = [];
    for (const el of document.querySelectorAll('main *')) {
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 1 && r.width > 0) {
        let p = el.parentElement;
        let scrolled = false;
        while (p) {
          const s = getComputedStyle(p);
          if (/(auto|scroll|hidden)/.test(s.overflowX)) { scrolled = true; break; }
          p = p.parentElement;
        }
        if (!scrolled) wide.push(`${el.tagName.toLowerCase()}.${el.className}`);
      }
    }
    out.wide = [...new Set(wide)].slice(0, 5);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const words = new Set();
    while (walker.nextNode()) {
      const n = walker.currentNode;
      const el = n.parentElement;
      if (!el || el.closest('.mono, code, script, style, .pre') || !el.offsetParent) continue;
      for (const w of n.textContent.match(/\b[A-Za-z][A-Za-z_]{2,}\b/g) || []) {
        if (!allowed.includes(w)) words.add(w);
      }
    }
    out.latin = [...words].slice(0, 12);
    out.loading = !!document.querySelector('.loading');
    out.error = [...document.querySelectorAll('.error')].map((e) => e.innerText.slice(0, 120));
    out.h1 = document.querySelector('main h1')?.innerText || '';
    return out;
  }, [...ALLOWED]);
}

const report = [];
for (const user of USERS) {
  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width < 600 ? 844 : 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base + '/');
    await page.getByLabel('用户名').fill(user);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForSelector('header.topbar');
    await settle(page);
    const navs = await page.$$eval('nav.nav a', (as) => as.map((a) => a.getAttribute('href')));
    const visited = new Set();
    const queue = [...navs];
    const details = [];
    while (queue.length) {
      const path = queue.shift();
      if (visited.has(path)) continue;
      visited.add(path);
      await page.goto(base + path);
      await settle(page);
      const name = `${user}-${width}-${path.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home'}`;
      await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
      const r = await inspect(page);
      report.push({ name, ...r, errors: errors.splice(0) });
      // The first object linked from a list page (one level deep).
      if (navs.includes(path)) {
        const first = await page.$$eval('main a[href^="/"]', (as) => as.map((a) => a.getAttribute('href'))
          .filter((h) => /^\/(proposals|meetings|minutes|publications|incoming|outgoing)\/[^/]+$/.test(h) && !/\/new$/.test(h)));
        for (const h of first.slice(0, 1)) if (!visited.has(h) && !details.includes(h)) { details.push(h); queue.push(h); }
      }
    }
    await context.close();
  }
}
await browser.close();
for (const r of report) {
  const issues = [];
  if (r.overflow > 0) issues.push(`overflow ${r.overflow}px ${r.wide.join(' ')}`);
  else if (r.wide.length) issues.push(`wide: ${r.wide.join(' ')}`);
  if (r.latin.length) issues.push(`latin: ${r.latin.join(' ')}`);
  if (r.loading) issues.push('still loading');
  if (r.error.length) issues.push(`error: ${r.error.join(' | ')}`);
  if (r.errors.length) issues.push(`pageerror: ${r.errors.join(' | ')}`);
  console.log(`${issues.length ? '!!' : 'ok'} ${r.name} [${r.h1}] ${issues.join('; ')}`);
}
