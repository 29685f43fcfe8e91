// 企业名称 from real CA certificates (test/fixtures/realworld, see SOURCES.md there) and the test PKI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCertificateFile } from '../../../main/pki/read.ts';
import type { ParsedCertificate } from '../../../main/pki/certificate.ts';
import { cnNameSegment, enterpriseNameOf, looksLikeIdentifier } from '../../../main/pki/subject-name.ts';
import { inspectCertificate } from '../../../main/pki/inspect.ts';
import { getTestPki } from '../../fixtures/pki.ts';

const realworld = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/realworld');

function leafOf(file: string): ParsedCertificate {
  const full = path.join(realworld, file);
  const c = readCertificateFile(fs.readFileSync(full), { fileName: file }).certificates[0];
  assert.ok(c, file);
  return c;
}

test('CFCA: the CA name in subject O is skipped, the name comes from the CN @ segment (both layouts)', () => {
  // O=CFCA ACS OCA1, CN=MsgCryp@名称@N<USCC>@1
  assert.deepEqual(enterpriseNameOf(leafOf('cfca-sm2-msgcrypto-enterprise-uscc.pem')), { value: '武汉合众易宝科技有限公司', source: 'subject:CN' });
  // O=CFCA TEST OCA1, CN=051@名称@N<USCC>@1
  assert.equal(enterpriseNameOf(leafOf('cfca-rsa-test-oca1-enterprise-uscc.pem'))?.value, '湖南咖啡之翼品牌管理股份有限公司');
  // O=OCA31SM2 (no "CFCA" in it): the profile's caSubjectO knows it
  assert.equal(enterpriseNameOf(leafOf('cfca-sm2-acs-test-oca31-z-prefixed.pem'))?.value, '测试');
});

test('CFCA 0305 layout without a name: the CN is shown, never the CA name in O', () => {
  const cert = leafOf('cfca-sm2-cmbc-0305-enterprise.pem');
  const n = enterpriseNameOf(cert);
  assert.equal(n?.source, 'subject:CN');
  assert.match(n!.value, /^0305@8913301103418580566@/);
  // Without CA knowledge the subject O (the CA's own name) would win: the profile is what prevents it.
  assert.deepEqual(enterpriseNameOf(cert, []), { value: 'CFCA OCA1', source: 'subject:O' });
});

test('other real certificates: O when it is the enterprise, CN when O is the CA (HEBCA, SHECA)', () => {
  const cases: [string, string][] = [
    ['cfca-sm2-boc-ebssec-leaf.pem', '中国银行股份有限公司'], // O is the bank, CN a host name
    ['gdca-rsa-r4-generic-enterprise.pem', '北京枫玉科技有限公司'],
    ['hebca-rsa-personal-test.pem', '管火志'], // O=hebca is the issuer's O
    ['hebca-sm2-uscc-attr.pem', '王一同1'],
    ['sheca-sm2-2013-bmpstring-explicit-tag.pem', '王玉林SM2_test1'], // O=SHECA
    ['sheca-sm2-test-enterprise-uscc.pem', '上海悦达塞夫纳节能科技有限公司'],
    ['fjca-rsa-orgcode-only-2013.pem', '福建博思软件股份有限公司（业务专用五）'], // full-width brackets kept as written
    ['bjca-sm2-enterprise-uscc.pem', '北京数字认证股份有限公司'], // name=<USCC> is an identifier, not a name
    ['zjca-rsa-bmpstring-issuer-signed-message.p7s', '测试 _上海佳和健康管理有限公司'],
    ['jsca-rsa-all-bmpstring-2001.pem', '行助手2.0测试2016052406'],
  ];
  for (const [file, name] of cases) assert.equal(enterpriseNameOf(leafOf(file))?.value, name, file);
});

test('a CA certificate named only by O still gets a name', () => {
  assert.deepEqual(enterpriseNameOf(leafOf('cfca-sm2-oca1.pem')), { value: 'CFCA SM2 OCA1', source: 'subject:O' });
});

test('CN segments and identifiers', () => {
  assert.equal(cnNameSegment('041@N91131002MA0CF4C15P@廊坊金融测试服务有限公司@1'), '廊坊金融测试服务有限公司');
  assert.equal(cnNameSegment('051@廊坊金融测试服务有限公司@N91131002MA0CF4C15P@1'), '廊坊金融测试服务有限公司');
  assert.equal(cnNameSegment('张测试@130102199003071233'), '张测试');
  assert.equal(cnNameSegment('0305@8913301103418580566@A00012017040000000934@1'), null);
  assert.equal(cnNameSegment('廊坊金融测试服务有限公司'), null);
  for (const id of ['N91131002MA0CF4C15P', '[N]91110000600001760P', 'XY91310106669433828F', '73184420-7', '130102199003071233']) assert.ok(looksLikeIdentifier(id), id);
  for (const name of ['中国银行股份有限公司', 'CFCA OCA1', 'ebssec.boc.cn', 'C010']) assert.ok(!looksLikeIdentifier(name), name);
});

test('test PKI: every leaf shows the enterprise name the fixture expects', async () => {
  const pki = await getTestPki();
  let checked = 0;
  for (const e of Object.values(pki.entries)) {
    if (e.kind !== 'leaf') continue;
    const c = readCertificateFile(fs.readFileSync(e.certPem), { fileName: path.basename(e.certPem) }).certificates[0]!;
    const n = enterpriseNameOf(c);
    if (e.expect.enterpriseName !== undefined) {
      assert.equal(n?.value, e.expect.enterpriseName, e.id);
      checked++;
    }
  }
  assert.ok(checked >= 10, `checked ${checked}`);
  const personal = readCertificateFile(fs.readFileSync(pki.get('neg-personal').certPem)).certificates[0]!;
  assert.equal(enterpriseNameOf(personal)?.value, '张测试');
});

test('inspect reports the enterprise name (inspect --json field enterpriseName)', () => {
  const leaf = leafOf('cfca-sm2-msgcrypto-enterprise-uscc.pem');
  const report = inspectCertificate(leaf, { now: new Date('2026-01-01T00:00:00Z'), anchors: [], intermediates: [] });
  assert.equal(report.enterpriseName, '武汉合众易宝科技有限公司');
  assert.match(report.subject, /O=CFCA ACS OCA1/);
});
