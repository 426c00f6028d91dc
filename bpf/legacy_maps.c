// SPDX-License-Identifier: GPL-2.0
/*
 * Maps declared the pre-libbpf-1.0 way: struct bpf_map_def in a "maps" section, with the key and
 * value types annotated for BTF by BPF_ANNOTATE_KV_PAIR. Built twice, with and without -g (BTF).
 * Counts packets by length class and remembers the last length per ingress interface.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

#define BPF_ANNOTATE_KV_PAIR(name, type_key, type_val) \
	struct ____btf_map_##name { type_key key; type_val value; }; \
	struct ____btf_map_##name __attribute__((section(".maps." #name), used)) ____btf_map_##name = {}

struct bpf_map_def SEC("maps") len_classes = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
};
BPF_ANNOTATE_KV_PAIR(len_classes, __u32, __u64);

struct bpf_map_def SEC("maps") last_len = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 64,
	.map_flags = BPF_F_NO_PREALLOC,
};

SEC("xdp")
int xdp_legacy(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u32 class = len < 64 ? 0 : len < 512 ? 1 : len < 1500 ? 2 : 3;
	__u32 ifindex = ctx->ingress_ifindex;
	__u64 *n = bpf_map_lookup_elem(&len_classes, &class);

	if (n)
		*n += 1;
	bpf_map_update_elem(&last_len, &ifindex, &len, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
