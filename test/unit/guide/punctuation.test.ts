// The manual's punctuation as shown: half-width marks inside Chinese become full-width, doubled marks collapse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeChinesePunctuation as fix } from '../../../main/guide/punctuation.ts';
import { Guide } from '../../../main/guide/index.ts';

/** Each input beside the text the manual shows for it. */
function assertFixes(cases: [input: string, shown: string][]): void {
  for (const [input, shown] of cases) assert.equal(fix(input), shown);
}

test('punctuation: half-width marks inside Chinese sentences become full-width', () => {
  assertFixes([
    ['最佳效果,建议IE9.0或IE9.0以上版本浏览器,屏幕分辨率为1366*768。', '最佳效果，建议IE9.0或IE9.0以上版本浏览器，屏幕分辨率为1366*768。'],
    ['方法一:注册成功之后的实名认证', '方法一：注册成功之后的实名认证'],
    ['咨询电话:0315-2806300', '咨询电话：0315-2806300'],
    ['市、县(市、区)级子站', '市、县（市、区）级子站'],
    ['(1)登录后办理', '（1）登录后办理'],
    ['进行账户登录;(注:需包含统一社\n会信用代码)', '进行账户登录；（注：需包含统一社\n会信用代码）'],
    ['您忘记密码了吗?请点击找回!', '您忘记密码了吗？请点击找回！'],
    ['请关闭浏览器.', '请关闭浏览器。'],
    ['即可登录, 也可以扫码', '即可登录，也可以扫码'],
  ]);
});

test('punctuation: doubled marks collapse, a pause before a sentence end gives way', () => {
  assertFixes([
    ['点击登录，，即可', '点击登录，即可'],
    ['完成注册。。', '完成注册。'],
    ['姓名、、身份证号', '姓名、身份证号'],
    ['完成注册,。', '完成注册。'],
    ['完成注册，。然后', '完成注册。然后'],
    // Legitimate doubles stay.
    ['请稍候……', '请稍候……'],
    ['证书助手——河北', '证书助手——河北'],
  ]);
});

test('punctuation: numbers, times, URLs and Latin text keep their half-width marks', () => {
  assertFixes([
    ['办公时间9:00-17:00，收费1,000元', '办公时间9:00-17:00，收费1,000元'],
    ['访问https://www.hbzwfw.gov.cn/a?b=1即可', '访问https://www.hbzwfw.gov.cn/a?b=1即可'],
    ['IE9.0或更高', 'IE9.0或更高'],
    ['Use IE (9.0), please: ok.', 'Use IE (9.0), please: ok.'],
    ['USB Key(PKCS#11)', 'USB Key(PKCS#11)'],
  ]);
});

test('punctuation: the shipped manual reads without half-width marks between Chinese or doubled marks', () => {
  const g = Guide.open();
  const bad = /[\u4e00-\u9fff][,:;!?()]|[,:;!?()][\u4e00-\u9fff]|([，。、；：！？])\1/;
  for (const s of g.manual) {
    assert.doesNotMatch(s.title, bad, `section ${s.id} title: ${s.title}`);
    assert.doesNotMatch(s.text, bad, `section ${s.id}: ${s.text.match(bad)?.[0]}`);
  }
  assert.match(g.manualSection('1')!.passage, /最佳效果，建议/);
  // 智能问答 reads the same normalised text.
  const a = g.answer('浏览器版本要求', 1).answers[0];
  assert.ok(a && !/[\u4e00-\u9fff],/.test(a.text), a?.text);
});
