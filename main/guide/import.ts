/**
 * Turns CSV/JSON exports of a 事项清单 (one row per implemented item, Chinese or English column
 * names) into a catalogue bundle over the given sites. Unknown values stay null; nothing is made up.
 */
import { AssistantError } from '../errors.ts';
import { ITEM_TYPES, THEMES, validateBundle } from './catalogue.ts';
import { parseCsv } from './csv.ts';
import type { Audience, CatalogueBundle, Department, Material, Site, StoredItem } from './types.ts';

/** Column aliases → field. */
const COLUMNS: Record<string, string> = {
  事项编号: 'id', id: 'id',
  站点: 'site', 站点代码: 'site', 区划代码: 'site', site: 'site',
  事项名称: 'name', name: 'name', title: 'name',
  基本编码: 'basicCode', basiccode: 'basicCode',
  实施编码: 'implCode', implcode: 'implCode',
  事项类型: 'type', type: 'type',
  实施主体: 'department', 实施部门: 'department', department: 'department',
  部门类别: 'departmentKind', departmentkind: 'departmentKind',
  服务对象: 'for', for: 'for',
  主题: 'theme', 主题分类: 'theme', theme: 'theme',
  受理条件: 'conditions', conditions: 'conditions',
  申请材料: 'materials', materials: 'materials',
  办理流程: 'process', process: 'process',
  法定时限: 'legalLimit', legallimit: 'legalLimit',
  承诺时限: 'promiseLimit', promiselimit: 'promiseLimit',
  收费: 'fee', 收费标准: 'fee', 是否收费: 'fee', fee: 'fee',
  办理地点: 'place', place: 'place',
  办理时间: 'hours', hours: 'hours',
  咨询电话: 'consultPhone', 咨询方式: 'consultPhone', consultphone: 'consultPhone',
  监督电话: 'supervisePhone', 监督投诉方式: 'supervisePhone', supervisephone: 'supervisePhone',
  是否网办: 'online', online: 'online',
  网办地址: 'onlineUrl', 在线办理地址: 'onlineUrl', onlineurl: 'onlineUrl',
  关键词: 'keywords', keywords: 'keywords',
};

function rowError(row: number, why: string): AssistantError {
  return new AssistantError('IMPORT_ROW_INVALID', `第 ${row} 行：${why}`, { en: `row ${row}: ${why}`, details: { row } });
}

const text = (v: unknown): string | null => {
  if (v === undefined || v === null) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
};

function audienceOf(v: string | null, row: number): Audience {
  if (v === null) throw rowError(row, '缺少服务对象（自然人/法人）');
  if (/^(自然人|个人|person)$/i.test(v)) return 'person';
  if (/^(法人|企业法人|legal)$/i.test(v)) return 'legal';
  // Items serving both are filed under the first named audience (one list per item, as in the portal).
  if (v.startsWith('自然人') || v.startsWith('个人')) return 'person';
  if (v.startsWith('法人')) return 'legal';
  throw rowError(row, `无法识别的服务对象“${v}”`);
}

function materialsOf(v: unknown): Material[] | null {
  if (Array.isArray(v)) return v as Material[];
  const s = text(v);
  if (s === null) return null;
  // "名称|形式|份数|必要性；…" — any missing part stays null.
  return s.split(/[;；\n]+/).map((x) => x.trim()).filter(Boolean).map((m) => {
    const [name, form, copies, req] = m.split('|').map((p) => p.trim());
    const n = copies ? Number(copies) : NaN;
    return { name: name!, form: form || null, copies: Number.isInteger(n) ? n : null, required: req ? /^(是|必要|必须|required|true)$/i.test(req) : null };
  });
}

export interface ImportOptions {
  sites: Site[];
  version: number;
  createdAt: string;
  sample?: boolean;
}

/** Parses a CSV or JSON export (array of rows, or {items:[…]}) into rows of field → value. */
export function readExport(content: string, kind: 'csv' | 'json'): Record<string, unknown>[] {
  if (kind === 'json') {
    let v: unknown;
    try { v = JSON.parse(content); } catch { throw new AssistantError('IMPORT_JSON_INVALID', '导入文件不是有效的 JSON', { en: 'import file is not valid JSON' }); }
    const rows = Array.isArray(v) ? v : (v as { items?: unknown })?.items;
    if (!Array.isArray(rows)) throw new AssistantError('IMPORT_JSON_INVALID', 'JSON 导入文件应为事项数组或 {items:[…]}', { en: 'JSON import must be an array of items or {items:[…]}' });
    return rows as Record<string, unknown>[];
  }
  const rows = parseCsv(content);
  if (rows.length === 0) return [];
  const header = rows[0]!.map((h) => h.trim());
  return rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

export function importCatalogue(rawRows: Record<string, unknown>[], opts: ImportOptions): CatalogueBundle {
  const siteByKey = new Map<string, Site>();
  for (const s of opts.sites) { siteByKey.set(s.code, s); siteByKey.set(s.name, s); }
  const departments = new Map<string, Department>();
  const items: StoredItem[] = [];
  const ids = new Set<string>();
  rawRows.forEach((raw, i) => {
    const row = i + 2; // header is row 1
    const r: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) { const f = COLUMNS[k.trim()] ?? COLUMNS[k.trim().toLowerCase()]; if (f) r[f] = v; }
    const siteKey = text(r['site']);
    const site = siteKey === null ? undefined : siteByKey.get(siteKey);
    if (!site) throw rowError(row, `站点“${siteKey ?? ''}”不存在`);
    const name = text(r['name']);
    if (name === null) throw rowError(row, '缺少事项名称');
    const aud = audienceOf(text(r['for']), row);
    const typeRaw = text(r['type']);
    const type = ITEM_TYPES.find((t) => t.code === typeRaw || t.name === typeRaw)?.code;
    if (!type) throw rowError(row, `无法识别的事项类型“${typeRaw ?? ''}”`);
    const themeRaw = text(r['theme']);
    const theme = THEMES[aud].find((t) => t.code === themeRaw || t.name === themeRaw)?.code ?? '999';
    const deptName = text(r['department']);
    if (deptName === null) throw rowError(row, '缺少实施主体');
    const kind = text(r['departmentKind']) ?? (deptName.startsWith(site.name) ? deptName.slice(site.name.length) : deptName) ?? deptName;
    const deptId = `${site.code}/${deptName}`;
    if (!departments.has(deptId)) departments.set(deptId, { id: `${site.code}/d${departments.size + 1}`, site: site.code, kind: kind || deptName, name: deptName });
    const implCode = text(r['implCode']);
    let id = text(r['id']) ?? (implCode ? `${site.code}/${implCode}` : `${site.code}/r${row}`);
    id = id.replace(/[^A-Za-z0-9._/-]/g, '-');
    if (ids.has(id)) throw rowError(row, `事项编号重复 ${id}`);
    ids.add(id);
    const online = text(r['online']);
    const process = Array.isArray(r['process']) ? (r['process'] as string[]) : text(r['process'])?.split(/\s*(?:→|->|;|；|\n)\s*/).filter(Boolean) ?? null;
    const keywords = Array.isArray(r['keywords']) ? (r['keywords'] as string[]) : text(r['keywords'])?.split(/[、,，;；\s]+/).filter(Boolean) ?? [];
    items.push({
      id, site: site.code, department: departments.get(deptId)!.id,
      name, basicCode: text(r['basicCode']), implCode, type, for: aud, theme, keywords,
      conditions: text(r['conditions']), materials: materialsOf(r['materials']), process,
      legalLimit: text(r['legalLimit']), promiseLimit: text(r['promiseLimit']), fee: text(r['fee']), place: text(r['place']), hours: text(r['hours']),
      consultPhone: text(r['consultPhone']), supervisePhone: text(r['supervisePhone']),
      online: online === null ? null : /^(是|true|1|yes|y)$/i.test(online), onlineUrl: text(r['onlineUrl']),
    });
  });
  return validateBundle({
    format: 'cert-assistant/guide-catalogue@1', version: opts.version, createdAt: opts.createdAt, sample: opts.sample ?? false,
    sites: opts.sites, departments: [...departments.values()], templates: [], items,
  });
}
