/*
 * Mutated BPF objects for fuzzing the loader: fast-check arbitraries that corrupt a fixture where
 * it hurts (headers, section and symbol tables, relocations, BTF, BTF.ext, code) with bytes,
 * boundary values, truncations, insertions and deletions; and the oracle, which runs every
 * loader entry point on the result and accepts nothing but bpfsim's own typed errors.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfError } from '../../../src/errors.js';
import {
  describeObject, disasmObject, encodeBtf, loadCollectionSpec, parseBtf, parseElf, prepareProgram, simKernelBtf,
  formatDescription,
} from '../../../src/elf/index.js';
import type { BackendMap } from '../../../src/vm/backend.js';

/** test/fixtures/bpf. */
export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/bpf/', import.meta.url));

/** Every fixture object, by file name. */
export function fixtures(): { name: string; bytes: Uint8Array }[] {
  return readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.o')).sort().map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(FIXTURE_DIR, name))) }));
}

/** One corruption. */
export type Mutation =
  | { readonly op: 'byte'; readonly at: number; readonly value: number }
  | { readonly op: 'u32'; readonly at: number; readonly value: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'copy'; readonly from: number; readonly to: number; readonly length: number };

const BOUNDARY = [0, 1, 2, 4, 7, 8, 0x10, 0x18, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

/**
 * Byte ranges worth hitting in an object: its header, section table and each section's contents,
 * what the loader reads (not DWARF) three times over.
 */
function regions(bytes: Uint8Array): [number, number][] {
  const out: [number, number][] = [[0, 64]];
  try {
    const elf = parseElf(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const shoff = Number(view.getBigUint64(40, true));
    out.push([shoff, shoff + 64 * elf.sections.length]);
    for (const s of elf.sections) {
      if (s.data.length === 0 || s.type === 8) continue;
      const weight = s.name.startsWith('.debug') || s.name.startsWith('.rel.debug') ? 1 : 3;
      for (let i = 0; i < weight; i++) out.push([s.offset, s.offset + s.size]);
    }
  } catch {
    out.push([0, bytes.length]);
  }
  return out;
}

/** Mutations of an object of `length` bytes whose interesting ranges are `ranges`. */
export function mutationArb(ranges: readonly [number, number][], length: number): fc.Arbitrary<Mutation> {
  const at = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ranges).chain(([lo, hi]) => fc.integer({ min: lo, max: Math.max(lo, hi - 1) })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: Math.max(0, length - 1) }) },
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('byte' as const), at, value: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('u32' as const), at, value: fc.oneof(fc.constantFrom(...BOUNDARY), fc.nat()) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('copy' as const), from: at, to: at, length: fc.integer({ min: 1, max: 64 }) }) },
  );
}

/** Applies mutations to a copy of `bytes`. */
export function mutate(bytes: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let b = new Uint8Array(bytes);
  for (const m of muts) {
    switch (m.op) {
      case 'byte': if (m.at < b.length) b[m.at] = m.value; break;
      case 'u32': for (let i = 0; i < 4 && m.at + i < b.length; i++) b[m.at + i] = (m.value >>> (8 * i)) & 0xff; break;
      case 'truncate': b = b.slice(0, m.at); break;
      case 'insert': { const n = new Uint8Array(b.length + m.bytes.length); n.set(b.subarray(0, m.at)); n.set(m.bytes, Math.min(m.at, b.length)); n.set(b.subarray(m.at), Math.min(m.at, b.length) + m.bytes.length); b = n; break; }
      case 'delete': b = new Uint8Array([...b.subarray(0, m.at), ...b.subarray(m.at + m.length)]); break;
      case 'copy': if (m.from < b.length && m.to < b.length) b.copyWithin(m.to, m.from, Math.min(b.length, m.from + m.length)); break;
    }
  }
  return b;
}

/** A fuzz case: a fixture and the corruptions to apply to it. */
export interface FuzzCase {
  readonly fixture: number;
  readonly mutations: readonly Mutation[];
}

/** Cases over the given fixtures: 1 to 4 mutations of one of them. */
export function caseArb(objs: readonly { bytes: Uint8Array }[]): fc.Arbitrary<FuzzCase> {
  const perFixture = objs.map((o) => mutationArb(regions(o.bytes), o.bytes.length));
  return fc.integer({ min: 0, max: objs.length - 1 }).chain((fixture) =>
    fc.record({ fixture: fc.constant(fixture), mutations: fc.array(perFixture[fixture]!, { minLength: 1, maxLength: 4 }) }));
}

/** A map that accepts anything, for preparing programs without a backend. */
const fakeMap = { spec: { type: 2, keySize: 4, valueSize: 4, maxEntries: 1 } } as unknown as BackendMap;

/**
 * Runs every loader entry point on `bytes`: spec, inspect, disasm, BTF re-encoding and program
 * preparation against the simulated kernel's BTF. Returns normally or throws what escaped that is
 * not a BpfError.
 */
export function exerciseLoader(bytes: Uint8Array): void {
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
    }
  };
  guard(() => formatDescription(describeObject(bytes, { btfC: true }), 'fuzz.o'));
  guard(() => disasmObject(bytes));
  guard(() => {
    const spec = loadCollectionSpec(bytes);
    if (spec.btf) parseBtf(encodeBtf(spec.btf).bytes);
    const maps = new Proxy({}, { get: () => fakeMap }) as Record<string, BackendMap>;
    for (const name of Object.keys(spec.programs)) guard(() => prepareProgram(spec, name, { maps, target: simKernelBtf() }));
  });
}
