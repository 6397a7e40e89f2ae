// Scenario (b): an outgoing document from draft through section review, countersign,
// consolidation, office verification and sign-off (numbered, D09) to issue, and the
// GB/T 9704 PDF of the issued document.
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, close, signIn, step, open, act, settleAction, shot, idFromUrl, assert } from '../lib.mjs';

const TITLE = `关于开展2027年度国土空间规划实施监测的通知（端到端测试 ${Date.now() % 100000}）`;
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const state = {};

before(async () => { await launch(); });
after(async () => { await close(); });

/** The state badge in the page header. */
async function headerState(page) {
  return (await page.locator('.page-header .badge').first().innerText()).trim();
}

test('(b) 发文：拟稿、审核、会签、核稿、签发、编号、印发，生成 PDF', async (t) => {
  // huangxin (规划处) drafts: the demo has gaofei away on training (AB岗, D11).
  const drafter = await signIn('huangxin');

  await step(t, '承办人拟稿（结构化正文）并提交处室审核（D04）', async () => {
    await open(drafter, '/outgoing/new');
    await drafter.getByLabel('标题').fill(TITLE);
    await drafter.getByLabel('主送机关').fill('各县（区）自然资源局');
    await drafter.getByLabel('抄送机关').fill('市人民政府办公室');
    const blocks = drafter.locator('.doc-block');
    await blocks.nth(0).locator('select').selectOption('h1');
    await blocks.nth(0).locator('input').fill('督查范围');
    await drafter.getByRole('button', { name: '＋ 段落' }).click();
    await blocks.nth(1).locator('textarea').fill('全市各县（区）2026年度新增建设用地占用耕地情况。');
    await drafter.getByRole('button', { name: '＋ 一级标题' }).click();
    await blocks.nth(2).locator('input').fill('工作要求');
    await drafter.getByRole('button', { name: '＋ 段落' }).click();
    await blocks.nth(3).locator('textarea').fill('请各单位于2027年3月31日前报送自查报告。');
    // The preview numbers the headings the way the PDF does (一、二、).
    await drafter.waitForSelector('.doc-preview h4:has-text("二、工作要求")');
    await shot(drafter, 'b01-editor');
    await drafter.getByRole('button', { name: '保存' }).click();
    await drafter.waitForURL(/\/outgoing\/(?!new$)[^/]+$/);
    state.doc = idFromUrl(drafter);
    await settleAction(drafter);
    await act(drafter, null, '提交处室审核');
    assert.equal(await headerState(drafter), '处室审核');
  });

  await step(t, '处室负责人审核通过', async () => {
    const head = await signIn('zhoujie');
    await open(head, `/outgoing/${state.doc}`);
    const form = head.locator('form:has(h3:has-text("处室审核"))');
    await form.getByLabel('意见').fill('同意，请送财务处会签。');
    await act(head, form, '提交');
    assert.equal(await headerState(head), '主办处室汇总');
    await head.context().close();
  });

  await step(t, '送财务处会签，财务处提出修改意见（D05）', async () => {
    await open(drafter, `/outgoing/${state.doc}`);
    const cs = drafter.locator('form:has(h3:has-text("送会签"))');
    await cs.getByLabel('财务处').check();
    await act(drafter, cs, '送会签');
    assert.match(await headerState(drafter), /会签/);

    const finance = await signIn('wuhua');
    await open(finance, `/outgoing/${state.doc}`);
    const form = finance.locator('form:has(h3:has-text("会签意见"))');
    await form.locator('select').selectOption('agree_with_changes');
    await form.locator('textarea').fill('督查经费由局机关统筹安排，建议在第二部分注明。');
    await act(finance, form, '提交');
    await finance.waitForSelector('text=修改后同意');
    await shot(finance, 'b02-countersign-opinion');
    await finance.context().close();
  });

  await step(t, '主办处室汇总定稿，办公室核稿（D06）', async () => {
    await open(drafter, `/outgoing/${state.doc}`);
    assert.equal(await headerState(drafter), '主办处室汇总');
    const form = drafter.locator('form:has(h3:has-text("汇总定稿"))');
    await form.getByRole('button', { name: '＋ 段落' }).click();
    await form.locator('.doc-block').last().locator('textarea').fill('督查经费由局机关统筹安排。');
    await act(drafter, form, '定稿送核');
    assert.equal(await headerState(drafter), '办公室核稿');

    const office = await signIn('zhaomin');
    await open(office, `/outgoing/${state.doc}`);
    const verify = office.locator('form:has(h3:has-text("核稿"))');
    await verify.getByLabel('意见').fill('文字已核。');
    await act(office, verify, '提交');
    assert.equal(await headerState(office), '待签发');
    await office.context().close();
  });

  await step(t, '分管领导签发，编发文号（D07, D08, D09）', async () => {
    const leader = await signIn('wangqiang');
    await open(leader, `/outgoing/${state.doc}`);
    const form = leader.locator('form:has(h3:has-text("签发"))');
    await form.locator('textarea').fill('同意印发。');
    await act(leader, form, '签发');
    const facts = await leader.locator('.facts').first().innerText();
    const m = facts.match(/X国土资发〔\d{4}〕\d+号/);
    assert.ok(m, `文号 missing in: ${facts}`);
    state.number = m[0];
    assert.match(facts, /签发后未被改动/);
    await shot(leader, 'b03-signed-numbered');
    await leader.context().close();
  });

  await step(t, '办公室印发归档（D14），PDF 含文号（P02）', async () => {
    const clerk = await signIn('sunli');
    await open(clerk, `/outgoing/${state.doc}`);
    await act(clerk, null, '印发并归档');
    assert.match(await headerState(clerk), /已印发|已归档/);
    await shot(clerk, 'b04-issued');
    const origin = new URL(clerk.url()).origin;
    const r = await clerk.request.get(`${origin}/api/v1/outgoing/${state.doc}/pdf`);
    assert.equal(r.status(), 200);
    assert.match(r.headers()['content-type'], /application\/pdf/);
    const pdf = await r.body();
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    const file = join(ARTIFACTS, 'b05-issued.pdf');
    writeFileSync(file, pdf);
    try {
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      assert.ok(text.replace(/\s+/g, '').includes(state.number), `PDF text lacks ${state.number}`);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e; // pdftotext not installed: the header checks above stand
    }
    await clerk.context().close();
  });
});
