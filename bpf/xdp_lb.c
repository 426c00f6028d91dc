// SPDX-License-Identifier: GPL-2.0
/*
 * A small XDP layer-4 load balancer, loop-heavy as real ones are: parses Ethernet, IPv4 (walking
 * its options byte by byte) and TCP/UDP; looks the virtual service up by (address, port, protocol);
 * keeps flows sticky in an LRU table; otherwise hashes the 5-tuple with a byte loop and probes the
 * service's backend slots for a healthy one (a bounded loop, and a bpf_loop callback that counts the
 * healthy backends); rewrites the destination address and MAC, fixes the IPv4 checksum with a
 * folding loop, and transmits. Per-backend counters in a per-CPU array.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define MAX_BACKENDS 16
#define MAX_OPT_BYTES 40

struct vip {
	__u32 addr;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct service {
	__u32 first;
	__u32 count;
};

struct backend {
	__u32 addr;
	__u8 mac[ETH_ALEN];
	__u8 healthy;
	__u8 pad;
};

struct flow {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct vip);
	__type(value, struct service);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow);
	__type(value, __u32);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct health_ctx {
	__u32 first;
	__u32 count;
	__u32 healthy;
};

static long count_healthy(__u32 i, struct health_ctx *c)
{
	__u32 idx;
	struct backend *b;

	if (i >= c->count)
		return 1;
	idx = (c->first + i) & (MAX_BACKENDS - 1);
	b = bpf_map_lookup_elem(&backends, &idx);
	if (b && b->healthy)
		c->healthy++;
	return 0;
}

static __always_inline __u32 flow_hash(const struct flow *f)
{
	const __u8 *p = (const __u8 *)f;
	__u32 h = 2166136261u;

	for (int i = 0; i < (int)sizeof(*f); i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	for (int i = 0; i < 4; i++)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline __u16 ipv4_csum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;

	ip->check = 0;
	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += w[i];
	return csum_fold(sum);
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct flow f = {};
	struct vip v = {};
	struct service *svc;
	struct backend *b = 0;
	__u32 *pinned, idx, h;
	__u64 *hit;
	__u8 *opt;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5)
		return XDP_PASS;
	/* Walk the options: a record route or timestamp option makes the packet ours to drop. */
	opt = (__u8 *)(ip + 1);
	for (int i = 0; i < MAX_OPT_BYTES; i++) {
		if (i >= (ip->ihl - 5) * 4 || (void *)(opt + i + 1) > end)
			break;
		if (opt[i] == 7 || opt[i] == 68)
			return XDP_DROP;
	}
	if ((void *)ip + ip->ihl * 4 > end)
		return XDP_PASS;
	f.saddr = ip->saddr;
	f.daddr = ip->daddr;
	f.proto = ip->protocol;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)(ip + 1);

		if ((void *)(th + 1) > end)
			return XDP_PASS;
		f.sport = th->source;
		f.dport = th->dest;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)(ip + 1);

		if ((void *)(uh + 1) > end)
			return XDP_PASS;
		f.sport = uh->source;
		f.dport = uh->dest;
	} else {
		return XDP_PASS;
	}
	v.addr = f.daddr;
	v.port = f.dport;
	v.proto = f.proto;
	svc = bpf_map_lookup_elem(&services, &v);
	if (!svc || !svc->count)
		return XDP_PASS;
	pinned = bpf_map_lookup_elem(&flows, &f);
	if (pinned) {
		idx = *pinned & (MAX_BACKENDS - 1);
		b = bpf_map_lookup_elem(&backends, &idx);
		if (b && !b->healthy)
			b = 0;
	}
	if (!b) {
		struct health_ctx hc = { .first = svc->first, .count = svc->count, .healthy = 0 };

		bpf_loop(MAX_BACKENDS, count_healthy, &hc, 0);
		if (!hc.healthy)
			return XDP_DROP;
		h = flow_hash(&f);
		for (int probe = 0; probe < MAX_BACKENDS; probe++) {
			idx = (svc->first + (h + probe) % svc->count) & (MAX_BACKENDS - 1);
			b = bpf_map_lookup_elem(&backends, &idx);
			if (b && b->healthy)
				break;
			b = 0;
		}
		if (!b)
			return XDP_DROP;
		bpf_map_update_elem(&flows, &f, &idx, BPF_ANY);
	}
	hit = bpf_map_lookup_elem(&hits, &idx);
	if (hit)
		*hit += 1;
	ip->daddr = b->addr;
	ip->check = ipv4_csum(ip);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, b->mac, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
