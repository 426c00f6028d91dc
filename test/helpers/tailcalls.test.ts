/*
 * Tail calls, which the engines carry out, against Linux 6.18: a jump to the program in the slot,
 * a fall-through for an empty slot or an index past the array, the limit of 33 tail calls per run,
 * tail calls from a BPF subprogram, and prog arrays refusing programs of another type.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { ErrnoError } from '../../src/errno.js';
import { assemble } from '../../src/isa/index.js';
import * as U from '../../src/uapi.js';
import type { Backend, BackendMap, BackendProgram } from '../../src/vm/index.js';
import { funcInfoBtf, kernelBackend, kernelSkip, simBackends } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`tail call tests run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
/** The descriptor a prog array update takes, on either backend. */
const fdOf = (p: BackendProgram): number => {
  const fd = (p as unknown as { fd: number | { raw: number } }).fd;
  return typeof fd === 'number' ? fd : fd.raw;
};
const loadXdp = (b: Backend, text: string, maps: BackendMap[] = [], type = U.BPF_PROG_TYPE_XDP): BackendProgram => {
  const { insns } = assemble(text);
  return b.loadProgram({ type, insns, maps, name: 'tail', btf: funcInfoBtf(insns) }).program;
};

/** Entry: tail call to the slot in packet byte 0 of prog array 0; on a fall-through return 77. */
const ENTRY = `
    r6 = r1
    r2 = *(u32 *)(r6 +0)
    r3 = *(u32 *)(r6 +4)
    r4 = r2
    r4 += 1
    if r4 > r3 goto out
    r3 = *(u8 *)(r2 +0)
    r1 = r6
    r2 = map[idx:0]
    call bpf_tail_call
  out:
    r0 = 77
    exit`;

function onBoth(fn: (b: Backend) => void): void {
  for (const b of [...simBackends(kernel?.ncpus), kernel]) {
    if (!b) continue;
    try {
      fn(b);
    } finally {
      if (b !== kernel) b.close();
    }
  }
}

const packet = (first: number): Uint8Array => {
  const p = new Uint8Array(64);
  p[0] = first;
  return p;
};

describe('tail calls', () => {
  test('a filled slot runs its program; an empty slot or an index past the array falls through', () => {
    onBoth((b) => {
      const arr = b.createMap({ type: U.BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      const t0 = loadXdp(b, 'r0 = 3\nexit');
      const t2 = loadXdp(b, 'r0 = 1\nexit');
      arr.update(u32(0), u32(fdOf(t0)));
      arr.update(u32(2), u32(fdOf(t2)));
      const entry = loadXdp(b, ENTRY, [arr]);
      const got = [0, 1, 2, 3, 4, 200].map((i) => entry.testRun({ data: packet(i) }).retval);
      expect(got, b.name).toEqual([3, 77, 1, 77, 77, 77]);
      arr.delete(u32(0));
      expect(entry.testRun({ data: packet(0) }).retval, `${b.name}: after the slot is emptied`).toBe(77);
      for (const p of [t0, t2, entry]) p.close();
      (arr as { close(): void }).close();
    });
  });

  test('33 tail calls succeed and the 34th falls through', () => {
    onBoth((b) => {
      const arr = b.createMap({ type: U.BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      const count = b.createMap({ type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
      // Counts its runs in count[0] and tail-calls itself.
      const self = loadXdp(b, `
          r6 = r1
          r1 = 0
          *(u32 *)(r10 -4) = r1
          r1 = map[idx:1]
          r2 = r10
          r2 += -4
          call bpf_map_lookup_elem
          if r0 == 0 goto out
          r1 = 1
          lock *(u64 *)(r0 +0) += r1
          r1 = r6
          r2 = map[idx:0]
          r3 = 0
          call bpf_tail_call
        out:
          r0 = 2
          exit`, [arr, count]);
      arr.update(u32(0), u32(fdOf(self)));
      expect(self.testRun({ data: packet(0) }).retval).toBe(2);
      expect(new DataView(count.lookup(u32(0))!.buffer).getBigUint64(0, true), `${b.name}: runs`).toBe(34n);
      arr.delete(u32(0));
      self.close();
      for (const m of [arr, count]) (m as { close(): void }).close();
    });
  });

  test('a tail call from a BPF subprogram replaces the subprogram: the target returns to its caller', () => {
    onBoth((b) => {
      const arr = b.createMap({ type: U.BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
      const target = loadXdp(b, 'r0 = 3\nexit');
      arr.update(u32(1), u32(fdOf(target)));
      const entry = loadXdp(b, `
          r6 = r1
          call sub
          r0 += 100
          exit
        sub:
          r6 = r1
          r2 = map[idx:0]
          r3 = *(u32 *)(r1 +0)
          r4 = *(u32 *)(r1 +4)
          r5 = r3
          r5 += 1
          r0 = 5
          if r5 > r4 goto done
          r3 = *(u8 *)(r3 +0)
          r1 = r6
          call bpf_tail_call
          r0 = 6
        done:
          exit`, [arr]);
      expect([1, 0].map((i) => entry.testRun({ data: packet(i) }).retval), b.name).toEqual([103, 106]);
      for (const p of [target, entry]) p.close();
      (arr as { close(): void }).close();
    });
  });

  test('a prog array keeps to the first program type it meets: other types are refused at update and at load', () => {
    onBoth((b) => {
      const arr = b.createMap({ type: U.BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
      const xdp = loadXdp(b, 'r0 = 2\nexit');
      const tc = loadXdp(b, 'r0 = 0\nexit', [], U.BPF_PROG_TYPE_SCHED_CLS);
      arr.update(u32(0), u32(fdOf(xdp)));
      expect(() => arr.update(u32(1), u32(fdOf(tc))), b.name).toThrow(expect.objectContaining({ errnoName: 'EINVAL' }));
      let refused: unknown;
      try {
        loadXdp(b, 'r2 = map[idx:0]\nr3 = 0\ncall bpf_tail_call\nr0 = 0\nexit', [arr], U.BPF_PROG_TYPE_SCHED_CLS).close();
      } catch (e) {
        refused = e;
      }
      expect(refused, b.name).toBeInstanceOf(ErrnoError);
      expect((refused as ErrnoError).errnoName).toBe('EINVAL');
      for (const p of [xdp, tc]) p.close();
      (arr as { close(): void }).close();
    });
  });
});
