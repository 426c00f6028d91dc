/* The features report as `bpftool feature probe` prints it: plain text, or JSON with bpftool's keys. */
import { mapTypeName, progTypeName } from '../../elf/index.js';
import { helperName } from '../../isa/index.js';
import { PROBED_MAP_TYPES, PROBED_PROG_TYPES } from './probe.js';
import type { FeatureReport } from './probe.js';

const names = (ids: Iterable<number>): string[] => [...ids].sort((a, b) => a - b).map((id) => helperName(id) ?? `helper ${id}`);

/** The report as text: program types, map types, then the helpers of each program type. */
export function formatFeatures(r: FeatureReport): string {
  const out = [`Scanning eBPF program types (${r.backend})...`];
  for (const t of PROBED_PROG_TYPES) out.push(`eBPF program_type ${progTypeName(t)} is ${r.progTypes.has(t) ? '' : 'NOT '}available`);
  out.push('', 'Scanning eBPF map types...');
  for (const t of PROBED_MAP_TYPES) out.push(`eBPF map_type ${mapTypeName(t)} is ${r.mapTypes.has(t) ? '' : 'NOT '}available`);
  out.push('', 'Scanning eBPF helper functions...');
  for (const [t, ids] of [...r.helpers].sort(([a], [b]) => a - b)) {
    out.push(`eBPF helpers supported for program type ${progTypeName(t)}:`, ...names(ids).map((n) => `\t- ${n}`));
  }
  return out.join('\n') + '\n';
}

/** The report as bpftool's JSON: `program_types.have_xdp_prog_type`, `map_types.have_hash_map_type`, `helpers.xdp_available_helpers`. */
export function featuresJson(r: FeatureReport): Record<string, unknown> {
  return {
    backend: r.backend,
    program_types: Object.fromEntries(PROBED_PROG_TYPES.map((t) => [`have_${progTypeName(t)}_prog_type`, r.progTypes.has(t)])),
    map_types: Object.fromEntries(PROBED_MAP_TYPES.map((t) => [`have_${mapTypeName(t)}_map_type`, r.mapTypes.has(t)])),
    helpers: Object.fromEntries([...r.helpers].sort(([a], [b]) => a - b).map(([t, ids]) => [`${progTypeName(t)}_available_helpers`, names(ids)])),
  };
}

/** What the simulator lacks against the kernel's rules, as text: one line per program type. */
export function formatMissing(missing: ReadonlyMap<number, readonly number[]>): string {
  return [...missing].map(([t, ids]) => `${progTypeName(t)}: ${names(ids).join(' ')}`).join('\n') + '\n';
}
