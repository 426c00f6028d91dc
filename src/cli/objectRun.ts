/*
 * `bpfsim run FILE.o --prog NAME`: load a BPF object as libbpf would, apply `--map-update`s as
 * `bpftool map update` does (per-CPU maps get the value on every CPU), test-run one program and,
 * with `--maps-after`, read back the maps' non-zero entries (per-CPU maps: CPU 0's slice).
 */
import { loadCollection, loadCollectionSpec, type Collection } from '../elf/index.js';
import { isPerCpuMapType } from '../maps/index.js';
import type { Backend, BackendMap, TestRunOptions } from '../vm/index.js';
import { hexBytes, parseHex } from './input.js';
import { testRunOutput, type TestRunOutput } from './testRunOutput.js';
import { UsageError } from './usage.js';

/** One `--map-update NAME:KEYHEX:VALUEHEX`. */
export interface MapUpdateArg {
  readonly map: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Parses `NAME:KEYHEX:VALUEHEX` (the map name may itself contain no colon; `.bss` and `.rodata` are names). */
export function parseMapUpdate(text: string): MapUpdateArg {
  const parts = text.split(':');
  if (parts.length !== 3 || parts[0] === '') {
    throw new UsageError(`--map-update '${text}': expected NAME:KEYHEX:VALUEHEX`);
  }
  return { map: parts[0]!, key: parseHex(parts[1]!, `--map-update ${parts[0]} key`), value: parseHex(parts[2]!, `--map-update ${parts[0]} value`) };
}

/** Applies one update, checking the sizes against the map so a mistake is a one-line error. */
function applyUpdate(coll: Collection, backend: Backend, u: MapUpdateArg): void {
  const map = coll.maps[u.map];
  if (!map) throw new UsageError(`--map-update: no map '${u.map}' in the object (it has: ${Object.keys(coll.maps).join(', ') || 'none'})`);
  const { keySize, valueSize } = map.spec;
  if (u.key.length !== keySize) throw new UsageError(`--map-update ${u.map}: the key is ${u.key.length} bytes, the map's keys are ${keySize}`);
  if (u.value.length !== valueSize) throw new UsageError(`--map-update ${u.map}: the value is ${u.value.length} bytes, the map's values are ${valueSize}`);
  let value = u.value;
  if (isPerCpuMapType(map.spec.type)) {
    const stride = Math.ceil(valueSize / 8) * 8;
    value = new Uint8Array(stride * backend.ncpus);
    for (let c = 0; c < backend.ncpus; c++) value.set(u.value, c * stride);
  }
  map.update(u.key, value);
}

/** A map's entries whose value (CPU 0's slice for per-CPU maps) has a non-zero byte, or undefined when it cannot be iterated. */
function nonZeroEntries(map: BackendMap): [string, string][] | undefined {
  if (map.spec.keySize === 0) return undefined;
  const out: [string, string][] = [];
  try {
    for (let key = map.nextKey(undefined), n = 0; key && n <= map.spec.maxEntries; key = map.nextKey(key), n++) {
      const value = map.lookup(key)?.subarray(0, map.spec.valueSize);
      if (value && value.some((b) => b !== 0)) out.push([hexBytes(key), hexBytes(value)]);
    }
  } catch {
    return undefined;
  }
  return out;
}

/** Options of one object run. */
export interface ObjectRunOptions {
  readonly prog: string;
  readonly type?: number;
  readonly updates: readonly MapUpdateArg[];
  /** Data, context and repeat count of the test run (it always runs on CPU 0). */
  readonly input: TestRunOptions;
  readonly mapsAfter: boolean;
}

/** Loads the object on `backend`, applies the updates, test-runs the program and reads the maps back. */
export function runObject(bytes: Uint8Array, backend: Backend, o: ObjectRunOptions): TestRunOutput {
  const spec = loadCollectionSpec(bytes, o.type !== undefined ? { programTypes: { [o.prog]: o.type } } : {});
  if (!spec.programs[o.prog]) {
    throw new UsageError(`no program '${o.prog}' in the object (it has: ${Object.keys(spec.programs).join(', ') || 'none'})`);
  }
  const coll = loadCollection(spec, { backend, programs: [o.prog] });
  try {
    for (const u of o.updates) applyUpdate(coll, backend, u);
    const r = coll.program(o.prog).testRun({ ...o.input, pinCpu: 0 });
    let mapsAfter: Record<string, [string, string][]> | undefined;
    if (o.mapsAfter) {
      mapsAfter = {};
      for (const [name, map] of Object.entries(coll.maps)) {
        const entries = nonZeroEntries(map);
        if (entries) mapsAfter[name] = entries;
      }
    }
    return { ...testRunOutput(r), ...(mapsAfter ? { maps_after: mapsAfter } : {}) };
  } finally {
    coll.close();
  }
}
