// The certificate service on real peers: OpenSSL-made PFX files (test PKI), Pkcs12KeyStore,
// the inspect checks, and the relying party's verifier accepting what consent produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTestPki } from '../../fixtures/pki.ts';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateService, describeIdentity } from '../../../main/assistant/certificates.ts';
import { readCertificateFile } from '../../../main/pki/read.ts';
import { Pkcs12KeyStore } from '../../../main/keystores/pkcs12/index.ts';
import { loadTrustAnchors } from '../../../main/pki/trust.ts';
import { verifyLoginToken, MemoryChallengeStore } from '../../../main/login/verify.ts';

test('pfx: wrong password refused, then enterprise + USCC shown, token accepted by the verifier', async () => {
  const pki = await getTestPki();
  const ent = pki.get('hebca-ent');
  const root = pki.get('hebca-root');
  const anchors = loadTrustAnchors([root.certPem], { includeBundled: false });
  const now = new Date();
  const svc = createCertificateService({
    now: () => now,
    appVersion: '0.1.0-test',
    usbStores: () => [],
    openPkcs12: (p, password) => Pkcs12KeyStore.open(p, { password }),
    anchors: () => anchors,
  });
  await assert.rejects(svc.openPfx(ent.pfx!.modern!, 'wrong-password'), { code: 'PIN_INCORRECT' });
  const list = await svc.openPfx(ent.pfx!.modern!, ent.pfx!.password);
  assert.equal(list.problems.length, 0);
  assert.equal(list.certificates.length, 1);
  const c = list.certificates[0]!;
  assert.equal(c.uscc?.value, ent.expect.uscc);
  assert.equal(c.uscc?.valid, true);
  assert.ok(c.enterpriseName.length > 0 && !c.enterpriseName.includes('='), c.enterpriseName);
  assert.ok(ent.subject === undefined || ent.subject.includes(c.enterpriseName), `${c.enterpriseName} in ${ent.subject}`);
  assert.ok(c.legalPersonKind, 'legal person kind decoded from the USCC');
  assert.equal(c.trusted, true);
  assert.equal(c.canLogin, true, JSON.stringify(c.checks));
  assert.equal(c.source, 'file');

  const store = new MemoryChallengeStore();
  const { challenge } = await store.issue(now);
  await assert.rejects(svc.createToken({ certificateId: c.id, origin: 'https://www.hbzwfw.gov.cn', challenge, pin: 'nope' }), { code: 'PIN_INCORRECT' });
  const token = await svc.createToken({ certificateId: c.id, origin: 'https://www.hbzwfw.gov.cn', challenge, pin: ent.pfx!.password });
  const ok = await verifyLoginToken(token, { origin: 'https://www.hbzwfw.gov.cn', trustAnchors: [anchors[0]!.der], challengeStore: store, now });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  assert.equal(ok.ok && ok.uscc, ent.expect.uscc);

  // No anchors configured at all: not trusted, the chain check warns (the portal decides).
  const bare = createCertificateService({ now: () => now, appVersion: 't', usbStores: () => [], openPkcs12: (p, password) => Pkcs12KeyStore.open(p, { password }), anchors: () => [] });
  const l2 = await bare.openPfx(ent.pfx!.legacy!, ent.pfx!.password);
  assert.equal(l2.certificates[0]!.trusted, false);
  assert.ok(l2.certificates[0]!.checks.some((k) => k.id === 'chain' && k.status === 'warn'));
  // Anchors of another CA only: the chain fails, so it cannot log in.
  const other = loadTrustAnchors([pki.get('cfca-root').certPem], { includeBundled: false });
  const wrong = createCertificateService({ now: () => now, appVersion: 't', usbStores: () => [], openPkcs12: (p, password) => Pkcs12KeyStore.open(p, { password }), anchors: () => other });
  const l3 = await wrong.openPfx(ent.pfx!.legacy!, ent.pfx!.password);
  assert.equal(l3.certificates[0]!.trusted, false);
  assert.equal(l3.certificates[0]!.canLogin, false);
  assert.ok(l3.certificates[0]!.checks.some((k) => k.id === 'chain' && k.status === 'fail'));
  await wrong.closeAll();
  await svc.closeAll();
  await bare.closeAll();
});

test('certificates without a USCC or expired cannot log in', async () => {
  const pki = await getTestPki();
  const anchors = loadTrustAnchors([pki.get('hebca-root').certPem], { includeBundled: false });
  const svc = createCertificateService({ now: () => new Date(), appVersion: 't', usbStores: () => [], openPkcs12: (p, password) => Pkcs12KeyStore.open(p, { password }), anchors: () => anchors });
  for (const id of ['neg-no-uscc', 'neg-expired', 'neg-personal']) {
    const e = pki.get(id);
    const pfx = e.pfx?.modern ?? e.pfx?.legacy;
    if (!pfx) continue;
    const list = await svc.openPfx(pfx, e.pfx!.password);
    const c = list.certificates.find((x) => x.fingerprintSha256 && x.sourceLabel === pfx.split('/').pop());
    assert.ok(c, id);
    assert.equal(c.canLogin, false, id);
  }
  await svc.closeAll();
});

test('real CFCA enterprise certificates show the enterprise, not the CA name in subject O', () => {
  const realworld = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/realworld');
  const cases: [string, string][] = [
    ['cfca-sm2-msgcrypto-enterprise-uscc.pem', '武汉合众易宝科技有限公司'], // O=CFCA ACS OCA1
    ['cfca-rsa-test-oca1-enterprise-uscc.pem', '湖南咖啡之翼品牌管理股份有限公司'], // O=CFCA TEST OCA1
  ];
  for (const [file, name] of cases) {
    const leaf = readCertificateFile(fs.readFileSync(path.join(realworld, file)), { fileName: file }).certificates[0]!;
    const reg = { storeId: 'usb-1', source: 'usb' as const, label: 'Key', store: {} as never };
    const identity = { id: '01', label: 'k', certificate: leaf.der, intermediates: [], algorithm: 'SM2-SM3' as const, location: { kind: 'pkcs12' as const, file } };
    const view = describeIdentity(reg, identity, { now: new Date('2026-01-01T00:00:00Z'), anchors: [], pin: null });
    assert.equal(view.enterpriseName, name, file);
    assert.equal(view.uscc?.valid, true, file);
  }
});

test('expiry reminders on the certificate view: 30 and 7 days ahead and once expired, naming the CA that renews it', async () => {
  const pki = await getTestPki();
  const ent = pki.get('hebca-ent');
  const leaf = readCertificateFile(fs.readFileSync(ent.certPem), { fileName: 'ent.pem' }).certificates[0]!;
  const reg = { storeId: 'file-1', source: 'file' as const, label: 'ent.pfx', store: {} as never };
  const identity = { id: '0', label: 'k', certificate: leaf.der, intermediates: [], algorithm: 'RS256' as const, location: { kind: 'pkcs12' as const, file: 'ent.pfx' } };
  const at = (daysBefore: number) => new Date(leaf.notAfter.getTime() - daysBefore * 86_400_000);
  const view = (now: Date) => describeIdentity(reg, identity, { now, anchors: [], pin: null });
  assert.equal(view(at(60)).expiry, null);
  const month = view(at(20)).expiry!;
  assert.equal(month.level, 'month');
  assert.ok(month.daysLeft >= 19 && month.daysLeft <= 21, String(month.daysLeft));
  assert.match(month.message, /河北CA/);
  assert.equal(month.renewalUrl, 'https://www.hebca.com');
  assert.equal(view(at(3)).expiry!.level, 'week');
  const gone = view(new Date(leaf.notAfter.getTime() + 86_400_000)).expiry!;
  assert.equal(gone.level, 'expired');
  assert.match(gone.message, /^证书已于\d{4}年\d{1,2}月\d{1,2}日过期，请联系河北CA办理更新/);
});
