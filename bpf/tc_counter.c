// SPDX-License-Identifier: GPL-2.0
/*
 * tc programs: a per-source-address counter in a hash map, a mark setter sharing the "tc"
 * section with it (several programs per section), and a tcx ingress length filter. Covers: tc,
 * tcx/ingress, __sk_buff direct packet access and field writes, a hash map.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, struct counter);
} by_source SEC(".maps");

SEC("tc")
int tc_count(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct counter *c, init = { 1, skb->len };

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	c = bpf_map_lookup_elem(&by_source, &iph->saddr);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, skb->len);
	} else {
		bpf_map_update_elem(&by_source, &iph->saddr, &init, BPF_NOEXIST);
	}
	return TC_ACT_OK;
}

SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	skb->mark = 0x42;
	skb->priority = skb->len & 7;
	return TC_ACT_OK;
}

SEC("tcx/ingress")
int tcx_len_filter(struct __sk_buff *skb)
{
	return skb->len > 1000 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
