/**
 * Where the verifier finds helper prototypes. `HelperProtoSource` is the interface it consumes:
 * a prototype per helper id, and whether a program type may call it. Until the helper table
 * carries prototypes and allow-lists, `builtinHelperProtos` answers for the helpers below, with
 * prototypes as Linux 6.18 declares them and the program types that may call them (measured on
 * 6.18); any other helper is refused with a message naming it.
 */
import type { HelperProto } from '../helpers/proto.js';
import {
  BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP,
} from '../uapi.js';

/** Prototypes and program-type restrictions of helpers, as the verifier consumes them. */
export interface HelperProtoSource {
  /** The prototype of helper `id` (undefined: bpfsim has none). */
  proto(id: number): HelperProto | undefined;
  /** Whether a program of `progType` may call helper `id` (get_func_proto returning non-NULL). */
  allowed(id: number, progType: number): boolean;
  /** Whether the helper may be given packet pointers (`bpf_func_proto.pkt_access`). */
  pktAccess(id: number): boolean;
}

const SKB = [BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_CGROUP_SKB];
const NET = [...SKB, BPF_PROG_TYPE_XDP];
const TC_XDP = [BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_XDP];

interface Entry {
  readonly proto: HelperProto;
  readonly types: readonly number[];
  readonly pktAccess: boolean;
}

const p = (ret: HelperProto['ret'], args: HelperProto['args'], types: readonly number[], extra: Partial<HelperProto> = {}, pktAccess = false): Entry =>
  ({ proto: { ret, args, ...extra }, types, pktAccess });

const BUILTIN: ReadonlyMap<number, Entry> = new Map<number, Entry>([
  [1, p('map_value_or_null', ['const_map_ptr', 'map_key'], NET, {}, true)],
  [2, p('integer', ['const_map_ptr', 'map_key', 'map_value', 'anything'], NET, {}, true)],
  [3, p('integer', ['const_map_ptr', 'map_key'], NET, {}, true)],
  [5, p('integer', [], NET)],
  [6, p('integer', ['mem', 'const_size'], NET, { gplOnly: true })],
  [7, p('integer', [], NET)],
  [8, p('integer', [], NET)],
  [12, p('void', ['ctx', 'const_map_ptr', 'anything'], NET)],
  [14, p('integer', [], NET)],
  [16, p('integer', ['uninit_mem', 'const_size'], NET)],
  [23, p('integer', ['anything', 'anything'], TC_XDP)],
  [44, p('integer', ['ctx', 'anything'], [BPF_PROG_TYPE_XDP], { changesPktData: true })],
  [51, p('integer', ['const_map_ptr', 'anything', 'anything'], [BPF_PROG_TYPE_XDP])],
  [54, p('integer', ['ctx', 'anything'], [BPF_PROG_TYPE_XDP], { changesPktData: true })],
  [65, p('integer', ['ctx', 'anything'], [BPF_PROG_TYPE_XDP], { changesPktData: true })],
  [130, p('integer', ['const_map_ptr', 'mem', 'const_size_or_zero', 'anything'], NET)],
  [131, p('ringbuf_mem_or_null', ['const_map_ptr', 'const_alloc_size_or_zero', 'anything'], NET)],
  [132, p('void', ['ringbuf_mem', 'anything'], NET)],
  [133, p('void', ['ringbuf_mem', 'anything'], NET)],
]);

/** The prototypes bpfsim's verifier knows until the helper table carries them. */
export const builtinHelperProtos: HelperProtoSource = {
  proto: (id) => BUILTIN.get(id)?.proto,
  allowed: (id, progType) => BUILTIN.get(id)?.types.includes(progType) ?? false,
  pktAccess: (id) => BUILTIN.get(id)?.pktAccess ?? false,
};

/** Map types a helper accepts, where it restricts them (check_map_func_compatibility). */
const FUNC_MAPS: ReadonlyMap<number, readonly number[]> = new Map([
  [12, [3]], [51, [14, 16, 17, 25]], [130, [27]], [131, [27]],
]);

/** Helpers a map type may be passed to, where it restricts them. */
const MAP_FUNCS: ReadonlyMap<number, readonly number[]> = new Map([
  [3, [12]], [4, [25, 22, 55]], [27, [130, 131, 134]], [14, [51, 1]], [16, [51]], [17, [51, 1, 3]], [25, [51, 1]],
  [22, [87, 88, 89]], [23, [87, 88, 89]], [30, [88, 89]],
]);

/** Whether helper `func` may take a map of type `mapType`. */
export function mapFuncCompatible(mapType: number, func: number): boolean {
  const funcs = MAP_FUNCS.get(mapType);
  if (funcs && !funcs.includes(func)) return false;
  const maps = FUNC_MAPS.get(func);
  return !maps || maps.includes(mapType);
}
