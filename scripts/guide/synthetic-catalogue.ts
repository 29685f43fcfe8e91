/**
 * A synthetic catalogue for benchmarks and property tests: item names combined from national
 * item vocabulary (objects × actions × modifiers), spread over the real Hebei site list with a
 * seeded random source — realistic repetition of names across sites, no real-world claims.
 */
import type { Audience } from '../../main/guide/types.ts';
import type { IndexSourceItem } from '../../main/guide/search/index-data.ts';
import { seededRandom } from '../../test/support/random.ts';

export const OBJECTS = ['食品', '药品', '医疗器械', '化妆品', '建筑工程', '道路运输', '烟草', '危险化学品', '特种设备', '机动车', '驾驶证', '护照', '居民身份证', '社会保险', '住房公积金', '婚姻', '收养', '出生医学证明', '排污', '取水', '林木采伐', '渔业捕捞', '种子', '兽药', '农药', '饲料', '广告', '营业性演出', '网吧', '医师', '护士', '教师资格', '律师', '公证', '法律援助', '殡葬', '民办学校', '幼儿园', '养老机构', '宗教活动场所', '文物', '档案', '测绘', '气象', '防雷装置', '人民防空', '消防', '燃气', '供水', '排水', '城市道路', '户外广告', '建筑垃圾', '商品房预售', '不动产', '土地', '矿产资源', '林地', '草原', '水土保持', '河道', '环境影响评价', '辐射安全', '放射诊疗', '职业病', '公共场所卫生', '生活饮用水', '劳务派遣', '人力资源服务', '职业技能', '失业保险', '工伤保险', '养老保险', '医疗保险', '生育保险', '个人所得税', '增值税', '发票', '出口退税', '对外贸易', '拍卖', '典当', '旅行社', '导游', '出租汽车', '网络预约出租汽车', '船舶', '港口', '快递', '无线电台', '计量器具', '检验检测机构', '专利', '商标', '著作权', '科技成果', '高新技术企业', '残疾人', '退役军人', '最低生活保障', 'ICP备案', '4S店', 'CA数字证书'];
export const ACTIONS = ['许可', '经营许可', '生产许可', '登记', '设立登记', '变更登记', '注销登记', '备案', '审批', '核准', '认定', '资格认定', '证核发', '证补领', '证换领', '年检', '监督检查', '行政处罚', '奖励', '补贴发放', '申领', '关系转移接续', '信息查询', '证明开具', '延续'];
const PREFIXES = ['', '', '', '', '第一类', '第二类', '第三类', '省级', '城镇', '农村', '跨省', '临时', '首次', '外商投资'];
const SUFFIXES = ['', '', '', '', '', '（新办）', '（延续）', '（变更）', '（注销）', '（补办）', '（告知承诺）', '(网上办理)'];
const KINDS = ['市场监督管理局', '人力资源和社会保障局', '医疗保障局', '税务局', '公安局', '民政局', '卫生健康委员会', '住房和城乡建设局', '自然资源和规划局', '交通运输局', '教育局', '文化广电和旅游局', '应急管理局', '农业农村局', '水利局', '生态环境局', '发展和改革委员会', '商务局', '司法局', '行政审批局'];
const KEYWORDS = ['办证', '证照', '审批', '窗口', '网办', '掌上办', '一件事', '跨省通办', '秒批', '告知承诺制', '社保', '医保', '公积金', '驾照', '个税', '营业执照'];

function titleHash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export interface SyntheticSite { code: string; name: string; level: 'province' | 'city' | 'county'; parent: string | null }

export function syntheticTitles(count: number, rnd: () => number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  let guard = 0;
  while (out.length < count && guard++ < count * 20) {
    const t = pick(PREFIXES) + pick(OBJECTS) + pick(ACTIONS) + pick(SUFFIXES);
    if (!seen.has(t)) { seen.add(t); out.push(t); }
  }
  return out;
}

export function* syntheticItems(opts: { items: number; titles: number; sites: readonly SyntheticSite[]; seed: number; themes: { person: string[]; legal: string[] } }): Generator<IndexSourceItem> {
  const rnd = seededRandom(opts.seed);
  const titles = syntheticTitles(opts.titles, rnd);
  const sites = opts.sites;
  for (let i = 0; i < opts.items; i++) {
    // Zipf-like: common names recur at many sites, the tail is rare.
    const ti = Math.min(titles.length - 1, Math.floor(titles.length * Math.pow(rnd(), 1.6)));
    const site = sites[Math.floor(rnd() * sites.length)]!;
    const kind = KINDS[Math.floor(rnd() * KINDS.length)]!;
    const aud: Audience = rnd() < 0.45 ? 'person' : 'legal';
    const themes = opts.themes[aud];
    // Keywords belong to the kind of item (its name), as in real catalogues: about 30% of names have one.
    const kh = titleHash(titles[ti]!);
    const kw: string[] = kh % 10 < 3 ? [KEYWORDS[kh % KEYWORDS.length]!] : [];
    yield {
      id: `${site.code}/s${i}`, title: titles[ti]!, keywords: kw, site: site.code,
      department: `${site.name}${kind}`, departmentKind: kind, for: aud, theme: themes[Math.floor(rnd() * themes.length)]!,
    };
  }
}
