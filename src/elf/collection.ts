/*
 * loadCollection: a CollectionSpec (or object bytes) loaded on a Backend, as libbpf's
 * bpf_object__load and cilium/ebpf's NewCollection do: create the maps, write global data and
 * kconfig values and freeze `.rodata`/`.kconfig` (so the verifier sees constants), fill
 * map-in-map slots, load each program (CO-RE, externs and map references resolved against the
 * target), then fill PROG_ARRAY slots. Everything is released by `close()`, or on failure.
 */
import type { Backend, BackendMap, BackendProgram, LoadResult, ProgramLoadSpec, TestRunOptions, TestRunResult } from '../vm/backend.js';
import { BpfError } from '../errors.js';
import type { Btf } from './btf/btf.js';
import { encodeBtf } from './btf/encode.js';
import { simKernelBtf } from './btf/simKernel.js';
import type { CoreOutcome } from './core/relocate.js';
import { LoadError } from './errors.js';
import { kconfigValue, type KconfigValue } from './kconfig.js';
import { loadCollectionSpec, type CollectionSpecOptions } from './loadSpec.js';
import { prepareProgram, type ResolveContext } from './resolve.js';
import type { CollectionMapSpec, CollectionSpec } from './spec.js';
import { vmlinuxBtf } from './vmlinux.js';

/** Options of `loadCollection` (and `createMaps`). */
export interface CollectionOptions extends CollectionSpecOptions {
  /** Where to load. */
  readonly backend: Backend;
  /** Target BTF for CO-RE, kfuncs and ksyms (default: /sys/kernel/btf/vmlinux on the kernel backend, bpfsim's own BTF elsewhere). */
  readonly targetBtf?: Btf;
  /** Kconfig values over the simulated kernel's (`SIM_KCONFIG`). */
  readonly kconfig?: Readonly<Record<string, KconfigValue>>;
  /** Addresses of typeless kernel symbols. */
  readonly kallsyms?: Readonly<Record<string, bigint>>;
  /** Verifier log level of every program load (default 0). */
  readonly logLevel?: number;
  /** Load only these programs (default: all). */
  readonly programs?: readonly string[];
}

/** A program of a loaded collection: the backend's program with its load outcome. */
export class CollectionProgram implements BackendProgram {
  /** The program as the backend loaded it. */
  readonly program: BackendProgram;
  /** What was loaded (instructions with every relocation applied). */
  readonly loadSpec: ProgramLoadSpec;
  /** The verifier log at the requested level. */
  readonly log: string;
  /** Instructions the verifier processed, when the backend reports it. */
  readonly verifiedInsns: number | undefined;
  /** How the CO-RE relocations resolved. */
  readonly core: readonly CoreOutcome[];

  constructor(result: LoadResult, loadSpec: ProgramLoadSpec, core: readonly CoreOutcome[]) {
    this.program = result.program;
    this.loadSpec = loadSpec;
    this.log = result.log;
    this.verifiedInsns = result.verifiedInsns;
    this.core = core;
  }

  /** The program type. */
  get type(): number {
    return this.program.type;
  }

  /** The name it was loaded with. */
  get name(): string {
    return this.program.name;
  }

  /** Runs it (`BPF_PROG_TEST_RUN`). */
  testRun(opts?: TestRunOptions): TestRunResult {
    return this.program.testRun(opts);
  }

  /** Releases it. */
  close(): void {
    this.program.close();
  }
}

/** A loaded collection: programs and maps by name. */
export class Collection {
  /** Programs by name. */
  readonly programs: Readonly<Record<string, CollectionProgram>>;
  /** Maps by name (`.rodata`, `.bss`, … for global data). */
  readonly maps: Readonly<Record<string, BackendMap>>;
  /** The spec it was loaded from. */
  readonly spec: CollectionSpec;

  constructor(spec: CollectionSpec, programs: Record<string, CollectionProgram>, maps: Record<string, BackendMap>) {
    this.spec = spec;
    this.programs = programs;
    this.maps = maps;
  }

  /** The program `name`; a LoadError naming the ones there are if it is not in the collection. */
  program(name: string): CollectionProgram {
    const p = this.programs[name];
    if (!p) throw new LoadError(name, `no such program (loaded: ${Object.keys(this.programs).join(', ') || 'none'})`);
    return p;
  }

  /** The map `name`; a LoadError naming the ones there are if it is not in the collection. */
  map(name: string): BackendMap {
    const m = this.maps[name];
    if (!m) throw new LoadError(name, `no such map (the collection has: ${Object.keys(this.maps).join(', ') || 'none'})`);
    return m;
  }

  /** Releases every program and map. */
  close(): void {
    closeAll([...Object.values(this.programs), ...Object.values(this.maps)]);
  }
}

function closeAll(objs: readonly { close(): void }[]): void {
  for (const o of objs) {
    try {
      o.close();
    } catch {
      // Releasing the rest matters more than the first failure to release.
    }
  }
}

/** The descriptor a backend object is stored under in PROG_ARRAY and map-in-map values, as bpf() takes it. */
function descriptor(obj: BackendProgram | BackendMap, what: string): number {
  const fd = (obj as { fd?: unknown }).fd;
  if (typeof fd === 'number') return fd;
  const raw = (fd as { raw?: unknown } | undefined)?.raw;
  if (typeof raw === 'number') return raw;
  throw new LoadError(what, 'this backend does not expose descriptors to store programs or maps in maps (an `fd` property)');
}

function u32(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n]).buffer);
}

/** What resolving the programs of `spec` needs: the target BTF, the maps, the object's BTF encoded once. */
function resolveContext(spec: CollectionSpec, maps: Record<string, BackendMap>, opts: CollectionOptions): ResolveContext {
  const btfRaw = spec.btf && encodeBtf(spec.btf).bytes;
  return {
    maps,
    target: opts.targetBtf ?? (opts.backend.name === 'kernel' ? vmlinuxBtf() : simKernelBtf()),
    ...(opts.kallsyms ? { kallsyms: opts.kallsyms } : {}),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
    ...(btfRaw ? { btfRaw } : {}),
  };
}

function wrap(what: string, e: unknown): BpfError {
  if (e instanceof LoadError) return e;
  const log = (e as { log?: unknown }).log;
  const message = e instanceof Error ? e.message : String(e);
  return new LoadError(what, message, { cause: e, ...(typeof log === 'string' ? { log } : {}) });
}

/**
 * Creates a collection's maps on a backend and writes their data contents (global data, kconfig)
 * and map-in-map slots; `.rodata` and `.kconfig` are frozen. PROG_ARRAY slots are left to the
 * caller (they need the programs).
 */
export function createMaps(spec: CollectionSpec, opts: CollectionOptions): Record<string, BackendMap> {
  const maps: Record<string, BackendMap> = {};
  try {
    for (const m of Object.values(spec.maps)) {
      try {
        maps[m.name] = opts.backend.createMap(m.spec);
      } catch (e) {
        throw wrap(`map '${m.name}'`, e);
      }
    }
    for (const m of Object.values(spec.maps)) writeContents(spec, m, maps, opts);
    return maps;
  } catch (e) {
    closeAll(Object.values(maps));
    throw e;
  }
}

function writeContents(spec: CollectionSpec, m: CollectionMapSpec, maps: Record<string, BackendMap>, opts: CollectionOptions): void {
  const map = maps[m.name]!;
  try {
    if (m.origin === 'kconfig') map.update(new Uint8Array(4), kconfigValue(spec.kconfig, m.spec.valueSize, opts.kconfig));
    for (const c of m.contents) {
      if ('value' in c) map.update(c.key, c.value);
      else if ('map' in c) {
        const inner = maps[c.map];
        if (!inner) throw new LoadError(`map '${m.name}'`, `slot refers to map '${c.map}', which is not in the collection`);
        map.update(c.key, u32(descriptor(inner, `map '${m.name}'`)));
      }
    }
    if (m.freeze) map.freeze();
  } catch (e) {
    throw wrap(`map '${m.name}'`, e);
  }
}

/**
 * Loads a BPF object (bytes, or a spec from `loadCollectionSpec`, possibly edited) on a backend:
 * its maps with their initial contents, then its programs. Throws a LoadError naming the program
 * (with the verifier log) or map that failed, after releasing what it had created.
 */
export function loadCollection(input: Uint8Array | CollectionSpec, opts: CollectionOptions): Collection {
  const spec = input instanceof Uint8Array ? loadCollectionSpec(input, opts) : input;
  const names = opts.programs ?? Object.keys(spec.programs);
  const maps = createMaps(spec, opts);
  const programs: Record<string, CollectionProgram> = {};
  try {
    const ctx = resolveContext(spec, maps, opts);
    for (const name of names) {
      const prepared = prepareProgram(spec, name, ctx);
      let result: LoadResult;
      try {
        result = opts.backend.loadProgram(prepared.loadSpec);
      } catch (e) {
        throw wrap(name, e);
      }
      programs[name] = new CollectionProgram(result, prepared.loadSpec, prepared.core);
    }
    for (const m of Object.values(spec.maps)) {
      for (const c of m.contents) {
        if (!('program' in c)) continue;
        const prog = programs[c.program];
        if (!prog) continue;
        try {
          maps[m.name]!.update(c.key, u32(descriptor(prog.program, `map '${m.name}'`)));
        } catch (e) {
          throw wrap(`map '${m.name}'`, e);
        }
      }
    }
  } catch (e) {
    closeAll([...Object.values(programs), ...Object.values(maps)]);
    throw e;
  }
  return new Collection(spec, programs, maps);
}

/** A program's ProgramLoadSpec with the maps it refers to, created on a backend but not loaded. */
export interface PreparedLoad {
  /** What to pass to `backend.loadProgram` (or to a verifier). */
  readonly loadSpec: ProgramLoadSpec;
  /** Every map of the collection, created with its initial contents; close them when done. */
  readonly maps: Record<string, BackendMap>;
  /** How the program's CO-RE relocations resolved. */
  readonly core: readonly CoreOutcome[];
  /** The collection spec. */
  readonly spec: CollectionSpec;
}

/**
 * Creates a collection's maps on `opts.backend` and prepares program `name` for loading, without
 * loading it: for `bpfsim run FILE.o --prog NAME` and `bpfsim verify`, which load it themselves.
 */
export function prepareLoad(input: Uint8Array | CollectionSpec, name: string, opts: CollectionOptions): PreparedLoad {
  const spec = input instanceof Uint8Array ? loadCollectionSpec(input, opts) : input;
  if (!spec.programs[name]) {
    throw new LoadError(name, `no such program (the object has: ${Object.keys(spec.programs).join(', ') || 'none'})`);
  }
  const maps = createMaps(spec, opts);
  try {
    const prepared = prepareProgram(spec, name, resolveContext(spec, maps, opts));
    return { loadSpec: prepared.loadSpec, maps, core: prepared.core, spec };
  } catch (e) {
    closeAll(Object.values(maps));
    throw e;
  }
}
