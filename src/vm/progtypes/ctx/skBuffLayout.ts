import {
  BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT,
  BPF_PROG_TYPE_LWT_SEG6LOCAL, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS,
  BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_SOCKET_FILTER,
} from '../../../uapi.js';
import { bytes, narrow32, whole32, whole64, windowOf, words32 } from './access.js';
import type { CtxField, CtxLayout } from './access.js';

/** `sizeof(struct __sk_buff)`. */
export const SK_BUFF_MD_SIZE = 192;

/** Field offsets of `struct __sk_buff`. */
export const SkBuffMd = {
  len: 0, pkt_type: 4, mark: 8, queue_mapping: 12, protocol: 16, vlan_present: 20, vlan_tci: 24,
  vlan_proto: 28, priority: 32, ingress_ifindex: 36, ifindex: 40, tc_index: 44, cb: 48, hash: 68,
  tc_classid: 72, data: 76, data_end: 80, napi_id: 84, family: 88, remote_ip4: 92, local_ip4: 96,
  remote_ip6: 100, local_ip6: 116, remote_port: 132, local_port: 136, data_meta: 140, flow_keys: 144,
  tstamp: 152, wire_len: 160, gso_segs: 164, sk: 168, gso_size: 176, tstamp_type: 180, hwtstamp: 184,
} as const;

/** Bytes of `__sk_buff->cb` (five u32). */
export const SKB_CB_SIZE = 20;

type Name = keyof typeof SkBuffMd;

/** Which optional groups of fields a program type sees, and which fields it may write. */
interface SkbAccess {
  readonly writes: readonly Name[];
  readonly hidden: readonly Name[];
  /** Packet pointers (data, data_end) readable. */
  readonly pkt: boolean;
  /** The socket fields family..local_port readable. */
  readonly sockFields: boolean;
}

const W4 = [4] as const;

/** The `bpf_skb_is_valid_access` windows, with the program type's writes and hidden fields applied. */
function skbFields(a: SkbAccess): CtxField[] {
  const w = (n: Name) => (a.writes.includes(n) ? { write: W4 } : {});
  const all: [Name, CtxField[]][] = [
    ['len', [narrow32('len', 0)]],
    ['pkt_type', [narrow32('pkt_type', 4, { target: 1 })]],
    ['mark', [narrow32('mark', 8, w('mark'))]],
    ['queue_mapping', [narrow32('queue_mapping', 12, { ...w('queue_mapping'), target: 2 })]],
    ['protocol', [narrow32('protocol', 16, { target: 2 })]],
    ['vlan_present', [narrow32('vlan_present', 20)]],
    ['vlan_tci', [narrow32('vlan_tci', 24, { target: 2 })]],
    ['vlan_proto', [narrow32('vlan_proto', 28, { target: 2 })]],
    ['priority', [narrow32('priority', 32, w('priority'))]],
    ['ingress_ifindex', [narrow32('ingress_ifindex', 36)]],
    ['ifindex', [narrow32('ifindex', 40)]],
    ['tc_index', [narrow32('tc_index', 44, { ...w('tc_index'), target: 2 })]],
    ['cb', [bytes('cb', 48, SKB_CB_SIZE, a.writes.includes('cb') ? { write: [1, 2, 4, 8] } : {})]],
    ['hash', [narrow32('hash', 68)]],
    ['tc_classid', [narrow32('tc_classid', 72, { ...w('tc_classid'), target: 2 })]],
    ['data', a.pkt ? [whole32('data', 76, { ptr: 'pkt' })] : []],
    ['data_end', a.pkt ? [whole32('data_end', 80, { ptr: 'pkt_end' })] : []],
    ['napi_id', [narrow32('napi_id', 84)]],
    ['family', a.sockFields ? [narrow32('family', 88, { target: 2 })] : []],
    ['remote_ip4', a.sockFields ? words32('remote_ip4', 92, 1) : []],
    ['local_ip4', a.sockFields ? words32('local_ip4', 96, 1) : []],
    ['remote_ip6', a.sockFields ? words32('remote_ip6', 100, 4) : []],
    ['local_ip6', a.sockFields ? words32('local_ip6', 116, 4) : []],
    ['remote_port', a.sockFields ? [narrow32('remote_port', 132, { target: 2 })] : []],
    ['local_port', a.sockFields ? [narrow32('local_port', 136, { target: 2 })] : []],
    ['data_meta', [whole32('data_meta', 140, { ptr: 'pkt_meta' })]],
    ['tstamp', [windowOf('tstamp', 152, 8, [8], a.writes.includes('tstamp') ? { write: [8] } : {})]],
    ['wire_len', [narrow32('wire_len', 160)]],
    ['gso_segs', [narrow32('gso_segs', 164, { target: 2 })]],
    ['sk', [whole64('sk', 168, { ptr: 'sock_common_or_null' })]],
    ['gso_size', [narrow32('gso_size', 176, { target: 2 })]],
    ['hwtstamp', [whole64('hwtstamp', 184)]],
  ];
  return all.filter(([n]) => !a.hidden.includes(n)).flatMap(([, f]) => f);
}

const layout = (fields: CtxField[]): CtxLayout => ({ struct: 'struct __sk_buff', size: SK_BUFF_MD_SIZE, fields });

/** SOCKET_FILTER (`sk_filter_is_valid_access`): reads only, cb writable. */
const socketFilter = layout(skbFields({
  writes: ['cb'], pkt: false, sockFields: false,
  hidden: ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp'],
}));

/** SCHED_CLS and SCHED_ACT (`tc_cls_act_is_valid_access`), plus `tstamp_type` as one byte. */
const tc = layout([
  ...skbFields({
    writes: ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'], pkt: true, sockFields: false, hidden: [],
  }),
  windowOf('tstamp_type', 180, 1, [1]),
]);

/** CGROUP_SKB (`cg_skb_is_valid_access`, as a bpf_capable loader sees it). */
const cgroupSkb = layout(skbFields({
  writes: ['mark', 'priority', 'cb', 'tstamp'], pkt: true, sockFields: true,
  hidden: ['tc_classid', 'data_meta', 'wire_len'],
}));

/** LWT_IN, LWT_OUT, LWT_XMIT and LWT_SEG6LOCAL (`lwt_is_valid_access`). */
const lwt = layout(skbFields({
  writes: ['mark', 'priority', 'cb'], pkt: true, sockFields: false,
  hidden: ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp'],
}));

/** SK_SKB (`sk_skb_is_valid_access`): no mark, tc_index and priority writable. */
const skSkb = layout(skbFields({
  writes: ['tc_index', 'priority'], pkt: true, sockFields: true,
  hidden: ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp', 'mark'],
}));

/** FLOW_DISSECTOR (`flow_dissector_is_valid_access`): the packet and the flow keys only. */
const flowDissector = layout([
  whole32('data', 76, { ptr: 'pkt' }), whole32('data_end', 80, { ptr: 'pkt_end' }), whole64('flow_keys', 144, { ptr: 'flow_keys' }),
]);

/** The `__sk_buff` layouts by program type. */
export const SK_BUFF_LAYOUTS: ReadonlyMap<number, CtxLayout> = new Map([
  [BPF_PROG_TYPE_SOCKET_FILTER, socketFilter],
  [BPF_PROG_TYPE_SCHED_CLS, tc],
  [BPF_PROG_TYPE_SCHED_ACT, tc],
  [BPF_PROG_TYPE_CGROUP_SKB, cgroupSkb],
  [BPF_PROG_TYPE_LWT_IN, lwt],
  [BPF_PROG_TYPE_LWT_OUT, lwt],
  [BPF_PROG_TYPE_LWT_XMIT, lwt],
  [BPF_PROG_TYPE_LWT_SEG6LOCAL, lwt],
  [BPF_PROG_TYPE_SK_SKB, skSkb],
  [BPF_PROG_TYPE_FLOW_DISSECTOR, flowDissector],
]);
