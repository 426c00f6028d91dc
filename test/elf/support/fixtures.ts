/*
 * What the kernel says about each fixture program: accepted (with the instructions its verifier
 * processed on Linux 6.18) or refused (errno and the log line that says why). Programs marked
 * `environment` attach through BPF trampolines, which this project's Linux 6.18 VM refuses with
 * EPERM before verification; a kernel that allows them accepts them.
 */

/** The kernel's verdict on one program. */
export type Verdict =
  | { readonly ok: true; readonly processed: number }
  | { readonly ok: false; readonly errno: string; readonly log: RegExp; readonly environment?: true };

const ok = (processed: number): Verdict => ({ ok: true, processed });
const trampoline: Verdict = { ok: false, errno: 'EPERM', log: /^$/, environment: true };

/** Every fixture's programs and their verdicts (the sections fixture: 2 instructions each). */
export const VERDICTS: Readonly<Record<string, Readonly<Record<string, Verdict>>>> = {
  'core.o': { xdp_core: ok(124) },
  'global_funcs.o': {
    xdp_global_args: ok(75),
    xdp_global_maybe_null: { ok: false, errno: 'EINVAL', log: /arg#0 is expected to be non-NULL\nCaller passes invalid args into func#1 \('gf_first'\)/ },
    xdp_global_short_mem: { ok: false, errno: 'EINVAL', log: /R1 offset is outside of the packet\nCaller passes invalid args into func#1 \('gf_sum'\)/ },
    xdp_global_ptr_for_scalar: { ok: false, errno: 'EINVAL', log: /R1 is not a scalar\nCaller passes invalid args into func#1 \('gf_inner'\)/ },
    xdp_global_ret_ptr: { ok: false, errno: 'EINVAL', log: /Global function gf_ret_ptr\(\) doesn't return scalar\. Only those are supported\./ },
    xdp_global_bad_body: { ok: false, errno: 'EACCES', log: /Validating gf_unchecked\(\) func#1\.\.\.\n(.*\n)*R1 invalid mem access 'mem_or_null'/ },
    xdp_global_deep_stack: { ok: false, errno: 'EACCES', log: /combined stack size of 2 calls is 576\. Too large/ },
  },
  'globals.o': { xdp_globals: ok(121) },
  'kconfig.o': { xdp_kconfig: ok(69) },
  'kern_skb.o': { tc_kern_skb: ok(297) },
  'kfuncs.o': { tc_kfuncs: ok(53) },
  'legacy_maps.o': { xdp_legacy: ok(55) },
  'legacy_maps_nobtf.o': { xdp_legacy: ok(55) },
  'maps_btf.o': { xdp_maps: ok(114) },
  'refused.o': {
    xdp_unchecked_read: { ok: false, errno: 'EACCES', log: /invalid access to packet, off=0 size=1/ },
    xdp_unguarded_core: { ok: false, errno: 'EINVAL', log: /invalid func unknown#195896080/ },
  },
  'ringbuf.o': { xdp_ringbuf: ok(76) },
  'sections.o': Object.fromEntries([
    'sec_socket', 'sec_kprobe', 'sec_kretprobe', 'sec_uprobe', 'sec_tracepoint', 'sec_tp', 'sec_raw_tp',
    'sec_raw_tracepoint', 'sec_tp_btf', 'sec_fentry', 'sec_fexit', 'sec_lsm', 'sec_iter', 'sec_perf_event',
    'sec_cgroup_skb_ingress', 'sec_cgroup_skb_egress', 'sec_sock_create', 'sec_connect4', 'sec_connect6',
    'sec_sendmsg4', 'sec_sendmsg6', 'sec_recvmsg4', 'sec_recvmsg6', 'sec_bind4', 'sec_bind6', 'sec_sockops',
    'sec_sk_skb_parser', 'sec_sk_skb_verdict', 'sec_sk_msg', 'sec_xdp_frags', 'sec_tc_ingress', 'sec_tcx_egress',
    'sec_classifier', 'sec_action',
  ].map((n) => [n, ['sec_fentry', 'sec_fexit', 'sec_lsm'].includes(n) ? trampoline : ok(2)])),
  'sk_skb_router.o': { sk_parser: ok(2), sk_router: ok(27), sk_skb_router: ok(27) },
  'subprogs.o': { xdp_subprogs: ok(158), xdp_subprogs_b: ok(29) },
  'tail_calls.o': { tail_pass: ok(2), tail_drop: ok(2), tail_count: ok(6), xdp_entry: ok(13) },
  'tc_counter.o': { tc_count: ok(38), tc_mark: ok(7), tcx_len_filter: ok(8) },
  'xdp_firewall.o': { xdp_firewall: ok(58) },
  'xdp_parser.o': { xdp_parser: ok(236) },
  'xdp_lb.o': { xdp_lb: ok(82635) },
};
