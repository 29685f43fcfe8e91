// Rendered under Node by the renderer tests too (tsx): the automatic JSX runtime, as Vite builds it.
/** @jsxRuntime automatic */
/** @jsxImportSource react */
import { useEffect, useMemo, useRef, useState } from 'react';
import type {
  AnswerView, GuideItemSummary, GuideItemView, GuideListView, GuideSiteView, HotCategoryView, ManualSectionTextView, ManualSectionView, ServiceFor,
} from '../../common/ipc-contract.ts';
import { ExpiryBanner } from '../ExpiryBanner.tsx';
import { ErrorNote } from '../ErrorNote.tsx';
import { highlightRuns } from '../format.ts';
import { guideItemFacts, knownText, onlineState } from '../guide-facts.ts';
import { useI18n } from '../i18n-context.tsx';
import { invoke } from '../ipc.ts';

type Tab = 'browse' | 'hot' | 'ask' | 'manual';
const PAGE_SIZE = 20;

function Highlighted({ text, ranges }: { text: string; ranges: GuideItemSummary['highlights'] }) {
  return (
    <>
      {highlightRuns(text, ranges).map((r, i) => (r.hit ? <mark key={i}>{r.text}</mark> : <span key={i}>{r.text}</span>))}
    </>
  );
}

function ItemRow({ item, onOpen }: { item: GuideItemSummary; onOpen: (id: string) => void }) {
  return (
    <li className="item-row" data-testid="guide-result">
      <button type="button" className="item-link" onClick={() => onOpen(item.id)}>
        <span className="item-title"><Highlighted text={item.title} ranges={item.highlights} /></span>
        <span className="item-meta">
          {item.site.name} · {item.department}
          {item.theme ? ` · ${item.theme}` : ''}
        </span>
      </button>
      <OnlineBadge online={item.online} />
    </li>
  );
}

function Pager({ list, onPage }: { list: GuideListView; onPage: (p: number) => void }) {
  const { t } = useI18n();
  const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
  if (pages <= 1) return null;
  return (
    <div className="pager">
      <button type="button" className="secondary" disabled={list.page <= 1} onClick={() => onPage(list.page - 1)}>{t('guide.prev')}</button>
      <span>{t('guide.page', { page: list.page, pages })}</span>
      <button type="button" className="secondary" disabled={list.page >= pages} onClick={() => onPage(list.page + 1)}>{t('guide.next')}</button>
    </div>
  );
}

/** 可网办 / 窗口办理 only when the data says which; nothing when it does not know. */
function OnlineBadge({ online }: { online: boolean | null }) {
  const { t } = useI18n();
  const state = onlineState({ online });
  if (state === null) return null;
  return <span className={state === 'online' ? 'badge badge-pass' : 'badge'} data-testid="online-badge">{t(state === 'online' ? 'guide.online' : 'guide.offline')}</span>;
}

/** The item's facts: known fields only; what the offline data lacks is named once under 更多信息. */
export function ItemFacts({ item }: { item: GuideItemView }) {
  const { t } = useI18n();
  const facts = guideItemFacts(item, (f) => t(`guide.for.${f}`));
  const materials = facts.materials;
  // A column nobody filled in (形式, 份数, 必要性) is left out rather than drawn as dashes.
  const cols = (['form', 'copies', 'required'] as const).filter((c) => materials?.some((m) => knownText(m[c]) !== null));
  return (
    <>
      <dl className="facts guide-facts">
        {facts.rows.map((r) => (
          <div key={r.key} className="fact" data-testid={`fact-${r.key}`}>
            <dt>{t(`guide.field.${r.key}`)}</dt>
            <dd>{r.value}</dd>
          </div>
        ))}
      </dl>
      {facts.conditions !== null && (
        <>
          <h3>{t('guide.field.conditions')}</h3>
          <p className="prose">{facts.conditions}</p>
        </>
      )}
      {materials !== null && (
        <>
          <h3>{t('guide.field.materials')}</h3>
          <table className="table">
            <thead>
              <tr><th>{t('guide.material.name')}</th>{cols.map((c) => <th key={c}>{t(`guide.material.${c}`)}</th>)}</tr>
            </thead>
            <tbody>
              {materials.map((m, i) => (
                <tr key={i}><td>{m.name}</td>{cols.map((c) => <td key={c}>{knownText(m[c]) ?? '—'}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {facts.process !== null && (
        <>
          <h3>{t('guide.field.process')}</h3>
          <ol className="steps">{facts.process.map((s, i) => <li key={i}>{s}</li>)}</ol>
        </>
      )}
      {facts.unknown.length > 0 && (
        <details className="more-info" data-testid="guide-more-info">
          <summary>{t('guide.moreInfo')}</summary>
          <p className="muted">{t('guide.moreInfoNote', { fields: facts.unknown.map((k) => t(`guide.field.${k}`)).join(t('guide.listSeparator')) })}</p>
        </details>
      )}
    </>
  );
}

function ItemPage({ id, onBack, onOpenOnline }: { id: string; onBack: () => void; onOpenOnline: (url: string) => void }) {
  const { t } = useI18n();
  const [item, setItem] = useState<GuideItemView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    invoke('guide:item', { id }).then(setItem, setError);
  }, [id]);
  if (error !== null) return <ErrorNote error={error} />;
  if (!item) return <p className="muted">{t('common.loading')}</p>;
  const state = onlineState(item);
  return (
    <article className="item-page" data-testid="guide-item">
      <button type="button" className="link" onClick={onBack}>← {t('common.back')}</button>
      <header className="item-head">
        <div>
          <h2>{item.title} {item.sample && <span className="badge badge-warn">{t('common.sample')}</span>} <OnlineBadge online={item.online} /></h2>
          <p className="muted">{item.site.name} · {item.department}</p>
        </div>
        {state === 'online' && item.onlineUrl ? (
          <button type="button" className="primary" onClick={() => onOpenOnline(item.onlineUrl!)} data-testid="go-online">{t('guide.goOnline')}</button>
        ) : state !== 'offline' && item.portalUrl ? (
          // Whether it can be handled online is not known offline: the portal says, so we offer it without a claim.
          <button type="button" className="secondary" onClick={() => onOpenOnline(item.portalUrl!)} data-testid="go-portal">{t('guide.seeOnPortal')}</button>
        ) : null}
      </header>
      {item.sample && <div className="note note-warn">{t('guide.sampleNote')}</div>}
      <ItemFacts item={item} />
    </article>
  );
}

function AskPanel({ onOpenItem }: { onOpenItem: (id: string) => void }) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const [answers, setAnswers] = useState<AnswerView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ask = (e: React.FormEvent) => {
    e.preventDefault();
    if (!q.trim()) return;
    setError(null);
    invoke('guide:ask', { question: q.trim() }).then((r) => setAnswers(r.answers), setError);
  };
  return (
    <div className="ask" data-testid="ask">
      <form className="search-row" onSubmit={ask}>
        <input className="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('ask.placeholder')} data-testid="ask-input" />
        <button type="submit" className="primary">{t('ask.submit')}</button>
      </form>
      {error !== null && <ErrorNote error={error} />}
      {answers && answers.length === 0 && <p className="muted">{t('ask.empty')}</p>}
      {answers?.map((a, i) => (
        <article key={`${a.section}-${i}`} className="card answer" data-testid="answer">
          <h3>{a.title}</h3>
          <p className="prose">{a.text}</p>
          <p className="muted small">
            {a.itemId ? <button type="button" className="link" onClick={() => onOpenItem(a.itemId!)}>{a.title}</button> : t('ask.source', { section: a.section })}
          </p>
        </article>
      ))}
    </div>
  );
}

function ManualReader() {
  const { t } = useI18n();
  const [sections, setSections] = useState<ManualSectionView[] | null>(null);
  const [current, setCurrent] = useState<ManualSectionTextView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    invoke('guide:manual').then((r) => {
      setSections(r.sections);
      const first = r.sections[0];
      if (first) invoke('guide:manualSection', { id: first.id }).then(setCurrent, setError);
    }, setError);
  }, []);
  const open = (id: string) => invoke('guide:manualSection', { id }).then(setCurrent, setError);
  return (
    <div className="manual" data-testid="manual">
      <nav className="toc">
        <h3>{t('manual.heading')}</h3>
        <ul className="plain">
          {sections?.map((s) => (
            <li key={s.id} style={{ paddingLeft: `${(s.level - 1) * 12}px` }}>
              <button type="button" className={current?.id === s.id ? 'link active' : 'link'} onClick={() => open(s.id)}>{s.id} {s.title}</button>
            </li>
          ))}
        </ul>
      </nav>
      <article className="manual-text">
        {error !== null && <ErrorNote error={error} />}
        {current && (
          <>
            <h2>{current.id} {current.title}</h2>
            {current.text.split(/\n+/).map((p, i) => <p key={i} className="prose">{p}</p>)}
          </>
        )}
      </article>
    </div>
  );
}

function HotTiles({ site, onOpenItem }: { site: string | undefined; onOpenItem: (id: string) => void }) {
  const { t } = useI18n();
  const [cats, setCats] = useState<HotCategoryView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    invoke('guide:hot', site ? { site } : {}).then((r) => setCats(r.categories), setError);
  }, [site]);
  if (error !== null) return <ErrorNote error={error} />;
  if (!cats) return <p className="muted">{t('common.loading')}</p>;
  return (
    <div className="tiles" data-testid="hot">
      {cats.map((c) => (
        <section key={c.id} className="tile">
          <h3>{c.name}</h3>
          <ul className="plain">
            {c.items.slice(0, 5).map((i) => (
              <li key={i.id}><button type="button" className="link" onClick={() => onOpenItem(i.id)}>{i.title}</button></li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

const SITE_KEY = 'guide.site';

function rememberedSite(): string | null {
  try {
    return localStorage.getItem(SITE_KEY);
  } catch {
    return null;
  }
}

/** A site matches its name, its pinyin initials or its full pinyin (sjz, shijiazhuang → 石家庄市). */
export function siteMatches(s: GuideSiteView, query: string): boolean {
  const q = query.trim().toLowerCase().replace(/\s+/g, '');
  if (!q) return true;
  if (s.name.includes(q)) return true;
  if (!/^[a-z]+$/.test(q)) return false;
  return (s.initials ?? '').startsWith(q) || (s.pinyin ?? '').startsWith(q);
}

export function GuideScreen({ onOpenOnline }: { onOpenOnline: (url: string) => void }) {
  const { t } = useI18n();
  const [tab, setTab] = useState<Tab>('browse');
  const [sites, setSites] = useState<GuideSiteView[]>([]);
  const [site, setSite] = useState<string | undefined>(undefined);
  const [who, setWho] = useState<ServiceFor>('legal');
  const [facetKind, setFacetKind] = useState<'theme' | 'department'>('theme');
  const [facet, setFacet] = useState<string | undefined>(undefined);
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);
  const [list, setList] = useState<GuideListView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [itemId, setItemId] = useState<string | null>(null);
  const seq = useRef(0);

  const [siteQuery, setSiteQuery] = useState('');
  useEffect(() => {
    invoke('guide:sites').then((r) => {
      setSites(r.sites);
      // The last site chosen comes back; else the province's main site.
      const remembered = rememberedSite();
      setSite((s) => s ?? (remembered && r.sites.some((x) => x.code === remembered) ? remembered : undefined) ?? r.sites.find((x) => x.level === 'province')?.code ?? r.sites[0]?.code);
    }, setError);
  }, []);
  const chooseSite = (code: string) => {
    setSite(code);
    try {
      localStorage.setItem(SITE_KEY, code);
    } catch {}
  };

  const searching = query.trim() !== '';
  useEffect(() => {
    setPage(1);
  }, [query, site, who, facet, facetKind]);
  // Browsing facets are department ids, search facets department kinds: a switch starts unfiltered.
  useEffect(() => {
    setFacet(undefined);
  }, [searching]);

  useEffect(() => {
    if (!site) return;
    const mine = ++seq.current;
    const filter = facet === undefined ? {} : facetKind === 'theme' ? { theme: facet } : { department: facet };
    const q = query.trim();
    // Instant search: answers arrive in order; a stale answer for an older keystroke is dropped.
    const run = q
      ? invoke('guide:search', { query: q, site, for: who, ...filter, page, pageSize: PAGE_SIZE })
      : invoke('guide:browse', { site, for: who, ...filter, page, pageSize: PAGE_SIZE });
    run.then((r) => { if (mine === seq.current) { setList(r); setError(null); } }, (e) => { if (mine === seq.current) setError(e); });
  }, [query, site, who, facet, facetKind, page]);

  const siteOptions = useMemo(() => {
    const byParent = new Map<string | null, GuideSiteView[]>();
    for (const s of sites) byParent.set(s.parent, [...(byParent.get(s.parent) ?? []), s]);
    const out: { site: GuideSiteView; depth: number }[] = [];
    const walk = (parent: string | null, depth: number) => {
      for (const s of byParent.get(parent) ?? []) {
        out.push({ site: s, depth });
        walk(s.code, depth + 1);
      }
    };
    walk(null, 0);
    // Sites whose parent is not listed still appear.
    for (const s of sites) if (!out.some((o) => o.site.code === s.code)) out.push({ site: s, depth: 0 });
    return out;
  }, [sites]);
  // 石家庄, sjz or shijiazhuang: names, pinyin initials and full pinyin all find a site.
  const shownSites = useMemo(() => siteOptions.filter((o) => siteMatches(o.site, siteQuery)), [siteOptions, siteQuery]);
  useEffect(() => {
    if (siteQuery.trim() && shownSites.length > 0 && !shownSites.some((o) => o.site.code === site)) chooseSite(shownSites[0]!.site.code);
  }, [shownSites]);
  const current = sites.find((s) => s.code === site);

  const facets = list ? (facetKind === 'theme' ? list.facets.themes : list.facets.departments) : [];

  if (itemId) {
    return (
      <section className="screen">
        <ExpiryBanner />
        <ItemPage id={itemId} onBack={() => setItemId(null)} onOpenOnline={onOpenOnline} />
      </section>
    );
  }

  return (
    <section className="screen guide">
      <div className="guide-head">
        <h1>{t('guide.heading')}</h1>
        <div className="site-picker">
          <label className="site-select">
            <span>{t('guide.site')}</span>
            <input type="search" className="site-search" value={siteQuery} onChange={(e) => setSiteQuery(e.target.value)} placeholder={t('guide.siteSearch')} aria-label={t('guide.siteSearch')} data-testid="site-search" />
            <select value={site ?? ''} onChange={(e) => chooseSite(e.target.value)} data-testid="site-select">
              {shownSites.map(({ site: s, depth }) => (
                <option key={s.code} value={s.code}>{siteQuery.trim() ? '' : '\u3000'.repeat(depth)}{s.name}</option>
              ))}
            </select>
          </label>
          {current?.url && (
            <button type="button" className="link" onClick={() => onOpenOnline(current.url!)} data-testid="site-open-portal">{t('guide.openSitePortal')}</button>
          )}
        </div>
      </div>
      <ExpiryBanner />
      <div className="subtabs">
        {(['browse', 'hot', 'ask', 'manual'] as const).map((k) => (
          <button key={k} type="button" className={tab === k ? 'subtab active' : 'subtab'} onClick={() => setTab(k)} data-testid={`guide-tab-${k}`}>{t(`guide.tab.${k}`)}</button>
        ))}
      </div>
      {tab === 'browse' && (
        <>
          <input className="search big" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder={t('guide.searchPlaceholder')} data-testid="guide-search" autoFocus />
          <div className="browse">
            <aside className="filters">
              <div className="segmented">
                <button type="button" className={who === 'person' ? 'active' : ''} onClick={() => { setWho('person'); setFacet(undefined); }}>{t('guide.person')}</button>
                <button type="button" className={who === 'legal' ? 'active' : ''} onClick={() => { setWho('legal'); setFacet(undefined); }}>{t('guide.legal')}</button>
              </div>
              <div className="segmented small">
                <button type="button" className={facetKind === 'theme' ? 'active' : ''} onClick={() => { setFacetKind('theme'); setFacet(undefined); }}>{t('guide.byTheme')}</button>
                <button type="button" className={facetKind === 'department' ? 'active' : ''} onClick={() => { setFacetKind('department'); setFacet(undefined); }}>{t('guide.byDepartment')}</button>
              </div>
              <ul className="plain facet-list">
                <li><button type="button" className={facet === undefined ? 'facet active' : 'facet'} onClick={() => setFacet(undefined)}>{t('guide.all')}</button></li>
                {facets.map((f) => (
                  <li key={f.value}>
                    <button type="button" className={facet === f.value ? 'facet active' : 'facet'} onClick={() => setFacet(f.value)}>
                      <span>{f.label}</span><span className="count">{f.count}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </aside>
            <div className="results">
              {error !== null && <ErrorNote error={error} />}
              {list && <p className="muted" data-testid="guide-total">{t('guide.results', { n: list.total })}</p>}
              {list && list.items.length === 0 && <div className="empty">{t('guide.noResults')}</div>}
              <ul className="plain item-list">{list?.items.map((i) => <ItemRow key={i.id} item={i} onOpen={setItemId} />)}</ul>
              {list && <Pager list={list} onPage={setPage} />}
            </div>
          </div>
        </>
      )}
      {tab === 'hot' && <HotTiles site={site} onOpenItem={setItemId} />}
      {tab === 'ask' && <AskPanel onOpenItem={setItemId} />}
      {tab === 'manual' && <ManualReader />}
    </section>
  );
}
