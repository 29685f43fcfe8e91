import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { Guide } from '../../../main/guide/index.ts';
import { installBundleUpdate, signBundle, verifyBundleUpdate } from '../../../main/guide/bundle.ts';
import { canonicalJson } from '../../../main/guide/catalogue.ts';
import { importCatalogue, readExport } from '../../../main/guide/import.ts';
import { parseCsv } from '../../../main/guide/csv.ts';
import type { CatalogueBundle } from '../../../main/guide/types.ts';

const shipped = Guide.open();
const sites = shipped.catalogue.bundle.sites;

function keys() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { pub: publicKey.export({ type: 'spki', format: 'pem' }).toString(), priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

const CSV = [
  '事项名称,站点,实施主体,事项类型,服务对象,主题,申请材料,办理流程,咨询电话,是否网办,关键词',
  '测试专用事项甲,130200,唐山市行政审批局,行政许可,法人,准营准办,"申请书|原件|1|是；营业执照|复印件|1|是",申请→受理→决定,,是,"甲事项,测试"',
  '"测试专用事项乙, 带逗号",唐山市,唐山市民政局,07,自然人,婚姻登记,,,,否,',
].join('\r\n');

function makeBundle(version: number): CatalogueBundle {
  return importCatalogue(readExport(CSV, 'csv'), { sites, version, createdAt: '2026-11-26T00:00:00Z' });
}

function tmp(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'ca-guide-')); }

function write(dir: string, name: string, bundle: unknown, sig?: unknown): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, JSON.stringify(bundle));
  if (sig !== undefined) fs.writeFileSync(f + '.sig', JSON.stringify(sig));
  return f;
}

test('CSV parser: quotes, doubled quotes, embedded commas and newlines, CRLF, BOM', () => {
  assert.deepEqual(parseCsv('\ufeffa,b\r\n"x,1","he said ""hi"""\n"line\nbreak",\n'), [['a', 'b'], ['x,1', 'he said "hi"'], ['line\nbreak', '']]);
  assert.throws(() => parseCsv('a,"open'), { code: 'IMPORT_CSV_INVALID' });
});

test('importer turns a CSV export into a valid bundle; unknown values stay null', () => {
  const b = makeBundle(2);
  assert.equal(b.items.length, 2);
  const [a, c] = b.items;
  assert.equal(a!.type, '01');
  assert.equal(a!.for, 'legal');
  assert.equal(a!.theme, '010');
  assert.deepEqual(a!.materials, [{ name: '申请书', form: '原件', copies: 1, required: true }, { name: '营业执照', form: '复印件', copies: 1, required: true }]);
  assert.deepEqual(a!.process, ['申请', '受理', '决定']);
  assert.equal(a!.consultPhone, null);
  assert.equal(a!.fee, null);
  assert.equal(c!.name, '测试专用事项乙, 带逗号');
  assert.equal(c!.site, '130200');
  assert.equal(c!.online, false);
  assert.throws(() => importCatalogue(readExport('事项名称,站点\n某事项,999999', 'csv'), { sites, version: 2, createdAt: '2026-11-26T00:00:00Z' }), { code: 'IMPORT_ROW_INVALID' });
  const json = importCatalogue(readExport(JSON.stringify([{ name: 'JSON 事项', site: '130000', department: '河北省某厅', type: '20', for: 'person', theme: '999' }]), 'json'), { sites, version: 3, createdAt: '2026-11-26T00:00:00Z' });
  assert.equal(json.items[0]!.name, 'JSON 事项');
});

test('a signed newer bundle installs atomically and replaces the shipped catalogue; search sees it', () => {
  const k = keys();
  const dir = tmp(), upd = path.join(dir, 'updates');
  fs.mkdirSync(upd);
  const b = makeBundle(shipped.version + 1);
  const f = write(dir, 'b.json', b, signBundle(b, k.priv));
  const p = installBundleUpdate({ bundleFile: f, updateDir: upd, publicKeyPem: k.pub, currentVersion: shipped.version, now: () => new Date(0) });
  assert.equal(p.version, shipped.version + 1);
  const g = Guide.open({ updateDir: upd, publicKeyPem: k.pub });
  assert.equal(g.source, 'update');
  assert.equal(g.version, shipped.version + 1);
  assert.equal(g.search('测试专用事项甲').results[0]?.title, '测试专用事项甲');
  assert.equal(g.search('行政审批局').total, 1);
  // Without the pinned key the update is not trusted: the shipped catalogue is used.
  assert.equal(Guide.open({ updateDir: upd }).source, 'shipped');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('unsigned, tampered, wrong-key, schema-invalid and older bundles are refused with codes; the old one is kept', () => {
  const k = keys(), other = keys();
  const dir = tmp(), upd = path.join(dir, 'updates');
  fs.mkdirSync(upd);
  const v2 = makeBundle(shipped.version + 1);
  installBundleUpdate({ bundleFile: write(dir, 'v2.json', v2, signBundle(v2, k.priv)), updateDir: upd, publicKeyPem: k.pub, currentVersion: shipped.version, now: () => new Date(0) });
  const before = fs.readFileSync(path.join(upd, 'current.json'), 'utf8');
  const attempt = (file: string) => installBundleUpdate({ bundleFile: file, updateDir: upd, publicKeyPem: k.pub, currentVersion: shipped.version, now: () => new Date(0) });

  const v3 = makeBundle(shipped.version + 2);
  assert.throws(() => attempt(write(dir, 'unsigned.json', v3)), { code: 'BUNDLE_UNSIGNED' });
  const tampered = structuredClone(v3);
  tampered.items[0]!.name = '被篡改的事项';
  assert.throws(() => attempt(write(dir, 'tampered.json', tampered, signBundle(v3, k.priv))), { code: 'BUNDLE_SIGNATURE_INVALID' });
  assert.throws(() => attempt(write(dir, 'otherkey.json', v3, signBundle(v3, other.priv))), { code: 'BUNDLE_SIGNATURE_INVALID' });
  assert.throws(() => attempt(write(dir, 'badsig.json', v3, { algorithm: 'Ed25519', signature: 'not base64!' })), { code: 'BUNDLE_SIGNATURE_INVALID' });
  const invalid = { ...structuredClone(v3), items: [{ id: 'x', site: 'nowhere', department: 'd' }] };
  assert.throws(() => attempt(write(dir, 'invalid.json', invalid, signBundle(invalid as CatalogueBundle, k.priv))), { code: 'BUNDLE_SCHEMA_INVALID' });
  const older = makeBundle(shipped.version + 1);
  assert.throws(() => attempt(write(dir, 'older.json', older, signBundle(older, k.priv))), { code: 'BUNDLE_DOWNGRADE' });
  assert.throws(() => verifyBundleUpdate(JSON.stringify(v3), JSON.stringify(signBundle(v3, k.priv)), null, 1), { code: 'BUNDLE_NO_TRUSTED_KEY' });

  assert.equal(fs.readFileSync(path.join(upd, 'current.json'), 'utf8'), before);
  const g = Guide.open({ updateDir: upd, publicKeyPem: k.pub });
  assert.equal(g.version, shipped.version + 1);

  // Tampering with the installed copy (user-writable directory) falls back to the shipped catalogue.
  const ptr = JSON.parse(before) as { dir: string };
  const installed = path.join(upd, ptr.dir, 'catalogue.json');
  fs.writeFileSync(installed, fs.readFileSync(installed, 'utf8').replace('测试专用事项甲', '测试专用事项丙'));
  assert.equal(Guide.open({ updateDir: upd, publicKeyPem: k.pub }).source, 'shipped');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('signatures cover canonical bytes: key order and whitespace do not matter', () => {
  const k = keys();
  const b = makeBundle(shipped.version + 1);
  const sig = JSON.stringify(signBundle(b, k.priv));
  const reordered = JSON.stringify(JSON.parse(canonicalJson(b)), null, 2);
  assert.equal(verifyBundleUpdate(reordered, sig, k.pub, shipped.version).version, shipped.version + 1);
});
