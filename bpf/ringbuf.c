// SPDX-License-Identifier: GPL-2.0
/*
 * A ring buffer producer: reserve, fill and submit an event per packet (or discard it for short
 * packets), plus a small bpf_ringbuf_output copy. Covers RINGBUF maps and their helpers.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

struct event {
	__u32 len;
	__u32 ifindex;
	__u8 head[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

__u64 submitted, discarded;

SEC("xdp")
int xdp_ringbuf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u32 len = data_end - data;

	if (!e)
		return XDP_PASS;
	if (data + sizeof(e->head) > data_end) {
		bpf_ringbuf_discard(e, 0);
		discarded++;
		bpf_ringbuf_output(&events, &len, sizeof(len), 0);
		return XDP_PASS;
	}
	e->len = len;
	e->ifindex = ctx->ingress_ifindex;
	__builtin_memcpy(e->head, data, sizeof(e->head));
	bpf_ringbuf_submit(e, 0);
	submitted++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
