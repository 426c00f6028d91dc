/**
 * What every check needs while one program is verified (the kernel's `bpf_verifier_env`): the
 * program, the options it is verified with, the log, the id generator, the current path's state,
 * which registers and stack slots the current instruction touched (printed after it), the
 * per-instruction facts, and the machinery of pruning: checkpoints, precision backtracking, stack
 * liveness, loops, and the counters that decide when to take a checkpoint.
 */
import { BPF_ALU, BPF_ALU64, BPF_CALL, BPF_DW, BPF_END, BPF_JMP, BPF_JMP32, BPF_PSEUDO_CALL, BPF_STX, type Insn, insnClass,
  insnSize } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import type { ProgramFuncInfo, ProgramLineInfo } from '../vm/backend.js';
import type { Aux } from './aux.js';
import type { ProgramShape } from './cfg.js';
import type { GlobalArg } from './globalArgs.js';
import { IdMap } from './equal.js';
import { Explored } from './explored.js';
import { StackLiveness } from './liveStack.js';
import { Backtrack } from './precision.js';
import { SccVisits } from './scc.js';
import type { CtxAccessTable } from './ctxAccess.js';
import type { HelperProtoSource } from './helperProtos.js';
import type { AttachProto, KernelTypes } from './kernelTypes.js';
import { VerifierLog, fail } from './log.js';
import { type MapInfo, RegState, RegType, markRegKnown, markRegUnknown } from './regState.js';
import type { FuncState, VerifierState } from './state.js';

/** How to verify a program: its type and what it refers to. */
export interface VerifyOptions {
  /** `BPF_PROG_TYPE_*`. */
  readonly progType: number;
  /** `expected_attach_type`. */
  readonly expectedAttachType?: number;
  /** The fd_array: maps the program refers to by index (LD_IMM64 src 5 or 6). */
  readonly maps?: readonly (MapInfo | undefined)[];
  /** 0 (default), 1 or 2. */
  readonly logLevel?: number;
  /** Whether the license is GPL-compatible (default true). */
  readonly gpl?: boolean;
  /** Helper prototypes (default: `defaultHelperProtos()`). */
  readonly helpers?: HelperProtoSource;
  /** Context access rules (default: `ctxAccessTable(progType)`; null: none). */
  readonly ctxAccess?: CtxAccessTable | null;
  /** BTF line info, for source lines in the log and in errors. */
  readonly lineInfo?: readonly ProgramLineInfo[];
  /** Whether the program has BTF func_info (PTR_TO_FUNC needs it). */
  readonly funcInfo?: boolean;
  /** The func_info records with their linkage and prototype: global ones are verified once, against it. */
  readonly funcs?: readonly ProgramFuncInfo[];
  /** The processed-instruction limit (default 1,000,000, as BPF_COMPLEXITY_LIMIT_INSNS). */
  readonly insnLimit?: number;
  /** Possible CPUs (nr_cpu_ids; bpf_get_smp_processor_id returns less), default 2. */
  readonly nrCpus?: number;
  /** The kfuncs the target kernel offers: BTF id to name (kfunc calls and BTF-id loads refer to them). */
  readonly kfuncs?: ReadonlyMap<number, string>;
  /** The target kernel's types: PTR_TO_BTF_ID loads, map pointer field loads and tracing contexts need them. */
  readonly kernelTypes?: KernelTypes;
  /** `attach_btf_id`: the function or tracepoint a tracing program attaches to, in the target kernel's BTF. */
  readonly attachBtfId?: number;
}

/** is_reg64 for a source register: whether instruction `ins` reads all 64 bits of `r` (32-bit ALU and JMP32 do not, nor a narrow store of a scalar). */
function readsAs64(ins: Insn, r: RegState): boolean {
  const cls = insnClass(ins.code);
  const op = ins.code & 0xf0;
  if (cls === BPF_JMP && op === BPF_CALL) return ins.src !== BPF_PSEUDO_CALL;
  if (cls === BPF_ALU64 && op === BPF_END) return ins.imm !== 16 && ins.imm !== 32;
  if (cls === BPF_ALU) return op === BPF_END && ins.imm === 64;
  if (cls === BPF_JMP32) return false;
  if (cls === BPF_STX) return r.type !== RegType.SCALAR || insnSize(ins.code) === BPF_DW;
  return true;
}

/** check_reg_arg's kinds: a source read, a destination write that marks it unknown, or one that does not. */
export const SRC_OP = 0;
/** A destination the instruction writes (marked unknown first). */
export const DST_OP = 1;
/** A destination the instruction sets itself. */
export const DST_OP_NO_MARK = 2;

/** The verification of one program in progress. */
export class Env {
  /** The program. */
  readonly insns: readonly Insn[];
  /** Its options. */
  readonly opts: VerifyOptions;
  /** The log. */
  readonly log: VerifierLog;
  /** Subprograms and prune points. */
  readonly shape: ProgramShape;
  /** Helper prototypes. */
  readonly helpers: HelperProtoSource;
  /** Context access rules, if bpfsim has them for this program type. */
  readonly ctx: CtxAccessTable | undefined;
  /** Last id handed out (env->id_gen). */
  idGen = 0;
  /** The current path's state. */
  st!: VerifierState;
  /** The instruction being verified. */
  insnIdx = 0;
  /** Registers of the current frame the instruction touched (bit i: ri). */
  scratchRegs = 0;
  /** Stack slots of the current frame the instruction touched. */
  readonly scratchSlots = new Set<number>();
  /** Deepest stack use of each subprogram (bytes). */
  readonly stackDepth: number[];
  /** Registers live before each instruction. */
  live: Uint16Array = new Uint16Array(0);
  /** Per-instruction facts. */
  readonly aux: Aux;
  /** Instructions processed (env->insn_processed). */
  insnProcessed = 0;
  /** Which instructions some path reached (insn_aux_data.seen); dead-code removal keeps only these. */
  readonly seen: Uint8Array;
  /** 32-bit cmpxchg instructions whose result a path read as 64 bits (the kernel's zext_dst): one zero extension inserted after each. */
  readonly zextCmpxchg: Uint8Array;
  /** bpf_loop calls by instruction: whether every visit passed flags 0 and the same callback (loop_inline_state), and that callback. */
  readonly loopInline = new Map<number, { fit: boolean; callback: number }>();
  /** Helper calls taking a map, by instruction: the map every visit passed, null when visits differ (map_ptr_state). */
  readonly callMaps = new Map<number, MapInfo | null>();
  /** Tail calls by instruction: the index every visit passed, null when unknown or different (map_key_state). */
  readonly tailCallKeys = new Map<number, bigint | null>();
  /** Jump-class instructions processed (env->jmps_processed). */
  jmpsProcessed = 0;
  /** insnProcessed when the last checkpoint was taken. */
  prevInsnProcessed = 0;
  /** jmpsProcessed when the last checkpoint was taken. */
  prevJmpsProcessed = 0;
  /** The instruction processed before the current one on this path. */
  prevInsnIdx = -1;
  /** Index in the current path's history of the current instruction's entry, -1 if none. */
  curHistIdx = -1;
  /** The register a store writes to memory, -1 for an immediate or a helper's write (value_regno). */
  storeRegno = -1;
  /** Registers and slots still to be marked precise. */
  readonly bt = new Backtrack();
  /** Scratch registers for immediate operands (constReg). */
  readonly fakeRegs: readonly RegState[] = [new RegState(), new RegState(), new RegState()];
  /** Scratch id map for state comparisons. */
  readonly idmap = new IdMap();
  /** Stack slot liveness. */
  readonly liveness: StackLiveness;
  /** Loop visits. */
  readonly scc: SccVisits;
  /** Checkpoints. */
  readonly explored: Explored;
  /** Which subprograms are global (BTF linkage), verified apart from their callers. */
  readonly globalSubprogs: Uint8Array;
  /** Which global subprograms a verified path called (subprog_aux->called). */
  readonly calledGlobals: Uint8Array;
  /** Subprograms whose BTF a call found not to match (func_info_aux->unreliable): no longer checked. */
  readonly unreliableBtf: Uint8Array;
  /** The arguments of each subprogram, once its prototype was accepted. */
  readonly globalArgs = new Map<number, readonly GlobalArg[]>();
  private readonly funcBySubprog: (ProgramFuncInfo | undefined)[];
  /** Loads through a PTR_TO_BTF_ID, which run as PROBE_MEM loads (the kernel's convert_ctx_accesses rewrites them). */
  readonly probeLoads = new Set<number>();
  /** A tracing program's attach target (attach_func_proto), found before the walk. */
  attach: AttachProto | undefined = undefined;

  constructor(insns: readonly Insn[], opts: VerifyOptions, shape: ProgramShape, helpers: HelperProtoSource, ctx: CtxAccessTable | undefined, aux: Aux) {
    this.insns = insns;
    this.opts = opts;
    this.log = new VerifierLog(opts.logLevel ?? 0);
    this.shape = shape;
    this.helpers = helpers;
    this.ctx = ctx;
    this.aux = aux;
    this.stackDepth = new Array<number>(shape.subprogs.length).fill(0);
    this.seen = new Uint8Array(insns.length);
    this.zextCmpxchg = new Uint8Array(insns.length);
    this.funcBySubprog = shape.subprogs.map((start) => opts.funcs?.find((f) => f.insn === start));
    this.globalSubprogs = Uint8Array.from(this.funcBySubprog, (f, sp) => (sp > 0 && f?.linkage === 'global' ? 1 : 0));
    this.calledGlobals = new Uint8Array(shape.subprogs.length);
    this.unreliableBtf = new Uint8Array(shape.subprogs.length);
    this.liveness = new StackLiveness(this);
    this.scc = new SccVisits(this);
    this.explored = new Explored(this);
  }

  /** Whether subprogram `sp` is global (verified once against its BTF signature). */
  isGlobalSubprog(sp: number): boolean {
    return this.globalSubprogs[sp] === 1;
  }

  /** The func_info record of subprogram `sp`, if the program has BTF. */
  funcAt(sp: number): ProgramFuncInfo | undefined {
    return this.funcBySubprog[sp];
  }

  /** Subprogram `sp`'s name (subprog_name): its BTF FUNC's. */
  subprogName(sp: number): string {
    return this.funcBySubprog[sp]?.name ?? '';
  }

  /** The current frame. */
  get frame(): FuncState {
    return this.st.cur;
  }

  /** Register `regno` of the current frame. */
  reg(regno: number): RegState {
    return this.st.cur.regs[regno]!;
  }

  /** check_reg_arg: a register read must be initialised; r10 cannot be written. */
  checkRegArg(regno: number, kind: number): RegState {
    if (regno >= 11) fail(ERRNO.EINVAL, `R${regno} is invalid`);
    this.scratchRegs |= 1 << regno;
    const r = this.reg(regno);
    if (kind === SRC_OP) {
      if (r.type === RegType.NOT_INIT) fail(ERRNO.EACCES, `R${regno} !read_ok`);
      if (r.subregDef !== 0 && readsAs64(this.insns[this.insnIdx]!, r)) {
        this.zextCmpxchg[r.subregDef - 1] = 1;
        r.subregDef = 0;
      }
      return r;
    }
    if (regno === 10) fail(ERRNO.EACCES, 'frame pointer is read only');
    r.subregDef = 0;
    if (kind === DST_OP) markRegUnknown(r);
    return r;
  }

  /** Registers live before instruction `i` (bit j: rj). */
  liveAt(i: number): number {
    return this.live[i] ?? 0xffff;
  }

  /** A fresh id (++env->id_gen). */
  newId(): number {
    return ++this.idGen;
  }

  /** Records that stack slot `spi` of the current frame was touched. */
  scratchSlot(f: FuncState, spi: number): void {
    if (f === this.st.cur) this.scratchSlots.add(spi);
  }

  /** Records a frame's stack use. */
  growStack(f: FuncState, bytes: number): void {
    f.grow(bytes);
    if (f.allocatedStack > this.stackDepth[f.subprog]!) this.stackDepth[f.subprog] = f.allocatedStack;
  }
}

/**
 * Scratch register `i` (0..2) of `env`, set to a constant: an instruction's immediate operand as a
 * register (the kernel's fake_reg), reused by every instruction so that none allocates one.
 */
export function constReg(env: Env, i: number, hi: number, lo: number): RegState {
  const r = markRegKnown(env.fakeRegs[i]!, hi, lo);
  r.precise = false;
  return r;
}

/** The map behind fd_array index `idx` (checked to exist by the structure pass). */
export function mapAt(env: Env, idx: number): MapInfo {
  return env.opts.maps![idx]!;
}
