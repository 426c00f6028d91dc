// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE against the kernel's BTF: packet headers declared locally with preserve_access_index
 * (iphdr's saddr sits directly in the struct here but inside an anonymous union in the kernel),
 * bitfields read with relocated offset, size and shifts, and every other relocation kind: field
 * exists/size/offset/signed, type exists/size/matches/id, enum value exists/value, a flavor
 * (task_struct___old) and guarded accesses to what the kernel lacks (poisoned, dead code).
 * Results go to .bss as booleans and UAPI-fixed values, so every target gives the same ones.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include "bpfsim_core.h"

struct ethhdr {
	unsigned char h_dest[6];
	unsigned char h_source[6];
	__be16 h_proto;
} __attribute__((preserve_access_index));

struct iphdr {
	__u8 ihl: 4;
	__u8 version: 4;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__be32 saddr;
	__be32 daddr;
} __attribute__((preserve_access_index));

struct tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u16 res1: 4;
	__u16 doff: 4;
	__u16 fin: 1;
	__u16 syn: 1;
	__u16 rst: 1;
	__u16 psh: 1;
	__u16 ack: 1;
	__u16 urg: 1;
	__u16 ece: 1;
	__u16 cwr: 1;
	__be16 window;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	int bpfsim_no_such_field;
} __attribute__((preserve_access_index));

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

struct bpfsim_not_in_kernel {
	int x;
};

enum bpfsim_no_such_enum { BPFSIM_NO_SUCH_VALUE = 7 };

struct core_results {
	__u32 ihl;
	__u32 version;
	__u32 protocol;
	__u32 doff;
	__u32 syn;
	__u32 saddr_off;
	__u32 saddr_size;
	__u32 eth_size;
	__u32 pid_exists;
	__u32 pid_signed;
	__u32 missing_field_exists;
	__u32 old_state_exists;
	__u32 task_exists;
	__u32 task_has_size;
	__u32 task_has_id;
	__u32 local_id_nonzero;
	__u32 missing_type_exists;
	__u32 eth_matches;
	__u32 xdp_pass_exists;
	__u32 xdp_pass_value;
	__u32 missing_enum_exists;
	__u32 guarded;
};

struct core_results results;

SEC("xdp")
int xdp_core(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1);
	struct task_struct *task = 0;
	struct task_struct___old *old = 0;

	results.saddr_off = bpf_core_field_offset(iph->saddr);
	results.saddr_size = bpf_core_field_size(iph->saddr);
	results.eth_size = bpf_core_type_size(struct ethhdr);
	results.pid_exists = bpf_core_field_exists(task->pid);
	results.pid_signed = bpf_core_field_signed(task->pid);
	results.missing_field_exists = bpf_core_field_exists(task->bpfsim_no_such_field);
	results.old_state_exists = bpf_core_field_exists(old->state);
	results.task_exists = bpf_core_type_exists(struct task_struct);
	results.task_has_size = bpf_core_type_size(struct task_struct) > 0;
	results.task_has_id = bpf_core_type_id_kernel(struct task_struct) != 0;
	results.local_id_nonzero = bpf_core_type_id_local(struct task_struct) != 0;
	results.missing_type_exists = bpf_core_type_exists(struct bpfsim_not_in_kernel);
	results.eth_matches = bpf_core_type_matches(struct ethhdr);
	results.xdp_pass_exists = bpf_core_enum_value_exists(enum xdp_action, XDP_PASS);
	results.xdp_pass_value = bpf_core_enum_value(enum xdp_action, XDP_PASS);
	results.missing_enum_exists = bpf_core_enum_value_exists(enum bpfsim_no_such_enum, BPFSIM_NO_SUCH_VALUE);
	if (bpf_core_field_exists(task->bpfsim_no_such_field))
		results.guarded = bpf_core_field_size(task->bpfsim_no_such_field);
	if (bpf_core_enum_value_exists(enum bpfsim_no_such_enum, BPFSIM_NO_SUCH_VALUE))
		results.guarded += bpf_core_enum_value(enum bpfsim_no_such_enum, BPFSIM_NO_SUCH_VALUE);

	if ((void *)(th + 1) > data_end || eth->h_proto != bpf_htons(0x0800))
		return XDP_PASS;
	results.ihl = BPF_CORE_READ_BITFIELD(iph, ihl);
	results.version = BPF_CORE_READ_BITFIELD(iph, version);
	results.protocol = iph->protocol;
	if (iph->protocol != 6)
		return XDP_PASS;
	results.doff = BPF_CORE_READ_BITFIELD(th, doff);
	results.syn = BPF_CORE_READ_BITFIELD(th, syn);
	return results.syn ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
