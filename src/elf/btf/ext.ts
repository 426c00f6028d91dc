/*
 * The BTF.ext decoder: per-section func_info, line_info and CO-RE relocation records, with their
 * strings resolved against the object's `.BTF`. Instruction offsets stay in bytes, as in the ELF.
 */
import { Reader } from '../bytes.js';
import { BtfError } from '../errors.js';
import type { Btf } from './btf.js';

/** A func_info record: the BTF FUNC that starts at an instruction. */
export interface FuncInfoRecord {
  /** Byte offset of the function's first instruction in its section. */
  readonly insnOff: number;
  /** Its BTF FUNC type id. */
  readonly typeId: number;
}

/** A line_info record: the source line an instruction comes from. */
export interface LineInfoRecord {
  /** Byte offset of the instruction in its section. */
  readonly insnOff: number;
  /** Offset of the file name in the BTF string section. */
  readonly fileNameOff: number;
  /** Offset of the line's text in the BTF string section. */
  readonly lineOff: number;
  /** Line number (1-based). */
  readonly line: number;
  /** Column (1-based, 0 if unknown). */
  readonly col: number;
  /** The file name. */
  readonly fileName: string;
  /** The source line's text. */
  readonly source: string;
}

/** A CO-RE relocation record (`struct bpf_core_relo`). */
export interface CoreReloRecord {
  /** Byte offset of the instruction to patch in its section. */
  readonly insnOff: number;
  /** The local (object BTF) root type id. */
  readonly typeId: number;
  /** The access string, e.g. `0:1:2`. */
  readonly accessStr: string;
  /** Relocation kind (BPF_CORE_*). */
  readonly kind: number;
}

/** The decoded BTF.ext: records by section name. */
export interface BtfExt {
  readonly funcInfo: ReadonlyMap<string, readonly FuncInfoRecord[]>;
  readonly lineInfo: ReadonlyMap<string, readonly LineInfoRecord[]>;
  readonly coreRelos: ReadonlyMap<string, readonly CoreReloRecord[]>;
}

const SECTION = '.BTF.ext';

/** Decodes `.BTF.ext` bytes; names are resolved in `btf`'s string section. */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const r = new Reader(bytes, (offset, message) => new BtfError({ section: SECTION, offset }, message));
  const magic = r.u16(0, 'magic');
  if (magic !== 0xeb9f) throw r.error(0, `bad magic 0x${magic.toString(16)} (expected 0xeb9f)`);
  const version = r.u8(2, 'version');
  if (version !== 1) throw r.error(2, `unsupported BTF.ext version ${version}`);
  const hdrLen = r.u32(4, 'hdr_len');
  if (hdrLen < 24) throw r.error(4, `header length ${hdrLen} is shorter than 24 bytes`);
  r.need(0, hdrLen, 'the header');
  const strings = new Reader(btf.strings, (offset, message) => new BtfError({ section: '.BTF strings', offset }, message));
  const str = (off: number, what: string) => strings.cstr(off, what);
  const part = <T>(offField: number, minRec: number, what: string, read: (at: number) => T): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    if (hdrLen < offField + 8) return out;
    const off = r.u32(offField);
    const len = r.u32(offField + 4);
    if (len === 0) return out;
    const start = hdrLen + off;
    r.need(start, len, what);
    const end = start + len;
    const recSize = r.u32(start, `${what} record size`);
    if (recSize < minRec) throw r.error(start, `${what} record size ${recSize} is smaller than ${minRec}`);
    let at = start + 4;
    while (at < end) {
      const secName = str(r.u32(at, `${what} section name`), `${what} section name`);
      const n = r.u32(at + 4, `${what} record count`);
      at += 8;
      if (n * recSize > end - at) throw r.error(at, `${n} ${what} records of ${recSize} bytes run past the end of the ${what} part`);
      const list = out.get(secName) ?? [];
      for (let i = 0; i < n; i++, at += recSize) list.push(read(at));
      out.set(secName, list);
    }
    return out;
  };
  const funcInfo = part(8, 8, 'func_info', (at) => ({ insnOff: r.u32(at), typeId: r.u32(at + 4) }));
  const lineInfo = part(16, 16, 'line_info', (at) => {
    const fileNameOff = r.u32(at + 4);
    const lineOff = r.u32(at + 8);
    const lineCol = r.u32(at + 12);
    return {
      insnOff: r.u32(at), fileNameOff, lineOff, line: lineCol >>> 10, col: lineCol & 0x3ff,
      fileName: str(fileNameOff, 'line_info file name'), source: str(lineOff, 'line_info line'),
    };
  });
  const coreRelos = part(24, 16, 'CO-RE relocation', (at) => ({
    insnOff: r.u32(at), typeId: r.u32(at + 4),
    accessStr: str(r.u32(at + 8), 'CO-RE access string'), kind: r.u32(at + 12),
  }));
  return { funcInfo, lineInfo, coreRelos };
}
