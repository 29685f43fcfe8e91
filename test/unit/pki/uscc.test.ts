import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeUscc, isValidUscc, legalPersonKind, normalizeUscc, usccCheckChar, orgCodeCheckChar, institutionTypeName, registrationAuthorityName } from '../../../main/pki/uscc.ts';

// Real, published codes (university / foundation / company notices), with their check chars.
const REAL: [string, string, string][] = [
  ['91440300708461136T', '企业法人', '深圳市'],
  ['914403001922038216', '企业法人', '深圳市'],
  ['91350100M000100Y43', '企业法人', '福州市'],
  ['12310000425022547M', '事业单位', '上海市'],
  ['12100000470095016Q', '事业单位', '全国'],
  ['12100000425006117P', '事业单位', '全国'],
  ['53100000500019795A', '基金会', '全国'],
];

test('real published USCCs validate and decode', () => {
  for (const [code, kind, region] of REAL) {
    const a = analyzeUscc(code);
    assert.equal(a.valid, true, code);
    assert.equal(a.checkChar, code[17]);
    assert.equal(a.expectedCheckChar, code[17]);
    assert.equal(usccCheckChar(code.slice(0, 17)), code[17]);
    assert.equal(a.orgType?.legalPersonKind, kind, code);
    assert.equal(a.region?.name, region, code);
    assert.equal(a.orgCode?.value, code.slice(8, 17));
    assert.equal(a.orgCode?.valid, true, code);
    assert.deepEqual(a.warnings, [], code);
  }
});

test('every wrong check char is caught and the right one reported', () => {
  const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  for (const [code] of REAL) {
    for (const c of CHARSET) {
      if (c === code[17]) continue;
      const a = analyzeUscc(code.slice(0, 17) + c);
      assert.equal(a.valid, false);
      assert.equal(a.expectedCheckChar, code[17]);
      assert.ok(a.warnings.some((w) => w.includes('校验码错误')));
    }
  }
});

test('normalisation: NFKC, trim, upper-case, inner spaces and hyphens removed with a warning', () => {
  assert.equal(normalizeUscc(' ９１４４０３００７０８４６１１３６ｔ '), '91440300708461136T');
  assert.equal(normalizeUscc('9144-0300-7084-6113-6T'), '91440300708461136T');
  assert.equal(normalizeUscc('914403 00708461136T\u200B'), '91440300708461136T');
  const a = analyzeUscc('9144 0300 7084 6113 6t');
  assert.equal(a.valid, true);
  assert.equal(a.input, '9144 0300 7084 6113 6t');
  assert.equal(a.normalized, '91440300708461136T');
  assert.ok(a.warnings.some((w) => w.includes('空格')));
});

test('letters outside the charset (I O S V Z) invalidate and get a hint', () => {
  const a = analyzeUscc('91440300708461136O');
  assert.equal(a.valid, false);
  assert.ok(a.warnings.some((w) => w.includes('O')));
});

test('legalPersonKind maps exactly the portal six kinds, everything else is 其他', () => {
  const expected: Record<string, string> = { '91': '企业法人', '11': '机关/群体', '13': '机关/群体', '12': '事业单位', '51': '社会团体', '52': '民办非企业', '53': '基金会' };
  for (const [k, v] of Object.entries(expected)) assert.equal(legalPersonKind(k), v, k);
  for (const k of ['92', '93', '19', '59', '21', '31', '32', '39', '41', '61', '62', '71', '72', '81', '89', 'A1', 'A9', 'N1', 'N2', 'N3', 'N9', 'Y1', '99', 'ZZ']) assert.equal(legalPersonKind(k), '其他', k);
});

test('GB 32100 authority and institution-type tables', () => {
  const authorities: Record<string, string> = { '1': '机构编制', '2': '外交', '3': '司法行政', '4': '文化', '5': '民政', '6': '旅游', '7': '宗教', '8': '工会', '9': '工商/市场监管', A: '中央军委改革和编制办公室', N: '农业', Y: '其他' };
  for (const [k, v] of Object.entries(authorities)) assert.equal(registrationAuthorityName(k), v);
  assert.equal(registrationAuthorityName('B'), null);
  const types: Record<string, string> = {
    '11': '机关', '12': '事业单位', '13': '中央编办直接管理机构编制的群众团体', '19': '其他', '21': '外国常驻新闻机构', '29': '其他',
    '31': '律师执业机构', '32': '公证处', '33': '基层法律服务所', '34': '司法鉴定机构', '35': '仲裁委员会', '39': '其他',
    '41': '外国在华文化中心', '49': '其他', '51': '社会团体', '52': '民办非企业单位', '53': '基金会', '59': '其他',
    '61': '外国旅游部门常驻代表机构', '62': '港澳台地区旅游部门常驻内地（大陆）代表机构', '69': '其他', '71': '宗教活动场所', '72': '宗教院校', '79': '其他',
    '81': '基层工会', '89': '其他', '91': '企业', '92': '个体工商户', '93': '农民专业合作社', A1: '军队事业单位', A9: '其他',
    N1: '组级集体经济组织', N2: '村级集体经济组织', N3: '乡镇级集体经济组织', N9: '其他', Y1: '其他',
  };
  for (const [k, v] of Object.entries(types)) assert.equal(institutionTypeName(k), v, k);
  assert.equal(institutionTypeName('99'), null);
  assert.equal(institutionTypeName('14'), null);
});

/** The first 17 chars of a code and the check char GB 32100 gives them. */
function withCheckChar(first17: string): string {
  return first17 + usccCheckChar(first17)!;
}

/** A code with the given first 8 chars, org code body and a correct check char (built, then checked by the validator). */
function make(first8: string, org8 = 'MA0CHR4T'): string {
  return withCheckChar(first8 + org8 + orgCodeCheckChar(org8)!);
}

test('decoded fields for each legal-person kind, Hebei regions', () => {
  const cases: [string, string, string, string][] = [
    ['91130102', '91', '企业', '企业法人'],
    ['11130100', '11', '机关', '机关/群体'],
    ['13130000', '13', '中央编办直接管理机构编制的群众团体', '机关/群体'],
    ['51130104', '51', '社会团体', '社会团体'],
    ['52130105', '52', '民办非企业单位', '民办非企业'],
    ['92130108', '92', '个体工商户', '其他'],
    ['N2130121', 'N2', '村级集体经济组织', '其他'],
  ];
  for (const [prefix, code, name, kind] of cases) {
    const a = analyzeUscc(make(prefix));
    assert.equal(a.valid, true, prefix);
    assert.deepEqual(a.orgType, { code, name, legalPersonKind: kind });
    assert.equal(a.region?.province, '河北省');
    assert.equal(a.orgCode?.valid, true);
  }
  const a = analyzeUscc(make('91130102'));
  assert.deepEqual(a.region, { code: '130102', name: '长安区', province: '河北省', city: '石家庄市', county: '长安区', retired: false });
  assert.deepEqual(a.registrationAuthority, { code: '9', name: '工商/市场监管' });
});

test('retired Hebei region codes still decode, marked retired with their successors', () => {
  const a = analyzeUscc(make('91130223'));
  assert.equal(a.valid, true);
  assert.deepEqual(a.region, { code: '130223', name: '滦县', province: '河北省', city: '唐山市', county: '滦县', retired: true });
  assert.ok(a.warnings.some((w) => w.includes('130284') && w.includes('滦州市')));
  const b = analyzeUscc(make('91130521'));
  assert.equal(b.region?.retired, true);
  assert.equal(b.region?.county, '邢台县');
  assert.ok(b.warnings.some((w) => w.includes('130502') && w.includes('130503')));
  const c = analyzeUscc(make('12130625'));
  assert.equal(c.region?.county, '徐水县');
  assert.ok(c.warnings.some((w) => w.includes('130609') && w.includes('徐水区')));
});

test('invalid shapes: placeholder, 17 chars, garbage — all keys present, nulls where undecodable', () => {
  const keys = ['input', 'normalized', 'valid', 'checkChar', 'expectedCheckChar', 'registrationAuthority', 'orgType', 'region', 'orgCode', 'warnings'];
  const zero = analyzeUscc('000000000000000000');
  assert.equal(zero.valid, false);
  assert.ok(zero.warnings.some((w) => w.includes('占位')));
  const short = analyzeUscc('91440300708461136');
  assert.equal(short.valid, false);
  assert.equal(short.checkChar, null);
  assert.equal(short.expectedCheckChar, 'T');
  const junk = analyzeUscc('x');
  assert.deepEqual(Object.keys(junk), keys);
  assert.equal(junk.region, null);
  assert.equal(junk.orgType, null);
  assert.equal(junk.orgCode, null);
  const empty = analyzeUscc('');
  assert.deepEqual(Object.keys(empty), keys);
  assert.equal(empty.valid, false);
  assert.equal(isValidUscc('91440300708461136T'), true);
  assert.equal(isValidUscc('91440300708461136'), false);
});

test('a code whose arithmetic passes but whose structure is impossible is not valid', () => {
  // Unknown registration authority "B" and unknown province "99".
  assert.equal(analyzeUscc(withCheckChar('B1130102MA0CHR4T5')).valid, false);
  assert.equal(analyzeUscc(withCheckChar('91990102MA0CHR4T5')).valid, false);
});

test('an embedded org code failing GB 11714 is a warning, not a failure', () => {
  const a = analyzeUscc(withCheckChar('91130102MA0CHR4T1'));
  assert.equal(a.valid, true);
  assert.equal(a.orgCode?.valid, false);
  assert.ok(a.warnings.some((w) => w.includes('GB 11714')));
});

test('an institution type missing from the GB 32100 table (e.g. 94) makes the code invalid', () => {
  const a = analyzeUscc(withCheckChar('94130102MA0CHR4T5'));
  assert.equal(a.valid, false);
  assert.equal(a.orgType?.name, null);
  assert.ok(a.warnings.some((w) => w.includes('机构类别代码 94')));
});
