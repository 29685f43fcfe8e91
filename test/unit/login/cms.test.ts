/** The CMS token reader against structures pkijs writes: what it accepts and what it refuses. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { getTestPki, type TestPki } from '../../fixtures/pki.ts';
import { PemKeyStore, certDer, chainIntermediates } from '../../support/key-store.ts';
import { buildDetachedCms, CMS_OID, parseCmsToken } from '../../../main/login/cms.ts';
import { loginTbs, tbsHash } from '../../../main/login/tbs.ts';

let pki: TestPki;
let good: Uint8Array;
const tbs = loginTbs('https://www.hbzwfw.gov.cn', Buffer.alloc(32, 7).toString('base64'), 'RS256');
const WHEN = new Date('2026-06-01T08:00:00Z');

before(async () => {
  pki = await getTestPki();
  const e = pki.get('hebca-ent');
  const keys = new PemKeyStore(e);
  good = await buildDetachedCms(tbs, { algorithm: 'RS256', certificate: certDer(pki, 'hebca-ent'), intermediates: chainIntermediates(pki, e), sign: (d) => keys.sign('0', d, 'RS256', '123456') }, WHEN);
});

function code(f: () => unknown): string {
  try {
    f();
    return 'PASSED';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

/** Re-encodes the good token after changing its SignedData with pkijs. */
function variant(change: (sd: pkijs.SignedData) => void): Uint8Array {
  const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(good)).result });
  const sd = new pkijs.SignedData({ schema: ci.content });
  change(sd);
  return new Uint8Array(new pkijs.ContentInfo({ contentType: CMS_OID.signedData, content: sd.toSchema(true) }).toSchema().toBER(false));
}

test('reads what it writes: signer, intermediates, digest of tbs, signing time', () => {
  const t = parseCmsToken(good);
  assert.equal(t.kind, 'cms');
  assert.equal(t.algorithm, 'RS256');
  assert.deepEqual(Buffer.from(t.certificate.der!), Buffer.from(certDer(pki, 'hebca-ent')));
  assert.equal(t.intermediates.length, 1);
  assert.deepEqual(Buffer.from(t.cms!.messageDigest), Buffer.from(tbsHash('RS256', tbs)));
  assert.equal(t.cms!.signingTime?.toISOString(), WHEN.toISOString());
  assert.equal(t.cms!.signedAttrs[0], 0x31);
  assert.equal(t.signature.length, 256);
});

test('pkijs re-encoding of the unchanged token still reads (the reader is not tied to our writer)', () => {
  assert.equal(parseCmsToken(variant(() => {})).algorithm, 'RS256');
});

test('refuses: attached content, two signers, missing digest, missing signer certificate, trailing bytes', () => {
  assert.equal(code(() => parseCmsToken(variant((sd) => { sd.encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: CMS_OID.data, eContent: new asn1js.OctetString({ valueHex: tbs }) }); }))), 'TOKEN_MALFORMED');
  assert.equal(code(() => parseCmsToken(variant((sd) => { sd.signerInfos.push(sd.signerInfos[0]!); }))), 'TOKEN_MALFORMED');
  assert.equal(code(() => parseCmsToken(variant((sd) => {
    const attrs = sd.signerInfos[0]!.signedAttrs!;
    attrs.attributes = attrs.attributes.filter((a) => a.type !== CMS_OID.messageDigest);
    attrs.encodedValue = new ArrayBuffer(0);
  }))), 'TOKEN_MALFORMED');
  assert.equal(code(() => parseCmsToken(variant((sd) => { sd.certificates = sd.certificates!.slice(1); }))), 'TOKEN_MALFORMED');
  assert.equal(code(() => parseCmsToken(new Uint8Array([...good, 0]))), 'TOKEN_MALFORMED');
});

test('refuses other algorithms as unsupported (SHA-1 digest)', () => {
  const sha1 = variant((sd) => { sd.signerInfos[0]!.digestAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.14.3.2.26' }); });
  assert.equal(code(() => parseCmsToken(sha1)), 'FORMAT_UNSUPPORTED');
});
