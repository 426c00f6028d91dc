import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  BTF_INT_SIGNED, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_VAR_STATIC, Btf, BtfBuilder, BtfError, declare, encodeBtf,
  formatTypeRaw, parseBtf, parseBtfExt, parseElf, simKernelBtf, typeToC, VMLINUX_BTF_PATH, vmlinuxBtf, type BtfComposite,
} from '../../src/elf/index.js';
import { fixtures } from './support/mutate.js';
import { patched } from './support/objects.js';

/** Index of the first byte where two arrays differ, or -1 (fast, unlike a deep equal on megabytes). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function section(bytes: Uint8Array, name: string): Uint8Array {
  return parseElf(bytes).sections.find((s) => s.name === name)!.data;
}

describe('BTF decode and encode', () => {
  test.each(fixtures().filter((f) => !f.name.includes('nobtf')))('$name: .BTF re-encodes byte for byte', ({ bytes }) => {
    const raw = section(bytes, '.BTF');
    const btf = parseBtf(raw);
    expect(btf.types.length).toBeGreaterThan(1);
    expect(firstDiff(encodeBtf(btf).bytes, raw)).toBe(-1);
  });

  test.skipIf(!existsSync(VMLINUX_BTF_PATH))('the running kernel\'s BTF decodes and re-encodes byte for byte', () => {
    const raw = new Uint8Array(readFileSync(VMLINUX_BTF_PATH));
    const btf = parseBtf(raw);
    expect(btf.find('task_struct', BTF_KIND_STRUCT)).toBeGreaterThan(0);
    expect(firstDiff(encodeBtf(btf).bytes, raw)).toBe(-1);
  });

  test('the encoder keeps string offsets and appends new strings', () => {
    const raw = section(fixtures()[0]!.bytes, '.BTF');
    const btf = parseBtf(raw);
    const grown = new Btf([...btf.types, { kind: 14, name: 'bpfsim_new_var', type: 1, linkage: BTF_VAR_STATIC }], btf.strings);
    const enc = encodeBtf(grown);
    const back = parseBtf(enc.bytes);
    expect(back.types.at(-1)!.name).toBe('bpfsim_new_var');
    expect(enc.stringOffset(btf.types[1]!.name || 'int')).toBeLessThan(btf.strings.length);
    expect(back.types.slice(0, -1)).toEqual(btf.types);
  });
});

/** Members flattened through anonymous structs and unions, with absolute bit offsets. */
function layout(btf: Btf, id: number, base = 0, depth = 0): string[] {
  const t = btf.type(btf.skipMods(id)) as BtfComposite;
  const out = [`size ${t.size}`];
  for (const m of t.members) {
    const mt = btf.type(btf.skipMods(m.type));
    if (!m.name && (mt.kind === BTF_KIND_STRUCT || mt.kind === BTF_KIND_UNION) && depth < 4) {
      out.push(...layout(btf, m.type, base + m.bitOffset, depth + 1).slice(1));
    } else {
      out.push(`${m.name}@${base + m.bitOffset}:${m.bitfieldSize}:${btf.resolveSize(m.type)}`);
    }
  }
  return out;
}

const UAPI = ['xdp_md', '__sk_buff', 'ethhdr', 'iphdr', 'ipv6hdr', 'in6_addr', 'tcphdr', 'udphdr', 'bpf_iter_num'];

describe('bpfsim\'s kernel BTF', () => {
  const sim = simKernelBtf();

  test('has the structs, enums and kfuncs the simulator implements', () => {
    for (const name of [...UAPI, 'task_struct', 'sk_buff', 'net_device', 'xdp_buff']) expect(sim.find(name, BTF_KIND_STRUCT), name).toBeDefined();
    for (const name of ['bpf_rcu_read_lock', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy', 'bpf_cast_to_kern_ctx']) {
      expect(sim.find(name, 12), name).toBeDefined();
    }
    expect(typeToC(sim, sim.find('xdp_action', 6)!)).toContain('XDP_REDIRECT = 4,');
  });

  test.skipIf(!existsSync(VMLINUX_BTF_PATH)).each(UAPI)('%s has the kernel\'s exact layout', (name) => {
    const kernel = vmlinuxBtf();
    expect(layout(sim, sim.find(name, BTF_KIND_STRUCT)!)).toEqual(layout(kernel, kernel.find(name, BTF_KIND_STRUCT)!));
  });

  test('encodes to BTF that decodes to the same types', () => {
    expect(parseBtf(encodeBtf(sim).bytes).types).toEqual(sim.types);
  });
});

describe('types printed as C', () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, BTF_INT_SIGNED);
  const char = b.int('char', 1, BTF_INT_SIGNED);
  const voidPtr = b.ptr(0);
  const cb = b.funcProto(int, [['ctx', voidPtr]]);
  const pcb = b.ptr(cb);
  const two = b.funcProto(int, [['', int], ['', char]]);
  const cint = b.const(int);
  const fwd = b.fwd('sock');
  const anon = b.union('', [['a', int], ['b', char]]);
  const s = b.struct('pkt', [['len', int, 0], ['flags', int, 3], ['more', int, 5], ['cb', pcb], ['u', anon], ['sk', b.ptr(fwd)]]);
  const cases: { name: string; id: number; decl: string; want: string }[] = [
    { name: 'int', id: int, decl: 'x', want: 'int x' },
    { name: 'pointer', id: b.ptr(int), decl: 'p', want: 'int *p' },
    { name: 'array', id: b.array(int, 4), decl: 'a', want: 'int a[4]' },
    { name: 'pointer to array', id: b.ptr(b.array(int, 4)), decl: 'p', want: 'int (*p)[4]' },
    { name: 'function pointer', id: pcb, decl: 'fn', want: 'int (*fn)(void *ctx)' },
    { name: 'array of function pointers', id: b.array(b.ptr(two), 2), decl: 'ops', want: 'int (*ops[2])(int, char)' },
    { name: 'pointer to const', id: b.ptr(cint), decl: 'p', want: 'const int *p' },
    { name: 'const pointer', id: b.const(b.ptr(int)), decl: 'p', want: 'int *const p' },
    { name: 'abstract pointer', id: b.ptr(s), decl: '', want: 'struct pkt *' },
    { name: 'forward-declared struct', id: b.ptr(fwd), decl: 'sk', want: 'struct sock *sk' },
    { name: 'variadic', id: b.ptr(b.add({ kind: 13, name: '', type: int, params: [{ name: 'fmt', type: b.ptr(char) }, { name: '', type: 0 }] })), decl: 'printk', want: 'int (*printk)(char *fmt, ...)' },
  ];
  const btf = b.build();

  test.each(cases)('$name', ({ id, decl, want }) => expect(declare(btf, id, decl)).toBe(want));

  test('struct definitions with bitfields and inline anonymous unions', () => {
    expect(typeToC(btf, s)).toBe([
      'struct pkt {', '\tint len;', '\tint flags: 3;', '\tint more: 5;', '\tint (*cb)(void *ctx);',
      '\tunion {', '\t\tint a;', '\t\tchar b;', '\t} u;', '\tstruct sock *sk;', '};',
    ].join('\n'));
    expect((btf.type(s) as BtfComposite).members.map((m) => m.bitOffset)).toEqual([0, 32, 35, 64, 128, 192]);
  });

  test('raw dump in bpftool\'s format', () => {
    expect(formatTypeRaw(btf, int)).toBe("[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED");
    expect(formatTypeRaw(btf, fwd)).toBe(`[${fwd}] FWD 'sock' fwd_kind=struct`);
    expect(formatTypeRaw(btf, cb).split('\n')).toEqual([`[${cb}] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1`, `\t'ctx' type_id=${voidPtr}`]);
  });
});

describe('BTF.ext', () => {
  const bytes = fixtures().find((f) => f.name === 'xdp_parser.o')!.bytes;
  const btf = parseBtf(section(bytes, '.BTF'));
  const ext = parseBtfExt(section(bytes, '.BTF.ext'), btf);

  test('func_info names every function of every code section', () => {
    const names = [...ext.funcInfo.values()].flat().map((f) => btf.type(f.typeId).name);
    expect(names.sort()).toEqual(['count', 'xdp_parser']);
  });

  test('line_info maps instructions to C lines', () => {
    const lines = ext.lineInfo.get('xdp')!;
    expect(lines[0]).toMatchObject({ insnOff: 0, fileName: expect.stringContaining('xdp_parser.c') });
    expect(lines.some((l) => l.source.includes('if ((void *)(eth + 1) > data_end)'))).toBe(true);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.insnOff).toBeGreaterThanOrEqual(lines[i - 1]!.insnOff);
  });
});

const raw = section(fixtures().find((f) => f.name === 'xdp_parser.o')!.bytes, '.BTF');
const typeLen = new DataView(raw.buffer, raw.byteOffset).getUint32(12, true);
const badBtf: { name: string; have: Uint8Array; want: RegExp }[] = [
  { name: 'bad magic', have: patched(raw, 0, 0x1234, 2), want: /bad magic 0x1234/ },
  { name: 'big-endian', have: patched(raw, 0, 0x9feb, 2), want: /big-endian/ },
  { name: 'version 2', have: patched(raw, 2, 2, 1), want: /version 2/ },
  { name: 'truncated', have: raw.subarray(0, 20), want: /runs past the end/ },
  { name: 'type section past the end', have: patched(raw, 12, typeLen + 4096, 4), want: /type section .* runs past the end/ },
  { name: 'unknown kind', have: patched(raw, 24 + 4, 0x1f000000, 4), want: /type \[1\] has unknown kind 31/ },
  { name: 'name outside the strings', have: patched(raw, 24, 0xffffff, 4), want: /outside the string table/ },
  { name: 'dangling reference', have: patched(raw, 24 + 8, 99999, 4), want: /refers to type \[99999\], which does not exist/ },
];

describe('malformed BTF raises a BtfError naming the offset', () => {
  test.each(badBtf)('$name', ({ have, want }) => {
    let err: unknown;
    try {
      parseBtf(have);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfError);
    expect((err as BtfError).message).toMatch(want);
    expect((err as BtfError).section).toBe('.BTF');
  });
});
