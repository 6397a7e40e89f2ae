// Scenario (a): a 三重一大 item from proposal to archive — drafted by a handler, approved by
// the deputy, put to a meeting by the principal, scheduled and noticed by the clerk, voted
// on by five members in separate browser contexts with the principal last, decided,
// minuted, published, confirmed and archived.
// Scenario (c): a staff member comments on the open publication.
import { test, before, after } from 'node:test';
import {
  launch, close, signIn, step, open, confirm, act, settleAction, shot, idFromUrl, api, advanceClock, localDateTime, assert,
} from '../lib.mjs';

const TITLE = `关于实施城东片区低效用地再开发试点项目的议题（端到端测试 ${Date.now() % 100000}）`;
const MEMBERS = ['lina', 'wangqiang', 'liuyang', 'chenjing']; // then the principal, zhangwei
const state = {};

before(async () => { await launch(); });
after(async () => { await close(); });

test('(a) 三重一大：从议题到归档，五名成员分别投票，主要领导最后', async (t) => {
  const handler = await signIn('gaofei');
  const deputy = await signIn('wangqiang');
  let principal = await signIn('zhangwei');
  let clerk = await signIn('sunli');

  await step(t, '承办人新建议题并提交（R02）', async () => {
    await open(handler, '/proposals/new');
    await handler.getByLabel('议题标题').fill(TITLE);
    await handler.locator('main select').first().selectOption('major_project');
    await handler.getByLabel('一、议题').fill('审议城东片区低效用地再开发试点项目实施方案。');
    await handler.getByLabel('二、基本情况').fill('城东片区现有低效工业用地约 420 亩，容积率普遍低于 0.5。');
    await handler.getByLabel('三、调研论证').fill('经实地调研和专家论证，试点具备实施条件。');
    // Leave the fourth part empty first: submission must be refused and name the missing part.
    await handler.getByLabel('涉及法律问题').check();
    await handler.getByRole('button', { name: '保存' }).click();
    await handler.waitForURL(/\/proposals\/(?!new$)[^/]+$/);
    state.proposal = idFromUrl(handler);
    await handler.waitForSelector('text=法律顾问意见');
    await handler.getByRole('button', { name: '提交议题' }).click();
    await confirm(handler);
    const err = handler.locator('.error');
    await err.waitFor();
    assert.match(await err.innerText(), /R02/);
    assert.match(await err.innerText(), /处理建议/);
    await shot(handler, 'a01-submit-refused-R02');

    await open(handler, `/proposals/${state.proposal}/edit`);
    await handler.getByLabel('四、处理建议').fill('建议同意试点方案，由耕地保护处牵头组织实施。');
    await handler.getByRole('button', { name: '保存' }).click();
    await handler.waitForURL(new RegExp(`/proposals/${state.proposal}$`));
    await open(handler, `/proposals/${state.proposal}`);
    await act(handler, null, '提交议题');
    await handler.waitForSelector('.badge:has-text("待分管领导审核")');
    await shot(handler, 'a02-submitted');
  });

  await step(t, '分管领导审核提交单（R04），承办人补充法律意见（R03）', async () => {
    await open(deputy, `/proposals/${state.proposal}`);
    const form = deputy.locator('form:has(h3:has-text("审核提交单"))');
    await form.getByLabel('意见').fill('同意提交，请补充法律顾问意见。');
    await act(deputy, form, '提交');
    await deputy.waitForSelector('.badge:has-text("会前酝酿")');

    await open(handler, `/proposals/${state.proposal}`);
    const rec = handler.locator('form:has(h3:has-text("登记会前征求意见记录"))');
    await rec.locator('select').selectOption('legal');
    await rec.getByLabel('摘要').fill('法律顾问审查意见：方案符合《土地管理法》及相关规定。');
    await act(handler, rec, '登记', { confirmIt: false });
    await handler.waitForSelector('.badge:has-text("已齐备")');
    await shot(handler, 'a03-preconsult-record');
  });

  await step(t, '主要领导会前酝酿：提交会议研究（R05）', async () => {
    await open(principal, `/proposals/${state.proposal}`);
    const form = principal.locator('form:has(h3:has-text("会前酝酿决定"))');
    await form.locator('select').selectOption('to_meeting');
    await form.getByLabel('理由').fill('条件成熟，提交党组会议研究。');
    await act(principal, form, '提交');
    await principal.waitForSelector('.badge:has-text("待上会")');
  });

  await step(t, '办公室安排会议、发通知、登记出席并宣布开会（R06, R08）', async () => {
    await open(clerk, '/meetings/new');
    await clerk.getByLabel('会议名称').fill('端到端测试党组会议');
    await clerk.getByLabel('开始时间').fill(localDateTime(7));
    await clerk.getByLabel('地点').fill('局机关三楼会议室');
    await clerk.getByLabel(TITLE).check();
    await clerk.getByRole('button', { name: '保存会议安排' }).click();
    await clerk.waitForURL(/\/meetings\/(?!new$)[^/]+$/);
    state.meeting = idFromUrl(clerk);
    await settleAction(clerk);
    await act(clerk, null, '发送通知');
    await clerk.waitForSelector('.badge:has-text("已通知")');
    for (const row of await clerk.locator('table.stack-sm tbody tr').all()) {
      await row.locator('select').selectOption('present');
      await row.getByRole('button', { name: '登记' }).click();
      await settleAction(clerk);
    }
    await clerk.waitForSelector('.quorum.met');
    await shot(clerk, 'a04-attendance-quorum');
    await act(clerk, null, '宣布开会');
    await clerk.waitForSelector('.badge:has-text("进行中")');
  });

  await step(t, '记录发言，主要领导最后表态（R10），选择记名表决（R11, R12）', async () => {
    await open(clerk, `/meetings/${state.meeting}`);
    const speakers = [
      ['gaofei', 'presenter'], ['wangqiang', 'deputy'], ['lina', 'member'], ['liuyang', 'member'], ['chenjing', 'member'], ['zhangwei', 'principal'],
    ];
    const names = { gaofei: '高飞', wangqiang: '王强', lina: '李娜', liuyang: '刘洋', chenjing: '陈静', zhangwei: '张伟' };
    for (const [who, role] of speakers) {
      const form = clerk.locator('form:has(h4:has-text("记录发言"))');
      await form.locator('select').nth(0).selectOption({ label: names[who] });
      await form.locator('select').nth(1).selectOption(role);
      await form.locator('select').nth(2).selectOption('agree');
      await form.getByLabel('发言要点').fill(`${names[who]}：同意。`);
      await form.getByRole('button', { name: '记录' }).click();
      await settleAction(clerk);
    }
    await open(principal, `/meetings/${state.meeting}`);
    const path = principal.locator('form:has(h4:has-text("选择议决方式"))');
    await path.locator('select').first().selectOption('vote');
    await act(principal, path, '确定议决方式');
    await principal.waitForSelector('text=表决进行中');
    await shot(principal, 'a05-voting-open');
  });

  await step(t, '五名成员分别投票，主要领导最后（R10, R11）', async () => {
    // The principal may not vote before every other present member (named vote, R10).
    await open(principal, `/meetings/${state.meeting}/ballot/${state.proposal}`);
    await principal.getByRole('button', { name: '同意', exact: true }).click();
    await principal.getByRole('button', { name: '提交表决' }).click();
    await confirm(principal);
    const early = principal.locator('.error');
    await early.waitFor();
    assert.match(await early.innerText(), /R10/);
    await shot(principal, 'a06-principal-too-early-R10');

    for (const [i, who] of MEMBERS.entries()) {
      const m = await signIn(who, { width: i % 2 ? 390 : 1280 });
      await open(m, `/meetings/${state.meeting}`);
      await m.getByRole('link', { name: '去投票' }).click();
      await m.waitForSelector('.ballot-choices');
      await m.getByRole('button', { name: '同意', exact: true }).click();
      await m.getByLabel('意见').fill('同意。');
      await shot(m, `a07-ballot-chosen-${who}`);
      await m.getByRole('button', { name: '提交表决' }).click();
      await confirm(m);
      await m.waitForSelector('.receipt');
      await shot(m, `a07-ballot-receipt-${who}`);
      await m.context().close();
    }
    // The principal's meeting page counts the ballots live (SSE).
    await open(principal, `/meetings/${state.meeting}`);
    await principal.waitForSelector('text=已投 4');
    await open(principal, `/meetings/${state.meeting}/ballot/${state.proposal}`);
    await principal.getByRole('button', { name: '同意', exact: true }).click();
    await principal.getByRole('button', { name: '提交表决' }).click();
    await confirm(principal);
    await principal.waitForSelector('.receipt');
    await shot(principal, 'a08-principal-receipt');
  });

  await step(t, '结束表决、作出决定（R13）、结束会议', async () => {
    await open(principal, `/meetings/${state.meeting}`);
    await act(principal, null, '结束表决并计票');
    await principal.waitForSelector('.tally');
    const form = principal.locator('form:has(h4:has-text("作出决定"))');
    await form.locator('select').selectOption('adopted');
    await form.getByLabel('决定内容').fill('同意城东片区低效用地再开发试点项目实施方案。');
    await act(principal, form, '确定决定');
    await principal.waitForSelector('text=决定：通过');
    await shot(principal, 'a09-decided');
    await act(principal, null, '结束会议');
    await principal.waitForSelector('.badge:has-text("已结束")');
  });

  await step(t, '起草、批准会议纪要（R15），发布公示（R16）', async () => {
    await open(clerk, `/meetings/${state.meeting}`);
    await clerk.getByRole('button', { name: '根据决定生成纪要草稿' }).click();
    await clerk.waitForURL(/\/minutes\/[^/]+$/);
    state.minutes = idFromUrl(clerk);
    await open(principal, `/minutes/${state.minutes}`);
    await act(principal, null, '批准纪要');
    await principal.waitForSelector('h1:has-text("〔")');
    await shot(principal, 'a10-minutes-approved');
    const pdf = await api(principal, 'GET', `/minutes/${state.minutes}`);
    assert.equal(pdf.status, 200);
    const r = await principal.request.get(`${new URL(principal.url()).origin}/api/v1/minutes/${state.minutes}/pdf`);
    assert.equal(r.status(), 200);
    assert.match(r.headers()['content-type'], /application\/pdf/);

    await open(clerk, `/minutes/${state.minutes}`);
    await act(clerk, null, '发布公示');
    await clerk.waitForURL(/\/publications\/[^/]+$/);
    state.publication = idFromUrl(clerk);
  });

  await step(t, '(c) 干部职工在公示期内提出意见（R16, S01）', async () => {
    const staff = await signIn('hejun');
    await open(staff, '/publications');
    const first = staff.locator('.list-item').first();
    assert.match(await first.innerText(), /公示中/);
    await open(staff, `/publications/${state.publication}`);
    const form = staff.locator('form:has(h3:has-text("提出意见"))');
    await form.getByLabel('意见').fill('建议试点过程中加强对原土地使用权人的沟通。');
    await form.getByRole('button', { name: '提交意见' }).click();
    await settleAction(staff);
    await staff.waitForSelector('text=意见已提交');
    await staff.waitForSelector('text=我提出的意见');
    await shot(staff, 'c01-staff-opinion');
    await staff.context().close();

    await open(clerk, `/publications/${state.publication}`);
    await clerk.waitForSelector('text=建议试点过程中加强对原土地使用权人的沟通');
    await shot(clerk, 'c02-clerk-sees-opinion');
  });

  // Signs the clerk and the principal in again after the test clock moved a week on (every
  // session has long been idle by then, R41).
  const later = async () => {
    await advanceClock(clerk, 7 * 86400);
    await clerk.context().close();
    await principal.context().close();
    clerk = await signIn('sunli');
    principal = await signIn('zhangwei');
  };
  const summarise = async (text) => {
    await open(clerk, `/publications/${state.publication}`);
    await clerk.waitForSelector('.badge:has-text("公示已结束")');
    const sum = clerk.locator('form:has(h3:has-text("汇总公示意见"))');
    await sum.locator('textarea').fill(text);
    await act(clerk, sum, '提交');
  };

  await step(t, '公示结束后汇总意见，主要领导决定调整纪要（R17）', async () => {
    await later();
    await summarise('公示期间收到意见 1 条：建议加强与原土地使用权人的沟通。');
    await open(principal, `/publications/${state.publication}`);
    const res = principal.locator('form:has(h3:has-text("公示后决定"))');
    await res.locator('select').selectOption('adjust');
    await res.getByLabel('说明').fill('吸收公示意见，在纪要中写明与原土地使用权人沟通的要求。');
    await act(principal, res, '提交');
    await principal.waitForSelector('text=主要领导决定：调整');
  });

  await step(t, '办公室修订纪要形成第 2 版，主要领导重新审定（R15, R17）', async () => {
    await open(clerk, `/publications/${state.publication}`);
    await clerk.getByRole('link', { name: '修订纪要' }).click();
    await clerk.waitForSelector('form:has(h3:has-text("修订纪要"))');
    const form = clerk.locator('form:has(h3:has-text("修订纪要"))');
    await form.getByLabel('结束语').fill('会议要求承办处室在试点实施中加强与原土地使用权人的沟通。');
    await form.getByLabel('修订理由').fill('按主要领导公示后决定，吸收公示意见。');
    await act(clerk, form, '保存为新版本', { confirmIt: false });
    await clerk.waitForURL((u) => !u.pathname.endsWith(state.minutes));
    const revised = idFromUrl(clerk);
    await clerk.waitForSelector('text=第 2 版');
    await open(principal, `/minutes/${revised}`);
    await principal.waitForSelector('text=加强与原土地使用权人的沟通');
    await act(principal, null, '批准纪要');
    await principal.waitForSelector('.badge:has-text("已审定")');
    await shot(principal, 'a11-minutes-revised');
    // The first version is kept, superseded by the second (R15).
    const v = await api(principal, 'GET', `/minutes/${revised}`);
    assert.equal(v.json.version_no, 2);
    assert.equal(v.json.versions.length, 2);
    await open(clerk, `/minutes/${revised}`);
    await act(clerk, null, '发布公示');
    await clerk.waitForURL((u) => u.pathname.startsWith('/publications/') && !u.pathname.endsWith(state.publication));
    state.publication = idFromUrl(clerk);
  });

  await step(t, '重新公示结束后汇总意见、主要领导确认并归档（R17, R18）', async () => {
    await later();
    await summarise('重新公示期间未收到意见。');
    await open(principal, `/publications/${state.publication}`);
    const res = principal.locator('form:has(h3:has-text("公示后决定"))');
    await res.locator('select').selectOption('confirm');
    await act(principal, res, '提交');
    // Confirmation archives the proposal with its records and PDFs (R18): on a loaded machine the
    // debug build takes longer than the buttons' 15 s, so wait for the decision itself.
    await principal.waitForSelector('text=主要领导决定：确认', { timeout: 60000 });
    await open(principal, `/proposals/${state.proposal}`);
    await principal.waitForSelector('.badge:has-text("已归档"), .badge:has-text("已确认")');
    await shot(principal, 'a12-proposal-archived');
    await open(principal, '/archive');
    await principal.waitForSelector(`text=${TITLE}`);
    await shot(principal, 'a13-archive');
  });
});
