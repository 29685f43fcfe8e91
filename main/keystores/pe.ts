import fs from 'node:fs';

/**
 * The machine a Windows DLL is built for, from its PE header. A 32-bit vendor driver cannot load
 * into a 64-bit process (nor the other way round): Windows only says "not a valid Win32
 * application", and users see "USB Key 插上没反应". Pure parsing plus a small bounded file read.
 */
export type PeMachine = 'x86' | 'x64' | 'arm64' | 'arm' | 'other';

export interface PeInfo {
  machine: PeMachine;
  /** IMAGE_FILE_HEADER.Machine as found (0x14c, 0x8664, 0xaa64, …). */
  machineCode: number;
  /** Optional header magic: PE32 (32-bit) or PE32+ (64-bit). */
  bits: 32 | 64;
  /** IMAGE_FILE_DLL set. */
  dll: boolean;
}

const MACHINES: Record<number, PeMachine> = { 0x14c: 'x86', 0x8664: 'x64', 0xaa64: 'arm64', 0x1c4: 'arm' };
/** Far enough for any real e_lfanew (link.exe and mingw put the PE header within the first KiB). */
const HEADER_WINDOW = 64 * 1024;

/** Parses the DOS and PE headers; null when `bytes` do not start a PE image. */
export function parsePeHeader(bytes: Uint8Array): PeInfo | null {
  if (bytes.length < 0x40 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) return null; // "MZ"
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pe = view.getUint32(0x3c, true);
  if (pe + 26 > bytes.length) return null;
  if (view.getUint32(pe, true) !== 0x00004550) return null; // "PE\0\0"
  const machineCode = view.getUint16(pe + 4, true);
  const characteristics = view.getUint16(pe + 22, true);
  const magic = view.getUint16(pe + 24, true);
  if (magic !== 0x10b && magic !== 0x20b) return null;
  return { machine: MACHINES[machineCode] ?? 'other', machineCode, bits: magic === 0x20b ? 64 : 32, dll: (characteristics & 0x2000) !== 0 };
}

/** Reads the header of a file (at most 64 KiB); null when it is not a PE image. Throws on I/O errors. */
export function readPeFile(path: string): PeInfo | null {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEADER_WINDOW);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return parsePeHeader(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/** The PE machine a process of Node's `process.arch` loads. */
export function peMachineOf(arch: string): PeMachine {
  return arch === 'x64' ? 'x64' : arch === 'ia32' ? 'x86' : arch === 'arm64' ? 'arm64' : arch === 'arm' ? 'arm' : 'other';
}

export const PE_MACHINE_NAMES: Record<PeMachine, string> = { x86: '32 位 (x86)', x64: '64 位 (x64)', arm64: 'ARM64', arm: 'ARM (32 位)', other: '未知架构' };
