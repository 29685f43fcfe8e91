import { useEffect, useRef, useState } from 'react';
import type { ConsentRequestView, ConsentSubmitResult, PinStateView } from '../../common/ipc-contract.ts';
import { ErrorNote } from '../ErrorNote.tsx';
import { formatDate, formatTime } from '../format.ts';
import { useI18n } from '../i18n-context.tsx';
import { invoke, IpcError } from '../ipc.ts';
import { UsccLine } from './Certificates.tsx';

function PinStatus({ pin, result }: { pin: PinStateView | null; result: ConsentSubmitResult | null }) {
  const { t } = useI18n();
  const locked = pin?.locked || result?.status === 'locked';
  if (locked) return <div className="note note-error" role="alert" data-testid="pin-locked">{t('consent.locked')}</div>;
  const parts: string[] = [];
  if (result?.status === 'pin-incorrect') parts.push(t('consent.pinIncorrect'));
  if (pin?.retriesLeft != null && (result?.status === 'pin-incorrect' || pin.low)) parts.push(t('consent.retriesLeft', { n: pin.retriesLeft }));
  if (pin?.finalTry) parts.push(t('consent.finalTry'));
  else if (pin?.low && result === null) parts.push(t('consent.lowRetries'));
  if (parts.length === 0) return null;
  return <div className={`note ${pin?.finalTry || result ? 'note-error' : 'note-warn'}`} role="alert" data-testid="pin-status">{parts.join(' ')}</div>;
}

export function ConsentScreen({ request }: { request: ConsentRequestView }) {
  const { t, lang } = useI18n();
  const [certId, setCertId] = useState(request.candidates[0]?.id ?? '');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ConsentSubmitResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const pinInput = useRef<HTMLInputElement>(null);
  const cert = request.candidates.find((c) => c.id === certId) ?? request.candidates[0];
  const pin = (result && result.status !== 'signed' && result.status !== 'error' ? result.pin : null) ?? cert?.pin ?? null;
  const locked = pin?.locked === true || result?.status === 'locked';
  const host = (() => {
    try {
      return new URL(request.origin).host;
    } catch {
      return request.origin;
    }
  })();

  useEffect(() => {
    setResult(null);
    pinInput.current?.focus();
  }, [certId]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const el = pinInput.current;
    if (!el || !cert || busy || locked) return;
    const value = el.value;
    el.value = ''; // the PIN leaves the page with this call; nothing here keeps it
    if (!value) return;
    setBusy(true);
    setError(null);
    try {
      const r = await invoke('consent:submit', { requestId: request.requestId, certificateId: cert.id, pin: value });
      setResult(r);
      if (r.status === 'error') setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      pinInput.current?.focus();
    }
  };
  const cancel = () => {
    invoke('consent:cancel', { requestId: request.requestId }).catch(() => {});
  };

  return (
    <div className="modal-backdrop consent-backdrop" role="dialog" aria-modal="true" aria-labelledby="consent-title" onKeyDown={(e) => { if (e.key === 'Escape') cancel(); }}>
      <form className="modal consent" onSubmit={submit} data-testid="consent">
        <h2 id="consent-title">{t('consent.title')}</h2>
        <p>{t('consent.asks')}</p>
        <div className="origin" data-testid="consent-origin">
          <span className="origin-scheme">{request.origin.slice(0, request.origin.indexOf(host))}</span>
          <strong>{host}</strong>
        </div>
        <p className="hint">{t('consent.notAllowedNote')}</p>
        {request.expectedUscc && <p className="hint">{t('consent.expected', { uscc: request.expectedUscc })}</p>}
        <fieldset className="cert-choice">
          <legend>{t('consent.chooseCert')}</legend>
          {request.candidates.map((c) => (
            <label key={c.id} className={c.id === cert?.id ? 'choice selected' : 'choice'} data-testid="consent-cert">
              <input type="radio" name="cert" value={c.id} checked={c.id === cert?.id} onChange={() => setCertId(c.id)} />
              <span className="choice-body">
                <span className="choice-name">{c.enterpriseName}</span>
                <span className="choice-uscc"><span className="muted small">{t('certs.uscc')}</span> <UsccLine cert={c} /></span>
                <span className="choice-meta">
                  {c.caProfile?.name ?? c.issuer} · {t(`certs.source.${c.source}`)} {c.sourceLabel} ·{' '}
                  {t('certs.validRange', { from: formatDate(c.notBefore, lang), to: formatDate(c.notAfter, lang) })}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>{t('consent.pin')}</span>
          <input ref={pinInput} type="password" autoComplete="off" inputMode="text" autoFocus disabled={locked || busy} data-testid="consent-pin" />
        </label>
        <p className="hint">{t('consent.pinHint')}</p>
        <PinStatus pin={pin} result={result} />
        {result?.status === 'error' && <ErrorNote error={new IpcError(result.error)} />}
        {error !== null && <ErrorNote error={error} />}
        {result?.status === 'signed' && <div className="note note-ok">{t('consent.signed')}</div>}
        <div className="actions">
          <span className="muted small">{t('consent.expiresAt', { time: formatTime(request.expiresAt, lang) })}</span>
          <button type="button" className="secondary" onClick={cancel} data-testid="consent-cancel">{t('common.cancel')}</button>
          <button type="submit" className="primary" disabled={busy || locked} data-testid="consent-submit">
            {busy ? t('consent.signing') : t('consent.submit')}
          </button>
        </div>
      </form>
    </div>
  );
}
