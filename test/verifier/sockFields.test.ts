/**
 * Which loads of a socket's fields the verifier allows (`struct bpf_sock` from bpf_sk_lookup_tcp,
 * `struct bpf_sock_common` from bpf_skc_lookup_tcp): every offset and size, bpfsim's verdict and
 * message against the kernel's.
 */
import { describe, expect, test } from 'vitest';
import { assemble, encodeInsns } from '../../src/isa/index.js';
import { kernelAvailable, nativeBpf } from '../../src/kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { kernelReason } from './support/verdicts.js';

const SIZES = [['u8', 1], ['u16', 2], ['u32', 4], ['u64', 8]] as const;
const available = kernelAvailable();
if (!available.ok) console.log(`skipping socket field loads on the kernel: ${available.reason}`);

function program(lookup: string, off: number, type: string): ReturnType<typeof assemble>['insns'] {
  return assemble([
    'r6 = r1', 'r1 = 0', '*(u64 *)(r10 -48) = r1', '*(u64 *)(r10 -40) = r1', 'r1 = r6', 'r2 = r10', 'r2 += -48', 'r3 = 12',
    'r4 = -1', 'r5 = 0', `call ${lookup}`, 'if r0 == 0 goto out', 'r7 = r0', `r1 = *(${type} *)(r0 +${off})`, 'r1 = r7',
    'call bpf_sk_release', 'out:', 'r0 = 0', 'exit',
  ].join('\n')).insns;
}

describe.skipIf(!available.ok)('socket field loads', () => {
  test.each(['bpf_sk_lookup_tcp', 'bpf_skc_lookup_tcp'])('%s: every offset and size as the kernel', (lookup) => {
    const differ: string[] = [];
    for (let off = 0; off < 84; off++) {
      for (const [type] of SIZES) {
        const insns = program(lookup, off, type);
        const r = nativeBpf().progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: encodeInsns(insns), license: 'GPL', log_level: 1, log_size: 1 << 20 });
        if (r.fd >= 0) nativeBpf().close(r.fd);
        const kernel = r.errno ? kernelReason(r.log).split('\n')[0] : '';
        const sim = verifyProgram(insns, { progType: BPF_PROG_TYPE_XDP });
        const mine = sim.ok ? '' : sim.errors[0]!.message.split('\n')[0];
        if (kernel !== mine) differ.push(`${type} at ${off}: kernel '${kernel}', bpfsim '${mine}'`);
      }
    }
    expect(differ).toEqual([]);
  });
});
