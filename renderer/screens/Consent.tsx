import { useEffect, useRef, useState } from 'react';
import type { CertificateView, ConsentRequestView, ConsentSubmitResult, PinStateView } from '../../common/ipc-contract.ts';
import { ErrorNote } from '../ErrorNote.tsx';
import { preferredCertificate, preselect } from '../preferred-certificate.ts';
import { formatDate, formatTime } from '../format.ts';
import { useI18n } from '../i18n-context.tsx';
import { invoke, IpcError } from '../ipc.ts';
import { readReservedPhrase } from '../reserved-phrase.ts';
import { UsccLine } from './Certificates.tsx';

function PinStatus({ pin, result }: { pin: PinStateView | null; result: ConsentSubmitResult | null }) {
  const { t, lang } = useI18n();
  const locked = pin?.locked || result?.status === 'locked';
  if (locked) return <div className="note note-error" role="alert" data-testid="pin-locked">{t('consent.locked')}</div>;
  const parts: string[] = [];
  if (result?.status === 'pin-incorrect') parts.push(t('consent.pinIncorrect'));
  if (pin?.retriesLeft != null && (result?.status === 'pin-incorrect' || pin.low)) parts.push(t('consent.retriesLeft', { n: pin.retriesLeft }));
  if (pin?.finalTry) parts.push(t('consent.finalTry'));
  else if (pin?.low && result === null) parts.push(t('consent.lowRetries'));
  if (parts.length === 0) return null;
  // Chinese sentences end in 。 and join without spaces; English ones take a space.
  return <div className={`note ${pin?.finalTry || result ? 'note-error' : 'note-warn'}`} role="alert" data-testid="pin-status">{parts.join(lang === 'en' ? ' ' : '')}</div>;
}

const isLocked = (c: CertificateView) => c.pin?.locked === true;


const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

export function ConsentScreen({ request }: { request: ConsentRequestView }) {
  const { t, lang } = useI18n();
  const [certId, setCertId] = useState(() => preselect(request, preferredCertificate()));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ConsentSubmitResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [lastTryConfirmed, setLastTryConfirmed] = useState(false);
  const pinInput = useRef<HTMLInputElement>(null);
  const dialog = useRef<HTMLFormElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const cert = request.candidates.find((c) => c.id === certId) ?? request.candidates[0];
  const pin = (result && result.status !== 'signed' && result.status !== 'error' ? result.pin : null) ?? cert?.pin ?? null;
  const locked = pin?.locked === true || result?.status === 'locked';
  const isFile = cert?.source === 'file';
  const finalTry = !isFile && (pin?.finalTry === true || pin?.retriesLeft === 1);
  const reserved = readReservedPhrase();
  const purpose = request.purpose ?? 'login';
  const url = (() => {
    try {
      return new URL(request.origin);
    } catch {
      return null;
    }
  })();
  const host = url?.host ?? request.origin;
  const insecure = url?.protocol !== 'https:';

  // Focus goes to the PIN once the field is enabled again (after busy clears), or to Cancel when the key is locked.
  useEffect(() => {
    if (busy) return;
    if (locked) cancelButton.current?.focus();
    else pinInput.current?.focus();
  }, [busy, locked, certId, result]);
  useEffect(() => {
    setResult(null);
    setLastTryConfirmed(false);
  }, [certId]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const el = pinInput.current;
    if (!el || !cert || busy || locked || (finalTry && !lastTryConfirmed)) return;
    const value = el.value;
    el.value = ''; // the PIN leaves the page with this call; nothing here keeps it
    // Empty only where policy lets the page's PIN be used, and only before the key refused one.
    if (!value && !(request.pinFromPage && result === null)) return;
    setBusy(true);
    setError(null);
    try {
      const r = await invoke('consent:submit', { requestId: request.requestId, certificateId: cert.id, pin: value });
      setResult(r);
      setLastTryConfirmed(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const cancel = () => {
    invoke('consent:cancel', { requestId: request.requestId }).catch(() => {});
  };
  // Tab and Shift+Tab stay inside the dialog; Escape cancels.
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      cancel();
      return;
    }
    if (e.key !== 'Tab' || !dialog.current) return;
    const items = [...dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (items.length === 0) return;
    const first = items[0]!, last = items[items.length - 1]!;
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  };

  return (
    <div className="modal-backdrop consent-backdrop" role="dialog" aria-modal="true" aria-labelledby="consent-title" onKeyDown={onKeyDown}>
      <form ref={dialog} className="modal consent" onSubmit={submit} data-testid="consent">
        <header className="consent-header">
          <h2 id="consent-title" data-testid="consent-title">{t(`consent.title.${purpose}`)}</h2>
          {reserved
            ? <p className="reserved" data-testid="consent-reserved">{t('consent.reserved')}<strong>{reserved}</strong></p>
            : <p className="reserved missing" data-testid="consent-reserved-missing">{t('consent.reservedMissing')}</p>}
          <p className="asks">{t(`consent.asks.${purpose}`)}</p>
          <div className={insecure ? 'origin origin-insecure' : 'origin'} data-testid="consent-origin">
            {request.siteName && <span className="origin-name">{request.siteName}</span>}
            <span className="origin-url">
              <span className="origin-scheme">{request.origin.slice(0, request.origin.indexOf(host))}</span>
              <strong>{host}</strong>
            </span>
          </div>
          {insecure && <p className="note note-error small" data-testid="consent-insecure">{t('consent.insecure')}</p>}
          {request.content && (
            <div className="consent-content" data-testid="consent-content">
              <span className="label">{t('consent.content')}</span>
              <pre className="preview">{request.content.preview}</pre>
              <p className="small">SHA-256: <code className="sha256">{request.content.sha256}</code></p>
            </div>
          )}
          {cert && (
            <p className="chosen" data-testid="consent-chosen">
              <span className="chosen-name">{cert.enterpriseName}</span> <UsccLine cert={cert} />
            </p>
          )}
          {request.expectedUscc && <p className="hint">{t('consent.expected', { uscc: request.expectedUscc })}</p>}
        </header>
        <fieldset className="cert-choice consent-body">
          <legend>{t('consent.chooseCert')}</legend>
          {request.candidates.map((c) => (
            <label key={c.id} className={`choice${c.id === cert?.id ? ' selected' : ''}${isLocked(c) ? ' disabled' : ''}`} data-testid="consent-cert" title={`${c.caProfile?.name ?? c.issuer} · ${c.sourceLabel} · ${formatDate(c.notBefore, lang)}–${formatDate(c.notAfter, lang)}`}>
              <input type="radio" name="cert" value={c.id} checked={c.id === cert?.id} disabled={isLocked(c) || busy} onChange={() => setCertId(c.id)} />
              <span className="choice-line">
                <span className="choice-name" title={c.enterpriseName}>{c.enterpriseName}</span>
                <span className="choice-uscc mono">{c.uscc?.value ?? '—'}</span>
                {/* The CA's short name on the line (河北CA); the full name, source and dates in the title. */}
                <span className="choice-meta muted small" title={`${c.caProfile?.name ?? c.issuer} · ${c.sourceLabel}`}>{c.caProfile?.name.replace(/（.*$/, '') ?? c.issuer} · {t(`certs.source.${c.source}`)}</span>
                {isLocked(c) && <span className="badge badge-fail" data-testid="consent-cert-locked">{t('certs.pin.locked')}</span>}
              </span>
            </label>
          ))}
        </fieldset>
        <footer className="consent-footer">
          <label className="field">
            <span>
              {isFile ? t('consent.filePassword') : t('consent.pin')}
              {!isFile && pin?.retriesLeft != null && !locked && <span className="muted small" data-testid="pin-retries">{t('consent.retriesUpFront', { n: pin.retriesLeft })}</span>}
            </span>
            <input ref={pinInput} type="password" autoComplete="off" inputMode="text" disabled={locked || busy} data-testid="consent-pin" />
          </label>
          <p className="hint">{isFile ? t('consent.filePasswordHint') : t('consent.pinHint')}</p>
          {request.pinFromPage && result === null && <p className="hint" data-testid="consent-pin-from-page">{t('consent.pinFromPage')}</p>}
          <PinStatus pin={pin} result={result} />
          {finalTry && !locked && (
            <label className="confirm-last" data-testid="confirm-last-try">
              <input type="checkbox" checked={lastTryConfirmed} onChange={(e) => setLastTryConfirmed(e.target.checked)} />
              {t('consent.confirmLastTry')}
            </label>
          )}
          {result?.status === 'error' && <ErrorNote error={new IpcError(result.error)} />}
          {error !== null && <ErrorNote error={error} />}
          {result?.status === 'signed' && <div className="note note-ok">{t('consent.signed')}</div>}
          <div className="actions">
            <span className="muted small">{t('consent.expiresAt', { time: formatTime(request.expiresAt, lang) })}</span>
            <button ref={cancelButton} type="button" className="secondary" onClick={cancel} data-testid="consent-cancel">{t('common.cancel')}</button>
            <button type="submit" className="primary" disabled={busy || locked || (finalTry && !lastTryConfirmed)} data-testid="consent-submit">
              {busy ? t('consent.signing') : t(`consent.submit.${purpose}`)}
            </button>
          </div>
        </footer>
      </form>
    </div>
  );
}
