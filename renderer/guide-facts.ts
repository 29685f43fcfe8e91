/**
 * Which of a guide item's fields the item page shows. A field the offline data does not know
 * (null, empty, or a placeholder such as 未知) is not a row: the page lists what is known and names
 * the rest once, under 更多信息, as "以门户网站公布为准".
 */
import type { GuideItemView } from '../common/ipc-contract.ts';

export type GuideFactKey =
  | 'itemType' | 'department' | 'for' | 'basicCode' | 'implCode' | 'legalLimit' | 'promisedLimit'
  | 'fee' | 'place' | 'hours' | 'phone' | 'conditions' | 'materials' | 'process';

/** Rows of the facts list, in the order the portal's own guide shows them. */
const ROWS: readonly Exclude<GuideFactKey, 'conditions' | 'materials' | 'process'>[] = [
  'itemType', 'department', 'for', 'basicCode', 'implCode', 'legalLimit', 'promisedLimit', 'fee', 'place', 'hours', 'phone',
];

/** Placeholders some imports write instead of leaving a field empty. */
const PLACEHOLDER = /^(未知|暂无|无数据|不详|待定|以门户网站公布为准|unknown|n\/?a|null|-+|—+|\/)$/i;

/** A value worth a row: not null, not blank, not a placeholder for "we don't know". */
export function knownText(v: string | null | undefined): string | null {
  if (v == null) return null;
  const s = v.trim();
  return s === '' || PLACEHOLDER.test(s) ? null : s;
}

export interface GuideFacts {
  /** Rows with a value, in display order. */
  rows: { key: GuideFactKey; value: string }[];
  conditions: string | null;
  materials: GuideItemView['materials'];
  process: string[] | null;
  /** Fields the offline data does not know: named once, never shown as empty rows. */
  unknown: GuideFactKey[];
}

export function guideItemFacts(item: GuideItemView, forLabel: (f: GuideItemView['for'][number]) => string): GuideFacts {
  const values: Record<(typeof ROWS)[number], string | null> = {
    itemType: item.itemType,
    department: item.department,
    for: item.for.length ? item.for.map(forLabel).join('、') : null,
    basicCode: item.basicCode,
    implCode: item.implCode,
    legalLimit: item.legalLimit,
    promisedLimit: item.promisedLimit,
    fee: item.fee,
    place: item.place,
    hours: item.hours,
    phone: item.phone,
  };
  const rows: GuideFacts['rows'] = [];
  const unknown: GuideFactKey[] = [];
  for (const key of ROWS) {
    const v = knownText(values[key]);
    if (v === null) unknown.push(key);
    else rows.push({ key, value: v });
  }
  const conditions = knownText(item.conditions);
  if (conditions === null) unknown.push('conditions');
  const materials = item.materials && item.materials.some((m) => knownText(m.name)) ? item.materials.filter((m) => knownText(m.name)) : null;
  if (materials === null) unknown.push('materials');
  const steps = (item.process ?? []).map(knownText).filter((s): s is string => s !== null);
  const process = steps.length ? steps : null;
  if (process === null) unknown.push('process');
  return { rows, conditions, materials, process, unknown };
}

/** 可网办 only when the data says so: true → online, false → at the counter, unknown → no badge. */
export function onlineState(item: { online: boolean | null }): 'online' | 'offline' | null {
  return item.online === true ? 'online' : item.online === false ? 'offline' : null;
}
