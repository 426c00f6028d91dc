// SPDX-License-Identifier: GPL-2.0
/*
 * One minimal program per section-name convention, so that loading the object checks the
 * section → program type / attach type table against the kernel: socket filters, probes,
 * tracepoints, BTF-attached tracing (fentry, fexit, tp_btf, lsm, iter), perf events, cgroup
 * hooks, sockops, sk_skb, sk_msg, xdp.frags and every tc spelling.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include <linux/pkt_cls.h>

SEC("socket") int sec_socket(struct __sk_buff *skb) { return skb->len; }
SEC("kprobe/do_unlinkat") int sec_kprobe(void *ctx) { return 0; }
SEC("kretprobe/do_unlinkat") int sec_kretprobe(void *ctx) { return 0; }
SEC("uprobe") int sec_uprobe(void *ctx) { return 0; }
SEC("tracepoint/syscalls/sys_enter_openat") int sec_tracepoint(void *ctx) { return 0; }
SEC("tp/sched/sched_switch") int sec_tp(void *ctx) { return 0; }
SEC("raw_tp/sched_switch") int sec_raw_tp(void *ctx) { return 0; }
SEC("raw_tracepoint/sys_enter") int sec_raw_tracepoint(void *ctx) { return 0; }
SEC("tp_btf/sched_switch") int sec_tp_btf(void *ctx) { return 0; }
SEC("fentry/do_unlinkat") int sec_fentry(void *ctx) { return 0; }
SEC("fexit/do_unlinkat") int sec_fexit(void *ctx) { return 0; }
SEC("lsm/file_open") int sec_lsm(void *ctx) { return 0; }
SEC("iter/task") int sec_iter(void *ctx) { return 0; }
SEC("perf_event") int sec_perf_event(void *ctx) { return 0; }
SEC("cgroup_skb/ingress") int sec_cgroup_skb_ingress(struct __sk_buff *skb) { return 1; }
SEC("cgroup_skb/egress") int sec_cgroup_skb_egress(struct __sk_buff *skb) { return 1; }
SEC("cgroup/sock_create") int sec_sock_create(struct bpf_sock *sk) { return 1; }
SEC("cgroup/connect4") int sec_connect4(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/connect6") int sec_connect6(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/sendmsg4") int sec_sendmsg4(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/sendmsg6") int sec_sendmsg6(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/recvmsg4") int sec_recvmsg4(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/recvmsg6") int sec_recvmsg6(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/bind4") int sec_bind4(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/bind6") int sec_bind6(struct bpf_sock_addr *ctx) { return 1; }
SEC("sockops") int sec_sockops(struct bpf_sock_ops *ops) { return 1; }
SEC("sk_skb/stream_parser") int sec_sk_skb_parser(struct __sk_buff *skb) { return skb->len; }
SEC("sk_skb/stream_verdict") int sec_sk_skb_verdict(struct __sk_buff *skb) { return SK_PASS; }
SEC("sk_msg") int sec_sk_msg(struct sk_msg_md *msg) { return SK_PASS; }
SEC("xdp.frags") int sec_xdp_frags(struct xdp_md *ctx) { return XDP_PASS; }
SEC("tc/ingress") int sec_tc_ingress(struct __sk_buff *skb) { return TC_ACT_OK; }
SEC("tcx/egress") int sec_tcx_egress(struct __sk_buff *skb) { return TC_ACT_OK; }
SEC("classifier") int sec_classifier(struct __sk_buff *skb) { return TC_ACT_OK; }
SEC("action") int sec_action(struct __sk_buff *skb) { return TC_ACT_OK; }

char LICENSE[] SEC("license") = "GPL";
