/**
 * Where the verifier finds helper prototypes. `HelperProtoSource` is the interface it consumes: a
 * prototype per helper id, whether a program type may call it, and whether it may be given packet
 * pointers. `helperTableProtos` answers from a helper table (the prototypes and the per-type rules
 * the helper layer keeps, measured on Linux 6.18); `defaultHelperProtos` from bpfsim's default
 * table. Helpers the table lacks have no prototype, and the verifier refuses calls to them.
 */
import { defaultHelpers, helperAllowed, type HelperProto, type HelperTable } from '../helpers/index.js';

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
  [12, [3]], [51, [14, 16, 17, 25]], [130, [27]], [131, [27]],
]);

/** Helpers a map type may be passed to, where it restricts them. */
const MAP_FUNCS: ReadonlyMap<number, readonly number[]> = new Map([
  [3, [12]], [4, [25, 22, 55]], [27, [130, 131, 134]], [14, [51, 1]], [16, [51]], [17, [51, 1, 3]], [25, [51, 1]],
  [22, [87, 88, 89]], [23, [87, 88, 89]], [30, [87, 89]],
]);

/** Whether helper `func` may take a map of type `mapType`. */
export function mapFuncCompatible(mapType: number, func: number): boolean {
  const funcs = MAP_FUNCS.get(mapType);
  if (funcs && !funcs.includes(func)) return false;
  const maps = FUNC_MAPS.get(func);
  return !maps || maps.includes(mapType);
}
