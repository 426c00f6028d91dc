/**
 * bpf_spin_lock regions in the verifier, on bpfsim and on the kernel: one lock at a time, at the
 * value's `struct bpf_spin_lock`, no calls inside but the unlock, released before exit.
 */
import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import type { Backend } from '../../src/vm/index.js';
import { SimBackend } from '../../src/vm/index.js';
import { lockedArray } from './support/lockedArray.js';
import { loadReason } from './support/verdicts.js';

const LOOKUP = ['r1 = 0', '*(u32 *)(r10 -4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map[idx:0]', 'call bpf_map_lookup_elem', 'if r0 == 0 goto out', 'r6 = r0'];
const LOCK = ['r1 = r6', 'r1 += 8', 'call bpf_spin_lock'];
const UNLOCK = ['r1 = r6', 'r1 += 8', 'call bpf_spin_unlock'];
const END = ['out:', 'r0 = 0', 'exit'];

const CASES = [
  { name: 'a value updated under its lock', body: [...LOOKUP, ...LOCK, 'r1 = *(u64 *)(r6 +0)', 'r1 += 1', '*(u64 *)(r6 +0) = r1', ...UNLOCK, ...END], want: '' },
  { name: 'no helper calls inside the region', body: [...LOOKUP, ...LOCK, 'call bpf_get_prandom_u32', ...UNLOCK, ...END], want: 'function calls are not allowed while holding a lock' },
  { name: 'the lock is released before exit', body: [...LOOKUP, ...LOCK, ...END], want: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region' },
  { name: 'no unlock without a lock', body: [...LOOKUP, ...UNLOCK, ...END], want: 'bpf_spin_unlock without taking a lock' },
  { name: 'the lock is where the BTF says', body: [...LOOKUP, 'r1 = r6', 'call bpf_spin_lock', ...UNLOCK, ...END], want: 'off 0 doesn\'t point to \'struct bpf_spin_lock\' that is at 8' },
  { name: 'loads and stores keep off the lock', body: [...LOOKUP, 'r0 = *(u32 *)(r6 +8)', ...END], want: 'bpf_spin_lock cannot be accessed directly by load/store' },
  { name: 'helpers keep off the lock', body: [...LOOKUP, 'r1 = r6', 'r2 = 16', 'call bpf_get_current_comm', ...END], want: 'bpf_spin_lock cannot be accessed directly by load/store' },
  { name: 'one lock at a time', body: [...LOOKUP, ...LOCK, ...LOCK, ...UNLOCK, ...END], want: 'function calls are not allowed while holding a lock' },
];

/** A load's verdict: '' when accepted, else the first line of the reason. */
function verdict(backend: Backend, body: readonly string[]): string {
  const map = backend.createMap(lockedArray());
  return loadReason(backend, { type: BPF_PROG_TYPE_XDP, insns: assemble(body.join('\n')).insns, maps: [map], logLevel: 1, name: 'locks' });
}

const available = kernelAvailable();

describe('spin lock regions', () => {
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
