// SPDX-License-Identifier: GPL-2.0
/*
 * An XDP packet parser: Ethernet, IPv4 (with options), IPv6, TCP and UDP, every header
 * bounds-checked against data_end. Counts packets and bytes per protocol in an array map and
 * drops telnet (TCP 23) and discard (UDP 9). Covers: the xdp section, direct packet access, an
 * array map with a struct value, static inline and static noinline subprograms.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

struct stats {
	__u64 packets;
	__u64 bytes;
};

enum { STAT_IPV4, STAT_IPV6, STAT_TCP, STAT_UDP, STAT_OTHER, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, struct stats);
} proto_stats SEC(".maps");

struct cursor {
	void *pos;
	void *end;
};

static __noinline void count(__u32 idx, __u64 bytes)
{
	struct stats *s = bpf_map_lookup_elem(&proto_stats, &idx);

	if (!s)
		return;
	s->packets++;
	s->bytes += bytes;
}

static __always_inline int parse_l4(struct cursor *c, __u8 proto, __u64 len)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;

		if ((void *)(th + 1) > c->end)
			return XDP_DROP;
		count(STAT_TCP, len);
		return th->dest == bpf_htons(23) ? XDP_DROP : XDP_PASS;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = c->pos;

		if ((void *)(uh + 1) > c->end)
			return XDP_DROP;
		count(STAT_UDP, len);
		return uh->dest == bpf_htons(9) ? XDP_DROP : XDP_PASS;
	}
	count(STAT_OTHER, len);
	return XDP_PASS;
}

SEC("xdp")
int xdp_parser(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ethhdr *eth = data;
	struct cursor c = { .end = data_end };

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	c.pos = eth + 1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = c.pos;

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return XDP_DROP;
		c.pos = (void *)iph + iph->ihl * 4;
		count(STAT_IPV4, len);
		return parse_l4(&c, iph->protocol, len);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = c.pos;

		if ((void *)(ip6 + 1) > data_end)
			return XDP_DROP;
		c.pos = ip6 + 1;
		count(STAT_IPV6, len);
		return parse_l4(&c, ip6->nexthdr, len);
	}
	count(STAT_OTHER, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
