/**
 * The references a path holds at the end of each state line of the level-2 log (` refs=2,4`, as
 * Linux 6.18's print_verifier_state prints them): two ring buffer reservations released one after the
 * other. The expected excerpts are the kernel's; they are compared with bpfsim's log, and with the
 * kernel's where bpf() is available.
 */
import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { progTypeByName } from '../../src/vm/index.js';
import { GEN_MAPS } from './support/genVerifier.js';

const SOURCE = `r1 = map[idx:2]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r6 = r0
r1 = map[idx:2]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r7 = r0
if r6 == 0 goto a
r1 = r6
r2 = 0
call bpf_ringbuf_discard
a:
if r7 == 0 goto b
r1 = r7
r2 = 0
call bpf_ringbuf_discard
b:
r0 = 0
exit`;

/** Both reservations held, then the first released (a helper call with no register left to print still prints the references). */
const HELD = [
  '11: (bf) r7 = r0                      ; R0=ringbuf_mem_or_null(id=4,ref_obj_id=4,sz=8) R7=ringbuf_mem_or_null(id=4,ref_obj_id=4,sz=8) refs=2,4',
  '12: (15) if r6 == 0x0 goto pc+3       ; R6=ringbuf_mem(ref_obj_id=2,sz=8) refs=2,4',
  '13: (bf) r1 = r6                      ; R1=ringbuf_mem(ref_obj_id=2,sz=8) R6=ringbuf_mem(ref_obj_id=2,sz=8) refs=2,4',
  '14: (b7) r2 = 0                       ; R2=0 refs=2,4',
  '15: (85) call bpf_ringbuf_discard#133         ; refs=4',
  '16: (15) if r7 == 0x0 goto pc+3       ; R7=ringbuf_mem(ref_obj_id=4,sz=8) refs=4',
  '17: (bf) r1 = r7                      ; R1=ringbuf_mem(ref_obj_id=4,sz=8) R7=ringbuf_mem(ref_obj_id=4,sz=8) refs=4',
  '18: (b7) r2 = 0                       ; R2=0 refs=4',
].join('\n');

/** The branch where the first reservation was NULL: only the second is held. */
const BRANCH = [
  'from 12 to 16: R0=ringbuf_mem_or_null(id=4,ref_obj_id=4,sz=8) R6=0 R7=ringbuf_mem_or_null(id=4,ref_obj_id=4,sz=8) R10=fp0 refs=4',
  '16: R0=ringbuf_mem_or_null(id=4,ref_obj_id=4,sz=8) R6=0 R7=ringbuf_mem_or_null(id=4,ref_obj_id=4,sz=8) R10=fp0 refs=4',
].join('\n');

const insns = assemble(SOURCE).insns;
const XDP = progTypeByName('xdp')!;
const available = kernelAvailable();
if (!available.ok) console.log(`skipping the references in the kernel's log: ${available.reason}`);

describe('references in the level-2 log', () => {
  test('bpfsim prints them as the kernel does', () => {
    const r = verifyProgram(insns, { progType: XDP, maps: GEN_MAPS.map((m) => ({ ...m, flags: 0 })), logLevel: 2 });
    expect(r.ok).toBe(true);
    expect(r.log).toContain(HELD);
    expect(r.log).toContain(BRANCH);
    expect(r.log).not.toMatch(/refs=\n|refs= /);
  });

  test.skipIf(!available.ok)('the kernel prints the same excerpts', () => {
    const kb = new KernelBackend();
    try {
      const maps = GEN_MAPS.map((m) => kb.createMap(m));
      const loaded = kb.loadProgram({ type: XDP, insns, maps, logLevel: 2 });
      loaded.program.close();
      expect(loaded.log).toContain(HELD);
      expect(loaded.log).toContain(BRANCH);
    } finally {
      kb.close();
    }
  });
});
