import { describe, expect, test } from 'vitest';
import { ErrnoError } from '../../src/errno.js';
import { BPF_CALL, BPF_EXIT, BPF_JMP, BPF_PSEUDO_CALL, assemble, decodeInsns, insn } from '../../src/isa/index.js';
import type { Insn } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { conformanceDir, loadConformance } from '../support/conformance.js';
import type { ConformanceCase } from '../support/conformance.js';

const { dir, reason } = conformanceDir();
const available = kernelAvailable();
if (!dir) console.log(`skipping bpf_conformance on the kernel: ${reason}`);
else if (!available.ok) console.log(`skipping bpf_conformance on the kernel: ${available.reason}`);

/**
 * Where Linux 6.18 and the suite part ways, each for a documented reason; bpfsim passes all of
 * these on its own engines (test/conformance/interp.test.ts).
 */
const KNOWN: Record<string, string> = {
  ...Object.fromEntries(['arsh32-imm-high', 'arsh32-imm-neg', 'arsh64-imm-high', 'arsh64-imm-neg', 'lsh32-imm-high',
    'lsh32-imm-neg', 'lsh64-imm-high', 'lsh64-imm-neg', 'rsh32-imm-high', 'rsh32-imm-neg', 'rsh64-imm-high',
    'rsh64-imm-neg'].map((n) => [n, 'the verifier refuses a shift by an immediate outside the width ("invalid shift")'])),
  callx: 'Linux has no call through a register (JMP|CALL|X)',
};

/**
 * A conformance program as an XDP program: r1 becomes the packet (holding the test's memory) with
 * its range proven to the verifier, r2 its length. With `high`, the main program's exits first
 * shift r0 right by 32, since a test run returns only r0's low half.
 */
function asXdp(c: ConformanceCase, high: boolean): Insn[] {
  const body = c.raw ? decodeInsns(c.raw) : assemble(c.asm ?? '', { dialect: 'ubpf' }).insns;
  const n = body.length;
  // Jumps may not leave a subprogram, so the bail-out and the shift live in the prologue.
  const prologue: Insn[] = [
    insn(0x61, 2, 1, 4), // r2 = *(u32 *)(r1 +4): data_end
    insn(0x61, 1, 1, 0), // r1 = *(u32 *)(r1 +0): data
    insn(0xbf, 3, 1), // r3 = r1
    insn(0x07, 3, 0, 0, c.mem.length), // r3 += len
    insn(0xbd, 3, 2, high ? 4 : 2), // if r3 <= r2 goto start
    insn(0xb7, 0, 0, 0, 0), // r0 = 0
    insn(0x95), // exit
    ...(high ? [insn(0x77, 0, 0, 0, 32), insn(0x95)] : []), // shift: r0 >>= 32; exit
    insn(0xb7, 2, 0, 0, c.mem.length), // start: r2 = len
  ];
  const at = prologue.length;
  const shift = 7;
  const mainEnd = Math.min(n, ...body.map((ins, i) => (ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL ? i + 1 + ins.imm : n)));
  return [
    ...prologue,
    ...body.map((ins, i) => (high && i < mainEnd && ins.code === (BPF_JMP | BPF_EXIT) ? insn(0x05, 0, 0, shift - (at + i) - 1) : ins)),
  ];
}

describe.skipIf(!dir || !available.ok)('bpf_conformance on the kernel backend', () => {
  test('the kernel passes every test except the documented differences', () => {
    const kernel = new KernelBackend();
    const failures: Record<string, string> = {};
    try {
      for (const c of loadConformance(dir!, 'tests')) {
        const packet = new Uint8Array(Math.max(14, c.mem.length));
        packet.set(c.mem);
        try {
          const half = (high: boolean): bigint => {
            const { program } = kernel.loadProgram({ type: BPF_PROG_TYPE_XDP, insns: asXdp(c, high), name: 'conformance' });
            return BigInt(program.testRun({ data: packet }).retval);
          };
          const r0 = (half(true) << 32n) | half(false);
          if (r0 !== c.result) failures[c.name] = `returned 0x${r0.toString(16)}, expected 0x${c.result?.toString(16)}`;
        } catch (e) {
          if (!(e instanceof ErrnoError)) throw e;
          failures[c.name] = e.message.split('\n')[0]!;
        }
      }
    } finally {
      kernel.close();
    }
    console.log(`bpf_conformance on Linux: ${313 - Object.keys(failures).length}/313 pass; differences: ${JSON.stringify(failures, null, 1)}`);
    expect(Object.keys(failures).sort()).toEqual(Object.keys(KNOWN).sort());
  });
});
