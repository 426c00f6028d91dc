/*
 * Every fixture on the real kernel through loadCollection: the kernel's verdict and processed
 * instruction count for each program, its BTF accepted by BPF_BTF_LOAD, and test runs that
 * check what the programs compute (so that relocations, global data, kconfig, CO-RE, kfuncs,
 * subprograms and tail calls are shown to be resolved correctly).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import * as U from '../../src/uapi.js';
import { btfLoad } from '../../src/kernel/syscall.js';
import {
  LoadError, encodeBtf, loadCollection, loadCollectionSpec, setVariable, simKernelBtf, type Collection, type CollectionSpec,
} from '../../src/elf/index.js';
import type { BackendMap } from '../../src/vm/backend.js';
import { VERDICTS } from './support/fixtures.js';
import { kernelBackend, kernelSkipReason } from './support/kernel.js';
import { fixture, u32, u32s } from './support/objects.js';
import { PACKETS, firstByte } from './support/packets.js';

const reason = kernelSkipReason();
if (reason) console.log(`skipping kernel ELF tests: ${reason}`);
const backend = reason ? undefined : kernelBackend();
afterAll(() => backend?.close());
const release = existsSync('/proc/sys/kernel/osrelease') ? readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() : '';
const countsApply = release.startsWith('6.18.');

function spec(name: string): CollectionSpec {
  return loadCollectionSpec(fixture(name), { objectName: name.replace(/\..*$/, '') });
}

function load(name: string, edit?: (s: CollectionSpec) => void): Collection {
  const s = spec(name);
  edit?.(s);
  return loadCollection(s, { backend: backend! });
}

function value(map: BackendMap, key: Uint8Array = u32(0)): Uint8Array {
  const v = map.lookup(key);
  if (!v) throw new Error('no such element');
  return v;
}

const programs = Object.entries(VERDICTS).flatMap(([file, progs]) => Object.entries(progs).map(([prog, verdict]) => ({ file, prog, verdict })));

describe.skipIf(!!reason)('every fixture on the kernel', () => {
  test.each(programs)('$file $prog', ({ file, prog, verdict }) => {
    let c: Collection | undefined;
    try {
      c = loadCollection(spec(file), { backend: backend!, programs: [prog] });
      expect(verdict.ok, `the kernel accepted ${prog}`).toBe(true);
      if (verdict.ok && countsApply) expect(c.programs[prog]!.verifiedInsns).toBe(verdict.processed);
    } catch (e) {
      if (verdict.ok) throw e;
      expect(e).toBeInstanceOf(LoadError);
      expect((e as LoadError).message).toContain(`${prog}: BPF_PROG_LOAD failed: ${verdict.errno}`);
      expect((e as LoadError).log ?? '').toMatch(verdict.log);
    } finally {
      c?.close();
    }
  });

  test.each(Object.keys(VERDICTS).filter((f) => !f.includes('nobtf')))('%s: the fixed-up BTF passes BPF_BTF_LOAD', (file) => {
    btfLoad(encodeBtf(spec(file).btf!).bytes).fd.close();
  });

  test('bpfsim\'s own kernel BTF passes BPF_BTF_LOAD', () => {
    btfLoad(encodeBtf(simKernelBtf()).bytes).fd.close();
  });
});

describe.skipIf(!!reason)('what the fixtures compute on the kernel', () => {
  test('xdp_parser drops telnet and discard, counts per protocol', () => {
    const c = load('xdp_parser.o');
    const run = (p: Uint8Array) => c.programs['xdp_parser']!.testRun({ data: p }).retval;
    expect([PACKETS.tcpSyn80, PACKETS.tcpAck23, PACKETS.udp9, PACKETS.udp53, PACKETS.ipv6Udp9, PACKETS.ipv6Tcp443, PACKETS.arp].map(run))
      .toEqual([U.XDP_PASS, U.XDP_DROP, U.XDP_DROP, U.XDP_PASS, U.XDP_DROP, U.XDP_PASS, U.XDP_PASS]);
    const stats = c.maps['proto_stats']!;
    const packets = (i: number) => Number(new DataView(value(stats, u32(i)).buffer).getBigUint64(0, true));
    expect([0, 1, 2, 3, 4].map(packets)).toEqual([4, 2, 3, 3, 1]);
    c.close();
  });

  test('xdp_firewall: LPM rules, and the default action set in .rodata before load', () => {
    const c = load('xdp_firewall.o');
    c.maps['blocklist']!.update(Uint8Array.of(8, 0, 0, 0, 10, 0, 0, 0), u32(U.XDP_DROP));
    c.maps['blocklist']!.update(Uint8Array.of(24, 0, 0, 0, 192, 168, 0, 0), u32(U.XDP_TX));
    const fw = c.programs['xdp_firewall']!;
    expect([PACKETS.tcpSyn80, PACKETS.tcpAck23, PACKETS.udp53].map((p) => fw.testRun({ data: p }).retval)).toEqual([U.XDP_DROP, U.XDP_TX, U.XDP_PASS]);
    expect(() => c.maps['.rodata']!.update(u32(0), u32(1))).toThrow(/EPERM/);
    c.close();
    const strict = load('xdp_firewall.o', (s) => setVariable(s, 'default_action', U.XDP_DROP));
    expect(strict.programs['xdp_firewall']!.testRun({ data: PACKETS.udp53 }).retval).toBe(U.XDP_DROP);
    strict.close();
  });

  test('globals: .data, .bss, custom sections and a .rodata threshold', () => {
    const s = spec('globals.o');
    setVariable(s, 'drop_above', 100);
    const c = loadCollection(s, { backend: backend! });
    const g = c.programs['xdp_globals']!;
    expect([PACKETS.tcpSyn80, PACKETS.tcpSyn80, PACKETS.big].map((p) => g.testRun({ data: p }).retval)).toEqual([U.XDP_TX, U.XDP_PASS, U.XDP_DROP]);
    expect(u32s(value(c.maps['.data']!))).toEqual([4]);
    const bss = value(c.maps['.bss']!);
    const at = (v: string) => s.variables[v]!.offset;
    expect(Number(new DataView(bss.buffer).getBigUint64(at('total_bytes'), true))).toBe(54 + 54 + PACKETS.big.length);
    expect(u32s(bss.subarray(at('histogram'), at('histogram') + 32))).toEqual([2, 0, 0, 0, 0, 0, 0, 1]);
    expect(new TextDecoder().decode(bss.subarray(at('last_tag'), at('last_tag') + 8)).replace(/\0+$/, '')).toBe('seen!');
    expect(u32s(value(c.maps['.data.custom']!))[0]).toBe(7 + 3 * 0xcd);
    c.close();
  });

  test('tail calls through the PROG_ARRAY filled from .values', () => {
    const c = load('tail_calls.o');
    const entry = c.programs['xdp_entry']!;
    expect([0, 1, 2, 3, 3].map((b) => entry.testRun({ data: firstByte(b) }).retval)).toEqual([U.XDP_PASS, U.XDP_TX, U.XDP_DROP, U.XDP_PASS, U.XDP_PASS]);
    expect(u32s(value(c.maps['.bss']!))).toEqual([2, 0]);
    c.close();
  });

  test('kconfig values from the simulated configuration, overridable', () => {
    const c = loadCollection(spec('kconfig.o'), { backend: backend!, kconfig: { CONFIG_HZ: 1000, CONFIG_LOCALVERSION: '-test' } });
    expect(c.programs['xdp_kconfig']!.testRun({ data: PACKETS.udp53 }).retval).toBe(U.XDP_PASS);
    const out = value(c.maps['.bss']!);
    expect(u32s(out).slice(0, 6)).toEqual([0x061200, 1000, 1, 2, 'y'.charCodeAt(0), 0]);
    expect(new TextDecoder().decode(out.subarray(24)).replace(/\0+$/, '')).toBe('-test');
    c.close();
  });

  test('CO-RE against the kernel\'s BTF: bitfields, existence, sizes, enums', () => {
    const c = load('core.o');
    expect(c.programs['xdp_core']!.testRun({ data: PACKETS.tcpSyn80 }).retval).toBe(U.XDP_DROP);
    expect(u32s(value(c.maps['.bss']!))).toEqual([5, 4, 6, 5, 1, 12, 4, 14, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 2, 0, 0]);
    expect(c.programs['xdp_core']!.core.filter((o) => o.poisoned).length).toBe(2);
    c.close();
  });

  test('kfuncs and ksyms: the number iterator sums 0..len%16-1 into the mark', () => {
    const run = (kallsyms?: Record<string, bigint>) => {
      const c = loadCollection(spec('kfuncs.o'), { backend: backend!, ...(kallsyms ? { kallsyms } : {}) });
      const r = c.programs['tc_kfuncs']!.testRun({ data: PACKETS.udp53, ctx: new Uint8Array(192), ctxSizeOut: 192 });
      c.close();
      return u32s(r.ctx);
    };
    const n = PACKETS.udp53.length & 15;
    const ctx = run();
    // __sk_buff: mark is word 2, priority word 8 (7: the weak bpf_rcu_read_lock exists), cb[0] word 12.
    expect([ctx[2], ctx[8], ctx[12]]).toEqual([(n * (n - 1)) / 2, 7, 0]);
    expect(run({ bpfsim_typeless_sym: 0xffffffff81000000n })[12]).toBe(1);
  });

  test('subprograms, bpf_loop and bpf_for_each_map_elem callbacks', () => {
    const c = load('subprogs.o');
    for (let i = 0; i < 4; i++) c.maps['values']!.update(u32(i), new Uint8Array(new BigUint64Array([BigInt(10 * i)]).buffer));
    c.programs['xdp_subprogs']!.testRun({ data: PACKETS.udp53 });
    c.programs['xdp_subprogs_b']!.testRun({ data: PACKETS.udp53 });
    const r = (i: number) => new DataView(value(c.maps['results']!, u32(i)).buffer).getBigUint64(0, true);
    let acc = 1n;
    for (let i = 0n; i < 8n; i++) acc = BigInt.asUintN(64, acc * 31n) ^ i;
    const len = BigInt(PACKETS.udp53.length);
    expect([r(0), r(1), r(2), r(3)]).toEqual([acc, (4n << 32n) + 60n + 6n, len * 3n + 1n, (len * 31n) ^ 5n]);
    c.close();
  });

  test('map-in-map slots filled from .values, every BTF map attribute accepted', () => {
    const c = load('maps_btf.o');
    const p = c.programs['xdp_maps']!;
    p.testRun({ data: PACKETS.udp53 });
    p.testRun({ data: PACKETS.tcpSyn80 });
    const n = (m: string) => new DataView(value(c.maps[m]!).buffer).getBigUint64(0, true);
    expect([n('inner_a'), n('inner_b')]).toEqual([2n, 200n]);
    expect(c.maps['queue']!.lookupAndDelete(null)).toEqual(u32(PACKETS.udp53.length));
    c.close();
  });
});
