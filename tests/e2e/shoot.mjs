// Development aid: screenshots of app pages with the system chromium.
//   node shoot.mjs BASE_URL OUT_DIR [width] path1 path2 …
// Optional env LOGIN=user:password signs in first (real backend).
import { chromium } from 'playwright-core';

const [base, outDir, width, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const w = Number(width) || 1280;
const page = await browser.newPage({ viewport: { width: w, height: w < 600 ? 800 : 900 } });
page.on('console', (m) => { if (m.type() === 'error') console.log('console:', m.text()); });
page.on('pageerror', (e) => console.log('pageerror:', e.message));
if (process.env.LOGIN) {
  const [u, p] = process.env.LOGIN.split(':');
  await page.goto(base + '/');
  await page.fill('input[autocomplete=username]', u);
  await page.fill('input[type=password]', p);
  await page.click('button[type=submit]');
  await page.waitForSelector('header.topbar', { timeout: 10000 });
}
for (const p of paths) {
  await page.goto(base + p);
  await page.waitForSelector('.splash', { state: 'detached', timeout: 10000 }).catch(() => {});
  await page.waitForTimeout(Number(process.env.WAIT || 600));
  const name = p.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home';
  await page.screenshot({ path: `${outDir}/${name}-${w}.png`, fullPage: process.env.FULL !== '0' });
  console.log(`${outDir}/${name}-${w}.png`);
}
await browser.close();
