import { useCallback, useEffect, useRef, useState } from 'react';
import type { BridgeStatusView, CertificateListView, CertificateView, CheckStatus, FirstRunView } from '../../common/ipc-contract.ts';
import { ErrorNote } from '../ErrorNote.tsx';
import { ScreenHead } from '../ScreenHead.tsx';
import { formatDate } from '../format.ts';
import { useI18n } from '../i18n-context.tsx';
import { invoke, onEvent } from '../ipc.ts';
import { legalPersonKindLabel, type MessageKey } from '../i18n.ts';
import { TechInfo } from '../TechInfo.tsx';
import { groupCertificates, readLabels, saveLabels, withLabel, type CertLabel, type CertLabels } from '../cert-aliases.ts';
import { preferCertificate } from '../preferred-certificate.ts';

const STATUS_ICON: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✕' };

/** The technical side of a card: each check's code and detail, the DNs, algorithm, serial, fingerprint. */
export function CertificateTechInfo({ cert }: { cert: CertificateView }) {
  const { t, lang } = useI18n();
  const en = lang === 'en';
  const rows = cert.checks.filter((c) => c.code || c.detail);
  return (
    <TechInfo>
      {rows.length > 0 && (
        <ul className="tech-checks">
          {rows.map((c) => (
            <li key={c.id} data-tech-check={c.id}>
              <strong>{t(`check.name.${c.id}` as MessageKey)}</strong>{en ? ': ' : '：'}
              {c.code && <code>{c.code}</code>}{c.code && c.detail ? ' ' : ''}
              {c.detail && <span lang={en && c.detailEn ? 'en' : 'zh-CN'}>{en && c.detailEn ? c.detailEn : c.detail}</span>}
            </li>
          ))}
        </ul>
      )}
      <dl className="facts small">
        {cert.orgCode && (<><dt>{t('certs.orgCode')}</dt><dd>{cert.orgCode}</dd></>)}
        <dt>{t('certs.subject')}</dt><dd className="mono wrap">{cert.subject}</dd>
        <dt>{t('certs.issuerDn')}</dt><dd className="mono wrap">{cert.issuer}</dd>
        <dt>{t('certs.keyAlg')}</dt><dd>{cert.keyAlgorithm}</dd>
        <dt>{t('certs.serial')}</dt><dd className="mono wrap">{cert.serialNumber}</dd>
        <dt>{t('certs.fingerprint')}</dt><dd className="mono wrap">{cert.fingerprintSha256}</dd>
      </dl>
    </TechInfo>
  );
}

export function CheckList({ checks }: { checks: CertificateView['checks'] }) {
  const { t, lang } = useI18n();
  return (
    <ul className="checks">
      {checks.map((c) => (
        <li key={c.id} className={`check check-${c.status}`} data-check={c.id}>
          <span className="check-icon" aria-label={t(`check.${c.status}`)}>{STATUS_ICON[c.status]}</span>
          <span className="check-text" lang={lang === 'en' && c.messageEn ? 'en' : 'zh-CN'}>{lang === 'en' && c.messageEn ? c.messageEn : c.message}</span>
        </li>
      ))}
    </ul>
  );
}

export function UsccLine({ cert }: { cert: CertificateView }) {
  const { t, lang } = useI18n();
  if (!cert.uscc) return <span className="uscc missing">{t('certs.usccMissing')}</span>;
  return (
    <span className="uscc-line">
      <span className={cert.uscc.valid ? 'uscc' : 'uscc invalid'} data-testid="uscc">{cert.uscc.value}</span>
      {!cert.uscc.valid && <span className="badge badge-fail">{t('certs.usccInvalid')}</span>}
      {cert.legalPersonKind && <span className="badge badge-kind" data-testid="legal-kind" title={t('certs.legalKind')}>{legalPersonKindLabel(cert.legalPersonKind, lang)}</span>}
    </span>
  );
}

/** 30 and 7 days before expiry, and once expired: the date, the days left and who renews it. */
export function ExpiryLine({ expiry }: { expiry: NonNullable<CertificateView['expiry']> }) {
  const { lang } = useI18n();
  return (
    <p className={`expiry expiry-${expiry.level}`} role={expiry.level === 'month' ? undefined : 'alert'} data-testid="expiry" data-days={expiry.daysLeft}>
      {lang === 'en' ? expiry.messageEn : expiry.message}
    </p>
  );
}

export interface CardActions {
  /** 登录: open the portal with this certificate preferred in the consent. */
  onLogin?: ((cert: CertificateView) => void) | undefined;
  /** 移除: files only (a USB key is never touched). */
  onRemove: (cert: CertificateView) => void;
  label: CertLabel | undefined;
  onLabel: (cert: CertificateView, label: CertLabel) => void;
}

/** One line per certificate (name or alias, USCC, CA, expiry, verdict, actions); the rest on demand. */
function CertificateCard({ cert, actions }: { cert: CertificateView; actions: CardActions }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const worst = cert.checks.some((c) => c.status === 'fail') ? 'fail' : cert.checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
  // A locked key cannot sign whatever its checks say: never show it as usable.
  const locked = cert.pin?.locked === true;
  const usable = cert.canLogin && !locked;
  const unconfirmed = !usable && !locked && cert.verdict === 'unconfirmed';
  const trusted = cert.trusted;
  const alias = actions.label?.alias;
  // A CA is named only for a verified chain: a look-alike never reads as 河北CA.
  const caName = trusted && cert.caProfile ? cert.caProfile.name.replace(/（.*$/, '') : cert.issuer;
  const detailsId = `cert-details-${cert.fingerprintSha256.slice(0, 12)}`;
  return (
    <article className={`card cert-card compact ${cert.canLogin ? 'ok' : 'bad'}`} data-testid="cert-card" data-source={cert.source}>
      <div className="cert-line">
        <div className="cert-who">
          <h3 className="cert-name" data-testid="enterprise" title={cert.enterpriseName}>{alias ?? cert.enterpriseName}</h3>
          {alias && <span className="cert-realname" data-testid="enterprise-real" title={cert.enterpriseName}>{cert.enterpriseName}</span>}
        </div>
        <span className="cert-uscc">{cert.uscc ? <span className={cert.uscc.valid ? 'uscc' : 'uscc invalid'} data-testid="uscc">{cert.uscc.value}</span> : <span className="uscc missing">{t('certs.usccMissing')}</span>}</span>
        <span className="cert-ca" title={cert.issuer}>
          {caName}{' '}
          <span className={trusted ? 'badge badge-pass' : 'badge badge-fail'}>{trusted ? t('certs.caTrusted') : t('certs.caUntrusted')}</span>
        </span>
        <span className="cert-until" data-testid="until">{t('certs.until', { date: formatDate(cert.notAfter, lang) })}</span>
        <span className={`status ${usable ? 'status-ok' : unconfirmed ? 'status-warn' : 'status-bad'}`} data-testid="can-login">
          {usable ? t('certs.canLogin') : locked ? t('certs.lockedCannotLogin') : unconfirmed ? t('certs.unconfirmed') : t('certs.cannotLogin')}
        </span>
        <span className="cert-actions">
          {actions.onLogin && (usable || unconfirmed) && (
            <button type="button" className="primary small" onClick={() => actions.onLogin!(cert)} data-testid="card-login">{t('certs.login')}</button>
          )}
          {cert.source === 'file' && (
            <button type="button" className="secondary small" onClick={() => actions.onRemove(cert)} data-testid="card-remove" title={t('certs.removeHint')}>{t('certs.remove')}</button>
          )}
          <button type="button" className={`link summary summary-${worst}`} onClick={() => setOpen(!open)} aria-expanded={open} aria-controls={detailsId} data-testid="card-details">
            {open ? t('certs.hideDetails') : t('certs.showDetails')}
          </button>
        </span>
      </div>
      {!usable && !locked && cert.verdictMessage && (
        <p className={`verdict-reason ${unconfirmed ? 'warn' : 'bad'}`} data-testid="verdict-reason">{lang === 'en' ? cert.verdictMessageEn : cert.verdictMessage}</p>
      )}
      {cert.expiry && <ExpiryLine expiry={cert.expiry} />}
      {open && (
        <div className="cert-details" id={detailsId}>
          <dl className="facts">
            <dt>{t('certs.sourceLabel')}</dt>
            <dd>{t(`certs.source.${cert.source}`)} · {cert.sourceLabel}</dd>
            <dt>{t('certs.uscc')}</dt>
            <dd><UsccLine cert={cert} /></dd>
            <dt>{t('certs.validity')}</dt>
            <dd data-testid="validity">{t('certs.validRange', { from: formatDate(cert.notBefore, lang), to: formatDate(cert.notAfter, lang) })}</dd>
            {cert.pin && (cert.pin.locked || cert.pin.retriesLeft !== null) && (
              <>
                <dt>PIN</dt>
                <dd>{cert.pin.locked ? <span className="badge badge-fail">{t('certs.pin.locked')}</span> : t('certs.pin.retries', { n: cert.pin.retriesLeft ?? '—' })}</dd>
              </>
            )}
          </dl>
          <LabelEditor cert={cert} label={actions.label} onSave={(l) => actions.onLabel(cert, l)} />
          <h4 className="checks-heading">{t('certs.checkSummary', { passed: cert.checks.filter((c) => c.status === 'pass').length, total: cert.checks.length })}</h4>
          <CheckList checks={cert.checks} />
          <CertificateTechInfo cert={cert} />
        </div>
      )}
    </article>
  );
}

/** 别名 and 分组: the clerk's own words for a certificate, kept in the assistant's settings, never on the key. */
function LabelEditor({ cert, label, onSave }: { cert: CertificateView; label: CertLabel | undefined; onSave: (l: CertLabel) => void }) {
  const { t } = useI18n();
  const [alias, setAlias] = useState(label?.alias ?? '');
  const [group, setGroup] = useState(label?.group ?? '');
  return (
    <form className="label-editor" onSubmit={(e) => { e.preventDefault(); onSave({ alias, group }); }} data-testid="label-editor">
      <label className="field inline">
        <span>{t('certs.alias')}</span>
        <input value={alias} maxLength={40} onChange={(e) => setAlias(e.target.value)} placeholder={cert.enterpriseName} data-testid="alias-input" />
      </label>
      <label className="field inline">
        <span>{t('certs.group')}</span>
        <input value={group} maxLength={40} onChange={(e) => setGroup(e.target.value)} placeholder={t('certs.groupPlaceholder')} data-testid="group-input" />
      </label>
      <button type="submit" className="secondary small" data-testid="label-save">{t('certs.labelSave')}</button>
      <span className="hint">{t('certs.labelHint')}</span>
    </form>
  );
}

function PfxDialog({ file, onDone }: { file: { fileId: string; fileName: string }; onDone: (opened: boolean) => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const el = input.current;
    if (!el) return;
    const password = el.value;
    el.value = ''; // the password leaves the page with this call and is not kept here
    setBusy(true);
    try {
      await invoke('certs:openPfx', { fileId: file.fileId, password });
      onDone(true);
    } catch (err) {
      setError(err);
      setBusy(false);
      el.focus();
    }
  };
  return (
    <div className="modal-backdrop" role="dialog" aria-modal="true" onKeyDown={(e) => { if (e.key === 'Escape') onDone(false); }}>
      <form className="modal" onSubmit={submit} data-testid="pfx-dialog">
        <h2>{t('pfx.title')}</h2>
        <p className="file-name">{file.fileName}</p>
        <label className="field">
          <span>{t('pfx.password')}</span>
          <input ref={input} type="password" autoComplete="off" autoFocus data-testid="pfx-password" />
        </label>
        <p className="hint">{t('pfx.passwordHint')}</p>
        {error !== null && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" className="secondary" onClick={() => onDone(false)}>{t('common.cancel')}</button>
          <button type="submit" className="primary" disabled={busy} data-testid="pfx-open">{t('pfx.open')}</button>
        </div>
      </form>
    </div>
  );
}

/** The portal's three steps for a legal person with a certificate (from its user manual). */
const PORTAL_STEPS = ['register', 'bind', 'login'] as const;

/** First run / nothing found: what is missing (driver? key? certificate?), which CA's driver, and 注册 → 绑定 → 登录. */
export function FirstRun({ state, onOpenPortal }: { state: FirstRunView | null | undefined; onOpenPortal?: (() => void) | undefined }) {
  const { t, lang } = useI18n();
  const en = lang === 'en';
  const open = (url: string) => { invoke('app:openExternal', { url }).catch(() => {}); };
  return (
    <div className="empty first-run" data-testid="first-run" data-status={state?.status ?? 'none'}>
      <h2>{t('first.heading')}</h2>
      <p className="first-run-why" data-testid="first-run-why">{state ? (en ? state.messageEn : state.message) : t('certs.empty')}</p>
      {state && state.install.length > 0 && (
        <ul className="first-run-install" data-testid="first-run-install">
          {state.install.map((i) => (
            <li key={i.ca}>
              <strong>{en ? i.caEn : i.ca}</strong>
              {i.website && <>{en ? ': ' : '：'}<button type="button" className="link" onClick={() => open(i.website!)}>{t('first.driverSite')}</button></>}
            </li>
          ))}
        </ul>
      )}
      {state && (state.install.length > 0 || state.drivers.length > 0) && (
        <TechInfo testId="first-run-tech">
          <ul className="tech-checks">
            {state.install.map((i) => <li key={`i-${i.ca}`}>{en ? i.caEn : i.ca}{en ? ': ' : '：'}<code>{i.drivers.join(', ')}</code></li>)}
            {state.drivers.map((d) => (
              <li key={`d-${d.path}`}>
                <code>{d.path}</code>{' '}
                {d.loads ? t('first.driverKeys', { n: d.keys ?? 0 }) : t('first.driverFails', { code: d.errorCode ?? '' })}
              </li>
            ))}
          </ul>
        </TechInfo>
      )}
      <h3>{t('first.stepsHeading')}</h3>
      <ol className="first-run-steps" data-testid="portal-steps">
        {PORTAL_STEPS.map((id) => (
          <li key={id} data-step={id}>
            <strong>{t(`first.step.${id}` as MessageKey)}</strong>
            <span>{t(`first.step.${id}.how` as MessageKey)}</span>
          </li>
        ))}
      </ol>
      {onOpenPortal && <button type="button" className="secondary" onClick={onOpenPortal} data-testid="first-run-portal">{t('first.openPortal')}</button>}
    </div>
  );
}

/** Name, USCC (with or without spaces) or CA: what a clerk with many keys types to find one. */
export function certificateMatches(c: CertificateView, query: string, label?: CertLabel): boolean {
  const q = query.normalize('NFKC').trim().toUpperCase().replace(/[\s-]+/g, '');
  if (!q) return true;
  const hay = [c.enterpriseName, c.uscc?.value ?? '', c.caProfile?.name ?? '', c.sourceLabel, label?.alias ?? '', label?.group ?? ''].join('\u0001').normalize('NFKC').toUpperCase();
  return hay.includes(q);
}

export function CertificatesScreen({ onOpenPortal }: { onOpenPortal?: () => void } = {}) {
  const [labels, setLabels] = useState<CertLabels>(() => readLabels());
  const { t, lang } = useI18n();
  const [list, setList] = useState<CertificateListView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [pfx, setPfx] = useState<{ fileId: string; fileName: string } | null>(null);
  const [bridge, setBridge] = useState<BridgeStatusView | null>(null);
  const load = useCallback(() => {
    setError(null);
    invoke('certs:list').then(setList, setError);
    // Older hosts without the channel simply show no line.
    invoke('bridge:status').then(setBridge, () => setBridge(null));
  }, []);
  useEffect(() => {
    load();
    const off = onEvent('certs:changed', load);
    // USB keys come and go without telling us: look again every few seconds while the screen is visible.
    const timer = setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      invoke('certs:list').then(setList, () => {});
      invoke('bridge:status').then(setBridge, () => {});
    }, 4000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [load]);
  const expiring = list?.certificates.filter((c) => c.expiry) ?? [];
  // Agencies (代理记账) hold dozens of enterprises' keys: find one by name or USCC.
  const [filter, setFilter] = useState('');
  const shown = (list?.certificates ?? []).filter((c) => certificateMatches(c, filter, labels[c.fingerprintSha256]));
  const groups = groupCertificates(shown, labels);
  const actions = (c: CertificateView): CardActions => ({
    // 登录 opens the portal; its consent then preselects this certificate (the clerk still confirms and types the PIN).
    onLogin: onOpenPortal ? (cert) => { preferCertificate(cert.id); onOpenPortal(); } : undefined,
    onRemove: (cert) => { invoke('certs:remove', { certificateId: cert.id }).then(load, setError); },
    label: labels[c.fingerprintSha256],
    onLabel: (cert, l) => {
      const next = withLabel(labels, cert.fingerprintSha256, l);
      setLabels(next);
      saveLabels(next);
    },
  });
  const pick = async () => {
    try {
      const f = await invoke('certs:pickPfx');
      if (f) setPfx(f);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section className="screen">
      <ScreenHead heading={t('certs.heading')} intro={t('certs.intro')}>
        <button type="button" className="secondary" onClick={load}>{t('certs.refresh')}</button>
        <button type="button" className="primary" onClick={pick} data-testid="open-pfx">{t('certs.openPfx')}</button>
      </ScreenHead>
      {error !== null && <ErrorNote error={error} />}
      {bridge?.message && (
        <p className={`note ${bridge.state === 'failed' ? 'note-error' : 'note-warn'} small`} role="status" data-testid="bridge-status" lang={lang === 'en' ? 'en' : 'zh-CN'}>
          {lang === 'en' ? bridge.messageEn : bridge.message}
        </p>
      )}
      {!list && error === null && <p className="muted">{t('common.loading')}</p>}
      {list && list.problems.length > 0 && (
        <div className="note note-warn">
          {t('certs.problems')}
          <ul>{list.problems.map((p) => (
            <li key={p.source}>
              {p.source}{lang === 'en' ? ': ' : '：'}{lang === 'en' && p.error.messageEn ? p.error.messageEn : p.error.message}
              <TechInfo testId="problem-tech"><code>{t('tech.code', { code: p.error.code })}</code></TechInfo>
            </li>
          ))}</ul>
        </div>
      )}
      {list && list.certificates.length === 0 && <FirstRun state={list.firstRun} onOpenPortal={onOpenPortal} />}
      {expiring.length > 0 && (
        <div className="note note-warn" role="status" data-testid="expiry-notice">
          {t('certs.expiryNotice', { n: expiring.length })}
          <ul>{expiring.map((c) => <li key={c.id}><strong>{c.enterpriseName}</strong>{lang === 'en' ? ': ' : '：'}{lang === 'en' ? c.expiry!.messageEn : c.expiry!.message}</li>)}</ul>
        </div>
      )}
      {list && list.certificates.length > 3 && (
        <input type="search" className="search cert-filter" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder={t('certs.filter')} aria-label={t('certs.filter')} data-testid="cert-filter" />
      )}
      {list && filter.trim() !== '' && shown.length === 0 && <div className="empty">{t('certs.filterNone')}</div>}
      {groups.map((g) => (
        <section key={g.group ?? ''} className="cert-group" data-testid="cert-group" data-group={g.group ?? ''}>
          {groups.length > 1 && <h2 className="group-heading">{g.group ?? t('certs.ungrouped')}<span className="muted">{t('certs.groupCount', { n: g.certs.length })}</span></h2>}
          <div className="cards">{g.certs.map((c) => <CertificateCard key={c.id} cert={c} actions={actions(c)} />)}</div>
        </section>
      ))}
      {pfx && <PfxDialog file={pfx} onDone={(opened) => { setPfx(null); if (opened) load(); }} />}
    </section>
  );
}
