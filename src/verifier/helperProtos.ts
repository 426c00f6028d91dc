/**
 * Where the verifier finds helper prototypes. `HelperProtoSource` is the interface it consumes: a
 * prototype per helper id, whether a program type may call it, and whether it may be given packet
 * pointers. `helperTableProtos` answers from a helper table (the prototypes and the per-type rules
 * the helper layer keeps, measured on Linux 6.18); `defaultHelperProtos` from bpfsim's default
 * table. Helpers the table lacks have no prototype, and the verifier refuses calls to them.
 */
import { defaultHelpers, helperAllowed, type HelperProto, type HelperTable } from '../helpers/index.js';
import {
  BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_SOCKMAP, BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS,
  BPF_PROG_TYPE_SK_LOOKUP, BPF_PROG_TYPE_SK_REUSEPORT, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SOCK_OPS, BPF_PROG_TYPE_TRACING,
  BPF_PROG_TYPE_XDP, BPF_TRACE_ITER,
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

/** Helpers declared with `pkt_access = true` in Linux 6.18 (map operations, checksums, skb loads). */
const PKT_ACCESS = new Set([1, 2, 3, 87, 88, 89, 28, 26, 40, 9, 10, 11, 68, 164, 195]);

/** A source reading the prototypes and program-type rules of a helper table. */
export function helperTableProtos(table: HelperTable): HelperProtoSource {
  return {
    proto: (id) => table.get(id)?.proto,
    allowed: (id, progType) => helperAllowed(progType, id) ?? table.get(id)?.proto !== undefined,
    pktAccess: (id) => PKT_ACCESS.has(id),
  };
}

let defaults: HelperProtoSource | undefined;

/** The prototypes of bpfsim's default helper table (made once; it is never changed). */
export function defaultHelperProtos(): HelperProtoSource {
  defaults ??= helperTableProtos(defaultHelpers());
  return defaults;
}

/** Map types a helper accepts, where it restricts them (check_map_func_compatibility). */
const FUNC_MAPS: ReadonlyMap<number, readonly number[]> = new Map([
  [12, [3]], [51, [14, 16, 17, 25]], [130, [27]], [131, [27]], [198, [27]], [209, [31]],
  [52, [BPF_MAP_TYPE_SOCKMAP]], [53, [BPF_MAP_TYPE_SOCKMAP]], [60, [BPF_MAP_TYPE_SOCKMAP]],
  [70, [BPF_MAP_TYPE_SOCKHASH]], [71, [BPF_MAP_TYPE_SOCKHASH]], [72, [BPF_MAP_TYPE_SOCKHASH]],
]);

/** Helpers a map type may be passed to, where it restricts them. */
const MAP_FUNCS: ReadonlyMap<number, readonly number[]> = new Map([
  [3, [12]], [4, [25, 22, 55]], [27, [130, 131, 134, 198]], [31, [209]], [14, [51, 1]], [16, [51]], [17, [51, 1, 3]], [25, [51, 1]],
  [22, [87, 88, 89]], [23, [87, 88, 89]], [30, [87, 89]],
  [BPF_MAP_TYPE_SOCKMAP, [52, 53, 60, 82, 1]], [BPF_MAP_TYPE_SOCKHASH, [72, 70, 71, 82, 1]],
]);

/** Program types whose programs cannot hold a locked socket, so they may update and delete socket-map elements. */
const SOCKMAP_UPDATERS = new Set([
  BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_XDP,
  BPF_PROG_TYPE_SK_REUSEPORT, BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_PROG_TYPE_SK_LOOKUP,
]);

/** may_update_sockmap: whether `func` (map_update_elem or map_delete_elem) may change a SOCKMAP/SOCKHASH here. */
function mayUpdateSockmap(func: number, progType: number, attachType: number): boolean {
  if (func !== 2 && func !== 3) return false;
  if (progType === BPF_PROG_TYPE_TRACING) return attachType === BPF_TRACE_ITER;
  if (progType === BPF_PROG_TYPE_SOCK_OPS) return func === 3;
  return SOCKMAP_UPDATERS.has(progType);
}

/**
 * Why helper `func` may not take a map of type `mapType` in a program of `progType` (with its
 * expected attach type), as check_map_func_compatibility says it; undefined when it may.
 */
export function mapFuncIncompatibility(mapType: number, func: number, name: string, progType: number, attachType = 0): string | undefined {
  const refused = (): string => `cannot pass map_type ${mapType} into func ${name}#${func}`;
  const funcs = MAP_FUNCS.get(mapType);
  if (funcs && !funcs.includes(func)) {
    const sockMap = mapType === BPF_MAP_TYPE_SOCKMAP || mapType === BPF_MAP_TYPE_SOCKHASH;
    if (!sockMap || (func !== 2 && func !== 3)) return refused();
    if (!mayUpdateSockmap(func, progType, attachType)) return `cannot update sockmap in this context\n${refused()}`;
  }
  const maps = FUNC_MAPS.get(func);
  return maps && !maps.includes(mapType) ? refused() : undefined;
}
