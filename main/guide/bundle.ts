/**
 * Catalogue updates. The catalogue shipped inside the app is trusted because the app package is
 * (signed installer, ASAR integrity); an update from anywhere else replaces it only when its
 * detached Ed25519 signature over the canonical bytes verifies against the pinned public key
 * (policy `guideBundlePublicKey`). Refusals keep the current catalogue. Installation writes a new
 * version directory, then atomically renames the `current.json` pointer.
 */
import { createPrivateKey, createPublicKey, sign, verify, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AssistantError } from '../errors.ts';
import { canonicalBytes, Catalogue, catalogueHash, parseBundle, validateBundle } from './catalogue.ts';
import { buildCatalogueIndex } from './search/build.ts';
import { serializeIndex } from './search/index-data.ts';
import type { CatalogueBundle } from './types.ts';

export interface BundleSignature { algorithm: 'Ed25519'; signature: string }

const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

function publicKeyOf(pem: string): KeyObject {
  try {
    const k = createPublicKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    return k;
  } catch (e) {
    throw new AssistantError('BUNDLE_KEY_INVALID', '配置的目录更新公钥无效（需要 Ed25519 公钥 PEM）', { en: 'the configured catalogue update public key is not a valid Ed25519 PEM key', cause: e });
  }
}

/** Signs a bundle (tooling: the private key never ships with the app). */
export function signBundle(bundle: CatalogueBundle, privateKeyPem: string): BundleSignature {
  const key = createPrivateKey(privateKeyPem);
  return { algorithm: 'Ed25519', signature: sign(null, canonicalBytes(bundle), key).toString('base64') };
}

function readSignature(text: string | null): BundleSignature {
  if (text === null) throw new AssistantError('BUNDLE_UNSIGNED', '目录更新包没有签名，已拒绝；继续使用当前目录', { en: 'catalogue update is not signed; refused, current catalogue kept' });
  let sig: unknown;
  try { sig = JSON.parse(text); } catch { sig = null; }
  const s = sig as Partial<BundleSignature> | null;
  if (!s || s.algorithm !== 'Ed25519' || typeof s.signature !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(s.signature)) {
    throw new AssistantError('BUNDLE_SIGNATURE_INVALID', '目录更新包的签名格式无效，已拒绝；继续使用当前目录', { en: 'catalogue update signature is malformed; refused' });
  }
  return s as BundleSignature;
}

/**
 * Checks an update in the order that keeps untrusted bytes away from the parser's depth:
 * signature present → signature over the canonical bytes → schema → newer than current.
 */
export function verifyBundleUpdate(bundleText: string, signatureText: string | null, publicKeyPem: string | null | undefined, currentVersion: number): CatalogueBundle {
  if (!publicKeyPem) throw new AssistantError('BUNDLE_NO_TRUSTED_KEY', '未配置目录更新公钥（策略 guideBundlePublicKey），无法接受更新', { en: 'no catalogue update public key configured (policy guideBundlePublicKey)' });
  const key = publicKeyOf(publicKeyPem);
  const sig = readSignature(signatureText);
  if (Buffer.byteLength(bundleText) > MAX_BUNDLE_BYTES) throw new AssistantError('BUNDLE_SCHEMA_INVALID', '目录更新包过大', { en: 'catalogue update too large' });
  let parsed: unknown;
  try { parsed = JSON.parse(bundleText); } catch {
    throw new AssistantError('BUNDLE_SIGNATURE_INVALID', '目录更新包内容与签名不符（无法解析），已拒绝', { en: 'catalogue update does not match its signature (unparseable); refused' });
  }
  if (!verify(null, canonicalBytes(parsed), key, Buffer.from(sig.signature, 'base64'))) {
    throw new AssistantError('BUNDLE_SIGNATURE_INVALID', '目录更新包签名验证失败（可能被篡改），已拒绝；继续使用当前目录', { en: 'catalogue update signature does not verify (tampered?); refused, current catalogue kept' });
  }
  const bundle = validateBundle(parsed);
  if (bundle.version <= currentVersion) {
    throw new AssistantError('BUNDLE_DOWNGRADE', `目录更新包版本 ${bundle.version} 不高于当前版本 ${currentVersion}，已拒绝`, { en: `catalogue update version ${bundle.version} is not newer than ${currentVersion}; refused`, details: { offered: bundle.version, current: currentVersion } });
  }
  return bundle;
}

export interface InstalledPointer { version: number; dir: string; hash: string }

function readPointer(updateDir: string): InstalledPointer | null {
  try { return JSON.parse(readFileSync(join(updateDir, 'current.json'), 'utf8')) as InstalledPointer; } catch { return null; }
}

/**
 * Installs a verified update into updateDir: bundles/<version>-<random>/{catalogue.json,
 * catalogue.sig, search-index.bin}, then current.json is replaced by rename (atomic).
 */
export function installBundleUpdate(opts: {
  bundleFile: string; signatureFile?: string; updateDir: string; publicKeyPem: string | null | undefined; currentVersion: number; now: () => Date;
}): InstalledPointer {
  const text = readFileSync(opts.bundleFile, 'utf8');
  const sigFile = opts.signatureFile ?? opts.bundleFile + '.sig';
  const sigText = existsSync(sigFile) ? readFileSync(sigFile, 'utf8') : null;
  const installed = readPointer(opts.updateDir);
  const current = Math.max(opts.currentVersion, installed?.version ?? 0);
  const bundle = verifyBundleUpdate(text, sigText, opts.publicKeyPem, current);
  const cat = new Catalogue(bundle);
  const index = serializeIndex(buildCatalogueIndex(cat, opts.now));
  const rel = join('bundles', `${bundle.version}-${randomBytes(4).toString('hex')}`);
  const dir = join(opts.updateDir, rel);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'catalogue.json'), text);
  writeFileSync(join(dir, 'catalogue.sig'), sigText!);
  writeFileSync(join(dir, 'search-index.bin'), index);
  const pointer: InstalledPointer = { version: bundle.version, dir: rel, hash: cat.hash };
  const tmp = join(opts.updateDir, `current.json.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, JSON.stringify(pointer));
  renameSync(tmp, join(opts.updateDir, 'current.json'));
  // Older version directories are no longer referenced: best-effort cleanup.
  try {
    for (const d of readdirSync(join(opts.updateDir, 'bundles'))) if (join('bundles', d) !== rel) rmSync(join(opts.updateDir, 'bundles', d), { recursive: true, force: true });
  } catch {}
  return pointer;
}

/**
 * The installed update, re-verified (the update directory is user-writable), or null when there is
 * none, it is not newer than the shipped catalogue, or it fails verification.
 */
export function loadInstalledUpdate(updateDir: string, publicKeyPem: string | null | undefined, shippedVersion: number): { bundle: CatalogueBundle; dir: string; hash: string } | null {
  const p = readPointer(updateDir);
  if (!p || typeof p.dir !== 'string' || p.dir.includes('..')) return null;
  const dir = join(updateDir, p.dir);
  try {
    const text = readFileSync(join(dir, 'catalogue.json'), 'utf8');
    const sig = readFileSync(join(dir, 'catalogue.sig'), 'utf8');
    const bundle = verifyBundleUpdate(text, sig, publicKeyPem, shippedVersion);
    return { bundle, dir, hash: catalogueHash(bundle) };
  } catch {
    return null;
  }
}

export { parseBundle };
