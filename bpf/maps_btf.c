// SPDX-License-Identifier: GPL-2.0
/*
 * BTF-defined maps with every attribute: key/value by size or by type, max_entries, map_flags,
 * numa_node, pinning, map_extra (bloom filter hashes), keyless queue and stack, per-CPU hash, LRU,
 * and map-in-map (array and hash of maps) whose inner maps come from .values initializers.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

struct flow_key {
	__u32 ifindex;
	__u16 len;
	__u16 pad;
};

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
	__uint(max_entries, 16);
} sized_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct flow_key);
	__type(value, struct counters);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, __u64);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NUMA_NODE);
	__uint(numa_node, 0);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
	__uint(pinning, BPFSIM_PIN_BY_NAME);
} pinned_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u32);
	__uint(max_entries, 16);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__type(value, __u32);
	__uint(max_entries, 16);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 2);
	__array(values, struct inner_array);
} outer SEC(".maps") = {
	.values = { &inner_a, &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 4);
	__array(values, struct inner_array);
} outer_hash SEC(".maps") = {
	.values = { [3] = &inner_b },
};

SEC("xdp")
int xdp_maps(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data, zero = 0, slot = len & 1;
	struct flow_key fk = { .ifindex = ctx->ingress_ifindex, .len = len };
	struct counters *c, init = { 1, len };
	__u64 one = 1, key64 = len, *v;
	void *inner;

	bpf_map_update_elem(&sized_hash, &len, &key64, BPF_ANY);
	c = bpf_map_lookup_elem(&flows, &fk);
	if (c) {
		c->packets++;
		c->bytes += len;
	} else {
		bpf_map_update_elem(&flows, &fk, &init, BPF_NOEXIST);
	}
	bpf_map_update_elem(&lru, &key64, &one, BPF_ANY);
	v = bpf_map_lookup_elem(&pinned_array, &zero);
	if (v)
		*v += len;
	bpf_map_push_elem(&queue, &len, 0);
	bpf_map_push_elem(&stack, &len, 0);
	bpf_map_push_elem(&bloom, &len, 0);
	inner = bpf_map_lookup_elem(&outer, &slot);
	if (inner) {
		v = bpf_map_lookup_elem(inner, &zero);
		if (v)
			*v += 1;
	}
	slot = 3;
	inner = bpf_map_lookup_elem(&outer_hash, &slot);
	if (inner) {
		v = bpf_map_lookup_elem(inner, &zero);
		if (v)
			*v += 100;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
