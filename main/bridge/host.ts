/**
 * The host the bridge process asks (runs in the CLI or the app's main process, never in the
 * bridge process): certificates from the key stores, and signatures through the one
 * consent-and-record path. The certificate list is cached for a second so a signature finds its
 * key without listing every store again; a key inserted or removed clears it. (The bridge process
 * keeps its own copy for list/export calls, session.ts CertificateCache, at most 1 s old on top
 * of this one: a page's list is at most ~2 s behind stores that give no insert/remove event.)
 */
import { createHash } from 'node:crypto';
import { AssistantError } from '../errors.ts';
import type { KeyIdentity, KeyStore } from '../keystores/types.ts';
import type { SigningPath } from '../login/signing-path.ts';
import { withTimeout } from './session.ts';
import type { BridgeCertificate, BridgeHost, BridgeNote } from './types.ts';

export interface HostKeyStore {
  /** Stable within the run (`pkcs11:<module>`, `pkcs12:<file>`, …). */
  key: string;
  store: KeyStore;
  hardware: boolean;
}

export interface KeyBridgeHost extends BridgeHost {
  /** Forget the cached list (a key was inserted or removed). */
  invalidate(): void;
}

interface Entry {
  cert: BridgeCertificate;
  store: HostKeyStore;
  identity: KeyIdentity;
}

function deviceSerial(store: HostKeyStore, identity: KeyIdentity): string {
  const loc = identity.location;
  if (loc.kind === 'pkcs11' && loc.tokenSerial) return loc.tokenSerial.trim();
  if (loc.kind === 'skf' && loc.deviceSerial) return loc.deviceSerial.trim();
  return `SOFT-${createHash('sha256').update(store.key).digest('hex').slice(0, 12).toUpperCase()}`;
}

export function createKeyBridgeHost(opts: {
  stores: () => HostKeyStore[];
  path: SigningPath;
  note?: (n: BridgeNote) => void;
  listTimeoutMs?: number;
  cacheMs?: number;
}): KeyBridgeHost {
  const listTimeoutMs = opts.listTimeoutMs ?? 15_000;
  const cacheMs = opts.cacheMs ?? 1_000;
  let cache: { at: number; entries: Promise<Entry[]> } | null = null;

  const load = async (): Promise<Entry[]> => {
    const out: Entry[] = [];
    await Promise.all(opts.stores().map(async (s) => {
      try {
        const ids = await withTimeout(s.store.listIdentities(), listTimeoutMs, '证书列表');
        for (const identity of ids) {
          let retriesLeft: number | null = null;
          if (s.hardware) retriesLeft = (await withTimeout(s.store.pinState(identity.id), listTimeoutMs, 'PIN 状态').catch(() => null))?.retriesLeft ?? null;
          const id = createHash('sha256').update(`${s.key}\0${identity.id}`).digest('hex').slice(0, 32).toUpperCase();
          out.push({
            store: s, identity,
            cert: {
              id, label: identity.label, certificate: identity.certificate, algorithm: identity.algorithm, hardware: s.hardware, deviceSerial: deviceSerial(s, identity), retriesLeft,
              ...(identity.encryptionCertificate ? { encryptionCertificate: identity.encryptionCertificate } : {}),
            },
          });
        }
      } catch {
        // A store that cannot list now (key pulled, driver error) simply offers nothing.
      }
    }));
    out.sort((a, b) => a.cert.label.localeCompare(b.cert.label, 'zh-CN') || a.cert.id.localeCompare(b.cert.id));
    return out;
  };

  const entries = (): Promise<Entry[]> => {
    const now = Date.now();
    if (!cache || now - cache.at > cacheMs) {
      const p = load();
      cache = { at: now, entries: p };
      p.catch(() => {
        cache = null;
      });
    }
    return cache.entries;
  };

  const entry = async (certificateId: string): Promise<Entry> => {
    const e = (await entries()).find((x) => x.cert.id === certificateId);
    if (!e) throw new AssistantError('NO_CERTIFICATE', '找不到该证书，USB Key 可能已拔出', { en: 'Certificate not found; the USB key may have been removed' });
    return e;
  };
  const signingKey = (e: Entry) => ({ certificate: e.identity.certificate, intermediates: e.identity.intermediates, algorithm: e.identity.algorithm, store: e.store.store, identityId: e.identity.id });

  return {
    invalidate() {
      cache = null;
    },
    async certificates() {
      return (await entries()).map((e) => e.cert);
    },
    async sign(req) {
      const e = await entry(req.certificateId);
      // Candidates the page's filters left (JIT): the consent lists them, the user picks; gone ones are dropped.
      const others = req.alternatives ? (await entries()).filter((x) => x !== e && req.alternatives!.includes(x.cert.id)) : [];
      const base = {
        origin: req.origin, protocol: req.protocol, data: req.data, output: req.format, key: signingKey(e),
        ...(req.digest !== undefined ? { digest: req.digest } : {}),
        ...(req.includeCertificates === false && req.format !== 'raw' ? { includeCertificates: false as const } : {}),
        ...(req.pagePin !== undefined ? { pagePin: req.pagePin } : {}),
      };
      if (others.length === 0) return { signature: await opts.path.sign(base), certificate: e.identity.certificate, algorithm: e.identity.algorithm };
      const keyed = new Map(others.map((o) => [o, signingKey(o)]));
      const r = await opts.path.signChoosing({ ...base, alternatives: [...keyed.values()] });
      const chosen = [...keyed].find(([, k]) => k === r.key)?.[0] ?? e;
      return { signature: r.signature, certificate: chosen.identity.certificate, algorithm: chosen.identity.algorithm };
    },
    async decrypt(req) {
      const e = await entry(req.certificateId);
      const { identity } = e;
      // An SKF container decrypts with its encryption pair only: none, and nothing is asked.
      if (identity.location.kind === 'skf' && !identity.encryptionCertificate) {
        throw new AssistantError('OPERATION_NOT_SUPPORTED', '该 USB Key 容器没有加密证书，不支持解密', { en: 'this USB key container holds no encryption certificate' });
      }
      // The consent and the record name the certificate whose key decrypts (the encryption one where there are two).
      const key = { ...signingKey(e), certificate: identity.encryptionCertificate ?? identity.certificate };
      const plaintext = await opts.path.decrypt({
        origin: req.origin, protocol: req.protocol, ciphertext: req.ciphertext, key,
        ...(req.content ? { content: req.content } : {}),
        ...(req.pagePin !== undefined ? { pagePin: req.pagePin } : {}),
      });
      return { plaintext };
    },
    note(n) {
      opts.note?.(n);
    },
  };
}
