/**
 * Group Policy values → a policy document, as a pure function of what a registry reader returned
 * (so Linux tests cover the mapping; the advapi32 reader in registry-reader.ts is the only impure
 * part). A value of the wrong type or content is dropped with POLICY_INVALID naming it; the
 * other values of the same key stay in force.
 */
import { AssistantError, type ErrorInfo } from '../errors.ts';
import { POLICY_REGISTRY_KEY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ, REGISTRY_MAP, type RegistryMapping } from './registry-map.ts';

export type RegistryHive = 'HKLM' | 'HKCU';

/** One value as RegEnumValueW returns it. */
export interface RegistryValue {
  name: string;
  /** REG_* number. */
  type: number;
  data: Uint8Array;
}

/** What a reader hands over for one hive. */
export type RegistryLayerInput =
  | { status: 'absent' }
  | { status: 'unreadable'; error: ErrorInfo }
  | { status: 'read'; values: RegistryValue[] };

/** Reads all values of `HKLM|HKCU\<subkey>`; null when the key does not exist. Throws AssistantError otherwise. */
export type RegistryReader = (hive: RegistryHive, subkey: string) => RegistryValue[] | null;

const TYPE_NAMES: Record<number, string> = { 0: 'REG_NONE', 1: 'REG_SZ', 2: 'REG_EXPAND_SZ', 3: 'REG_BINARY', 4: 'REG_DWORD', 5: 'REG_DWORD_BIG_ENDIAN', 7: 'REG_MULTI_SZ', 11: 'REG_QWORD' };

export function registryValuePath(hive: RegistryHive, name: string): string {
  return `${hive}\\${POLICY_REGISTRY_KEY}\\${name}`;
}

export function registryInvalid(hive: RegistryHive, name: string, reason: string, reasonZh: string, extra: Record<string, unknown> = {}): AssistantError {
  const where = registryValuePath(hive, name);
  return new AssistantError('POLICY_INVALID', `注册表策略值无效，已忽略（${where}：${reasonZh}）；该项改用下一级策略或默认值`, {
    en: `registry policy value ignored: ${where}: ${reason}; the next policy layer or the default applies`,
    details: { source: `registry:${hive}`, key: name, path: `/${name}`, reason, ...extra },
  });
}

function utf16(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength - (data.byteLength % 2)).toString('utf16le');
}

/** REG_SZ: text up to the first NUL (the stored terminator, if any). */
export function decodeRegSz(data: Uint8Array): string {
  const s = utf16(data);
  const end = s.indexOf('\0');
  return end < 0 ? s : s.slice(0, end);
}

/** REG_MULTI_SZ: NUL-separated strings ended by an empty one; empty items are dropped. */
export function decodeRegMultiSz(data: Uint8Array): string[] {
  return utf16(data).split('\0').filter((s) => s !== '');
}

/** One value → its JSON value, or a reason it cannot be one. */
function decodeValue(m: RegistryMapping, v: RegistryValue): { value: unknown } | { reason: string; reasonZh: string } {
  const wrongType = { reason: `expected ${m.type}, found ${TYPE_NAMES[v.type] ?? `type ${v.type}`}`, reasonZh: `类型应为 ${m.type}` };
  const isString = v.type === REG_SZ || v.type === REG_EXPAND_SZ;
  switch (m.kind) {
    case 'number':
    case 'boolean': {
      if (v.type !== REG_DWORD || v.data.byteLength !== 4) return wrongType;
      const n = Buffer.from(v.data).readUInt32LE(0);
      if (m.kind === 'number') return { value: n };
      if (n !== 0 && n !== 1) return { reason: 'a boolean REG_DWORD must be 0 or 1', reasonZh: '开关值只能是 0 或 1' };
      return { value: n === 1 };
    }
    case 'list':
    case 'list-or-json': {
      if (v.type !== REG_MULTI_SZ) return wrongType;
      const items = decodeRegMultiSz(v.data);
      if (m.kind === 'list') return { value: items };
      const out: unknown[] = [];
      for (const [i, item] of items.entries()) {
        if (!item.trimStart().startsWith('{')) {
          out.push(item);
          continue;
        }
        try {
          out.push(JSON.parse(item));
        } catch {
          return { reason: `item ${i + 1} is not JSON`, reasonZh: `第 ${i + 1} 项不是有效的 JSON` };
        }
      }
      return { value: out };
    }
    case 'json': {
      if (!isString) return wrongType;
      try {
        return { value: JSON.parse(decodeRegSz(v.data)) };
      } catch {
        return { reason: 'not JSON', reasonZh: '不是有效的 JSON' };
      }
    }
    case 'string': {
      if (!isString) return wrongType;
      const s = decodeRegSz(v.data);
      return { value: m.nullable && s === '' ? null : s };
    }
  }
}

/**
 * The registry values of one hive as a policy document (value names are case-insensitive in the
 * registry, so `ClockSkewSeconds` is `clockSkewSeconds`). Unknown names and undecodable values are
 * reported and left out; meaning checks (origins, paths, ranges) happen in the policy schema next.
 */
export function registryDocument(values: RegistryValue[], hive: RegistryHive): { document: Record<string, unknown>; problems: ErrorInfo[] } {
  const document: Record<string, unknown> = {};
  const problems: ErrorInfo[] = [];
  const byLower = new Map(Object.values(REGISTRY_MAP).map((m) => [m.name.toLowerCase(), m]));
  for (const v of values) {
    if (v.name === '') continue; // the key's (Default) value carries nothing for us
    const m = byLower.get(v.name.toLowerCase());
    if (!m) {
      problems.push(registryInvalid(hive, v.name, 'unknown policy value', '不认识的策略项').toJSON());
      continue;
    }
    const r = decodeValue(m, v);
    if ('reason' in r) {
      problems.push(registryInvalid(hive, m.name, r.reason, r.reasonZh).toJSON());
      continue;
    }
    document[m.name] = r.value;
  }
  return { document, problems };
}

/** Reads one hive's policy key through `reader`; never throws. */
export function readRegistryLayer(reader: RegistryReader, hive: RegistryHive): RegistryLayerInput {
  try {
    const values = reader(hive, POLICY_REGISTRY_KEY);
    return values === null ? { status: 'absent' } : { status: 'read', values };
  } catch (e) {
    const info = e instanceof AssistantError ? e.toJSON() : { code: 'POLICY_UNREADABLE', message: '无法读取注册表策略' };
    return {
      status: 'unreadable',
      error: new AssistantError('POLICY_UNREADABLE', `无法读取注册表策略：${hive}\\${POLICY_REGISTRY_KEY}`, {
        en: `cannot read registry policy: ${hive}\\${POLICY_REGISTRY_KEY}`, details: { source: `registry:${hive}`, cause: info.code, ...(info.details ?? {}) },
      }).toJSON(),
    };
  }
}
