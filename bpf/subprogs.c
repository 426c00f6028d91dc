// SPDX-License-Identifier: GPL-2.0
/*
 * Subprograms: static noinline functions, global functions (verified on their own by the kernel,
 * which needs func_info for them), callbacks passed by address to bpf_loop and
 * bpf_for_each_map_elem (LD_IMM64 with BPF_PSEUDO_FUNC), and two programs sharing subprograms.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

struct sum_ctx {
	__u64 total;
	__u32 seen;
};

static __noinline __u64 mix(__u64 a, __u64 b)
{
	return (a * 31) ^ b;
}

__noinline int global_len(struct xdp_md *ctx)
{
	if (!ctx)
		return 0;
	return ctx->data_end - ctx->data;
}

__noinline __u64 global_scale(__u64 v, __u32 k)
{
	return v * k + 1;
}

static long loop_step(__u32 idx, __u64 *acc)
{
	*acc = mix(*acc, idx);
	return 0;
}

static long sum_elem(void *map, __u32 *key, __u64 *val, struct sum_ctx *c)
{
	c->total += *val + *key;
	c->seen++;
	return 0;
}

static __always_inline void store(__u32 slot, __u64 v)
{
	bpf_map_update_elem(&results, &slot, &v, BPF_ANY);
}

SEC("xdp")
int xdp_subprogs(struct xdp_md *ctx)
{
	struct sum_ctx c = {};
	/* Unknown to the verifier (0 in a test run), so that the callbacks' states converge. */
	__u64 acc = ctx->rx_queue_index + 1;

	bpf_loop(8, loop_step, &acc, 0);
	bpf_for_each_map_elem(&values, sum_elem, &c, 0);
	store(0, acc);
	store(1, c.total + ((__u64)c.seen << 32));
	store(2, global_scale(global_len(ctx), 3));
	return XDP_PASS;
}

SEC("xdp")
int xdp_subprogs_b(struct xdp_md *ctx)
{
	store(3, mix(global_len(ctx), 5));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
