import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateView } from '../../../common/ipc-contract.ts';
import { certificateMatches } from '../../../renderer/screens/Certificates.tsx';

const cert = (enterpriseName: string, uscc: string | null): CertificateView => ({
  id: 'x', source: 'usb', sourceLabel: 'HEBCA Key', label: 'k', subject: '', enterpriseName, issuer: '', caProfile: { id: 'hebca', name: '河北CA' },
  serialNumber: '', notBefore: '', notAfter: '', keyAlgorithm: '', fingerprintSha256: '',
  uscc: uscc ? { value: uscc, valid: true, source: 's', confidence: 'high' } : null, legalPersonKind: null, orgCode: null, checks: [], trusted: true, canLogin: true, pin: null,
});

test('many keys: a clerk finds a certificate by enterprise name, by USCC typed with spaces or lower case, or by CA', () => {
  const a = cert('石家庄华正测试科技有限公司', '91130102MA0CJ1T09W');
  assert.equal(certificateMatches(a, ''), true);
  assert.equal(certificateMatches(a, '华正'), true);
  assert.equal(certificateMatches(a, '9113 0102 ma0c'), true);
  assert.equal(certificateMatches(a, '９１１３０１０２'), true, 'full-width digits');
  assert.equal(certificateMatches(a, '河北CA'), true);
  assert.equal(certificateMatches(a, '唐山'), false);
  assert.equal(certificateMatches(cert('个体户', null), '9113'), false);
});
