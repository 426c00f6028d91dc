/**
 * Which helpers each program type may call: the decisions of the kernel's `*_func_proto`
 * functions (net/core/filter.c, kernel/trace/bpf_trace.c, kernel/bpf/cgroup.c, …) as data, for a
 * privileged loader (CAP_BPF and CAP_PERFMON, as root) and each type's default expected attach
 * type. A helper outside its type's set is refused at load with EINVAL, "program of this type
 * cannot use helper bpf_x#id". Every set marked "probed" was checked helper by helper against
 * Linux 6.18 (test/helpers/features.kernel.test.ts compares them again on every run); the types
 * the test kernel cannot load (tracing, LSM, LIRC) follow the kernel source and are approximate.
 */
import { helperId } from '../isa/index.js';
import {
  BPF_PROG_TYPE_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCKOPT,
  BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_PROG_TYPE_KPROBE,
  BPF_PROG_TYPE_LIRC_MODE2, BPF_PROG_TYPE_LSM, BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_SEG6LOCAL,
  BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_NETFILTER, BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_RAW_TRACEPOINT,
  BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SK_LOOKUP,
  BPF_PROG_TYPE_SK_MSG, BPF_PROG_TYPE_SK_REUSEPORT, BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_SOCKET_FILTER,
  BPF_PROG_TYPE_SOCK_OPS, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_XDP,
} from '../uapi.js';

/** Helper ids of a space-separated list of names without the `bpf_` prefix. */
function ids(names: string): number[] {
  return names.trim().split(/\s+/).map((n) => {
    const id = helperId(n);
    if (id === undefined) throw new RangeError(`unknown helper '${n}'`);
    return id;
  });
}

/** `bpf_base_func_proto` and the helpers 6.18 hands every type: maps, time, tasks, ringbuf, printf, timers, dynptrs. */
const BASE = ids(`
  map_lookup_elem map_update_elem map_delete_elem map_push_elem map_pop_elem map_peek_elem map_lookup_percpu_elem
  ktime_get_ns ktime_get_boot_ns ktime_get_tai_ns jiffies64 get_prandom_u32 get_smp_processor_id get_numa_node_id
  tail_call get_current_pid_tgid get_current_uid_gid get_current_comm get_current_task get_current_task_btf
  get_ns_current_pid_tgid get_cgroup_classid get_current_cgroup_id get_current_ancestor_cgroup_id
  current_task_under_cgroup perf_event_read perf_event_read_value send_signal send_signal_thread task_pt_regs
  get_task_stack get_branch_snapshot find_vma spin_lock spin_unlock strtol strtoul strncmp
  probe_read_user probe_read_kernel probe_read_user_str probe_read_kernel_str copy_from_user copy_from_user_task
  ringbuf_output ringbuf_reserve ringbuf_submit ringbuf_discard ringbuf_query user_ringbuf_drain
  trace_printk trace_vprintk snprintf snprintf_btf per_cpu_ptr this_cpu_ptr task_storage_get task_storage_delete
  cgrp_storage_get cgrp_storage_delete for_each_map_elem loop timer_init timer_set_callback timer_start timer_cancel
  kptr_xchg dynptr_from_mem dynptr_read dynptr_write dynptr_data ringbuf_reserve_dynptr ringbuf_submit_dynptr
  ringbuf_discard_dynptr`);

/** What `bpf_tracing_func_proto` adds for kprobes, tracepoints, perf events and raw tracepoints. */
const TRACE = ids('perf_event_output probe_read probe_read_str get_stackid get_stack get_func_ip get_attach_cookie');

/** `bpf_sk_base_func_proto`: socket casts and the coarse clock, for most networking types. */
const SK_BASE = ids(`skc_to_tcp6_sock skc_to_tcp_sock skc_to_tcp_timewait_sock skc_to_tcp_request_sock
  skc_to_udp6_sock skc_to_unix_sock skc_to_mptcp_sock ktime_get_coarse_ns`);

const COARSE = ids('ktime_get_coarse_ns');

/** tc (`tc_cls_act_func_proto`). */
const TC = ids(`perf_event_output skb_store_bytes skb_load_bytes skb_load_bytes_relative skb_pull_data skb_change_tail
  skb_change_head skb_change_proto skb_change_type skb_adjust_room skb_vlan_push skb_vlan_pop skb_get_tunnel_key
  skb_set_tunnel_key skb_get_tunnel_opt skb_set_tunnel_opt skb_get_xfrm_state skb_under_cgroup skb_cgroup_id
  skb_ancestor_cgroup_id skb_cgroup_classid skb_ecn_set_ce skb_set_tstamp l3_csum_replace l4_csum_replace csum_diff
  csum_update csum_level clone_redirect redirect redirect_neigh redirect_peer get_route_realm get_hash_recalc
  set_hash set_hash_invalid get_socket_cookie get_socket_uid get_netns_cookie fib_lookup check_mtu sk_lookup_tcp
  sk_lookup_udp skc_lookup_tcp sk_release sk_fullsock tcp_sock get_listener_sock sk_assign sk_storage_get
  sk_storage_delete tcp_check_syncookie tcp_gen_syncookie tcp_raw_gen_syncookie_ipv4 tcp_raw_gen_syncookie_ipv6
  tcp_raw_check_syncookie_ipv4 tcp_raw_check_syncookie_ipv6`);

/** LWT in and out (`lwt_out_func_proto`). */
const LWT = ids('perf_event_output skb_load_bytes skb_pull_data csum_diff get_route_realm get_hash_recalc skb_under_cgroup');

/** Cgroup types (`cgroup_common_func_proto` and friends). */
const CGROUP = ids('perf_event_output get_local_storage');

interface TypeRule {
  /** The helper ids the type may call. */
  readonly helpers: ReadonlySet<number>;
  /** Whether the set was checked against a running kernel (false: from the source, approximate). */
  readonly probed: boolean;
}

function rule(probed: boolean, ...parts: (number[] | string)[]): TypeRule {
  return { helpers: new Set(parts.flatMap((p) => (typeof p === 'string' ? ids(p) : p))), probed };
}

const XDP = rule(true, BASE, SK_BASE, `perf_event_output redirect redirect_map xdp_adjust_head xdp_adjust_meta
  xdp_adjust_tail xdp_get_buff_len xdp_load_bytes xdp_store_bytes csum_diff fib_lookup check_mtu sk_lookup_tcp
  sk_lookup_udp skc_lookup_tcp sk_release tcp_check_syncookie tcp_gen_syncookie tcp_raw_gen_syncookie_ipv4
  tcp_raw_gen_syncookie_ipv6 tcp_raw_check_syncookie_ipv4 tcp_raw_check_syncookie_ipv6`);
const SYSCALL_EXTRA = `probe_read probe_read_str perf_event_output get_stackid get_stack get_func_ip get_socket_cookie
  sk_storage_get sk_storage_delete skb_output xdp_output xdp_get_buff_len d_path sock_from_file`;
const TRACING_EXTRA = `${SYSCALL_EXTRA} get_attach_cookie get_func_arg get_func_ret get_func_arg_cnt seq_printf seq_write
  seq_printf_btf`;

const RULES = new Map<number, TypeRule>([
  [BPF_PROG_TYPE_SOCKET_FILTER, rule(true, BASE, SK_BASE, `perf_event_output skb_load_bytes skb_load_bytes_relative
    get_socket_cookie get_socket_uid get_netns_cookie`)],
  [BPF_PROG_TYPE_KPROBE, rule(true, BASE, TRACE)],
  [BPF_PROG_TYPE_SCHED_CLS, rule(true, BASE, SK_BASE, TC)],
  [BPF_PROG_TYPE_SCHED_ACT, rule(true, BASE, SK_BASE, TC)],
  [BPF_PROG_TYPE_TRACEPOINT, rule(true, BASE, TRACE)],
  [BPF_PROG_TYPE_XDP, XDP],
  [BPF_PROG_TYPE_PERF_EVENT, rule(true, BASE, TRACE, 'perf_prog_read_value read_branch_records')],
  [BPF_PROG_TYPE_CGROUP_SKB, rule(true, BASE, SK_BASE, CGROUP, `skb_load_bytes skb_load_bytes_relative get_socket_cookie
    get_socket_uid get_netns_cookie skb_cgroup_id skb_ancestor_cgroup_id sk_cgroup_id sk_ancestor_cgroup_id
    sk_lookup_tcp sk_lookup_udp skc_lookup_tcp sk_release sk_fullsock tcp_sock get_listener_sock skb_ecn_set_ce
    sk_storage_get sk_storage_delete`)],
  [BPF_PROG_TYPE_CGROUP_SOCK, rule(true, BASE, COARSE, CGROUP, 'get_socket_cookie get_netns_cookie sk_storage_get get_retval set_retval')],
  [BPF_PROG_TYPE_LWT_IN, rule(true, BASE, SK_BASE, LWT, 'lwt_push_encap')],
  [BPF_PROG_TYPE_LWT_OUT, rule(true, BASE, SK_BASE, LWT)],
  [BPF_PROG_TYPE_LWT_XMIT, rule(true, BASE, SK_BASE, LWT, `lwt_push_encap skb_store_bytes skb_change_tail skb_change_head
    l3_csum_replace l4_csum_replace csum_update csum_level set_hash_invalid clone_redirect redirect skb_get_tunnel_key
    skb_set_tunnel_key skb_get_tunnel_opt skb_set_tunnel_opt`)],
  [BPF_PROG_TYPE_SOCK_OPS, rule(true, BASE, SK_BASE, CGROUP, `get_socket_cookie get_netns_cookie setsockopt getsockopt
    sock_ops_cb_flags_set sock_map_update sock_hash_update tcp_sock sk_storage_get sk_storage_delete load_hdr_opt
    store_hdr_opt reserve_hdr_opt`)],
  [BPF_PROG_TYPE_SK_SKB, rule(true, BASE, SK_BASE, `perf_event_output skb_load_bytes skb_store_bytes skb_pull_data
    skb_change_tail skb_change_head skb_adjust_room get_socket_cookie get_socket_uid sk_redirect_map sk_redirect_hash
    sk_lookup_tcp sk_lookup_udp skc_lookup_tcp sk_release`)],
  [BPF_PROG_TYPE_CGROUP_DEVICE, rule(true, BASE, CGROUP)],
  [BPF_PROG_TYPE_SK_MSG, rule(true, BASE, SK_BASE, `perf_event_output msg_redirect_map msg_redirect_hash msg_apply_bytes
    msg_cork_bytes msg_pull_data msg_push_data msg_pop_data sk_storage_get sk_storage_delete get_netns_cookie`)],
  [BPF_PROG_TYPE_RAW_TRACEPOINT, rule(true, BASE, TRACE)],
  [BPF_PROG_TYPE_CGROUP_SOCK_ADDR, rule(true, BASE, SK_BASE, CGROUP, `get_socket_cookie get_netns_cookie setsockopt
    getsockopt sk_lookup_tcp sk_lookup_udp skc_lookup_tcp sk_release sk_storage_get sk_storage_delete get_retval
    set_retval`)],
  [BPF_PROG_TYPE_LWT_SEG6LOCAL, rule(true, BASE, SK_BASE, LWT, 'lwt_seg6_store_bytes lwt_seg6_adjust_srh lwt_seg6_action')],
  [BPF_PROG_TYPE_LIRC_MODE2, rule(false, BASE, 'rc_repeat rc_keydown rc_pointer_rel')],
  [BPF_PROG_TYPE_SK_REUSEPORT, rule(true, BASE, COARSE, 'skb_load_bytes skb_load_bytes_relative get_socket_cookie sk_select_reuseport')],
  [BPF_PROG_TYPE_FLOW_DISSECTOR, rule(true, BASE, SK_BASE, 'skb_load_bytes')],
  [BPF_PROG_TYPE_CGROUP_SYSCTL, rule(true, BASE, COARSE, CGROUP, `sysctl_get_name sysctl_get_current_value
    sysctl_get_new_value sysctl_set_new_value`)],
  [BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, rule(true, BASE, TRACE)],
  [BPF_PROG_TYPE_CGROUP_SOCKOPT, rule(true, BASE, CGROUP, `setsockopt getsockopt tcp_sock sk_storage_get sk_storage_delete
    get_netns_cookie get_retval set_retval`)],
  [BPF_PROG_TYPE_TRACING, rule(false, BASE, SK_BASE.filter((id) => !COARSE.includes(id)), TRACING_EXTRA)],
  [BPF_PROG_TYPE_LSM, rule(false, BASE, TRACING_EXTRA, `inode_storage_get inode_storage_delete bprm_opts_set
    ima_inode_hash ima_file_hash get_local_storage get_retval set_retval`)],
  [BPF_PROG_TYPE_SK_LOOKUP, rule(true, BASE, SK_BASE, 'perf_event_output sk_assign sk_release')],
  [BPF_PROG_TYPE_SYSCALL, rule(true, BASE, SK_BASE.filter((id) => !COARSE.includes(id)), SYSCALL_EXTRA,
    'sys_bpf sys_close btf_find_by_name_kind kallsyms_lookup_name')],
  [BPF_PROG_TYPE_NETFILTER, rule(true, BASE)],
]);

/**
 * Whether a program of type `progType` may call helper `id`: true or false as the kernel decides,
 * or undefined for a type whose rules bpfsim does not know (struct_ops and extension programs,
 * which take their target's rules, and raw programs of no type).
 */
export function helperAllowed(progType: number, id: number): boolean | undefined {
  const r = RULES.get(progType);
  return r ? r.helpers.has(id) : undefined;
}

/** The helper ids a program type may call, and whether that set was probed on a kernel; undefined when unknown. */
export function progTypeHelpers(progType: number): { readonly helpers: ReadonlySet<number>; readonly probed: boolean } | undefined {
  return RULES.get(progType);
}

/** The licenses the kernel counts as GPL-compatible (`license_is_gpl_compatible`). */
export function licenseIsGplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}
