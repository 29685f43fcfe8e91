/**
 * How each policy key is written in the Windows registry (Group Policy): one value per top-level
 * key, named like the key, under `HKLM\SOFTWARE\Policies\CertAssistant` (machine) or
 * `HKCU\SOFTWARE\Policies\CertAssistant` (user policy). Derived from POLICY_SCHEMA so a new key
 * cannot be forgotten here; the ADMX templates are generated from this same table.
 */
import { POLICY_SCHEMA } from './schema.ts';

export const POLICY_REGISTRY_KEY = 'SOFTWARE\\Policies\\CertAssistant';

/** Registry value types (winnt.h). */
export const REG_SZ = 1;
export const REG_EXPAND_SZ = 2;
export const REG_BINARY = 3;
export const REG_DWORD = 4;
export const REG_MULTI_SZ = 7;
export const REG_QWORD = 11;

export type RegistryValueType = 'REG_SZ' | 'REG_DWORD' | 'REG_MULTI_SZ';

/**
 * What the value holds:
 * - `string`: REG_SZ text (for a key that may be null, an empty string means null);
 * - `json`: REG_SZ holding the key's JSON value (objects);
 * - `number`: REG_DWORD;
 * - `boolean`: REG_DWORD 0 or 1;
 * - `list`: REG_MULTI_SZ, one item per string;
 * - `list-or-json`: REG_MULTI_SZ, one item per string; an item starting with `{` is a JSON object
 *   (e.g. portalOrigins' `{"origin":"https://…","name":"…"}`).
 */
export type RegistryValueKind = 'string' | 'json' | 'number' | 'boolean' | 'list' | 'list-or-json';

export interface RegistryMapping {
  /** Value name = policy key. */
  name: string;
  type: RegistryValueType;
  kind: RegistryValueKind;
  /** The schema lets the key be null (REG_SZ "" → null). */
  nullable: boolean;
}

type SchemaProperty = { type?: string | readonly string[]; const?: unknown; enum?: readonly unknown[]; items?: { type?: string; anyOf?: unknown } };

/** Schema keys that are not policy (editor hints). */
const NOT_IN_REGISTRY = new Set(['$schema']);

function mappingFor(name: string, p: SchemaProperty): RegistryMapping {
  const types = p.type === undefined ? [] : Array.isArray(p.type) ? (p.type as readonly string[]) : [p.type as string];
  const nullable = types.includes('null');
  if (typeof p.const === 'number' || types.includes('integer') || types.includes('number')) return { name, type: 'REG_DWORD', kind: 'number', nullable };
  if (types.includes('boolean')) return { name, type: 'REG_DWORD', kind: 'boolean', nullable };
  if (types.includes('array')) {
    const items = p.items ?? {};
    return { name, type: 'REG_MULTI_SZ', kind: items.type === 'string' ? 'list' : 'list-or-json', nullable };
  }
  if (types.includes('object')) return { name, type: 'REG_SZ', kind: 'json', nullable };
  // strings, string enums
  return { name, type: 'REG_SZ', kind: 'string', nullable };
}

/** Every policy key's registry value, in schema order. */
export const REGISTRY_MAP: Readonly<Record<string, RegistryMapping>> = Object.freeze(
  Object.fromEntries(
    Object.entries(POLICY_SCHEMA.properties as Record<string, SchemaProperty>)
      .filter(([name]) => !NOT_IN_REGISTRY.has(name))
      .map(([name, p]) => [name, Object.freeze(mappingFor(name, p))]),
  ),
);
