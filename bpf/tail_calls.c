// SPDX-License-Identifier: GPL-2.0
/*
 * Tail calls through a PROG_ARRAY whose slots are filled from the object (.values = { [i] =
 * &prog }): the entry program jumps to the slot named by the packet's first byte; slot 1 is left
 * empty, so that jump falls through. Covers prog-array initial values written after load.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

int tail_pass(struct xdp_md *ctx);
int tail_drop(struct xdp_md *ctx);
int tail_count(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_pass,
		[2] = (void *)&tail_drop,
		[3] = (void *)&tail_count,
	},
};

__u64 tail_hits;

SEC("xdp")
int xdp_entry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *first = data;

	if ((void *)(first + 1) > data_end)
		return XDP_ABORTED;
	bpf_tail_call(ctx, &jump_table, *first & 3);
	return XDP_TX;
}

SEC("xdp")
int tail_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int tail_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int tail_count(struct xdp_md *ctx)
{
	tail_hits++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
