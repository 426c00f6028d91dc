/*
 * bpfsim's own kernel BTF: the UAPI and kernel structs the simulator implements (program
 * contexts, packet headers, a subset of task_struct, sk_buff and net_device), the kfuncs it
 * offers and a few attach targets, described as C member declarations and laid out by BtfBuilder. CO-RE relocations of
 * objects loaded on the simulated backend resolve against it, as they resolve against
 * /sys/kernel/btf/vmlinux on the kernel backend. UAPI structs have the kernel's exact layout; the
 * kernel-internal ones are deliberately smaller, which is what CO-RE is for.
 */
import { BtfError } from '../errors.js';
import type { Btf } from './btf.js';
import { BtfBuilder, type MemberDecl } from './builder.js';
import { BTF_FUNC_GLOBAL, BTF_INT_BOOL, BTF_INT_SIGNED } from './types.js';

/** A member: a C declaration (`__u8 ihl:4`, `struct task_struct *parent`, `char comm[16]`) or a laid-out tuple. */
type Member = string | MemberDecl;

const DECL = /^(.*?)\s*(\**)\s*([A-Za-z_]\w*)\s*(?:\[(\d+)\])?\s*(?::\s*(\d+))?$/;

class SimTypes {
  readonly b = new BtfBuilder();
  readonly #named = new Map<string, number>();

  name(cname: string, id: number): number {
    this.#named.set(cname, id);
    return id;
  }

  /** The id of a C type name (`__u32`, `unsigned char`, `struct ethhdr`, `void`). */
  id(cname: string): number {
    if (cname === 'void') return 0;
    const id = this.#named.get(cname);
    if (id === undefined) throw new BtfError({ section: 'simulated kernel BTF' }, `unknown type '${cname}'`);
    return id;
  }

  /** `type *` / `type[N]` applied to a base name. */
  derived(base: string, stars: number, nelems?: number): number {
    let id = this.id(base);
    for (let i = 0; i < stars; i++) id = this.b.ptr(id);
    return nelems === undefined ? id : this.b.array(id, nelems);
  }

  members(list: readonly Member[]): MemberDecl[] {
    return list.map((m) => {
      if (typeof m !== 'string') return m;
      const d = DECL.exec(m.trim());
      if (!d) throw new BtfError({ section: 'simulated kernel BTF' }, `cannot parse member '${m}'`);
      const [, base, stars, name, nelems, bits] = d;
      return [name!, this.derived(base!, stars!.length, nelems === undefined ? undefined : Number(nelems)), bits === undefined ? 0 : Number(bits)];
    });
  }

  struct(name: string, list: readonly Member[]): number {
    const key = `struct ${name}`;
    const reserved = this.#named.get(key);
    return this.name(key, this.b.struct(name, this.members(list), reserved));
  }

  /** Reserves `struct name` so that earlier structs can point to it. */
  declare(name: string): void {
    this.name(`struct ${name}`, this.b.reserve());
  }

  anonStruct(list: readonly Member[]): number {
    return this.b.struct('', this.members(list));
  }

  anonUnion(list: readonly Member[]): number {
    return this.b.union('', this.members(list));
  }

  kfunc(name: string, ret: string, params: readonly string[]): void {
    const ps = this.members(params).map(([n, t]) => [n, t] as const);
    const retDecl = /^(.*?)\s*(\**)$/.exec(ret)!;
    this.b.func(name, this.b.funcProto(this.derived(retDecl[1]!, retDecl[2]!.length), ps), BTF_FUNC_GLOBAL);
  }
}

function ints(s: SimTypes): void {
  // As GCC names and pahole encodes them in a kernel's BTF (TYPE_MATCHES compares the names;
  // the kernel is built with -funsigned-char).
  const S = BTF_INT_SIGNED;
  const defs: [string, number, number][] = [
    ['char', 1, 0], ['unsigned char', 1, 0], ['short int', 2, S], ['short unsigned int', 2, 0],
    ['int', 4, S], ['unsigned int', 4, 0], ['long int', 8, S], ['long unsigned int', 8, 0],
    ['long long int', 8, S], ['long long unsigned int', 8, 0], ['_Bool', 1, BTF_INT_BOOL],
  ];
  for (const [n, size, encoding] of defs) s.name(n, s.b.int(n, size, encoding));
  const typedefs: [string, string][] = [
    ['__u8', 'unsigned char'], ['__s8', 'char'], ['__u16', 'short unsigned int'], ['__s16', 'short int'],
    ['__u32', 'unsigned int'], ['__s32', 'int'], ['__u64', 'long long unsigned int'], ['__s64', 'long long int'],
    ['u8', '__u8'], ['u16', '__u16'], ['u32', '__u32'], ['u64', '__u64'], ['s32', '__s32'], ['s64', '__s64'],
    ['__be16', '__u16'], ['__be32', '__u32'], ['__sum16', '__u16'], ['__wsum', '__u32'],
    ['__kernel_pid_t', 'int'], ['pid_t', '__kernel_pid_t'], ['bool', '_Bool'], ['ktime_t', 's64'],
  ];
  for (const [n, target] of typedefs) s.name(n, s.b.typedef(n, s.id(target)));
}

function uapi(s: SimTypes): void {
  s.name('enum xdp_action', s.b.enum('xdp_action', [['XDP_ABORTED', 0], ['XDP_DROP', 1], ['XDP_PASS', 2], ['XDP_TX', 3], ['XDP_REDIRECT', 4]]));
  s.struct('xdp_md', ['__u32 data', '__u32 data_end', '__u32 data_meta', '__u32 ingress_ifindex', '__u32 rx_queue_index', '__u32 egress_ifindex']);
  s.name('struct bpf_flow_keys', s.b.fwd('bpf_flow_keys'));
  s.name('struct bpf_sock', s.b.fwd('bpf_sock'));
  s.struct('__sk_buff', [
    '__u32 len', '__u32 pkt_type', '__u32 mark', '__u32 queue_mapping', '__u32 protocol', '__u32 vlan_present',
    '__u32 vlan_tci', '__u32 vlan_proto', '__u32 priority', '__u32 ingress_ifindex', '__u32 ifindex', '__u32 tc_index',
    '__u32 cb[5]', '__u32 hash', '__u32 tc_classid', '__u32 data', '__u32 data_end', '__u32 napi_id', '__u32 family',
    '__u32 remote_ip4', '__u32 local_ip4', '__u32 remote_ip6[4]', '__u32 local_ip6[4]', '__u32 remote_port',
    '__u32 local_port', '__u32 data_meta', ['', s.anonUnion(['struct bpf_flow_keys *flow_keys'])], '__u64 tstamp',
    '__u32 wire_len', '__u32 gso_segs', ['', s.anonUnion(['struct bpf_sock *sk'])], '__u32 gso_size', '__u8 tstamp_type',
    '__u64 hwtstamp',
  ]);
  s.struct('ethhdr', ['unsigned char h_dest[6]', 'unsigned char h_source[6]', '__be16 h_proto']);
  const addrs4 = ['__be32 saddr', '__be32 daddr'];
  s.struct('iphdr', [
    '__u8 ihl:4', '__u8 version:4', '__u8 tos', '__be16 tot_len', '__be16 id', '__be16 frag_off', '__u8 ttl',
    '__u8 protocol', '__sum16 check', ['', s.anonUnion([['', s.anonStruct(addrs4)], ['addrs', s.anonStruct(addrs4)]])],
  ]);
  s.struct('in6_addr', [['in6_u', s.anonUnion(['__u8 u6_addr8[16]', '__be16 u6_addr16[8]', '__be32 u6_addr32[4]'])]]);
  const addrs6 = ['struct in6_addr saddr', 'struct in6_addr daddr'];
  s.struct('ipv6hdr', [
    '__u8 priority:4', '__u8 version:4', '__u8 flow_lbl[3]', '__be16 payload_len', '__u8 nexthdr', '__u8 hop_limit',
    ['', s.anonUnion([['', s.anonStruct(addrs6)], ['addrs', s.anonStruct(addrs6)]])],
  ]);
  s.struct('tcphdr', [
    '__be16 source', '__be16 dest', '__be32 seq', '__be32 ack_seq', '__u16 ae:1', '__u16 res1:3', '__u16 doff:4',
    '__u16 fin:1', '__u16 syn:1', '__u16 rst:1', '__u16 psh:1', '__u16 ack:1', '__u16 urg:1', '__u16 ece:1', '__u16 cwr:1',
    '__be16 window', '__sum16 check', '__be16 urg_ptr',
  ]);
  s.struct('udphdr', ['__be16 source', '__be16 dest', '__be16 len', '__sum16 check']);
  s.struct('bpf_iter_num', ['__u64 __opaque[1]']);
}

function kernelInternal(s: SimTypes): void {
  s.declare('task_struct');
  s.declare('net_device');
  s.struct('task_struct', [
    'unsigned int __state', 'unsigned int flags', 'int prio', 'pid_t pid', 'pid_t tgid',
    'struct task_struct *real_parent', 'struct task_struct *parent', 'char comm[16]', 'u64 start_time',
  ]);
  s.struct('net_device', ['char name[16]', 'int ifindex', 'unsigned int flags', 'unsigned int mtu']);
  // The members tc programs commonly read, in the kernel's order; cb holds qdisc_skb_cb (pkt_len,
  // tc_classid, then the 20 bytes of __sk_buff's cb). Header offsets, tail and end count from head.
  s.struct('sk_buff', [
    'struct net_device *dev', 'ktime_t tstamp', 'char cb[48]', 'unsigned int len', 'unsigned int data_len',
    '__u16 mac_len', '__u16 hdr_len', '__u16 queue_mapping', '__u8 pkt_type:3', '__u8 ignore_df:1',
    '__u8 dst_pending_confirm:1', '__u8 ip_summed:2', '__u8 ooo_okay:1', '__u8 tc_at_ingress:1', '__u8 encapsulation:1',
    '__u16 tc_index', '__wsum csum', '__u32 priority', 'int skb_iif', '__u32 hash', '__be16 vlan_proto', '__u16 vlan_tci',
    '__u32 mark', '__be16 inner_protocol', '__be16 protocol', '__u16 transport_header', '__u16 network_header',
    '__u16 mac_header', 'unsigned int tail', 'unsigned int end', 'unsigned char *head', 'unsigned char *data',
  ]);
  s.struct('xdp_rxq_info', ['struct net_device *dev', 'u32 queue_index']);
  mapStructs(s);
  s.struct('xdp_buff', ['void *data', 'void *data_end', 'void *data_meta', 'void *data_hard_start', 'struct xdp_rxq_info *rxq', 'u32 frame_sz']);
}

/**
 * `struct bpf_map` with the kernel's offsets (Linux 6.18, x86-64) for what programs read through a
 * map pointer (map_type, key_size, value_size, max_entries, map_flags, id, name), as the
 * simulator's map descriptors hold them (src/maps/descriptor.ts); the rest is opaque. The map
 * types' own structs embed it first.
 */
function mapStructs(s: SimTypes): void {
  for (const name of ['bpf_map_ops', 'btf_record', 'btf', 'bpf_array_aux', 'bpf_ringbuf']) s.name(`struct ${name}`, s.b.fwd(name));
  s.struct('bpf_map', [
    '__u8 sha[32]', '__u32 excl', 'struct bpf_map_ops *ops', 'void *inner_map_meta', 'void *security', '__u32 map_type',
    '__u32 key_size', '__u32 value_size', '__u32 max_entries', '__u64 map_extra', '__u32 map_flags', '__u32 id',
    'struct btf_record *record', 'int numa_node', '__u32 btf_key_type_id', '__u32 btf_value_type_id',
    '__u32 btf_vmlinux_value_type_id', 'struct btf *btf', 'void *objcg', 'char name[16]', '__u8 __opaque[144]',
  ]);
  s.struct('bpf_array', ['struct bpf_map map', '__u32 elem_size', '__u32 index_mask', 'struct bpf_array_aux *aux']);
  s.struct('bpf_htab', ['struct bpf_map map']);
  s.struct('bpf_ringbuf_map', ['struct bpf_map map', 'struct bpf_ringbuf *rb']);
}

function kfuncs(s: SimTypes): void {
  s.kfunc('bpf_rcu_read_lock', 'void', []);
  s.kfunc('bpf_rcu_read_unlock', 'void', []);
  s.kfunc('bpf_iter_num_new', 'int', ['struct bpf_iter_num *it', 'int start', 'int end']);
  s.kfunc('bpf_iter_num_next', 'int *', ['struct bpf_iter_num *it']);
  s.kfunc('bpf_iter_num_destroy', 'void', ['struct bpf_iter_num *it']);
  s.kfunc('bpf_cast_to_kern_ctx', 'void *', ['void *obj']);
}

/** Kernel functions and tracepoints that tracing, LSM and iterator programs attach to by BTF id. */
function attachTargets(s: SimTypes): void {
  for (const name of ['filename', 'file', 'bpf_iter_meta']) s.name(`struct ${name}`, s.b.fwd(name));
  s.kfunc('do_unlinkat', 'int', ['int dfd', 'struct filename *name']);
  s.kfunc('bpf_lsm_file_open', 'int', ['struct file *file']);
  s.kfunc('bpf_iter_task', 'int', ['struct bpf_iter_meta *meta', 'struct task_struct *task']);
  const proto = s.b.funcProto(0, [['', s.b.ptr(0)], ['', s.id('bool')], ['', s.derived('struct task_struct', 1)], ['', s.derived('struct task_struct', 1)], ['', s.id('unsigned int')]]);
  s.b.typedef('btf_trace_sched_switch', s.b.ptr(proto));
}

let built: Btf | undefined;

/** The simulated kernel's BTF (built once; the same object on every call). */
export function simKernelBtf(): Btf {
  if (!built) {
    const s = new SimTypes();
    ints(s);
    uapi(s);
    kernelInternal(s);
    kfuncs(s);
    attachTargets(s);
    built = s.b.build();
  }
  return built;
}
