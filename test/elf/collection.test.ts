/*
 * loadCollection's protocol, on a recording backend: what is created, written and frozen in
 * which order, what the programs are loaded with, and that everything is released on close and
 * on failure. (The kernel tests show the same objects loading for real.)
 */
import { describe, expect, test } from 'vitest';
import * as U from '../../src/uapi.js';
import { BpfError } from '../../src/errors.js';
import {
  Btf, KconfigError, LoadError, POISON_CALL_KFUNC_BASE, kconfigValue, loadCollection, loadCollectionSpec, parseKconfig,
  prepareLoad, simKernelBtf, type KconfigExtern,
} from '../../src/elf/index.js';
import { BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL } from '../../src/isa/index.js';
import type { Backend, BackendMap, LoadResult, ProgramLoadSpec } from '../../src/vm/backend.js';
import type { MapSpec } from '../../src/maps/spec.js';
import { fixture, u32 } from './support/objects.js';

class Recorder implements Backend {
  readonly name = 'recorder';
  readonly ncpus = 1;
  readonly log: string[] = [];
  readonly loaded: ProgramLoadSpec[] = [];
  #fd = 100;
  failOn: string | undefined;

  createMap(spec: MapSpec): BackendMap {
    const fd = this.#fd++;
    const log = this.log;
    const name = spec.name ?? '?';
    log.push(`create ${name}`);
    return {
      spec, fd,
      lookup: () => undefined,
      update: (key: Uint8Array | null, value: Uint8Array) => { log.push(`update ${name} ${Array.from(key ?? []).join(',')}=${Array.from(value).join(',')}`); },
      delete: () => {}, nextKey: () => undefined, lookupAndDelete: () => undefined,
      freeze: () => { log.push(`freeze ${name}`); },
      close: () => { log.push(`close map ${name}`); },
    } as BackendMap;
  }

  loadProgram(spec: ProgramLoadSpec): LoadResult {
    if (spec.name === this.failOn) throw new BpfError('EACCES', 'refused');
    const fd = this.#fd++;
    this.log.push(`load ${spec.name} fd ${fd}`);
    this.loaded.push(spec);
    const log = this.log;
    return {
      program: { type: spec.type, name: spec.name ?? '', fd, testRun: () => { throw new Error('no'); }, close: () => { log.push(`close prog ${spec.name}`); } } as never,
      log: '',
    };
  }

  close(): void {}
}

describe('loadCollection', () => {
  test('writes and freezes .rodata before loading, fills prog arrays after', () => {
    const b = new Recorder();
    const c = loadCollection(fixture('tail_calls.o'), { backend: b, objectName: 'tail_calls' });
    const log = b.log;
    const firstLoad = log.findIndex((l) => l.startsWith('load'));
    expect(log.slice(0, firstLoad)).toEqual(['create jump_table', 'create tail_cal.bss', 'update tail_cal.bss 0,0,0,0=0,0,0,0,0,0,0,0']);
    const fds = Object.fromEntries(log.filter((l) => l.startsWith('load')).map((l) => [l.split(' ')[1], Number(l.split(' ')[3])]));
    expect(log.filter((l) => l.startsWith('update jump_table'))).toEqual([
      `update jump_table 0,0,0,0=${Array.from(u32(fds['tail_pass']!)).join(',')}`,
      `update jump_table 2,0,0,0=${Array.from(u32(fds['tail_drop']!)).join(',')}`,
      `update jump_table 3,0,0,0=${Array.from(u32(fds['tail_count']!)).join(',')}`,
    ]);
    c.close();
    expect(log.filter((l) => l.startsWith('close')).length).toBe(6);
  });

  test('freezes .rodata and .kconfig after writing them, before any program', () => {
    const b = new Recorder();
    loadCollection(fixture('kconfig.o'), { backend: b });
    const i = (s: string) => b.log.findIndex((l) => l.startsWith(s));
    expect(i('update .kconfig')).toBeLessThan(i('freeze .kconfig'));
    expect(i('freeze .kconfig')).toBeLessThan(i('load'));
  });

  test('map-in-map slots hold the inner maps\' descriptors', () => {
    const b = new Recorder();
    loadCollection(fixture('maps_btf.o'), { backend: b });
    const fd = (name: string) => 100 + b.log.filter((l) => l.startsWith('create')).findIndex((l) => l === `create ${name}`);
    expect(b.log).toContain(`update outer 1,0,0,0=${Array.from(u32(fd('inner_b'))).join(',')}`);
    expect(b.log).toContain(`update outer_hash 3,0,0,0=${Array.from(u32(fd('inner_b'))).join(',')}`);
  });

  test('programs get their maps as fd_array, their BTF, func_info and line_info', () => {
    const b = new Recorder();
    loadCollection(fixture('subprogs.o'), { backend: b });
    const p = b.loaded.find((l) => l.name === 'xdp_subprogs')!;
    expect(p.maps!.map((m) => m.spec.name)).toEqual(['values', 'results']);
    expect(p.btf!.funcInfo.map((f) => f.name).sort()).toEqual(['global_len', 'global_scale', 'loop_step', 'mix', 'sum_elem', 'xdp_subprogs']);
    expect(p.btf!.funcInfo[0]).toMatchObject({ insn: 0, name: 'xdp_subprogs' });
    expect(p.btf!.lineInfo[0]!.insn).toBe(0);
    expect(b.loaded.find((l) => l.name === 'xdp_subprogs_b')!.btf!.raw).toBe(p.btf!.raw);
  });

  test('kfuncs resolve to the target\'s BTF ids; a missing weak one is poisoned', () => {
    const b = new Recorder();
    loadCollection(fixture('kfuncs.o'), { backend: b });
    const p = b.loaded[0]!;
    const sim = simKernelBtf();
    const calls = p.insns.filter((i) => i.src === BPF_PSEUDO_KFUNC_CALL).map((i) => sim.type(i.imm).name);
    expect(calls).toEqual(['bpf_rcu_read_lock', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_next', 'bpf_iter_num_destroy', 'bpf_rcu_read_unlock']);
    expect(p.insns.some((i) => i.code === 0x85 && i.src === 0 && i.imm >= POISON_CALL_KFUNC_BASE)).toBe(true);
    expect(p.insns.filter((i) => i.src === BPF_PSEUDO_BTF_ID).map((i) => sim.type(i.imm).name)).toEqual(['bpf_rcu_read_lock']);
  });

  test('a refused program: a LoadError naming it, and everything created is released', () => {
    const b = new Recorder();
    b.failOn = 'tail_drop';
    let err: unknown;
    try {
      loadCollection(fixture('tail_calls.o'), { backend: b });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoadError);
    expect((err as LoadError).message).toBe('tail_drop: refused');
    const created = b.log.filter((l) => l.startsWith('create') || l.startsWith('load')).length;
    expect(b.log.filter((l) => l.startsWith('close')).length).toBe(created);
  });

  test('a missing strong kfunc is a LoadError', () => {
    const spec = loadCollectionSpec(fixture('kfuncs.o'));
    const target = simKernelBtf();
    const renamed = new Btf(target.types.map((t) => (t.name === 'bpf_iter_num_new' ? { ...t, name: 'renamed' } : t)));
    expect(() => loadCollection(spec, { backend: new Recorder(), targetBtf: renamed })).toThrow(/kfunc 'bpf_iter_num_new' is not in the target kernel's BTF/);
  });

  test('prepareLoad gives the load spec and the created maps without loading', () => {
    const b = new Recorder();
    const prepared = prepareLoad(fixture('xdp_firewall.o'), 'xdp_firewall', { backend: b });
    expect(prepared.loadSpec).toMatchObject({ type: U.BPF_PROG_TYPE_XDP, expectedAttachType: U.BPF_XDP, name: 'xdp_firewall', license: 'GPL' });
    expect(Object.keys(prepared.maps).sort()).toEqual(['.rodata', 'blocklist', 'verdicts']);
    expect(b.loaded).toEqual([]);
    expect(() => prepareLoad(fixture('xdp_firewall.o'), 'nope', { backend: b })).toThrow(/no such program \(the object has: xdp_firewall\)/);
  });
});

describe('kconfig values', () => {
  const ext = (type: KconfigExtern['type'], size: number, extra: Partial<KconfigExtern> = {}): KconfigExtern =>
    ({ name: 'CONFIG_X', offset: 0, size, type, signed: false, weak: false, ...extra });
  const cases: { name: string; e: KconfigExtern; v: string | number | boolean | bigint; want: number[] }[] = [
    { name: 'bool y', e: ext('bool', 1), v: 'y', want: [1] },
    { name: 'bool false', e: ext('bool', 1), v: false, want: [0] },
    { name: 'tristate m', e: ext('tristate', 4), v: 'm', want: [2, 0, 0, 0] },
    { name: 'char y', e: ext('char', 1), v: 'y', want: [0x79] },
    { name: 'int hex', e: ext('int', 4), v: '0x1234', want: [0x34, 0x12, 0, 0] },
    { name: 'signed int', e: ext('int', 2, { signed: true }), v: -2, want: [0xfe, 0xff] },
    { name: 'u64', e: ext('int', 8), v: 1n << 40n, want: [0, 0, 0, 0, 0, 1, 0, 0] },
    { name: 'string, truncated', e: ext('string', 4), v: 'abcdef', want: [0x61, 0x62, 0x63, 0] },
  ];
  test.each(cases)('$name', ({ e, v, want }) => {
    expect(Array.from(kconfigValue([e], e.size, { CONFIG_X: v }))).toEqual(want);
  });

  test.each([
    ['bool m', ext('bool', 1), 'm'],
    ['out of range', ext('int', 1), 300],
    ['not a number', ext('int', 4), 'y'],
  ] as const)('%s is refused', (_, e, v) => {
    expect(() => kconfigValue([e], e.size, { CONFIG_X: v })).toThrow(KconfigError);
  });

  test('missing: zero when weak, an error otherwise; defaults from the simulated kernel', () => {
    expect(Array.from(kconfigValue([ext('int', 4, { name: 'CONFIG_NOPE', weak: true })], 4))).toEqual([0, 0, 0, 0]);
    expect(() => kconfigValue([ext('int', 4, { name: 'CONFIG_NOPE' })], 4)).toThrow(/CONFIG_NOPE.*value not found/);
    expect(Array.from(kconfigValue([ext('int', 4, { name: 'CONFIG_HZ' })], 4))).toEqual([250, 0, 0, 0]);
  });

  test('config text', () => {
    expect(parseKconfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=0x10\nCONFIG_D="x\\"y"\nCONFIG_E=m\n'))
      .toEqual({ CONFIG_A: 'y', CONFIG_B: 'n', CONFIG_C: 16, CONFIG_D: 'x"y', CONFIG_E: 'm' });
  });
});
