import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { joinHardWrappedLines, parseManual } from '../../../main/guide/manual.ts';
import { Guide } from '../../../main/guide/index.ts';

const source = readFileSync(new URL('../../../main/guide/data/manual-source.zh.txt', import.meta.url), 'utf8');
const guide = Guide.open();
type Answer = ReturnType<Guide['answer']>['answers'][number];

/** Asks each question; its first answer must come from the section named beside it, then `check` looks at the answers. */
function eachAnswered(cases: [question: string, section: string][], check: (answers: Answer[]) => void): void {
  for (const [q, want] of cases) {
    const a = guide.answer(q).answers;
    assert.equal(a[0]?.section, want, `${q} → ${a.map((x) => x.section).join(',')}`);
    check(a);
  }
}

test('the manual splits by its own numbering: 一→1, (二)→x.2, 1、→x.y.1, (1)→deeper, phones→9', () => {
  const s = parseManual(source);
  const ids = s.map((x) => x.id);
  for (const id of ['1', '2', '3', '3.1', '3.1.1', '3.1.2', '3.1.2.1', '3.1.2.2', '3.2', '4', '4.1', '4.2', '4.2.1', '4.2.2', '5', '6', '7', '7.1', '7.2', '7.3', '8', '8.1', '8.2', '8.2.1', '8.2.2', '8.3', '8.4', '9']) assert.ok(ids.includes(id), `missing ${id}`);
  assert.equal(new Set(ids).size, ids.length);
  const byId = new Map(s.map((x) => [x.id, x]));
  assert.equal(byId.get('4.2.1')!.title, '企业数字证书登录');
  assert.equal(byId.get('3.1.2')!.title, '实名认证');
  assert.equal(byId.get('8.2')!.parent, '8');
  assert.match(byId.get('9')!.text, /0315-2806300/);
  assert.match(byId.get('9')!.text, /0315-5398272/);
  // Wrapped heading lines are rejoined; no text is lost.
  assert.match(byId.get('8.2.2')!.title, /保证用户信息安全。$/);
  const all = s.map((x) => x.title + x.text).join('').replace(/\s/g, '');
  for (const line of source.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const body = line.replace(/^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+、)/, '').replace(/\s/g, '');
    assert.ok(all.includes(body), `lost: ${line}`);
  }
});

test('the committed manual.json is what the generator makes from the text', () => {
  const committed = JSON.parse(readFileSync(new URL('../../../main/guide/data/manual.json', import.meta.url), 'utf8')) as { sections: unknown };
  assert.deepEqual(committed.sections, parseManual(source));
});

test('hard-wrapped lines rejoin into paragraphs; finished sentences, short lines, headings and list items stay lines', () => {
  const wrap = '为防止他人滥用您的手机号码，我们启用了手机验证码功能。手机号码填写后，点击右侧“获取验证码”，系统发送验证';
  assert.equal(joinHardWrappedLines(`${wrap}\n码至您的手机。\n下一段。`), `${wrap}码至您的手机。\n下一段。`);
  // Three physical lines of one sentence.
  assert.equal(joinHardWrappedLines(`${wrap}\n${wrap}\n完。`), `${wrap}${wrap}完。`);
  // A long line that ends its sentence, a short line without punctuation (a sub-heading), a list item after a long line.
  const done = `${wrap}。`;
  assert.equal(joinHardWrappedLines(`${done}\n下一段`), `${done}\n下一段`);
  assert.equal(joinHardWrappedLines('方法一：注册成功之后的实名认证\n注册成功后，系统会提示您。'), '方法一：注册成功之后的实名认证\n注册成功后，系统会提示您。');
  for (const item of ['方法二：通过账户设置', '方式一：登录用户提交的', '注意：省级站点', '1、尽量避免', '（2）实名认证方法']) {
    assert.equal(joinHardWrappedLines(`${wrap}\n${item}`), `${wrap}\n${item}`, item);
  }
  assert.equal(joinHardWrappedLines(''), '');
});

test('the reader\'s manual has no fragment left: every wrapped line of the source is joined, its paragraphs kept', () => {
  const s = (id: string) => guide.manualSection(id)!.passage.split('\n');
  assert.deepEqual(s('3.1.1'), [
    '为防止他人滥用您的手机号码，我们启用了手机验证码功能。手机号码填写后，点击右侧“获取验证码”，系统发送验证码至您的手机，请将其填至“验证码”栏内。',
    '基本信息填写完后，阅读并同意《河北政务服务网注册协议》，点击“注册”按钮，即可完成个人用户注册。',
  ]);
  assert.deepEqual(s('7.3').slice(1), ['系统提供两种方式：', '方式一：登录用户提交的咨询建议，通过用户中心查询。', '方式二：匿名用户提交的咨询建议，通过直接输入信件编号、密码查询。']);
  assert.equal(s('3.1.2.2').filter((l) => /^方法[一二三]：/.test(l)).length, 3);
  // Every line of every section now ends a sentence, or is short (a heading, a phone line).
  for (const { id } of guide.manualToc()) {
    for (const line of guide.manualSection(id)!.text.split('\n')) {
      assert.ok([...line].length < 48 || /[。！？；：）]$/.test(line), `${id}: ${line}`);
    }
  }
});

test('智能问答 answers realistic questions with the right section first', () => {
  eachAnswered([
    ['证书怎么绑定', '4.2.1'],
    ['企业数字证书登录要绑定什么', '4.2.1'],
    ['法人怎么注册', '3.2'],
    ['网页显示不全怎么办', '8.1'],
    ['唐山咨询电话', '9'],
    ['怎么切换到石家庄', '2'],
    ['实名认证怎么做', '3.1.2'],
    ['支付宝可以登录吗', '4.1'],
    ['怎么查看留言回复', '7.3'],
    ['网站里的链接打不开', '8.3'],
    ['FLASH显示不正常', '8.4'],
    ['浏览器版本要求', '1'],
    ['没有证书的法人怎么登录', '4.2.2'],
  ], (a) => {
    assert.ok(a[0]!.text.length > 0);
    for (let i = 1; i < a.length; i++) assert.ok(a[i - 1]!.score >= a[i]!.score);
  });
  assert.deepEqual(guide.answer('？？？').answers, []);
});

test('questions naming a service also suggest catalogue items', () => {
  const r = guide.answer('公积金怎么提取');
  assert.ok(r.items.some((i) => i.title === '住房公积金提取'));
});

test('智能问答 knows the assistant own troubles: locked PIN, key not found, expired certificate, browser modes', () => {
  eachAnswered([
    ['PIN锁了怎么办', 'help.pin-locked'],
    ['pin码输错三次被锁定', 'help.pin-locked'],
    ['USB Key插上没反应', 'help.key-not-found'],
    ['驱动是32位的怎么办', 'help.key-not-found'],
    ['证书过期了怎么办', 'help.cert-expired'],
    ['证书快到期怎么更新', 'help.cert-expired'],
    ['浏览器兼容模式', 'help.browser-mode'],
    ['这是个人证书不能登录', 'help.personal-cert'],
    ['网页提示未安装证书应用环境', 'help.ca-assistant'],
    ['pfx文件密码是什么', 'help.pfx-password'],
  ], (a) => {
    assert.equal(a[0]!.source, 'help');
    assert.ok(a[0]!.text.length > 20);
  });
});

test('智能问答 answers nothing rather than the nearest section when nothing is relevant', () => {
  for (const q of ['明天天气怎么样', '今天吃什么', '股票行情', '帮我写一首诗']) {
    const r = guide.answer(q);
    assert.deepEqual(r.answers, [], q);
    assert.deepEqual(r.items, [], q);
  }
});
