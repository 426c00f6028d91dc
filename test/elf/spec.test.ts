import { describe, expect, test } from 'vitest';
import * as U from '../../src/uapi.js';
import {
  BPF_CALL, BPF_JMP, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, LD_IMM64,
} from '../../src/isa/index.js';
import {
  BTF_KIND_DATASEC, BTF_KIND_FUNC, BTF_KIND_VAR, BTF_VAR_GLOBAL_ALLOCATED, LoadError, getVariable, internalMapName,
  loadCollectionSpec, setVariable, type BtfDatasec, type CollectionSpec, type MapContent,
} from '../../src/elf/index.js';
import { fixture, u32 } from './support/objects.js';

function spec(name: string, objectName?: string): CollectionSpec {
  return loadCollectionSpec(fixture(name), objectName === undefined ? {} : { objectName });
}

function names(c: readonly MapContent[]): [number, string][] {
  return c.map((e) => [new DataView(e.key.buffer, e.key.byteOffset).getUint32(0, true), 'program' in e ? e.program : 'map' in e ? e.map : 'bytes']);
}

describe('programs', () => {
  test('types, sections and linked subprograms', () => {
    const s = spec('xdp_parser.o');
    expect(Object.keys(s.programs)).toEqual(['xdp_parser']);
    const p = s.programs['xdp_parser']!;
    expect(p).toMatchObject({ section: 'xdp', type: U.BPF_PROG_TYPE_XDP, expectedAttachType: U.BPF_XDP, license: 'GPL', flags: 0 });
    expect(p.functions.map((f) => f.name)).toEqual(['xdp_parser', 'count']);
    expect(p.lineInfo.length).toBeGreaterThan(10);
    expect(s.license).toBe('GPL');
  });

  test('several programs in one section', () => {
    const s = spec('tc_counter.o');
    expect(Object.values(s.programs).map((p) => [p.name, p.section, p.type, p.expectedAttachType])).toEqual(expect.arrayContaining([
      ['tc_count', 'tc', U.BPF_PROG_TYPE_SCHED_CLS, 0],
      ['tc_mark', 'tc', U.BPF_PROG_TYPE_SCHED_CLS, 0],
      ['tcx_len_filter', 'tcx/ingress', U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_TCX_INGRESS],
    ]));
  });

  test('static and global subprograms and callbacks are linked into each program that uses them', () => {
    const s = spec('subprogs.o');
    const p = s.programs['xdp_subprogs']!;
    expect(p.functions.map((f) => f.name).sort()).toEqual(['global_len', 'global_scale', 'loop_step', 'mix', 'sum_elem', 'xdp_subprogs']);
    expect(s.programs['xdp_subprogs_b']!.functions.map((f) => f.name)).toEqual(['xdp_subprogs_b', 'global_len', 'mix']);
    const starts = new Map(p.functions.map((f) => [f.insn, f.name]));
    const targets: string[] = [];
    p.insns.forEach((ins, i) => {
      const isCall = ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL;
      const isAddr = ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC;
      if (!isCall && !isAddr) return;
      const target = starts.get(i + ins.imm + 1);
      expect(target, `slot ${i}`).toBeDefined();
      targets.push(`${isCall ? 'call' : 'addr'} ${target}`);
    });
    expect(targets).toEqual(expect.arrayContaining(['addr loop_step', 'addr sum_elem', 'call global_len', 'call global_scale', 'call mix']));
    for (const f of p.functions) expect(f.btfId, f.name).toBeGreaterThan(0);
    expect(s.btf!.type(p.functions.find((f) => f.name === 'global_len')!.btfId)).toMatchObject({ kind: BTF_KIND_FUNC, name: 'global_len' });
  });

  test('map references become BPF_PSEUDO_MAP_IDX(_VALUE) numbered by first use', () => {
    const p = spec('xdp_firewall.o').programs['xdp_firewall']!;
    const refs = p.references.map((r) => [r.kind, 'map' in r ? r.map : '', p.insns[r.insn]!.src, p.insns[r.insn]!.imm]);
    expect(refs).toEqual([
      ['mapValue', '.rodata', BPF_PSEUDO_MAP_IDX_VALUE, 0],
      ['map', 'blocklist', BPF_PSEUDO_MAP_IDX, 1],
      ['map', 'verdicts', BPF_PSEUDO_MAP_IDX, 2],
    ]);
  });
});

describe('maps', () => {
  test('BTF-defined maps with every attribute', () => {
    const m = spec('maps_btf.o').maps;
    expect(m['sized_hash']!.spec).toMatchObject({ type: U.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 16 });
    expect(m['flows']!.spec).toMatchObject({ type: U.BPF_MAP_TYPE_PERCPU_HASH, keySize: 8, valueSize: 16, maxEntries: 128, flags: U.BPF_F_NO_PREALLOC });
    expect(m['lru']!.spec).toMatchObject({ type: U.BPF_MAP_TYPE_LRU_HASH, flags: U.BPF_F_NUMA_NODE, maxEntries: 64 });
    expect(m['pinned_array']!.pinning).toBe(1);
    expect(m['queue']!.spec).toMatchObject({ type: U.BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4 });
    expect(m['bloom']!.spec).toMatchObject({ type: U.BPF_MAP_TYPE_BLOOM_FILTER, mapExtra: 3n });
    expect(m['outer']!.spec).toMatchObject({
      type: U.BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2,
      innerMap: { type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 },
    });
    expect(names(m['outer']!.contents)).toEqual([[0, 'inner_a'], [1, 'inner_b']]);
    expect(names(m['outer_hash']!.contents)).toEqual([[3, 'inner_b']]);
    expect(m['flows']!.btfKeyTypeId).toBeGreaterThan(0);
  });

  test('PROG_ARRAY initial slots name programs', () => {
    const m = spec('tail_calls.o').maps['jump_table']!;
    expect(m.spec).toMatchObject({ type: U.BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(names(m.contents)).toEqual([[0, 'tail_pass'], [2, 'tail_drop'], [3, 'tail_count']]);
  });

  test.each(['legacy_maps.o', 'legacy_maps_nobtf.o'])('legacy struct bpf_map_def maps (%s)', (file) => {
    const s = spec(file);
    expect(s.maps['len_classes']).toMatchObject({ origin: 'legacy', section: 'maps', spec: { type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 } });
    expect(s.maps['last_len']!.spec).toMatchObject({ type: U.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 64, flags: U.BPF_F_NO_PREALLOC });
    const withBtf = file === 'legacy_maps.o';
    expect(s.btf === undefined).toBe(!withBtf);
    expect(s.maps['len_classes']!.btfKeyTypeId > 0).toBe(withBtf);
  });
});

describe('global data', () => {
  const s = spec('globals.o', 'globals');

  test('one array map per data section, named as libbpf names them', () => {
    const m = s.maps;
    expect(Object.keys(m).sort()).toEqual(['.bss', '.data', '.data.custom', '.rodata', '.rodata.custom', '.rodata.str1.1']);
    expect(m['.data']!.spec).toMatchObject({ type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, maxEntries: 1, name: 'globals.data', flags: U.BPF_F_MMAPABLE });
    expect(m['.rodata']!).toMatchObject({ freeze: true, origin: 'rodata', spec: { name: 'globals.rodata', flags: U.BPF_F_RDONLY_PROG | U.BPF_F_MMAPABLE } });
    expect(m['.bss']!.spec.name).toBe('globals.bss');
    expect(m['.data.custom']!.spec.name).toBe('.data.custom');
    expect(m['.rodata.str1.1']!.spec.flags).toBe(U.BPF_F_RDONLY_PROG);
    expect(internalMapName('a_very_long_object', '.rodata')).toBe('a_very_l.rodata');
  });

  test('variables with their initial values, settable before load', () => {
    expect(s.variables['packets']).toMatchObject({ map: '.data', size: 4, constant: false });
    expect(s.variables['drop_above']).toMatchObject({ map: '.rodata', size: 4, constant: true });
    expect(s.variables['cfg']).toMatchObject({ map: '.data.custom', size: 12 });
    expect(getVariable(s, 'packets')).toEqual(u32(1));
    expect(getVariable(s, 'drop_above')).toEqual(u32(1500));
    setVariable(s, 'drop_above', 100);
    setVariable(s, 'debug', true);
    expect(getVariable(s, 'drop_above')).toEqual(u32(100));
    expect(getVariable(s, 'debug')).toEqual(Uint8Array.of(1));
    expect(() => setVariable(s, 'nope', 1)).toThrow(LoadError);
    expect(() => setVariable(s, 'cfg', 1)).toThrow(/12-byte variable needs its bytes/);
  });

  test('the BTF is fixed up as libbpf does: DATASEC sizes and offsets from the ELF', () => {
    const btf = s.btf!;
    const data = btf.type(btf.find('.data', BTF_KIND_DATASEC)!) as BtfDatasec;
    expect(data.size).toBe(s.maps['.data']!.spec.valueSize);
    const rodata = btf.type(btf.find('.rodata', BTF_KIND_DATASEC)!) as BtfDatasec;
    const offsets = rodata.vars.map((v) => [btf.type(v.type).name, v.offset]);
    expect(offsets).toEqual([
      ['drop_above', s.variables['drop_above']!.offset], ['debug', s.variables['debug']!.offset],
      ['xdp_globals.____fmt', s.variables['xdp_globals.____fmt']!.offset],
    ]);
    expect(offsets.map(([, o]) => o)).toEqual([0, 4, 5]);
  });
});

describe('externs', () => {
  test('.kconfig externs laid out by alignment, size and name in a frozen map', () => {
    const s = spec('kconfig.o');
    expect(s.kconfig.map((k) => [k.name, k.type, k.offset, k.size, k.weak])).toEqual([
      ['CONFIG_HZ', 'int', 0, 4, false],
      ['CONFIG_NET_CLS_BPF', 'tristate', 4, 4, false],
      ['LINUX_KERNEL_VERSION', 'int', 8, 4, false],
      ['CONFIG_BPFSIM_NOT_SET', 'bool', 12, 1, true],
      ['CONFIG_BPF_JIT', 'bool', 13, 1, false],
      ['CONFIG_SMP', 'char', 14, 1, false],
      ['CONFIG_LOCALVERSION', 'string', 15, 16, true],
    ]);
    expect(s.maps['.kconfig']).toMatchObject({ freeze: true, spec: { valueSize: 31, flags: U.BPF_F_RDONLY_PROG | U.BPF_F_MMAPABLE } });
    const refs = s.programs['xdp_kconfig']!.references.filter((r) => r.kind === 'mapValue' && r.map === '.kconfig');
    expect(refs.length).toBeGreaterThanOrEqual(7);
    const btf = s.btf!;
    const ds = btf.type(btf.find('.kconfig', BTF_KIND_DATASEC)!) as BtfDatasec;
    expect(ds.size).toBe(31);
    for (const v of ds.vars) expect(btf.type(v.type)).toMatchObject({ kind: BTF_KIND_VAR, linkage: BTF_VAR_GLOBAL_ALLOCATED });
  });

  test('.ksyms kfuncs and weak symbols', () => {
    const s = spec('kfuncs.o');
    const p = s.programs['tc_kfuncs']!;
    const kfuncs = p.references.filter((r) => r.kind === 'kfunc').map((r) => r.name);
    expect(new Set(kfuncs)).toEqual(new Set(['bpf_rcu_read_lock', 'bpf_rcu_read_unlock', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy', 'bpfsim_kfunc_not_in_kernel']));
    for (const r of p.references) if (r.kind === 'kfunc') expect(p.insns[r.insn]!.src).toBe(BPF_PSEUDO_KFUNC_CALL);
    const ksyms = p.references.filter((r) => r.kind === 'ksym').map((r) => r.kind === 'ksym' && [r.name, r.weak, r.func, r.typed]);
    expect(ksyms).toEqual(expect.arrayContaining([
      ['bpfsim_kfunc_not_in_kernel', true, true, true], ['bpf_rcu_read_lock', true, true, true],
      ['bpfsim_var_not_in_kernel', true, false, true], ['bpfsim_typeless_sym', true, false, false],
    ]));
    const btf = s.btf!;
    const ds = btf.type(btf.find('.ksyms', BTF_KIND_DATASEC)!) as BtfDatasec;
    const entries = ds.vars.map((v) => [btf.type(v.type).name, v.offset, v.size]);
    expect(entries.filter(([n]) => n === 'dummy_ksym').length).toBe(6);
    expect(entries).toEqual(expect.arrayContaining([['bpfsim_var_not_in_kernel', expect.any(Number), 4], ['bpfsim_typeless_sym', expect.any(Number), 4]]));
    expect(ds.size).toBe(4 * ds.vars.length);
  });
});

describe('CO-RE relocations are carried to program slots', () => {
  test('core.o', () => {
    const p = spec('core.o').programs['xdp_core']!;
    expect(p.core.length).toBe(45);
    expect(p.core.every((r) => p.insns[r.insn] !== undefined)).toBe(true);
  });
});
