/*
 * `bpfsim features` and the probes behind it; and, where bpf() works, the simulator's claims
 * against the running kernel's: nothing bpfsim says it supports may be missing from the kernel,
 * and the helper rules bpfsim keeps as data must be exactly the kernel's for every type it probed.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { missingHelpers, probeFeatures, probeSim } from '../../src/cli/features/probe.js';
import { mapTypeName, progTypeName } from '../../src/elf/index.js';
import { ErrnoError } from '../../src/errno.js';
import { coreHelpers, helperAllowed, progTypeHelpers } from '../../src/helpers/index.js';
import { helperName, insn } from '../../src/isa/index.js';
import { SimBackend } from '../../src/vm/index.js';
import { createMachine } from '../../src/machines.js';
import { cli } from '../support/cli.js';
import { kernelBackend, kernelSkip } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`the features comparison with the kernel is skipped: ${kernelSkip}`);
afterAll(() => kernel?.close());

const sim = (): SimBackend => new SimBackend({ machine: createMachine() });

describe('bpfsim features', () => {
  test('lists program types, map types and helpers as bpftool does', async () => {
    const r = await cli(['features']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^eBPF program_type xdp is available$/m);
    expect(r.out).toMatch(/^eBPF map_type ringbuf is available$/m);
    expect(r.out).toMatch(/^eBPF helpers supported for program type xdp:\n(\t- bpf_\w+\n)*\t- bpf_ringbuf_output$/m);
  });

  test('--json uses bpftool\'s keys', async () => {
    const r = await cli(['features', '--json']);
    const j = JSON.parse(r.out) as { program_types: Record<string, boolean>; map_types: Record<string, boolean>; helpers: Record<string, string[]> };
    expect(j.program_types['have_xdp_prog_type']).toBe(true);
    expect(j.map_types['have_hash_map_type']).toBe(true);
    expect(j.helpers['xdp_available_helpers']).toContain('bpf_loop');
    expect(j.helpers['xdp_available_helpers']).not.toContain('bpf_get_stackid');
  });

  test('--missing lists, per type, the helpers the kernel allows and bpfsim lacks', async () => {
    const r = await cli(['features', '--missing']);
    expect(r.code).toBe(0);
    const xdp = r.out.split('\n').find((l) => l.startsWith('xdp: '));
    expect(xdp).toMatch(/bpf_kptr_xchg/);
    expect(xdp).not.toMatch(/dynptr/);
    expect(xdp).not.toMatch(/bpf_map_lookup_elem /);
  });

  test('usage mistakes exit 2', async () => {
    expect((await cli(['features', '--backend', 'jit'])).code).toBe(2);
    expect((await cli(['features', 'x'])).code).toBe(2);
    expect((await cli(['features', '--backend', 'kernel', '--missing'])).code).toBe(2);
  });

  test('the simulator reports the helpers of its table that each type allows', () => {
    const b = sim();
    const r = probeSim(b);
    for (const [type, ids] of r.helpers) {
      for (const id of ids) expect(helperAllowed(type, id), `${progTypeName(type)} ${helperName(id)}`).toBe(true);
    }
    expect(missingHelpers(r).get(6)).not.toContain(1);
    b.close();
  });
});

describe.skipIf(!kernel)('bpfsim against the kernel', () => {
  const k = kernel ? probeFeatures(kernel) : undefined;
  const b = sim();
  const s = probeFeatures(b);
  afterAll(() => b.close());

  test('the kernel probe is cached', () => {
    expect(probeFeatures(kernel!)).toBe(k);
  });

  test('no program type, map type or helper that bpfsim claims is missing from the kernel', () => {
    const extraProg = [...s.progTypes].filter((t) => !k!.progTypes.has(t)).map(progTypeName);
    const extraMap = [...s.mapTypes].filter((t) => !k!.mapTypes.has(t)).map(mapTypeName);
    const extraHelpers: string[] = [];
    let lacking = 0;
    for (const [type, ids] of s.helpers) {
      const kh = k!.helpers.get(type);
      if (!kh) continue;
      for (const id of ids) if (!kh.has(id)) extraHelpers.push(`${progTypeName(type)}/${helperName(id)}`);
      for (const id of kh) if (!ids.has(id)) lacking++;
    }
    const lackProg = [...k!.progTypes].filter((t) => !s.progTypes.has(t)).map(progTypeName);
    const lackMap = [...k!.mapTypes].filter((t) => !s.mapTypes.has(t)).map(mapTypeName);
    console.log(`features: the kernel has program types bpfsim cannot run: ${lackProg.join(' ') || 'none'}; ` +
      `map types bpfsim lacks: ${lackMap.join(' ') || 'none'}; ${lacking} (program type, helper) pairs bpfsim lacks ` +
      '(bpfsim features --missing lists them)');
    expect({ extraProg, extraMap, extraHelpers }).toEqual({ extraProg: [], extraMap: [], extraHelpers: [] });
  });

  test('the per-type helper rules are the kernel\'s, for every type they were probed on', () => {
    for (const [type, kh] of k!.helpers) {
      const rules = progTypeHelpers(type);
      if (!rules?.probed) continue;
      const names = (ids: Iterable<number>): string[] => [...ids].sort((a, c) => a - c).map((id) => helperName(id)!);
      expect(names(rules.helpers), progTypeName(type)).toEqual(names(kh));
    }
  });

  test('GPL-only helpers: the prototypes say what the kernel enforces', () => {
    for (const d of coreHelpers) {
      if (d.id === 12) continue;
      const type = [6, 2, 1].find((t) => helperAllowed(t, d.id));
      if (type === undefined) continue;
      const insns = [1, 2, 3, 4, 5].map((r) => insn(0xb7, r, 0, 0, 0)).concat([insn(0x85, 0, 0, 0, d.id), insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)]);
      let gplOnly = false;
      try {
        kernel!.loadProgram({ type, insns, license: 'Proprietary', name: 'gpl' }).program.close();
      } catch (e) {
        if (!(e instanceof ErrnoError)) throw e;
        gplOnly = /GPL-restricted/.test(e.message);
      }
      expect(!!d.proto?.gplOnly, d.name).toBe(gplOnly);
    }
  });
});
