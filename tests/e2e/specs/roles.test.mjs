// Scenario (d): a user in the wrong role sees no action buttons, and the server refuses the
// request when it is forced anyway (R40: 403 for a known object, nothing changes).
import { test, before, after } from 'node:test';
import { launch, close, signIn, step, open, act, api, shot, assert, BASE } from '../lib.mjs';

before(async () => { await launch(); });
after(async () => { await close(); });

async function unitOf(page) {
  const me = await api(page, 'GET', '/me');
  return me.json.units[0].unit_id;
}

async function findByState(page, path, wanted) {
  const list = await api(page, 'GET', path);
  assert.equal(list.status, 200, JSON.stringify(list.json));
  const item = list.json.items.find((i) => i.state === wanted);
  assert.ok(item, `no item in state ${wanted} at ${path}`);
  return item;
}

test('(d) 无权角色看不到办理按钮，强行请求被服务器拒绝', async (t) => {
  await step(t, '班子成员打开待分管领导审核的议题：无办理按钮；强行审核被拒（R04, R40）', async () => {
    const member = await signIn('liuyang');
    const unit = await unitOf(member);
    // The principal sees every proposal; the member may or may not — use the principal's list.
    const principal = await signIn('zhangwei');
    const p = await findByState(principal, `/units/${unit}/proposals`, 'submitted');
    await principal.context().close();

    await open(member, `/proposals/${p.id}`);
    const status = await api(member, 'GET', `/proposals/${p.id}`);
    if (status.status === 200) {
      await member.waitForSelector('text=当前状态下您没有需要办理的事项');
      assert.equal(await member.locator('form:has(h3:has-text("审核提交单"))').count(), 0);
      await shot(member, 'd01-member-no-actions');
    }
    const forced = await api(member, 'POST', `/proposals/${p.id}/submission-approval`, { approve: true, opinion: '强行审核' });
    assert.ok([403, 404].includes(forced.status), `expected 403/404, got ${forced.status}`);
    assert.ok(forced.json?.error?.code, 'error body names a code');
    const reader = await signIn('zhangwei');
    const after = await api(reader, 'GET', `/proposals/${p.id}`);
    assert.equal(after.json.state, 'submitted', 'the refused request changed nothing');
  }, { independent: true });

  await step(t, '处室负责人打开待签发的发文：无签发按钮；强行签发被拒（D07）', async () => {
    const head = await signIn('zhoujie');
    const unit = await unitOf(head);
    const doc = await findByState(head, `/units/${unit}/outgoing`, 'signoff');
    await open(head, `/outgoing/${doc.id}`);
    await head.waitForSelector('text=当前没有需要您办理的事项');
    assert.equal(await head.getByRole('button', { name: '签发', exact: true }).count(), 0);
    await shot(head, 'd02-section-head-no-signoff');
    const forced = await api(head, 'POST', `/outgoing/${doc.id}/signoff`, { opinion: '强行签发' });
    assert.equal(forced.status, 403, JSON.stringify(forced.json));
    const again = await api(head, 'GET', `/outgoing/${doc.id}`);
    assert.equal(again.json.state, 'signoff');
    assert.equal(again.json.number ?? null, null);
  }, { independent: true });

  await step(t, '干部职工：导航无会议与发文；强行安排会议被拒（R40）', async () => {
    const staff = await signIn('hejun');
    const nav = await staff.locator('nav.nav').innerText();
    assert.ok(!nav.includes('会议') && !nav.includes('发文'), nav);
    const unit = await unitOf(staff);
    const forced = await api(staff, 'POST', `/units/${unit}/meetings`, {
      type: 'party_group', title: '强行安排', starts_at: '2030-01-07T01:30:00Z', location: 'x', agenda: [], attendees: [],
    });
    assert.equal(forced.status, 403, JSON.stringify(forced.json));
    await open(staff, '/meetings/new');
    await staff.waitForSelector('text=您没有访问此页面的权限');
    assert.equal(await staff.getByRole('button', { name: '保存会议安排' }).count(), 0);
    await shot(staff, 'd03-staff-no-meeting-form');
  }, { independent: true });

  await step(t, '未登录的请求得到 401，页面回到登录（R40）', async () => {
    const page = await signIn('hejun');
    await page.context().clearCookies();
    // A deep link is answered with the app (200), which then asks for sign-in.
    const resp = await page.goto(BASE + '/proposals');
    assert.equal(resp.status(), 200);
    await page.waitForSelector('.auth-card');
    const r = await api(page, 'GET', '/me');
    assert.equal(r.status, 401);
  }, { independent: true });
});

test('纪检监察：合规监督的红色提示，核查并确认拆分预警（S02, S03）', async (t) => {
  await step(t, '纪检监察看到违规与拆分预警，写明核查情况后确认知悉；干部职工无权', async () => {
    const inspector = await signIn('songtao');
    await open(inspector, '/compliance');
    await inspector.waitForSelector('.badge:has-text("违规")');
    const form = inspector.locator('form:has(h3:has-text("核查并确认知悉"))').first();
    const flagId = await (async () => {
      const unit = await unitOf(inspector);
      const flags = await api(inspector, 'GET', `/units/${unit}/splitting-flags`);
      assert.equal(flags.status, 200, JSON.stringify(flags.json));
      const pending = flags.json.items.find((f) => f.state !== 'acknowledged');
      assert.ok(pending, 'the demo has an open splitting flag');
      return { unit, id: pending.id };
    })();
    // Staff may neither see the page nor acknowledge by force.
    const staff = await signIn('hejun');
    await open(staff, '/compliance');
    await staff.waitForSelector('text=您没有访问此页面的权限');
    const forced = await api(staff, 'POST', `/units/${flagId.unit}/splitting-flags/${flagId.id}/acknowledge`, { note: '强行确认' });
    assert.equal(forced.status, 403, JSON.stringify(forced.json));
    await staff.context().close();

    await form.locator('textarea').fill('经核查，三批家具为不同楼层的独立采购，已提醒财务处今后合并论证。');
    await act(inspector, form, '确认知悉');
    await inspector.waitForSelector('text=已知悉：宋涛');
    await shot(inspector, 'e01-compliance-flag-acknowledged');
  });
});
