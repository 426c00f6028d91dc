// SPDX-License-Identifier: GPL-2.0
/*
 * An XDP firewall: IPv4 source addresses looked up in an LPM trie of blocked prefixes, whose
 * value is the action to take; anything else gets the default action, a .rodata constant a
 * loader can set before load. Counts verdicts in a per-CPU array. Covers: LPM_TRIE with
 * BPF_F_NO_PREALLOC, PERCPU_ARRAY, a settable .rodata configuration.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include <linux/if_ether.h>
#include <linux/ip.h>

struct lpm_v4 {
	__u32 prefixlen;
	__be32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__type(key, struct lpm_v4);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

const volatile __u32 default_action = XDP_PASS;

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct lpm_v4 key = { .prefixlen = 32 };
	__u32 action = default_action, *rule;
	__u64 *n;

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	key.addr = iph->saddr;
	rule = bpf_map_lookup_elem(&blocklist, &key);
	if (rule)
		action = *rule;
	if (action > XDP_REDIRECT)
		action = XDP_ABORTED;
	n = bpf_map_lookup_elem(&verdicts, &action);
	if (n)
		*n += 1;
	return action;
}

char LICENSE[] SEC("license") = "GPL";
