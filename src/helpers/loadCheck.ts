import { ERRNO, ErrnoError } from '../errno.js';
import { BPF_CALL, BPF_JMP, LD_IMM64, helperName } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { helperAllowed, licenseIsGplCompatible } from './progTypes.js';
import type { HelperTable } from './table.js';

/** `bpf_tail_call`'s id: engines carry it out, so it needs no implementation to load. */
const BPF_FUNC_tail_call = 12;

/**
 * The load-time checks the kernel's verifier makes of each helper call, in instruction order:
 * the program type may call it (EINVAL, "program of this type cannot use helper bpf_x#id", as
 * the kernel words it), bpfsim implements it (ENOTSUPP, naming it), and a GPL-only helper needs a
 * GPL-compatible license (EINVAL, the kernel's words). A call to an id Linux does not know
 * (libbpf's poisoned CO-RE and kfunc calls) is left to the verifier, which refuses it only where
 * it is reachable; run, it faults.
 */
export function checkHelperCalls(table: HelperTable, insns: readonly Insn[], progType: number, license = 'GPL'): void {
  const gpl = licenseIsGplCompatible(license);
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    if (ins.code === LD_IMM64) {
      i++;
      continue;
    }
    if (ins.code !== (BPF_JMP | BPF_CALL) || ins.src !== 0) continue;
    const id = ins.imm;
    const name = helperName(id);
    if (name === undefined) continue;
    const fail = (errno: number, why: string): never => {
      throw new ErrnoError('BPF_PROG_LOAD', errno, `insn ${i}: ${why}`);
    };
    if (helperAllowed(progType, id) === false) fail(ERRNO.EINVAL, `program of this type cannot use helper ${name}#${id}`);
    const def = table.get(id);
    if (!def && id !== BPF_FUNC_tail_call) {
      fail(ERRNO.ENOTSUPP, `helper ${name}#${id} is not implemented by bpfsim yet`);
    }
    if (def?.proto?.gplOnly && !gpl) fail(ERRNO.EINVAL, 'cannot call GPL-restricted function from non-GPL compatible program');
  }
}
