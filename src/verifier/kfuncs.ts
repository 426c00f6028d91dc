/**
 * The kfuncs a program may call, by BTF id in the target kernel's BTF (the options' `kfuncs`
 * map), and their prototypes as the verifier checks them (the kernel's BTF declarations with
 * their KF_* flags): RCU read-side sections, the open-coded number iterator, casting the program
 * context to the kernel's.
 */
import { ERRNO } from '../errno.js';
import type { KfuncCheck } from './cfg.js';
import type { VerifyOptions } from './env.js';
import { fail } from './log.js';

/** The name of the kfunc with BTF id `imm`, if the target offers it. */
export function kfuncName(opts: VerifyOptions, imm: number): string | undefined {
  return opts.kfuncs?.get(imm);
}

/** add_kfunc_call's checks, for the structure pass. */
export function kfuncCheck(opts: VerifyOptions): KfuncCheck {
  let first = true;
  return (imm, off) => {
    if (first) {
      first = false;
      if (opts.gpl === false) fail(ERRNO.EINVAL, 'cannot call kernel function from non-GPL compatible program');
    }
    if (imm === 0 && off === 0) return;
    if (off < 0) fail(ERRNO.EINVAL, 'negative offset disallowed for kernel module function call');
    if (off > 0) fail(ERRNO.EINVAL, 'failed to find BTF for kernel function');
    if (kfuncName(opts, imm) === undefined) fail(ERRNO.EINVAL, `kernel btf_id ${imm} is not a function`);
  };
}

/** Whether the kfunc with BTF id `imm` is an iterator's next method (KF_ITER_NEXT). */
export function kfuncIsIterNext(opts: VerifyOptions, imm: number): boolean {
  return kfuncName(opts, imm) === 'bpf_iter_num_next';
}
