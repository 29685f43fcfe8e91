import { createHash, createPublicKey, verify } from 'node:crypto';
import { AssistantError, isAssistantError } from '../../errors.ts';
import { parseCertificate, type ParsedCertificate } from '../../pki/certificate.ts';
import { signatureAlgorithmFor, type SignatureAlgorithm } from '../../pki/signature-algorithm.ts';
import type { KeyIdentity, KeyStore, PinState } from '../types.ts';
import { decryptFailed } from '../../pki/rsa-pkcs1.ts';
import * as win from './binding.ts';

export type WindowsStoreName = 'CurrentUser\\My' | 'LocalMachine\\My';

import type { WindowsStoreOptions } from './index.ts';

/** The native calls the store makes; tests on Linux never reach them, Wine tests run the real ones. */
export type WindowsCrypto = typeof win;

const MAX_PIN_BYTES = 64;
const UNKNOWN_PIN: PinState = { retriesLeft: null, low: false, finalTry: false, locked: false };

/** A certificate in a store with a key bound to it that can make a login signature. */
interface Candidate { store: WindowsStoreName; cert: win.StoreCertificate; parsed: ParsedCertificate }

function notFound(identityId: string): AssistantError {
  return new AssistantError('IDENTITY_NOT_FOUND', '在 Windows 证书存储中找不到所选证书（可能已被删除或 USB Key 已拔出），请重新选择', {
    en: 'the certificate is no longer in the Windows certificate store', details: { identityId },
  });
}

function mismatch(): AssistantError {
  return new AssistantError('KEY_CERT_MISMATCH', 'Windows 证书存储中该证书的私钥与证书不匹配，请联系发证机构', { en: 'the key bound to the certificate does not match it' });
}

/**
 * Hands the PIN to the provider. Software keys (an imported PFX) have no PIN: their providers
 * refuse the PIN parameter (NTE_BAD_TYPE / NTE_NOT_SUPPORTED) and sign without one, exactly as
 * they would have without our consent's PIN.
 */
function setPinIfTaken(set: () => void): void {
  try {
    set();
  } catch (e) {
    if (isAssistantError(e) && (e.code === 'WINDOWS_BAD_TYPE' || e.code === 'WINDOWS_NOT_SUPPORTED')) return;
    throw e;
  }
}

function pinBytes(pin: string, encoding: 'utf8' | 'utf16le'): Buffer {
  const raw = Buffer.from(pin, 'utf8');
  const ok = raw.length > 0 && raw.length <= MAX_PIN_BYTES && !raw.includes(0);
  raw.fill(0);
  if (!ok) throw new AssistantError('PIN_LEN_RANGE', `PIN 码长度应为 1–${MAX_PIN_BYTES} 位`, { en: `the PIN must be 1-${MAX_PIN_BYTES} characters`, details: { maxPinLen: MAX_PIN_BYTES } });
  return Buffer.from(`${pin}\0`, encoding);
}

/**
 * Certificates in the Windows certificate store (CurrentUser\My; LocalMachine\My read-only when
 * policy says) that have a private key: software keys imported from a PFX and keys on USB keys
 * whose vendor CSP/KSP registered them there. RSA only (SM2 keys go through SKF). Each identity's
 * id is its certificate's SHA-256 fingerprint (hex). Runs inside the key-store worker: the
 * vendor's CSP is loaded into this process by CryptoAPI and may hang or crash it.
 */
export class WindowsStoreKeyStore implements KeyStore {
  readonly kind = 'windows' as const;
  private readonly localMachine: boolean;
  private readonly crypto: WindowsCrypto;

  constructor(opts: WindowsStoreOptions = {}, crypto: WindowsCrypto = win) {
    this.localMachine = opts.localMachine ?? false;
    this.crypto = crypto;
  }

  private stores(): WindowsStoreName[] {
    return this.localMachine ? ['CurrentUser\\My', 'LocalMachine\\My'] : ['CurrentUser\\My'];
  }

  private withStore<T>(name: WindowsStoreName, fn: (h: win.NativePointer) => T): T {
    const [location, store] = name.split('\\') as ['CurrentUser' | 'LocalMachine', string];
    // Never write: the store is the user's (or the machine's), we only read it.
    const h = this.crypto.openSystemStore(location, store, { readOnly: true });
    try {
      return fn(h);
    } finally {
      this.crypto.closeStore(h);
    }
  }

  private candidate(store: WindowsStoreName, cert: win.StoreCertificate): Candidate | null {
    if (!cert.hasKey) return null;
    let parsed: ParsedCertificate;
    try {
      parsed = parseCertificate(cert.der);
    } catch {
      return null; // a certificate we cannot read cannot be checked, so it is not offered
    }
    // Login certificates are end-entity RSA ones; CA certificates an import tagged with a key are not.
    if (parsed.isCA || signatureAlgorithmFor(parsed.publicKey) !== 'RS256') return null;
    return { store, cert, parsed };
  }

  /** Intermediate CAs Windows keeps apart from the leaf (CurrentUser\CA, LocalMachine\CA), by subject. */
  private intermediateIndex(): Map<string, ParsedCertificate[]> {
    const bySubject = new Map<string, ParsedCertificate[]>();
    for (const location of ['CurrentUser', 'LocalMachine'] as const) {
      let certs: win.StoreCertificate[];
      try {
        const h = this.crypto.openSystemStore(location, 'CA', { readOnly: true });
        try {
          certs = this.crypto.listCertificates(h);
        } finally {
          this.crypto.closeStore(h);
        }
      } catch {
        continue; // intermediates are a help for the chain verdict, never a reason to fail the list
      }
      for (const cert of certs) {
        try {
          const p = parseCertificate(cert.der);
          if (!p.isCA || p.selfIssued) continue;
          const key = Buffer.from(p.subjectDer).toString('hex');
          bySubject.set(key, [...(bySubject.get(key) ?? []), p]);
        } catch {}
      }
    }
    return bySubject;
  }

  /** The leaf's issuers found in the CA stores, nearest first (at most 5, no loops). */
  private static chainFor(leaf: ParsedCertificate, bySubject: Map<string, ParsedCertificate[]>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    let at = leaf;
    for (let depth = 0; depth < 5; depth++) {
      const next = bySubject.get(Buffer.from(at.issuerDer).toString('hex'))?.find((c) => !seen.has(c.fingerprintSha256)
        && (at.authorityKeyIdentifier === null || c.subjectKeyIdentifier === null || at.authorityKeyIdentifier === c.subjectKeyIdentifier));
      if (!next) break;
      seen.add(next.fingerprintSha256);
      out.push(next.der);
      at = next;
    }
    return out;
  }

  private identity(c: Candidate, intermediates: Uint8Array[]): KeyIdentity {
    const cn = /(?:^|, )CN=([^,]*)/.exec(c.parsed.subject)?.[1];
    return {
      id: c.parsed.fingerprintSha256.toLowerCase(),
      label: c.cert.friendlyName ?? cn ?? c.parsed.subject,
      certificate: c.cert.der,
      intermediates,
      algorithm: 'RS256',
      location: { kind: 'windows', store: c.store, provider: c.cert.provider?.provider ?? '', container: c.cert.provider?.container ?? '' },
    };
  }

  async listIdentities(): Promise<KeyIdentity[]> {
    const out: KeyIdentity[] = [];
    const seen = new Set<string>();
    let cas: Map<string, ParsedCertificate[]> | null = null;
    for (const name of this.stores()) {
      let certs: win.StoreCertificate[];
      try {
        certs = this.withStore(name, (h) => this.crypto.listCertificates(h));
      } catch (e) {
        // An absent LocalMachine\My (or no rights to it) must not hide the user's own certificates.
        if (name !== 'CurrentUser\\My' && isAssistantError(e)) continue;
        throw e;
      }
      for (const cert of certs) {
        const c = this.candidate(name, cert);
        if (!c) continue;
        cas ??= this.intermediateIndex();
        const id = this.identity(c, WindowsStoreKeyStore.chainFor(c.parsed, cas));
        if (seen.has(id.id)) continue;
        seen.add(id.id);
        out.push(id);
      }
    }
    return out;
  }

  async pinState(_identityId: string): Promise<PinState> {
    // CryptoAPI has no portable way to ask a CSP for retries left; the CSP says so when signing.
    return { ...UNKNOWN_PIN };
  }

  /**
   * RS256 through the key's own provider. An empty PIN lets the CSP/KSP show its own PIN dialog;
   * a PIN our consent took is handed over silently (PP_SIGNATURE_PIN / NCRYPT_PIN_PROPERTY), so a
   * wrong one comes back as PIN_INCORRECT instead of a second dialog. Never retried.
   */
  async sign(identityId: string, data: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    if (algorithm !== 'RS256') {
      throw new AssistantError('ALGORITHM_MISMATCH', 'Windows 证书存储中的证书只能使用 RS256 签名', { en: 'Windows store keys sign with RS256 only', details: { requested: algorithm } });
    }
    const hash = createHash('sha256').update(data).digest();
    return this.withIdentity(identityId, (ctx, cert, parsed) => {
      const sig = this.signWithContext(ctx, cert, hash, pin);
      const pub = createPublicKey({ key: Buffer.from(parsed.publicKey.spki), format: 'der', type: 'spki' });
      if (!verify('sha256', data, pub, sig)) throw mismatch();
      return sig;
    });
  }

  /**
   * RSA PKCS#1 v1.5 decryption (a CMS key-transport block) through the key's own provider:
   * NCryptDecrypt for CNG keys, CryptDecrypt for CryptoAPI ones (the exchange key first). The PIN
   * is handed over as for signing; never retried. A block the key cannot open is DECRYPT_FAILED.
   */
  async decrypt(identityId: string, ciphertext: Uint8Array, algorithm: SignatureAlgorithm, pin: string): Promise<Uint8Array> {
    if (algorithm !== 'RS256') {
      throw new AssistantError('ALGORITHM_MISMATCH', 'Windows 证书存储中的证书只能使用 RSA 解密', { en: 'Windows store keys decrypt with RSA only', details: { requested: algorithm } });
    }
    return this.withIdentity(identityId, (ctx, cert, parsed) => {
      const modulusBytes = Math.ceil((createPublicKey({ key: Buffer.from(parsed.publicKey.spki), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      if (ciphertext.length !== modulusBytes) throw decryptFailed();
      try {
        return this.withKey(ctx, pin, {
          ncrypt: (h, silent) => this.crypto.ncryptDecrypt(h, ciphertext, { silent }),
          capi: (key, p) => this.capiWithSpecs(key, cert, p, [win.AT_KEYEXCHANGE, win.AT_SIGNATURE], (h, spec) => this.crypto.capiDecrypt(h, spec, ciphertext)),
        });
      } catch (e) {
        // NTE_BAD_DATA / NTE_BAD_KEY: the padding did not check, i.e. not for this key or damaged.
        if (isAssistantError(e) && (e.code === 'WINDOWS_BAD_DATA' || e.code === 'WINDOWS_INVALID_PARAMETER') && ['CryptDecrypt', 'NCryptDecrypt'].includes(String(e.details?.['function']))) throw decryptFailed();
        throw e;
      }
    });
  }

  /** The certificate `identityId` names (its SHA-256, in the stores policy allows), its context and parse, for `fn`. */
  private withIdentity<T>(identityId: string, fn: (ctx: win.NativePointer, cert: win.StoreCertificate, parsed: ParsedCertificate) => T): Promise<T> {
    const wanted = identityId.toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(wanted)) throw notFound(identityId);
    for (const name of this.stores()) {
      let found: { value: T } | null;
      try {
        found = this.withStore(name, (h) => {
          let parsed: ParsedCertificate | null = null;
          const r = this.crypto.withCertificate(h, (cert) => {
            const c = this.candidate(name, cert);
            if (!c || c.parsed.fingerprintSha256.toLowerCase() !== wanted) return false;
            parsed = c.parsed;
            return true;
          }, (ctx, cert) => ({ value: fn(ctx, cert, parsed!) }));
          return r;
        });
      } catch (e) {
        if (name !== 'CurrentUser\\My' && isAssistantError(e) && e.details?.['function'] === 'CertOpenStore') continue;
        throw e;
      }
      if (found) return Promise.resolve(found.value);
    }
    throw notFound(identityId);
  }

  private signWithContext(ctx: win.NativePointer, cert: win.StoreCertificate, hash: Buffer, pin: string): Uint8Array {
    return this.withKey(ctx, pin, {
      ncrypt: (h, silent) => this.crypto.ncryptSignSha256(h, hash, { silent }),
      capi: (key, p) => this.capiSign(key, cert, hash, p),
    });
  }

  /**
   * The certificate's private key (CryptAcquireCertificatePrivateKey) with the PIN handed over:
   * silently when our consent took one, else the provider may show its own dialog.
   */
  private withKey<T>(ctx: win.NativePointer, pin: string, use: { ncrypt: (h: number | bigint, silent: boolean) => T; capi: (key: Extract<win.AcquiredKey, { kind: 'capi' }>, pin: Buffer | null) => T }): T {
    const c = this.crypto;
    const silent = pin !== '';
    const key = c.acquirePrivateKey(ctx, { silent });
    try {
      if (key.kind === 'ncrypt') {
        if (silent) {
          const p = pinBytes(pin, 'utf16le');
          try {
            setPinIfTaken(() => c.setNcryptPin(key.handle, p));
          } finally {
            p.fill(0);
          }
        }
        return use.ncrypt(key.handle, silent);
      }
      const p = silent ? pinBytes(pin, 'utf8') : null;
      try {
        return use.capi(key, p);
      } finally {
        p?.fill(0);
      }
    } finally {
      c.releaseKey(key);
    }
  }

  /**
   * CryptoAPI: the key spec the store names, or (Wine says 3, some CSPs say 0) each of `order`.
   * Microsoft's older RSA providers cannot hash SHA-256: the same key container is then opened
   * through the AES-capable provider (PROV_RSA_AES), as Windows itself does.
   */
  private capiSign(key: Extract<win.AcquiredKey, { kind: 'capi' }>, cert: win.StoreCertificate, hash: Buffer, p: Buffer | null): Uint8Array {
    return this.capiWithSpecs(key, cert, p, [win.AT_SIGNATURE, win.AT_KEYEXCHANGE], (h, spec) => this.crypto.capiSignSha256(h, spec, hash));
  }

  private capiWithSpecs<T>(key: Extract<win.AcquiredKey, { kind: 'capi' }>, cert: win.StoreCertificate, p: Buffer | null, order: number[], op: (h: number | bigint, spec: number) => T): T {
    const c = this.crypto;
    const specs = key.keySpec === win.AT_SIGNATURE || key.keySpec === win.AT_KEYEXCHANGE ? [key.keySpec] : order;
    let prov = key.handle;
    let aes: number | bigint | null = null;
    try {
      let lastError: unknown = null;
      for (const spec of specs) {
        try {
          if (p) setPinIfTaken(() => c.setCapiPin(prov, spec, p));
          return op(prov, spec);
        } catch (e) {
          if (isAssistantError(e) && e.code === 'WINDOWS_ALGORITHM_UNSUPPORTED' && aes === null && cert.provider && /^Microsoft /.test(cert.provider.provider)) {
            const flags = (cert.provider.flags & win.CRYPT_MACHINE_KEYSET) | (p ? win.CRYPT_SILENT : 0);
            aes = c.acquireContext(cert.provider.container, win.MS_ENH_RSA_AES_PROV, win.PROV_RSA_AES, flags);
            prov = aes;
            try {
              if (p) setPinIfTaken(() => c.setCapiPin(prov, spec, p));
              return op(prov, spec);
            } catch (e2) {
              lastError = e2;
              if (isAssistantError(e2) && (e2.code === 'WINDOWS_KEY_NOT_FOUND' || e2.code === 'WINDOWS_BAD_KEY')) continue;
              throw e2;
            }
          }
          lastError = e;
          // The wrong key spec: try the other one; anything else (PIN, device) is final.
          if (isAssistantError(e) && (e.code === 'WINDOWS_KEY_NOT_FOUND' || e.code === 'WINDOWS_BAD_KEY')) continue;
          throw e;
        }
      }
      throw lastError ?? new AssistantError('WINDOWS_KEY_NOT_FOUND', '找不到该证书对应的私钥', { en: 'no private key for this certificate' });
    } finally {
      if (aes !== null) c.releaseContext(aes);
    }
  }

  async close(): Promise<void> {
    // Stores are opened per call; nothing is kept.
  }
}

