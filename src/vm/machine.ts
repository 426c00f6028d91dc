import { Arena } from '../arena/index.js';
import { defaultHelpers } from '../helpers/index.js';
import { MapRegistry } from '../maps/index.js';
import type { BpfMap, FdObject, MapEnv, MapSpec, NetDevice } from '../maps/index.js';
import { SimTask, TimerQueue } from '../helpers/index.js';
import type { AttachPoint, DeferredCall, HelperEnv, HelperTable, KfuncDef, TaskSpec } from '../helpers/index.js';
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from '../isa/index.js';
import { VirtualClock } from './clock.js';
import { deferredCall } from './deferred.js';
import type { Engine, ProgramImage } from './engine.js';
import { FdTable } from './fdTable.js';
import { interpreter } from './interpEngine.js';
import { Prng } from './prng.js';
import { Program } from './program.js';
import type { ProgramSpec } from './program.js';
import type { ProgTypeRunner } from './progtypes/types.js';
import { MachineNet } from './net/machineNet.js';
import type { SimDeviceLike } from './net/machineNet.js';
import { progTypeRunners } from './progtypes/registry.js';
import type { KernelTypes } from '../verifier/index.js';

/** A network device of the simulated kernel, as test runs, device maps and packet helpers see it. */
export interface SimDevice extends NetDevice, SimDeviceLike {
  /** Interface name, e.g. `lo`. */
  readonly name: string;
  /** Number of RX queues (`real_num_rx_queues`). */
  readonly rxQueues: number;
}

/** Unmapped bytes below each stack frame. */
const STACK_GAP = 64;

/** Options for a new Machine. */
export interface MachineOptions {
  /** Number of simulated CPUs (default 2). */
  readonly cpus?: number;
  /** Upper bound of the memory arena in bytes (default 256 MiB). */
  readonly memoryLimit?: number;
  /** Seed of the pseudo-random generator (default 1). */
  readonly seed?: number;
  /** Helper table (default: every helper bpfsim implements). */
  readonly helpers?: HelperTable;
  /** Start of the virtual clock in ns. */
  readonly clockStartNs?: bigint;
  /** Kernel functions programs may call, by their BTF id in the target BTF (see `createMachine`). */
  readonly kfuncs?: ReadonlyMap<number, KfuncDef>;
  /** The target BTF's types, as the verifier types kernel pointers with them (see `createMachine`). */
  readonly kernelTypes?: KernelTypes;
  /** Extra engines beside the interpreter, e.g. the WebAssembly JIT. */
  readonly engines?: readonly Engine<Machine>[];
  /** The simulated current task (default: pid = tgid = 1000, uid = gid = 0, comm `bpfsim`). */
  readonly task?: TaskSpec;
}

/**
 * A simulated kernel instance: one memory arena (DESIGN.md invariant 1), N CPUs each with its own
 * BPF stack, a virtual clock, a seeded PRNG, a helper table and the programs loaded into it.
 * Nothing is global: two Machines share nothing.
 */
export class Machine implements HelperEnv, MapEnv {
  /** The memory every BPF pointer points into. */
  readonly arena: Arena;
  /** Number of simulated CPUs. */
  readonly cpus: number;
  /** The virtual clock. */
  readonly clock: VirtualClock;
  /** The seeded generator behind `bpf_get_prandom_u32`. */
  readonly prng: Prng;
  /** The helpers programs on this machine can call. */
  readonly helpers: HelperTable;
  /** The kfuncs programs on this machine can call, by BTF id. */
  readonly kfuncs: ReadonlyMap<number, KfuncDef>;
  /** The target BTF's types for the verifier, if the machine has a target BTF. */
  readonly kernelTypes: KernelTypes | undefined;
  /** Lines written by `bpf_trace_printk` and friends, oldest first. */
  readonly traceLog: string[] = [];
  /** Engines by name; `interp` is always present. */
  readonly engines = new Map<string, Engine<Machine>>();
  /** Network devices by ifindex, as test runs (and later the network simulator) see them; 1 is `lo`. */
  readonly devices = new Map<number, SimDevice>([[1, { ifindex: 1, name: 'lo', rxQueues: 1 }]]);
  /** The simulated process's file descriptors (maps, programs, sockets). */
  readonly fds = new FdTable();
  /** The maps of this machine. */
  readonly maps: MapRegistry;
  /** The simulated current task (HelperEnv): what `bpf_get_current_*` and `bpf_probe_read_user` see. */
  readonly task: SimTask;
  /** Where tracing programs are attached (HelperEnv): `bpf_get_func_ip` and `bpf_get_attach_cookie`. */
  readonly attach: AttachPoint = { funcIp: 0n, cookie: 0n };
  /** The BPF timers armed on this machine (HelperEnv); `advanceTime` fires them. */
  readonly timers: TimerQueue;
  private nextProgId = 1;
  /** How to test-run each program type, by `BPF_PROG_TYPE_*`. */
  readonly progTypes = new Map<number, ProgTypeRunner>();
  /** Routes, neighbours, sockets, redirect state and the contexts of runs in progress (packet helpers' `NetEnv`). */
  readonly net: MachineNet;
  private readonly stackTops: Int32Array[] = [];

  constructor(opts: MachineOptions = {}) {
    this.cpus = Math.max(1, opts.cpus ?? 2);
    this.arena = new Arena({ limit: opts.memoryLimit ?? 256 * 1024 * 1024 });
    this.clock = new VirtualClock(opts.clockStartNs);
    this.prng = new Prng(opts.seed ?? 1);
    this.helpers = opts.helpers ?? defaultHelpers();
    this.kfuncs = opts.kfuncs ?? new Map();
    this.kernelTypes = opts.kernelTypes;
    this.maps = new MapRegistry(this);
    this.task = new SimTask(this.arena, opts.task);
    this.timers = new TimerQueue(this.arena);
    this.engines.set(interpreter.name, interpreter);
    for (const e of opts.engines ?? []) this.engines.set(e.name, e);
    this.net = new MachineNet(this.arena, (i) => this.devices.get(i), (a) => this.maps.byAddress(a), new Prng((opts.seed ?? 1) ^ 0x5bd1e995).nextU32());
    for (const r of progTypeRunners(this, (i) => this.devices.get(i))) this.progTypes.set(r.type, r);
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const tops = new Int32Array(MAX_CALL_FRAMES);
      // Each frame has an unmapped gap below it, so that checked mode catches a run past the
      // bottom of a frame instead of landing in the neighbouring one.
      for (let f = 0; f < MAX_CALL_FRAMES; f++) {
        const name = `stack[cpu${cpu}/frame${f}]`;
        const block = this.arena.alloc(STACK_GAP + MAX_BPF_STACK, 'stack', name, { align: 16, mapped: false });
        const r = this.arena.map(block.start + STACK_GAP, MAX_BPF_STACK, 'stack', name);
        tops[f] = r.start + MAX_BPF_STACK;
      }
      this.stackTops.push(tops);
    }
  }

  /** r10 of each call depth on `cpu`. */
  frameTops(cpu: number): Int32Array {
    const t = this.stackTops[cpu];
    if (!t) throw new RangeError(`cpu ${cpu} does not exist: this machine has ${this.cpus} CPUs`);
    return t;
  }

  /** The engine with this name; throws with the list of engines when there is none. */
  engine(name: string): Engine<Machine> {
    const e = this.engines.get(name);
    if (!e) throw new RangeError(`unknown engine '${name}': this machine has ${[...this.engines.keys()].join(', ')}`);
    return e;
  }

  /** Validates a program and makes it runnable on this machine. */
  loadProgram(spec: ProgramSpec): Program {
    return new Program(this, spec, this.nextProgId++);
  }

  /** Creates a map (`BPF_MAP_CREATE`) and opens a descriptor for it; throws ErrnoError like the kernel. */
  createMap(spec: MapSpec): BpfMap {
    const map = this.maps.create(spec);
    map.fd = this.fds.open({ kind: 'map', map });
    map.onFree(() => this.fds.close(map.fd));
    return map;
  }

  /** Possible CPUs (MapEnv): per-CPU maps keep this many copies. */
  get ncpus(): number {
    return this.cpus;
  }

  /** What a userspace fd refers to (MapEnv); a closed map's descriptor is gone, as on Linux. */
  resolveFd(fd: number): FdObject | undefined {
    const obj = this.fds.get(fd);
    if (obj?.kind === 'map' && obj.map.closed) {
      this.fds.close(fd);
      return undefined;
    }
    return obj;
  }

  /** The device with this ifindex (MapEnv). */
  deviceByIfindex(ifindex: number): SimDevice | undefined {
    return this.devices.get(ifindex);
  }

  /**
   * Moves the virtual clock forward by `ns`, firing the BPF timers that fall due on the way, each
   * at its expiry time, in expiry order (callbacks may arm timers that are due in the same span).
   */
  advanceTime(ns: bigint | number): void {
    const target = this.clock.peek() + BigInt(ns);
    for (let t = this.timers.next(); t !== undefined && t <= target; t = this.timers.next()) {
      if (t > this.clock.peek()) this.clock.advance(t - this.clock.peek());
      this.timers.fireDue(this.clock.peek());
    }
    if (target > this.clock.peek()) this.clock.advance(target - this.clock.peek());
  }

  /** A BPF function of `image` to run later on `engine` (engines give it to helpers as `HelperCall.defer`). */
  deferCall(image: ProgramImage, fn: number, engine: string, checked: boolean, cpu: number): DeferredCall {
    return deferredCall(this, image, fn, engine, checked, cpu);
  }

  /** Current virtual time in ns (HelperEnv). */
  nowNs(): bigint {
    return this.clock.now();
  }

  /** Next pseudo-random value (HelperEnv). */
  randomU32(): number {
    return this.prng.nextU32();
  }

  /** Appends a trace line (HelperEnv). */
  trace(line: string): void {
    this.traceLog.push(line);
  }
}
