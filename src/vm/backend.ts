import type { ClonedPacket } from '../helpers/packet.js';
import type { Insn } from '../isa/index.js';
import type { MapSpec } from '../maps/spec.js';
import type { RedirectOutcome } from './progtypes/types.js';

/**
 * A map on a backend, with the userspace view of `bpf()`: keys and values as bytes, the kernel's
 * flags, and failures as `ErrnoError`s carrying the kernel's errno. Per-CPU values are
 * `round_up(valueSize, 8) * ncpus` bytes, CPU 0 first, as the kernel returns them.
 */
export interface BackendMap {
  /** What the map was created with. */
  readonly spec: MapSpec;
  /** The value for `key` (null for queue/stack peek), or undefined when there is none (ENOENT). */
  lookup(key: Uint8Array | null, flags?: number): Uint8Array | undefined;
  /** Creates or replaces an element (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`). */
  update(key: Uint8Array | null, value: Uint8Array, flags?: number): void;
  /** Deletes an element; ENOENT when it does not exist. */
  delete(key: Uint8Array | null): void;
  /** The key after `key` in iteration order (the first key for undefined), or undefined at the end. */
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined;
  /** Returns and removes an element (pop for queue/stack, with a null key). */
  lookupAndDelete(key: Uint8Array | null, flags?: number): Uint8Array | undefined;
  /** Makes the map read-only for userspace (`BPF_MAP_FREEZE`). */
  freeze(): void;
  /** Releases the map. */
  close(): void;
}

/** A BTF FUNC's linkage: `static`, a global definition, or an extern declaration. */
export type FuncLinkage = 'static' | 'global' | 'extern';

/** What a pointer parameter points to, as BTF says (modifiers skipped). */
export interface FuncPointee {
  /** The BTF kind name as the kernel prints it (`STRUCT`, `INT`, `UNKNOWN` for void, …). */
  readonly kind: string;
  /** The type's name ('' when anonymous). */
  readonly name: string;
  /** Its size in bytes, or undefined when it has none (void, a forward declaration, a function). */
  readonly size?: number;
}

/** One parameter of a function, as its BTF declares it, in terms the verifier understands. */
export interface FuncParam {
  /** `scalar` (an integer or enum), `pointer`, or `other` (a struct by value, a float, …). */
  readonly kind: 'scalar' | 'pointer' | 'other';
  /** The BTF kind name of the type (modifiers skipped), for messages. */
  readonly btfKind: string;
  /** For a pointer: what it points to. */
  readonly pointee?: FuncPointee;
  /** The parameter's `arg:` declaration tags, without the prefix (`ctx`, `nonnull`, …), in BTF order. */
  readonly tags: readonly string[];
}

/** A function's BTF prototype: its parameters and whether it returns a scalar (an integer or enum). */
export interface FuncSignature {
  /** The parameters, in order. */
  readonly params: readonly FuncParam[];
  /** Whether the return type is an integer or an enum (void and pointers are not). */
  readonly returnsScalar: boolean;
}

/** A function of a program (BTF `func_info`): where it starts and its BTF FUNC. */
export interface ProgramFuncInfo {
  /** Slot index of the function's first instruction. */
  readonly insn: number;
  /** Its BTF FUNC type id in `ProgramBtf.raw`. */
  readonly typeId: number;
  /** The function's name. */
  readonly name: string;
  /** The FUNC's linkage (absent: treated as static). */
  readonly linkage?: FuncLinkage;
  /** Its prototype, when the FUNC's BTF has a FUNC_PROTO. */
  readonly signature?: FuncSignature;
}

/** A source line of a program (BTF `line_info`): the C line an instruction comes from. */
export interface ProgramLineInfo {
  /** Slot index of the first instruction of the line. */
  readonly insn: number;
  /** Source file name. */
  readonly fileName: string;
  /** Line number (1-based). */
  readonly line: number;
  /** Column (1-based; 0 when unknown). */
  readonly col: number;
  /** The text of the line. */
  readonly source: string;
  /** Offset of the file name in `ProgramBtf.raw`'s string section (the kernel's `file_name_off`). */
  readonly fileNameOff: number;
  /** Offset of the line's text in `ProgramBtf.raw`'s string section (the kernel's `line_off`). */
  readonly lineOff: number;
}

/** A program's BTF as `BPF_PROG_LOAD` takes it: `prog_btf_fd`, `func_info` and `line_info`. */
export interface ProgramBtf {
  /**
   * The object's BTF blob, fixed up for the kernel (`BPF_BTF_LOAD` input). Every program of one
   * collection shares the same Uint8Array, so a backend can load it once per collection.
   */
  readonly raw: Uint8Array;
  /** One record per function, the program's own first (the kernel needs them for global subprograms). */
  readonly funcInfo: readonly ProgramFuncInfo[];
  /** Source lines, sorted by instruction. */
  readonly lineInfo: readonly ProgramLineInfo[];
}

/** What to load: `BPF_PROG_LOAD`'s fields, backend-neutral. */
export interface ProgramLoadSpec {
  /** Program type, a `BPF_PROG_TYPE_*` value. */
  readonly type: number;
  /** The instruction slots. Maps are referenced by index into `maps` (LD_IMM64 src 5 or 6). */
  readonly insns: readonly Insn[];
  /** Name (the kernel keeps 15 characters). */
  readonly name?: string;
  /** License string (default `GPL`). */
  readonly license?: string;
  /** `expected_attach_type`, a `BPF_*` attach type. */
  readonly expectedAttachType?: number;
  /** `prog_flags` (`BPF_F_XDP_HAS_FRAGS`, `BPF_F_SLEEPABLE`, …). */
  readonly flags?: number;
  /** The `fd_array`: maps the program references by index. */
  readonly maps?: readonly BackendMap[];
  /** Verifier log level (0 none, 1, 2; 4 stats). */
  readonly logLevel?: number;
  /** BTF, func_info and line_info (`prog_btf_fd`, `func_info`, `line_info`). */
  readonly btf?: ProgramBtf;
  /** `attach_btf_id`: the kernel BTF type a tracing, LSM or iterator program attaches to. */
  readonly attachBtfId?: number;
  /** `kern_version` (from the object's `version` section). */
  readonly kernVersion?: number;
}

/** Options of a test run, after `BPF_PROG_TEST_RUN`. */
export interface TestRunOptions {
  /** Packet or input data (`data_in`). */
  readonly data?: Uint8Array;
  /** Context in (`ctx_in`): the fields a test may set, the rest zero. */
  readonly ctx?: Uint8Array;
  /** Runs to average over (`repeat`, default 1). */
  readonly repeat?: number;
  /** Room for data out in bytes (default: data length + 4096). */
  readonly dataSizeOut?: number;
  /** Room for the context out in bytes (default: the context's size when `ctx` is given, else 0). */
  readonly ctxSizeOut?: number;
  /** `flags` (`BPF_F_TEST_RUN_ON_CPU`, `BPF_F_TEST_XDP_LIVE_FRAMES`, …). */
  readonly flags?: number;
  /** CPU to run on, with `BPF_F_TEST_RUN_ON_CPU`. */
  readonly cpu?: number;
  /**
   * CPU the run happens on, for program types without `BPF_F_TEST_RUN_ON_CPU`: the kernel backend
   * pins the calling thread there for the call, so per-CPU map updates land in that CPU's slice
   * (default: wherever the thread runs; the simulator's CPU 0).
   */
  readonly pinCpu?: number;
}

/** What a test run returns. */
export interface TestRunResult {
  /** The program's return value, as the kernel reports it (u32). */
  readonly retval: number;
  /** Data out: the packet as the program left it. */
  readonly data: Uint8Array;
  /** Context out. */
  readonly ctx: Uint8Array;
  /** Mean nanoseconds per run as the backend measured it. */
  readonly durationNs: number;
  /** Instructions executed by the last run, when the engine counts them (the kernel does not). */
  readonly insns?: number;
  /** Where a redirect verdict (XDP_TX, XDP_REDIRECT, TC_ACT_REDIRECT) sends the packet (simulator only). */
  readonly redirect?: RedirectOutcome;
  /** Copies `bpf_clone_redirect` sent during the last run (simulator only). */
  readonly clones?: readonly ClonedPacket[];
}

/** A program loaded on a backend. */
export interface BackendProgram {
  /** The program type it was loaded as. */
  readonly type: number;
  /** The name it was loaded with. */
  readonly name: string;
  /** Runs it once or `repeat` times on the given input (`BPF_PROG_TEST_RUN`). */
  testRun(opts?: TestRunOptions): TestRunResult;
  /** Releases it. */
  close(): void;
}

/** The outcome of a program load that the verifier accepted. */
export interface LoadResult {
  /** The loaded program. */
  readonly program: BackendProgram;
  /** The verifier log at the requested level ('' at level 0). */
  readonly log: string;
  /** Instructions the verifier processed, when the backend reports it. */
  readonly verifiedInsns?: number;
}

/**
 * A place where programs and maps live (DESIGN.md invariant 3): the simulated kernel (`Machine`)
 * or the real one (`KernelBackend`). Programs, maps and test runs look the same on each, so a
 * test can run on both and compare.
 */
export interface Backend {
  /** `sim` or `kernel`. */
  readonly name: string;
  /** Number of possible CPUs (per-CPU map values have this many slices). */
  readonly ncpus: number;
  /** Creates a map (`BPF_MAP_CREATE`). */
  createMap(spec: MapSpec): BackendMap;
  /** Loads a program (`BPF_PROG_LOAD`); throws an error carrying the verifier log when refused. */
  loadProgram(spec: ProgramLoadSpec): LoadResult;
  /** Releases everything created through this backend. */
  close(): void;
}
