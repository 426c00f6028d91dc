/**
 * bpfsim's verdict against the kernel's on the same program: each is reduced to accept/reject, the
 * errno and the message (the log lines after the last instruction line, as the kernel prints the
 * reason there). A campaign tallies both-accept, both-reject, kernel-only accepts (bpfsim too
 * strict) and bpfsim-only accepts (unsound), and groups disagreements by the kernel's message.
 */
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, LD_IMM64, encodeInsns, type Insn } from '../../../src/isa/index.js';
import { ERRNO } from '../../../src/errno.js';
import { funcInfoBtf } from '../../helpers/support/xdp.js';
import { KernelMap, nativeBpf } from '../../../src/kernel/index.js';
import { VerifierRejectedError, verifyProgram, type KernelTypes, type MapInfo } from '../../../src/verifier/index.js';
import { btfKernelTypes, vmlinuxBtf } from '../../../src/elf/index.js';
import type { Backend, ProgramLoadSpec } from '../../../src/vm/index.js';
import { BPF_PROG_TYPE_XDP } from '../../../src/uapi.js';
import { GEN_MAPS, genVerifierProgram } from './genVerifier.js';

/** One verifier's answer. */
export interface Verdict {
  readonly ok: boolean;
  readonly errno: number;
  /** The reason's first line ('' when accepted). */
  readonly message: string;
}

const INSN_LINE = /^\d+: \([0-9a-f]{2}\) /;
/** A reason the kernel prints on the instruction's own line (no newline after a jump). */
const JOINED_REASON = / (infinite loop detected at insn \d+)$/;

/** The reason a kernel log gives: the lines after the last instruction line, statistics removed. */
export function kernelReason(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim() && !/^processed \d+ insns/.test(l));
  let last = -1;
  lines.forEach((l, i) => {
    if (!INSN_LINE.test(l)) return;
    last = i;
    const joined = JOINED_REASON.exec(l);
    if (joined) lines.splice(i + 1, 0, joined[1]!);
  });
  return lines.slice(last + 1).filter((l) => !/^(func#|Live regs|\s+\d+: )/.test(l)).map((l) => l.replace(/processed \d+ insns \(limit.*$/, '')).join('\n');
}

/** Why `backend` refuses `spec`: the first line of bpfsim's verifier error or of the kernel's reason ('' when it loads). */
export function loadReason(backend: Backend, spec: ProgramLoadSpec): string {
  try {
    backend.loadProgram(spec).program.close();
    return '';
  } catch (e) {
    if (e instanceof VerifierRejectedError) return e.result.errors[0]!.message.split('\n')[0]!;
    return kernelReason((e as { log?: string }).log ?? String(e)).split('\n')[0]!;
  }
}

/** The maps of GEN_MAPS as the verifier sees them. */
export const GEN_MAP_INFOS: readonly MapInfo[] = GEN_MAPS.map((m) => ({ ...m, flags: 0 }));

/** Loads programs into the running kernel with GEN_MAPS in the fd_array. */
export class KernelVerdicts {
  private readonly maps = GEN_MAPS.map((m) => KernelMap.create(m));
  private readonly bpf = nativeBpf();
  /** The running kernel's types (from its BTF), which bpfsim's verifier is given to compare like with like. */
  readonly types: KernelTypes = btfKernelTypes(vmlinuxBtf());

  /**
   * The kernel's verdict on `insns` as an XDP program (with BTF func_info when it has subprograms).
   * A log that outgrows its buffer fails the load with ENOSPC, keeping the log's end (with the
   * reason); the verdict then comes from a load without a log.
   */
  verdict(insns: readonly Insn[]): Verdict {
    const btf = hasSubprogs(insns) ? funcInfoBtf(insns) : undefined;
    const btfFd = btf ? this.bpf.btfLoad(btf.raw).fd : -1;
    const load = (logLevel: number): { errno: number; log: string } => {
      const r = this.bpf.progLoad({
        prog_type: BPF_PROG_TYPE_XDP, insns: encodeInsns(insns), license: 'GPL', log_level: logLevel, log_size: logLevel ? 1 << 20 : 0,
        fd_array: this.maps.map((m) => m.fd.raw),
        ...(btf && btfFd >= 0 ? {
          prog_btf_fd: btfFd, func_info: new Uint8Array(new Uint32Array(btf.funcInfo.flatMap((f) => [f.insn, f.typeId])).buffer),
          func_info_rec_size: 8,
        } : {}),
      });
      if (r.fd >= 0) this.bpf.close(r.fd);
      return r;
    };
    const logged = load(1);
    const r = logged.errno === ERRNO.ENOSPC ? load(0) : logged;
    if (btfFd >= 0) this.bpf.close(btfFd);
    if (r.errno === 0) return { ok: true, errno: 0, message: '' };
    return { ok: false, errno: r.errno, message: kernelReason(logged.log).split('\n')[0] ?? '' };
  }

  /** Releases the maps. */
  close(): void {
    for (const m of this.maps) m.close();
  }
}

/** Whether a program calls or refers to a BPF function (the kernel then needs BTF func_info). */
export function hasSubprogs(insns: readonly Insn[]): boolean {
  return insns.some((i) => (i.code === 0x85 && i.src === BPF_PSEUDO_CALL) || (i.code === LD_IMM64 && i.src === BPF_PSEUDO_FUNC));
}

/** bpfsim's verdict on `insns` as an XDP program, with the target kernel's types when given. */
export function simVerdict(insns: readonly Insn[], kernelTypes?: KernelTypes): Verdict {
  const r = verifyProgram(insns, { progType: BPF_PROG_TYPE_XDP, maps: GEN_MAP_INFOS, funcInfo: hasSubprogs(insns), ...(kernelTypes ? { kernelTypes } : {}) });
  return r.ok ? { ok: true, errno: 0, message: '' } : { ok: false, errno: r.errno, message: r.errors[0]!.message.split('\n')[0]! };
}

/** A disagreement group: the kernel's message (numbers elided), how often, and a seed. */
export interface Group {
  readonly key: string;
  count: number;
  readonly seed: number;
}

/** A campaign's tallies. */
export interface Campaign {
  total: number;
  bothAccept: number;
  bothReject: number;
  /** Both reject with the same first line of message. */
  sameMessage: number;
  kernelOnly: number;
  simOnly: number;
  readonly groups: Map<string, Group>;
  readonly unsound: number[];
}

/** Runs `runs` programs from `seed` through both verifiers. */
export function runCampaign(kernel: KernelVerdicts, seed: number, runs: number): Campaign {
  const c: Campaign = { total: 0, bothAccept: 0, bothReject: 0, sameMessage: 0, kernelOnly: 0, simOnly: 0, groups: new Map(), unsound: [] };
  for (let s = seed; s < seed + runs; s++) {
    const { insns } = genVerifierProgram(s);
    const k = kernel.verdict(insns);
    const m = simVerdict(insns, kernel.types);
    c.total++;
    if (k.ok && m.ok) { c.bothAccept++; continue; }
    if (!k.ok && !m.ok) {
      c.bothReject++;
      if (k.message === m.message) { c.sameMessage++; continue; }
    } else if (k.ok) {
      c.kernelOnly++;
    } else {
      c.simOnly++;
      c.unsound.push(s);
    }
    const what = k.ok ? `kernel accepts; bpfsim: ${m.message}` : m.ok ? `bpfsim accepts; kernel: ${k.message}` : `kernel: ${k.message} | bpfsim: ${m.message}`;
    const key = what.replace(/-?\d+/g, 'N');
    const g = c.groups.get(key);
    if (g) g.count++;
    else c.groups.set(key, { key, count: 1, seed: s });
  }
  return c;
}

/** The campaign as a table, with the top disagreement groups. */
export function formatCampaign(c: Campaign, top = 15): string {
  const pct = (n: number): string => `${((100 * n) / Math.max(1, c.total)).toFixed(2)}%`;
  const rows = [
    ['both accept', c.bothAccept], ['both reject', c.bothReject], ['  same message', c.sameMessage],
    ['kernel-only accept (bpfsim too strict)', c.kernelOnly], ['bpfsim-only accept (unsound)', c.simOnly],
  ] as const;
  const lines = [`programs: ${c.total}`, ...rows.map(([k, v]) => `${k.padEnd(40)} ${String(v).padStart(7)}  ${pct(v)}`),
    `${'verdict agreement'.padEnd(40)} ${String(c.bothAccept + c.bothReject).padStart(7)}  ${pct(c.bothAccept + c.bothReject)}`];
  const groups = [...c.groups.values()].sort((a, b) => b.count - a.count).slice(0, top);
  if (groups.length) lines.push('', 'disagreements by message (seed of an example):');
  for (const g of groups) lines.push(`${String(g.count).padStart(6)}  ${g.key}  (seed ${g.seed})`);
  return lines.join('\n');
}
