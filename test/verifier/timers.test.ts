/**
 * Timer callbacks in the verifier, on bpfsim and on the kernel: the callback is verified on its
 * own with the map, key and value as arguments, and must return 0; the timer argument must be the
 * value's `struct bpf_timer`.
 */
import { describe, expect, test } from 'vitest';
import { BtfBuilder, encodeBtf } from '../../src/elf/index.js';
import { assemble } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import type { MapSpec } from '../../src/maps/index.js';
import { BPF_MAP_TYPE_ARRAY, BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import type { Backend } from '../../src/vm/index.js';
import { SimBackend } from '../../src/vm/index.js';
import { funcInfoBtf } from '../helpers/support/xdp.js';
import { loadReason } from './support/verdicts.js';

/** An array of `struct { u64 a; struct bpf_timer t; }`: the timer at offset 8. */
function timerArray(): MapSpec {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  const u64 = b.int('long long unsigned int', 8);
  const timer = b.struct('bpf_timer', [['__opaque', b.array(u64, 2)]]);
  const value = b.struct('val', [['a', u64], ['t', timer]]);
  return { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 24, maxEntries: 1, name: 'timers', btf: { raw: encodeBtf(b.build()).bytes, keyTypeId: u32, valueTypeId: value } };
}

const ARM = (timerOff: number): string[] => [
  'r1 = 0', '*(u32 *)(r10 -4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map[idx:0]', 'call bpf_map_lookup_elem', 'if r0 == 0 goto out', 'r6 = r0',
  'r1 = r6', 'r1 += 8', 'r2 = map[idx:0]', 'r3 = 1', 'call bpf_timer_init',
  'r1 = r6', `r1 += ${timerOff}`, 'r2 = subprog[cb]', 'call bpf_timer_set_callback', 'out:', 'r0 = 0', 'exit', 'cb:',
];

const CASES = [
  { name: 'a callback reads its value and returns 0', body: [...ARM(8), 'r0 = *(u64 *)(r3 +0)', 'r0 = 0', 'exit'], want: '' },
  { name: 'loads and stores keep off the timer', body: [...ARM(8), 'r0 = *(u64 *)(r3 +16)', 'r0 = 0', 'exit'], want: 'bpf_timer cannot be accessed directly by load/store' },
  { name: 'a callback returns 0', body: [...ARM(8), 'r0 = 1', 'exit'], want: 'At async callback return the register R0 has smin=1 smax=1 should have been in [0, 0]' },
  { name: 'the callback\'s value pointer is bounded by the value size', body: [...ARM(8), 'r0 = *(u64 *)(r3 +24)', 'r0 = 0', 'exit'], want: 'invalid access to map value, value_size=24 off=24 size=8' },
  { name: 'the callback\'s key is the map key', body: [...ARM(8), 'r0 = *(u32 *)(r2 +4)', 'r0 = 0', 'exit'], want: 'invalid access to map key, key_size=4 off=4 size=4' },
  { name: 'the timer is where the BTF says', body: [...ARM(0), 'r0 = 0', 'exit'], want: 'off 0 doesn\'t point to \'struct bpf_timer\' that is at 8' },
];

function verdict(backend: Backend, body: readonly string[]): string {
  const map = backend.createMap(timerArray());
  const insns = assemble(body.join('\n')).insns;
  return loadReason(backend, { type: BPF_PROG_TYPE_XDP, insns, maps: [map], logLevel: 1, name: 'timers', btf: funcInfoBtf(insns) });
}

const available = kernelAvailable();

describe('timer callbacks', () => {
  test.each(CASES)('bpfsim: $name', ({ body, want }) => {
    const sim = new SimBackend();
    try {
      expect(verdict(sim, body)).toBe(want);
    } finally {
      sim.close();
    }
  });

  test.skipIf(!available.ok).each(CASES)('kernel: $name', ({ body, want }) => {
    const kernel = new KernelBackend();
    try {
      expect(verdict(kernel, body)).toBe(want);
    } finally {
      kernel.close();
    }
  });
});
