// Incoming documents (收文): a classified document is refused (D01); a normal one is
// registered, distributed to a main and a co-handling section (D02), assigned, accepted,
// reviewed by the office and read by the leader in charge (D03), completed and archived.
import { test, before, after } from 'node:test';
import { launch, close, signIn, step, open, act, settleAction, shot, idFromUrl, assert } from '../lib.mjs';

const TITLE = `关于开展2026年度土地例行督察整改“回头看”的通知（端到端测试 ${Date.now() % 100000}）`;
const state = {};

before(async () => { await launch(); });
after(async () => { await close(); });

async function headerState(page) {
  return (await page.locator('.page-header .badge').first().innerText()).trim();
}

test('收文：登记、分办、交办、签收、审核、阅批、办结、归档', async (t) => {
  const clerk = await signIn('sunli');

  await step(t, '涉密文件不得录入（D01），普通文件登记', async () => {
    await open(clerk, '/incoming/new');
    await clerk.getByLabel('标题').fill(TITLE);
    await clerk.getByLabel('来文单位').fill('省自然资源厅');
    await clerk.getByLabel('来文字号').fill('省自然资发〔2026〕88号');
    const secrecy = clerk.locator('.field:has(.field-label:text-is("密级")) select');
    await secrecy.selectOption('secret');
    await clerk.waitForSelector('text=涉密渠道');
    await clerk.getByRole('button', { name: '登记' }).click();
    const err = clerk.locator('.error');
    await err.waitFor();
    assert.match(await err.innerText(), /D01/);
    await shot(clerk, 'i01-secret-refused-D01');
    await secrecy.selectOption('internal');
    await clerk.getByRole('button', { name: '登记' }).click();
    await clerk.waitForURL(/\/incoming\/(?!new$)[^/]+$/);
    state.doc = idFromUrl(clerk);
    await settleAction(clerk);
    assert.equal(await headerState(clerk), '已登记');
  });

  await step(t, '办公室分办：耕地保护处主办，财务处协办（D02）', async () => {
    const form = clerk.locator('form:has(h3:has-text("分办"))');
    await form.locator('select').selectOption({ label: '耕地保护处' });
    await form.getByLabel('财务处').check();
    await act(clerk, form, '分办', { confirmIt: false });
    assert.equal(await headerState(clerk), '已分办');
  });

  await step(t, '处室负责人交办，承办人签收', async () => {
    for (const [head, handler, name] of [['zhengkai', 'gaofei', '高飞'], ['wuhua', 'xuming', '徐明']]) {
      const h = await signIn(head);
      await open(h, `/incoming/${state.doc}`);
      const form = h.locator('form:has(h3:has-text("分派承办人"))');
      await form.locator('select').selectOption({ label: name });
      await act(h, form, '分派', { confirmIt: false });
      await h.context().close();
      const p = await signIn(handler);
      await open(p, `/incoming/${state.doc}`);
      await act(p, null, '签收', { confirmIt: false });
      await p.context().close();
    }
  });

  await step(t, '协办处室提交协办意见，办公室主任审核，分管领导阅批（D03）', async () => {
    const co = await signIn('xuming');
    await open(co, `/incoming/${state.doc}`);
    const done = co.locator('form:has(h3:has-text("办结"))');
    await done.locator('textarea').fill('财务处意见：整改经费已纳入年度预算。');
    await act(co, done, '办结');
    await co.context().close();

    const office = await signIn('zhaomin');
    await open(office, `/incoming/${state.doc}`);
    const review = office.locator('form:has(h3:has-text("审核"))');
    await review.locator('textarea').fill('拟请王强副局长阅批。');
    await act(office, review, '审核并呈领导阅批', { confirmIt: false });
    await office.context().close();

    const leader = await signIn('wangqiang');
    await open(leader, `/incoming/${state.doc}`);
    const ins = leader.locator('form:has(h3:has-text("阅批"))');
    await ins.locator('select').selectOption('opinion');
    await ins.locator('textarea').fill('请耕保处抓紧整改，按期报送。');
    await act(leader, ins, '提交');
    await leader.waitForSelector('text=请耕保处抓紧整改');
    await shot(leader, 'i02-instruction');
    await leader.context().close();
  });

  await step(t, '主办承办人办结，办公室归档', async () => {
    const handler = await signIn('gaofei');
    await open(handler, `/incoming/${state.doc}`);
    const done = handler.locator('form:has(h3:has-text("办结"))');
    await done.locator('textarea').fill('已按要求完成整改并报送省厅。');
    await act(handler, done, '办结');
    assert.equal(await headerState(handler), '已办结');
    await handler.context().close();

    await open(clerk, `/incoming/${state.doc}`);
    await act(clerk, null, '归档');
    assert.equal(await headerState(clerk), '已归档');
    await shot(clerk, 'i03-archived');
  });
});
