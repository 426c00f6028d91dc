/**
 * Programs that read kernel structs (map pointer fields, the result of bpf_cast_to_kern_ctx,
 * tracing contexts), verified by bpfsim with a target's types and loaded into the running kernel
 * with the same attach target: the verdict, errno, first line of the reason and processed count.
 */
import { BTF_KIND_FUNC, BTF_KIND_TYPEDEF, btfKernelTypes, type Btf } from '../../../src/elf/index.js';
import { assemble, encodeInsns, type Insn } from '../../../src/isa/index.js';
import { ERRNO } from '../../../src/errno.js';
import { nativeBpf } from '../../../src/kernel/index.js';
import { BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP } from '../../../src/uapi.js';
import { verifyProgram } from '../../../src/verifier/index.js';
import { GEN_MAP_INFOS, kernelReason } from './verdicts.js';

/** One verifier's answer on a program. */
export interface BtfVerdict {
  readonly ok: boolean;
  readonly errno: number;
  readonly message: string;
  readonly processed: number;
}

/** A program and what it is loaded as. */
export interface BtfProgram {
  readonly type: number;
  readonly attachType?: number;
  /** The attach target's name (a function, or a tracepoint without its `btf_trace_` prefix). */
  readonly target?: string;
  /** The attach target by type name, whatever its kind (to try targets of the wrong kind). */
  readonly targetType?: string;
  /** Assembly; `CAST` is a call of bpf_cast_to_kern_ctx, `;` separates lines. */
  readonly source: string;
}

/** The program's instructions, with kfuncs numbered by `btf`. */
export function btfProgramInsns(p: BtfProgram, btf: Btf): Insn[] {
  const cast = btf.find('bpf_cast_to_kern_ctx', BTF_KIND_FUNC);
  return assemble(p.source.replaceAll('CAST', `call kfunc ${cast}`).replaceAll(';', '\n')).insns;
}

/** The attach target's BTF id in `btf` (0 when the program has none). */
export function attachId(p: BtfProgram, btf: Btf): number {
  if (p.targetType) return btf.find(p.targetType) ?? 0;
  if (!p.target) return 0;
  return p.attachType === BPF_TRACE_RAW_TP ? btf.find(`btf_trace_${p.target}`, BTF_KIND_TYPEDEF) ?? 0 : btf.find(p.target, BTF_KIND_FUNC) ?? 0;
}

/** bpfsim's verdict with `btf` as the target kernel's BTF (maps: GEN_MAPS). */
export function simBtfVerdict(p: BtfProgram, btf: Btf): BtfVerdict {
  const cast = btf.find('bpf_cast_to_kern_ctx', BTF_KIND_FUNC);
  const r = verifyProgram(btfProgramInsns(p, btf), {
    progType: p.type, expectedAttachType: p.attachType ?? 0, maps: GEN_MAP_INFOS, kernelTypes: btfKernelTypes(btf),
    ...(p.target || p.targetType ? { attachBtfId: attachId(p, btf) } : {}), ...(cast !== undefined ? { kfuncs: new Map([[cast, 'bpf_cast_to_kern_ctx']]) } : {}),
  });
  return { ok: r.ok, errno: r.errno, message: r.errors[0]?.message.split('\n')[0] ?? '', processed: r.stats.processed };
}

/** The kernel's verdict (vmlinux ids), with the maps' descriptors in the fd_array. */
export function kernelBtfVerdict(p: BtfProgram, btf: Btf, fdArray: readonly number[]): BtfVerdict {
  const bpf = nativeBpf();
  const r = bpf.progLoad({
    prog_type: p.type, expected_attach_type: p.attachType ?? 0, insns: encodeInsns(btfProgramInsns(p, btf)), license: 'GPL',
    log_level: 1, log_size: 1 << 20, fd_array: [...fdArray], ...(p.target || p.targetType ? { attach_btf_id: attachId(p, btf) } : {}),
  });
  if (r.fd >= 0) bpf.close(r.fd);
  const processed = Number(/processed (\d+) insns/.exec(r.log)?.[1] ?? 0);
  return { ok: r.errno === 0, errno: r.errno, message: r.errno ? kernelReason(r.log).split('\n')[0] ?? '' : '', processed };
}

/** Why the running kernel refuses every tracing program with an attach target before verifying it, if it does (some sandboxes forbid them). */
export function tracingLoadsRefused(btf: Btf): string | undefined {
  const p: BtfProgram = { type: BPF_PROG_TYPE_TRACING, attachType: 24, target: 'bpf_fentry_test1', source: 'r0 = 0;exit' };
  const r = kernelBtfVerdict(p, btf, []);
  return r.errno === ERRNO.EPERM && !r.message ? 'the kernel refuses fentry programs with EPERM before verifying them (no log)' : undefined;
}
