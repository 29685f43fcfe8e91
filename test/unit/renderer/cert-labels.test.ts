import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateView, ConsentRequestView } from '../../../common/ipc-contract.ts';
import { groupCertificates, parseLabels, withLabel } from '../../../renderer/cert-aliases.ts';
import { certificateMatches } from '../../../renderer/screens/Certificates.tsx';
import { preselect } from '../../../renderer/preferred-certificate.ts';

const fp = (c: string) => c.repeat(64);
const cert = (id: string, name: string, fingerprint: string, extra: Partial<CertificateView> = {}): CertificateView => ({
  id, source: 'usb', sourceLabel: 'Key', label: 'k', subject: '', enterpriseName: name, issuer: '', caProfile: null,
  serialNumber: '', notBefore: '', notAfter: '', keyAlgorithm: '', fingerprintSha256: fingerprint,
  uscc: null, legalPersonKind: null, orgCode: null, checks: [], trusted: true, canLogin: true, pin: null, ...extra,
});

test('labels: only well-formed entries survive what is stored; empty labels are dropped; 40 characters at most', () => {
  assert.deepEqual(parseLabels(null), {});
  assert.deepEqual(parseLabels('not json'), {});
  assert.deepEqual(parseLabels('[1,2]'), {});
  assert.deepEqual(parseLabels(JSON.stringify({ [fp('a')]: { alias: ' 华正 ', group: 7 }, bogus: { alias: 'x' }, [fp('b')]: { alias: '' } })), { [fp('a')]: { alias: '华正' } });
  const long = withLabel({}, fp('c'), { alias: '长'.repeat(60), group: '客户\u0000' });
  assert.equal(long[fp('c')]!.alias!.length, 40);
  assert.equal(long[fp('c')]!.group, '客户');
  assert.deepEqual(withLabel(long, fp('c'), { alias: ' ', group: '' }), {});
});

test('grouping: named groups in order, the ungrouped last; no labels → one group', () => {
  const a = cert('1', '甲公司', fp('a'));
  const b = cert('2', '乙公司', fp('b'));
  const c = cert('3', '丙公司', fp('c'));
  assert.deepEqual(groupCertificates([a, b, c], {}).map((g) => [g.group, g.certs.length]), [[null, 3]]);
  const labels = { [fp('a')]: { group: '代账客户' }, [fp('c')]: { group: '本公司' } };
  assert.deepEqual(groupCertificates([a, b, c], labels).map((g) => [g.group, g.certs.map((x) => x.id)]), [['本公司', ['3']], ['代账客户', ['1']], [null, ['2']]]);
});

test('search finds a certificate by the clerk\'s alias or group too', () => {
  const a = cert('1', '石家庄华正测试科技有限公司', fp('a'));
  assert.equal(certificateMatches(a, '老客户'), false);
  assert.equal(certificateMatches(a, '老客户', { alias: '老客户A' }), true);
  assert.equal(certificateMatches(a, '代账', { group: '代账客户' }), true);
});

test('consent preselect: the portal\'s USCC wins, then the card the clerk clicked 登录 on, then the first usable; never a locked key', () => {
  const uscc = (v: string) => ({ value: v, valid: true, source: 's', confidence: 'high' });
  const locked = { retriesLeft: 0, low: true, finalTry: false, locked: true };
  const req = (expectedUscc: string | null): ConsentRequestView => ({
    requestId: 'r', origin: 'https://www.hbzwfw.gov.cn', expectedUscc, createdAt: '', expiresAt: '',
    candidates: [cert('a', '甲', fp('a'), { uscc: uscc('91130000000000000A') }), cert('b', '乙', fp('b'), { uscc: uscc('91130000000000000B') }), cert('c', '丙', fp('c'), { pin: locked })],
  });
  assert.equal(preselect(req(null)), 'a');
  assert.equal(preselect(req(null), 'b'), 'b');
  assert.equal(preselect(req('91130000000000000A'), 'b'), 'a');
  assert.equal(preselect(req(null), 'c'), 'a', 'a locked key is never preselected');
  assert.equal(preselect(req(null), 'gone'), 'a');
});
