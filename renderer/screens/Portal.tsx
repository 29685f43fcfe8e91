import { useEffect, useRef, useState } from 'react';
import type { Bounds } from '../../common/ipc-contract.ts';
import { ErrorNote } from '../ErrorNote.tsx';
import { useI18n } from '../i18n-context.tsx';
import { invoke, onEvent } from '../ipc.ts';

function boundsOf(el: HTMLElement): Bounds {
  const r = el.getBoundingClientRect();
  return { x: Math.round(r.left), y: Math.round(r.top), width: Math.round(r.width), height: Math.round(r.height) };
}

/** The embedded portal lives in its own view in main; this screen only reserves its place. */
export function PortalScreen({ url, onClose, hidden }: { url: string; onClose: () => void; hidden: boolean }) {
  const { t } = useI18n();
  const slot = useRef<HTMLDivElement>(null);
  const [current, setCurrent] = useState(url);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const el = slot.current;
    if (!el) return;
    invoke('portal:open', { url, bounds: boundsOf(el) }).catch(setError);
    const ro = new ResizeObserver(() => {
      invoke('portal:setBounds', { bounds: boundsOf(el) }).catch(() => {});
    });
    ro.observe(el);
    const off = onEvent('portal:navigated', (e) => setCurrent(e.url));
    return () => {
      ro.disconnect();
      off();
      // Leaving the screen hides the view; closing it is the explicit button.
      invoke('portal:setBounds', { bounds: { x: 0, y: 0, width: 0, height: 0 } }).catch(() => {});
    };
  }, [url]);

  return (
    <section className="screen portal-screen">
      <div className="portal-bar">
        <span className="lock" aria-hidden="true">🔒</span>
        <span className="portal-url" data-testid="portal-url">{current}</span>
        <button type="button" className="secondary" onClick={onClose}>{t('portal.close')}</button>
      </div>
      {error !== null && <ErrorNote error={error} />}
      <div ref={slot} className={hidden ? 'portal-slot hidden' : 'portal-slot'} data-testid="portal-slot" />
    </section>
  );
}
