// Administration under 三权分立: the system administrator creates an account, the security
// administrator gives it a role in the unit, and the new user must change the initial
// password before anything else (R41). Settings and the working-day calendar save.
import { test, before, after } from 'node:test';
import { launch, close, signIn, newPage, step, open, settleAction, shot, BASE, assert } from '../lib.mjs';

const N = Date.now() % 100000;
const USERNAME = `e2e${N}`;
const INITIAL = 'Init@2026pass';
const CHANGED = 'Changed#2026pw';

before(async () => { await launch(); });
after(async () => { await close(); });

test('管理：新建账户、分配角色、首次登录须改密码、单位设置与工作日历', async (t) => {
  await step(t, '系统管理员新建账户', async () => {
    const admin = await signIn('sysadmin');
    await open(admin, '/admin/users');
    await admin.getByLabel('用户名').fill(USERNAME);
    await admin.getByLabel('姓名').fill('测试干部');
    await admin.getByLabel('初始密码').fill(INITIAL);
    await admin.getByRole('button', { name: '创建' }).click();
    await settleAction(admin);
    await admin.waitForSelector(`text=${USERNAME}`);
    await shot(admin, 'm01-users');
    await admin.context().close();
  });

  await step(t, '安全管理员把新账户设为干部职工', async () => {
    const sec = await signIn('secadmin');
    await open(sec, '/admin/members');
    const add = sec.locator('.inline-form:has(h3:has-text("添加人员"))');
    await add.locator('select').first().selectOption({ label: `测试干部（${USERNAME}）` });
    const row = add.locator('tr');
    await row.getByLabel('干部职工').check();
    await row.locator('select').first().selectOption({ label: '规划处' });
    await row.getByRole('button', { name: '保存' }).click();
    await settleAction(sec);
    await sec.waitForSelector(`td:has-text("${USERNAME}")`);
    await shot(sec, 'm02-members');
    await sec.context().close();
  });

  await step(t, '新用户首次登录须先修改密码（R41）', async () => {
    const page = await signInRaw(USERNAME, INITIAL);
    await page.waitForSelector('text=首次登录或密码被重置后须先修改密码');
    assert.equal(await page.locator('header.topbar').count(), 0, 'nothing else before the password change');
    await page.getByLabel('原密码').fill(INITIAL);
    await page.getByLabel('新密码', { exact: true }).fill('short');
    await page.getByLabel('再次输入新密码').fill('short');
    await page.getByRole('button', { name: '保存新密码' }).click();
    await page.waitForSelector('.error');
    await page.getByLabel('新密码', { exact: true }).fill(CHANGED);
    await page.getByLabel('再次输入新密码').fill(CHANGED);
    await page.getByRole('button', { name: '保存新密码' }).click();
    await page.waitForSelector('header.topbar');
    await page.waitForSelector('h1:has-text("我的待办")');
    await shot(page, 'm03-after-password-change');
    await page.context().close();
  });

  await step(t, '安全管理员修改单位设置（只改所传字段）', async () => {
    const sec = await signIn('secadmin');
    await open(sec, '/admin/settings');
    const split = sec.getByLabel('拆分预警时间窗（天）');
    const before = await split.inputValue();
    await split.fill('120');
    await sec.getByRole('button', { name: '保存设置' }).click();
    await settleAction(sec);
    await sec.waitForSelector('text=设置已保存');
    await open(sec, '/admin/settings');
    assert.equal(await sec.getByLabel('拆分预警时间窗（天）').inputValue(), '120');
    await sec.getByLabel('拆分预警时间窗（天）').fill(before);
    await sec.getByRole('button', { name: '保存设置' }).click();
    await settleAction(sec);
    await sec.context().close();
  });

  await step(t, '办公室维护工作日历（R06, R45）', async () => {
    const clerk = await signIn('sunli');
    await open(clerk, '/admin/calendar');
    const holidays = clerk.getByLabel('每行一个日期').first();
    await holidays.fill('2026-13-01');
    await clerk.getByRole('button', { name: '保存' }).click();
    await clerk.waitForSelector('.error:has-text("YYYY-MM-DD")');
    await open(clerk, '/admin/calendar');
    const existing = await holidays.inputValue();
    const year = await clerk.locator('.filters select').inputValue();
    // Adds a day in early January: no effect on the notice periods of the other scenarios.
    await holidays.fill(`${existing}\n${year}-01-02`);
    await clerk.getByRole('button', { name: '保存' }).click();
    await settleAction(clerk);
    await clerk.waitForSelector('text=工作日历已保存');
    await open(clerk, '/admin/calendar');
    assert.match(await holidays.inputValue(), new RegExp(`${year}-01-02`));
    await shot(clerk, 'm04-calendar');
    await clerk.context().close();
  });
});

/** Signs in without waiting for the shell (the forced password screen comes first). */
async function signInRaw(username, password) {
  const page = await newPage({ username });
  await page.goto(BASE + '/');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  return page;
}
