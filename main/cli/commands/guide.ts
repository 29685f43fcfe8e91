/**
 * `cert-assistant guide …` — the offline service guide: sites, search, Q&A, item pages, the manual,
 * 热门服务, and catalogue import/signing tools.
 */
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { resolve, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { AssistantError } from '../../errors.ts';
import { writeJson, EXIT_OK, EXIT_FAIL, EXIT_USAGE, type CliIO } from '../io.ts';
import type { Guide as GuideT, SearchResult, ServiceItem } from '../../guide/index.ts';

const HELP = `用法 / Usage: cert-assistant guide <子命令> [选项]

  sites [--json]                              站点列表（省、市、雄安新区、省直管县、县区）/ list sites
  search 关键词 [--site 代码] [--for person|legal] [--theme 代码] [--department 部门]
         [--limit N] [--offset N] [--json]      搜索办事事项 / search service items
  ask 问题 [--limit N] [--json]               智能问答（使用帮助）/ answer a question from the manual
  item 事项编号 [--json]                       办事指南详情 / one item's guide page
  manual [章节号] [--json]                     使用帮助目录或章节 / the manual (table of contents or a section)
  hot [--site 代码] [--json]                   热门服务 / hot services
  import 文件(.csv|.json) --out 目录包.json --version N [--sign-key 私钥.pem]
                                              将事项清单导出转换为目录包 / build a catalogue bundle
  install 目录包.json --update-dir 目录 --public-key 公钥.pem [--sig 签名文件]
                                              安装已签名的目录更新 / install a signed catalogue update

公共选项 / common: --data-dir 目录（默认随应用发布的数据）--update-dir 目录 --public-key 公钥.pem
示例数据：事项由国家标准事项清单生成，编码、时限、收费、电话等以门户网站公布为准。
`;

function usage(msg: string): AssistantError {
  return new AssistantError('USAGE', `${msg}\n\n${HELP}`, { en: 'usage error' });
}

const COMMON = {
  json: { type: 'boolean' as const, default: false },
  help: { type: 'boolean' as const, short: 'h', default: false },
  'data-dir': { type: 'string' as const },
  'update-dir': { type: 'string' as const },
  'public-key': { type: 'string' as const },
};

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw usage(`参数错误 / bad arguments: ${(e as Error).message}`);
  }
}

function intOption(v: string | undefined, name: string, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) > max) throw usage(`--${name} 应为 0–${max} 的整数`);
  return Number(v);
}

async function openGuide(values: Record<string, unknown>, io: CliIO): Promise<GuideT> {
  const { Guide } = await import('../../guide/index.ts');
  const keyFile = values['public-key'] as string | undefined;
  const dataDir = values['data-dir'] as string | undefined;
  const updateDir = values['update-dir'] as string | undefined;
  return Guide.open({
    ...(dataDir ? { dataDir: resolve(io.cwd, dataDir) } : {}),
    ...(updateDir ? { updateDir: resolve(io.cwd, updateDir) } : {}),
    ...(keyFile ? { publicKeyPem: readFileSync(resolve(io.cwd, keyFile), 'utf8') } : {}),
    now: io.now,
  });
}

/** Wraps highlight ranges in 【】 for terminals. */
function highlight(title: string, ranges: [number, number][]): string {
  let out = '', at = 0;
  for (const [s, e] of ranges) { out += title.slice(at, s) + '【' + title.slice(s, e) + '】'; at = e; }
  return out + title.slice(at);
}

const FOR_ZH = { person: '个人', legal: '法人' } as const;
const LEVEL_ZH = { province: '省级', city: '市级', county: '县级' } as const;

function printSearch(r: SearchResult, io: CliIO, sample: boolean): void {
  const lines = [`“${r.rewrittenFrom ? r.terms.join(' ') : r.query}”共找到 ${r.total} 项${r.total > r.results.length ? `，显示第 ${r.offset + 1}–${r.offset + r.results.length} 项` : ''}${sample ? '（示例数据，办理要求以门户网站公布为准）' : ''}`];
  r.results.forEach((h, i) => {
    lines.push(`${String(r.offset + i + 1).padStart(3)}. ${highlight(h.title, h.highlights)}`);
    lines.push(`     ${h.site.name} · ${h.department} · ${h.theme?.name ?? '—'} · ${FOR_ZH[h.for]}   [${h.id}]`);
  });
  if (r.total === 0) lines.push('没有找到匹配的事项。可尝试：更短的关键词、拼音首字母（如 gjj）、或去掉站点筛选。');
  io.stdout.write(lines.join('\n') + '\n');
}

function printItem(it: ServiceItem, io: CliIO): void {
  const u = (v: unknown) => (v === null || v === undefined ? it.unknownText : String(v));
  const lines = [
    `${it.name}${it.sample ? '（示例）' : ''}`,
    `  站点：${it.site.name}（${LEVEL_ZH[it.site.level]}）    实施主体：${it.department.name}`,
    `  事项类型：${it.typeName}    服务对象：${it.for === 'person' ? '自然人' : '法人'}    主题：${it.themeName}`,
    `  基本编码：${u(it.basicCode)}    实施编码：${u(it.implCode)}`,
    `  受理条件：${u(it.conditions)}`,
    `  申请材料：${it.materials ? it.materials.map((m) => `${m.name}（${m.form ?? '形式未列'}，${m.copies ?? '-'} 份，${m.required === null ? '必要性未列' : m.required ? '必要' : '非必要'}）`).join('；') : it.unknownText}`,
    `  办理流程：${it.process ? it.process.join(' → ') : it.unknownText}`,
    `  法定时限：${u(it.legalLimit)}    承诺时限：${u(it.promiseLimit)}`,
    `  收费：${u(it.fee)}`,
    `  办理地点：${u(it.place)}    办理时间：${u(it.hours)}`,
    `  咨询电话：${u(it.consultPhone)}    监督电话：${u(it.supervisePhone)}`,
    `  是否网办：${it.online === null ? it.unknownText : it.online ? '是' : '否'}    网办地址：${u(it.onlineUrl)}`,
    `  权威信息：${it.portalUrl}`,
  ];
  io.stdout.write(lines.join('\n') + '\n');
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) { io.stderr.write(HELP); return EXIT_USAGE; }
  if (sub === '--help' || sub === '-h' || sub === 'help') { io.stdout.write(HELP); return EXIT_OK; }

  switch (sub) {
    case 'sites': {
      const { values, positionals } = parse(rest, {});
      if (values.help) { io.stdout.write(HELP); return EXIT_OK; }
      if (positionals.length) throw usage('sites 不接受位置参数');
      const g = await openGuide(values, io);
      const sites = g.sites();
      if (values.json) {
        writeJson(io.stdout, { sites: sites.map((s) => ({ code: s.code, name: s.name, level: s.level, parent: s.parent, ...(s.group ? { group: s.group } : {}), url: s.url, urlVerified: s.urlVerified })) });
      } else {
        const depth = (s: (typeof sites)[number]): number => (s.parent === null ? 0 : 1 + depth(sites.find((p) => p.code === s.parent)!));
        io.stdout.write(sites.map((s) => `${'  '.repeat(depth(s))}${s.name}  ${s.code}${s.group === 'provincially-administered' ? '（省直管县）' : ''}${s.url ? `  ${s.url}` : ''}`).join('\n') + '\n');
      }
      return EXIT_OK;
    }
    case 'search': {
      const { values, positionals } = parse(rest, {
        site: { type: 'string' }, for: { type: 'string' }, theme: { type: 'string' }, department: { type: 'string' },
        limit: { type: 'string' }, offset: { type: 'string' },
      });
      if (values.help) { io.stdout.write(HELP); return EXIT_OK; }
      const query = positionals.join(' ').trim();
      if (!query) throw usage('请输入搜索关键词 / a query is required');
      const aud = values.for;
      if (aud !== undefined && aud !== 'person' && aud !== 'legal') throw usage('--for 只能是 person（个人）或 legal（法人）');
      const limit = intOption(values.limit, 'limit', 20, 1000), offset = intOption(values.offset, 'offset', 0, 10000);
      const g = await openGuide(values, io);
      if (values.site !== undefined && !g.site(values.site)) {
        throw new AssistantError('GUIDE_UNKNOWN_SITE', `站点代码 ${values.site} 不存在（用 guide sites 查看）`, { en: `unknown site code ${values.site}` });
      }
      const r = g.search(query, {
        ...(values.site !== undefined ? { site: values.site } : {}), ...(aud ? { for: aud } : {}),
        ...(values.theme !== undefined ? { theme: values.theme } : {}), ...(values.department !== undefined ? { department: values.department } : {}),
        limit, offset,
      });
      if (values.json) {
        writeJson(io.stdout, {
          query: r.query, ...(r.rewrittenFrom ? { searchedAs: r.terms.join(' ') } : {}), total: r.total, offset: r.offset, limit: r.limit, sample: g.catalogue.bundle.sample,
          results: r.results.map((h) => ({
            id: h.id, title: h.title, site: { code: h.site.code, name: h.site.name }, department: h.department,
            theme: h.theme?.name ?? null, for: h.for, score: h.score,
            level: h.site.level, themeCode: h.theme?.code ?? null, highlights: h.highlights, matchedBy: h.matchedBy,
          })),
          facets: r.facets,
        });
      } else printSearch(r, io, g.catalogue.bundle.sample);
      return EXIT_OK;
    }
    case 'ask': {
      const { values, positionals } = parse(rest, { limit: { type: 'string' } });
      if (values.help) { io.stdout.write(HELP); return EXIT_OK; }
      const q = positionals.join(' ').trim();
      if (!q) throw usage('请输入问题 / a question is required');
      const g = await openGuide(values, io);
      const r = g.answer(q, intOption(values.limit, 'limit', 3, 50));
      if (values.json) writeJson(io.stdout, r);
      else if (r.answers.length === 0) io.stdout.write('没有找到相关的帮助内容。可换个说法，或查看 guide manual 目录。\n');
      else {
        const [best, ...more] = r.answers;
        const lines = [`【${best!.section} ${best!.title}】`, best!.text];
        if (more.length) lines.push('', '相关章节：' + more.map((a) => `${a.section} ${a.title}`).join('；'));
        if (r.items.length) lines.push('相关事项：' + r.items.map((i) => i.title).join('、'));
        io.stdout.write(lines.join('\n') + '\n');
      }
      return EXIT_OK;
    }
    case 'item': {
      const { values, positionals } = parse(rest, {});
      if (values.help) { io.stdout.write(HELP); return EXIT_OK; }
      if (positionals.length !== 1) throw usage('请给出一个事项编号，例如 130200/hpf-withdraw');
      const g = await openGuide(values, io);
      const it = g.item(positionals[0]!);
      if (!it) throw new AssistantError('GUIDE_ITEM_NOT_FOUND', `没有编号为 ${positionals[0]} 的事项`, { en: `no item ${positionals[0]}` });
      if (values.json) writeJson(io.stdout, { item: it }); else printItem(it, io);
      return EXIT_OK;
    }
    case 'manual': {
      const { values, positionals } = parse(rest, {});
      if (values.help) { io.stdout.write(HELP); return EXIT_OK; }
      if (positionals.length > 1) throw usage('manual 最多接受一个章节号');
      const g = await openGuide(values, io);
      if (positionals.length === 0) {
        const toc = g.manualToc();
        if (values.json) writeJson(io.stdout, { sections: toc });
        else io.stdout.write(toc.map((s) => `${'  '.repeat(s.level - 1)}${s.id} ${s.title}`).join('\n') + '\n');
        return EXIT_OK;
      }
      const s = g.manualSection(positionals[0]!);
      if (!s) throw new AssistantError('GUIDE_SECTION_NOT_FOUND', `没有章节 ${positionals[0]}（用 guide manual 查看目录）`, { en: `no manual section ${positionals[0]}` });
      if (values.json) writeJson(io.stdout, { section: s.id, title: s.title, parent: s.parent, text: s.passage });
      else io.stdout.write(`${s.id} ${s.title}\n${s.passage}\n`);
      return EXIT_OK;
    }
    case 'hot': {
      const { values, positionals } = parse(rest, { site: { type: 'string' } });
      if (values.help) { io.stdout.write(HELP); return EXIT_OK; }
      if (positionals.length) throw usage('hot 不接受位置参数');
      const g = await openGuide(values, io);
      if (values.site !== undefined && !g.site(values.site)) throw new AssistantError('GUIDE_UNKNOWN_SITE', `站点代码 ${values.site} 不存在`, { en: `unknown site code ${values.site}` });
      const hot = g.hot(values.site);
      if (values.json) writeJson(io.stdout, { categories: hot });
      else io.stdout.write(hot.map((c) => `${c.name}：${c.items.map((i) => i.title).join('、')}`).join('\n') + '\n');
      return EXIT_OK;
    }
    case 'import': {
      const { values, positionals } = parse(rest, { out: { type: 'string' }, version: { type: 'string' }, format: { type: 'string' }, 'sign-key': { type: 'string' }, sample: { type: 'boolean', default: false } });
      if (values.help) { io.stdout.write(HELP); return EXIT_OK; }
      if (positionals.length !== 1 || !values.out) throw usage('用法：guide import 文件 --out 目录包.json --version N');
      const version = intOption(values.version, 'version', NaN, 2 ** 31);
      if (!Number.isInteger(version) || version < 1) throw usage('--version 必须是正整数（目录包版本号）');
      const file = resolve(io.cwd, positionals[0]!);
      const kind = (values.format ?? extname(file).slice(1).toLowerCase()) as string;
      if (kind !== 'csv' && kind !== 'json') throw usage('--format 只能是 csv 或 json');
      if (!existsSync(file)) throw new AssistantError('IMPORT_FILE_NOT_FOUND', `找不到文件 ${positionals[0]}`, { en: 'import file not found' });
      const { importCatalogue, readExport } = await import('../../guide/import.ts');
      const g = await openGuide(values, io);
      const bundle = importCatalogue(readExport(readFileSync(file, 'utf8'), kind), {
        sites: g.catalogue.bundle.sites, version, createdAt: io.now().toISOString().replace(/\.\d+Z$/, 'Z'), sample: values.sample === true,
      });
      const out = resolve(io.cwd, values.out);
      writeFileSync(out + '.tmp', JSON.stringify(bundle) + '\n');
      renameSync(out + '.tmp', out);
      let signed = false;
      if (values['sign-key']) {
        const { signBundle } = await import('../../guide/bundle.ts');
        const sig = signBundle(bundle, readFileSync(resolve(io.cwd, values['sign-key']), 'utf8'));
        writeFileSync(out + '.sig', JSON.stringify(sig) + '\n');
        signed = true;
      }
      const summary = { out, version, items: bundle.items.length, departments: bundle.departments.length, signed, signature: signed ? out + '.sig' : null };
      if (values.json) writeJson(io.stdout, summary);
      else io.stdout.write(`已生成目录包 ${out}（版本 ${version}，${bundle.items.length} 项${signed ? '，已签名' : '，未签名：更新前需签名'}）\n`);
      return EXIT_OK;
    }
    case 'install': {
      const { values, positionals } = parse(rest, { sig: { type: 'string' } });
      if (values.help) { io.stdout.write(HELP); return EXIT_OK; }
      if (positionals.length !== 1 || !values['update-dir']) throw usage('用法：guide install 目录包.json --update-dir 目录 --public-key 公钥.pem');
      const { installBundleUpdate } = await import('../../guide/bundle.ts');
      const g = await openGuide(values, io);
      const keyFile = values['public-key'];
      try {
        const p = installBundleUpdate({
          bundleFile: resolve(io.cwd, positionals[0]!), ...(values.sig ? { signatureFile: resolve(io.cwd, values.sig) } : {}),
          updateDir: resolve(io.cwd, values['update-dir']), publicKeyPem: keyFile ? readFileSync(resolve(io.cwd, keyFile), 'utf8') : null,
          currentVersion: g.version, now: io.now,
        });
        if (values.json) writeJson(io.stdout, { installed: true, version: p.version, hash: p.hash });
        else io.stdout.write(`已安装目录更新，版本 ${p.version}\n`);
        return EXIT_OK;
      } catch (e) {
        if (!(e instanceof AssistantError) || !values.json) throw e;
        writeJson(io.stdout, { installed: false, error: e.toJSON(), keptVersion: g.version });
        return EXIT_FAIL;
      }
    }
    default:
      throw usage(`未知子命令 / unknown subcommand: ${sub}`);
  }
}
