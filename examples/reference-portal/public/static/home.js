// 站点切换 (省级主站 / 市 / 县) and the chosen site's own service items.
import { $, api, renderUserArea, showMessage, clearMessage } from './common.js';

void renderUserArea();
const state = { level: 'province', city: null, county: null, for: 'legal', sites: [], province: null };

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function currentSite() {
  if (state.level === 'province') return state.province;
  if (state.level === 'city') return state.sites.find((s) => s.code === state.city) || null;
  return state.sites.find((s) => s.code === state.county) || null;
}

function fillCounties() {
  const sel = $('#county-select');
  sel.textContent = '';
  const counties = state.sites.filter((s) => s.level === 'county' && s.parent === state.city);
  for (const c of counties) sel.append(option(c.code, c.name));
  state.county = counties[0] ? counties[0].code : null;
}

async function loadItems() {
  const site = currentSite();
  const msg = $('#items-msg');
  clearMessage(msg);
  $('#current-site').textContent = site ? site.name : '—';
  $('#items-title').textContent = site ? `${site.name} · ${state.for === 'legal' ? '法人办事' : '个人办事'}` : '请选择站点';
  const table = $('#items-table');
  table.hidden = true;
  if (!site) return;
  const r = await api('GET', `/api/sites/${encodeURIComponent(site.code)}/items?for=${state.for}`);
  if (r.status !== 200) return showMessage(msg, 'error', (r.body && r.body.message) || '无法读取事项');
  const body = table.querySelector('tbody');
  body.textContent = '';
  for (const it of r.body.items) {
    const tr = document.createElement('tr');
    const title = document.createElement('td');
    title.textContent = it.title;
    if (it.sample) {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = '示例';
      title.append(tag);
    }
    const dept = document.createElement('td');
    dept.textContent = it.department || '—';
    const theme = document.createElement('td');
    theme.textContent = it.theme || '—';
    const act = document.createElement('td');
    if (it.onlineUrl) {
      const a = document.createElement('a');
      a.href = it.onlineUrl;
      a.rel = 'noopener';
      a.textContent = '在线办理';
      act.append(a);
    } else act.textContent = '—';
    tr.append(title, dept, theme, act);
    body.append(tr);
  }
  table.hidden = r.body.items.length === 0;
  if (r.body.note) showMessage(msg, 'info', r.body.note);
  else if (r.body.items.length === 0) showMessage(msg, 'info', '本站点暂无此类事项。');
}

function setLevel(level) {
  state.level = level;
  for (const b of document.querySelectorAll('.levels button')) b.setAttribute('aria-pressed', String(b.dataset.level === level));
  $('#city-select').hidden = level === 'province';
  $('#county-select').hidden = level !== 'county';
  if (level === 'county') fillCounties();
  void loadItems();
}

const r = await api('GET', '/api/sites');
if (r.status === 200) {
  state.sites = r.body.sites;
  state.province = state.sites.find((s) => s.level === 'province') || null;
  const citySel = $('#city-select');
  const cities = state.sites.filter((s) => s.level === 'city');
  for (const c of cities) citySel.append(option(c.code, c.name));
  // 省直管县 (辛集, 定州) hang under the province in the portal's list.
  if (state.province && state.sites.some((s) => s.level === 'county' && s.parent === state.province.code)) citySel.append(option(state.province.code, '省直管县（市）'));
  state.city = cities[0] ? cities[0].code : null;
  citySel.addEventListener('change', () => {
    state.city = citySel.value;
    if (state.level === 'county') fillCounties();
    void loadItems();
  });
  $('#county-select').addEventListener('change', () => {
    state.county = $('#county-select').value;
    void loadItems();
  });
}
for (const b of document.querySelectorAll('.levels button')) b.addEventListener('click', () => setLevel(b.dataset.level));
for (const a of document.querySelectorAll('.tabs a[data-for]')) {
  a.addEventListener('click', (ev) => {
    ev.preventDefault();
    state.for = a.dataset.for;
    for (const x of document.querySelectorAll('.tabs a[data-for]')) x.classList.toggle('active', x === a);
    void loadItems();
  });
}
setLevel('province');
