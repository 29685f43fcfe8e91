/** Data shapes of the service guide: sites, catalogue bundle, items, manual. */

export type SiteLevel = 'province' | 'city' | 'county';
export type Audience = 'person' | 'legal';

export interface Site {
  /** GB/T 2260 code; "xiongan" for 雄安新区, which has none. */
  code: string;
  name: string;
  level: SiteLevel;
  parent: string | null;
  /** Portal grouping: 省直管县 (辛集、定州) and 雄安新区 sit beside the 11 cities. */
  group?: 'provincially-administered' | 'new-area';
  /** GB/T 2260 parent where it differs from the portal's tree (辛集 → 石家庄, 雄县 → 保定). */
  gbParent?: string;
  /** Division type for county-level units: 市辖区 | 县 | 县级市 | … */
  divisionType?: string;
  url: string | null;
  urlVerified: boolean;
  pinyin: string;
  initials: string;
  contacts?: { name: string; phones: string[]; source: string }[];
}

export interface Department {
  id: string;
  site: string;
  kind: string;
  name: string;
}

export interface Material {
  name: string;
  form: string | null;
  copies: number | null;
  required: boolean | null;
}

/** The national 办事指南 fields. null = unknown offline: show 以门户网站公布为准. */
export interface GuideFields {
  name: string;
  basicCode: string | null;
  implCode: string | null;
  type: string;
  for: Audience;
  theme: string;
  keywords: string[];
  conditions: string | null;
  materials: Material[] | null;
  process: string[] | null;
  legalLimit: string | null;
  promiseLimit: string | null;
  fee: string | null;
  place: string | null;
  hours: string | null;
  consultPhone: string | null;
  supervisePhone: string | null;
  online: boolean | null;
  onlineUrl: string | null;
}

export interface ItemTemplate extends GuideFields {
  id: string;
}

/** A catalogue item as stored: template reference plus its own (overriding) fields. */
export interface StoredItem extends Partial<GuideFields> {
  id: string;
  site: string;
  department: string;
  template?: string;
}

export interface CatalogueBundle {
  format: 'cert-assistant/guide-catalogue@1';
  version: number;
  createdAt: string;
  sample: boolean;
  note?: string;
  sites: Site[];
  departments: Department[];
  templates: ItemTemplate[];
  items: StoredItem[];
}

/** An item with its template resolved: what a guide page shows. */
export interface ServiceItem extends GuideFields {
  id: string;
  site: { code: string; name: string; level: SiteLevel };
  department: { id: string; name: string; kind: string };
  typeName: string;
  themeName: string;
  sample: boolean;
  portalUrl: string;
  /** Text to show for every null field. */
  unknownText: string;
}

export interface ManualSection {
  id: string;
  title: string;
  level: number;
  parent: string | null;
  /** The section's own text (title line excluded), lines joined with \n. */
  text: string;
}
