// SPDX-License-Identifier: GPL-2.0
/*
 * Global functions, which the kernel verifies once each against their BTF prototype rather than
 * at every call: a context argument (by type, and tagged arg:ctx), scalars, memory the size of the
 * pointed-to type (NULL allowed unless tagged arg:nonnull), one global calling another, and calls
 * the kernel refuses: a possibly-NULL pointer for a non-NULL argument, too little memory, a pointer
 * for a scalar, a function returning a pointer, a bad access inside a function, a call chain whose
 * stacks add up to more than 512 bytes.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct pair);
} pairs SEC(".maps");

struct pair {
	__u32 a;
	__u32 b;
};

__noinline int gf_len(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data;
}

__noinline int gf_queue(void *ctx __arg_ctx)
{
	return ((struct xdp_md *)ctx)->rx_queue_index;
}

__noinline int gf_sum(struct pair *p)
{
	if (!p)
		return -1;
	return p->a + p->b;
}

__noinline int gf_first(struct pair *p __arg_nonnull)
{
	return p->a;
}

__noinline int gf_inner(__u32 x)
{
	return x * 3 + 1;
}

__noinline int gf_outer(__u32 x, struct pair *p)
{
	if (!p)
		return gf_inner(x);
	p->b = x;
	return gf_inner(x + p->a);
}

__noinline struct pair *gf_ret_ptr(struct pair *p, __u32 i)
{
	return p && p->a < i ? p : 0;
}

__noinline int gf_unchecked(struct pair *p)
{
	return p->a;
}

__noinline int gf_big_stack(__u32 x)
{
	volatile __u8 buf[320];

	buf[x & 255] = 1;
	return buf[(x >> 8) & 255];
}

SEC("xdp")
int xdp_global_args(struct xdp_md *ctx)
{
	struct pair local = { .a = ctx->rx_queue_index, .b = 7 };
	__u32 key = 0;
	int r = gf_len(ctx) + gf_queue(ctx);

	r += gf_sum(&local) + gf_sum(0) + gf_sum(bpf_map_lookup_elem(&pairs, &key));
	r += gf_first(&local);
	r += gf_outer(r, &local) + gf_outer(local.b, 0);
	return r > 1000 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_global_maybe_null(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;

	return gf_first(bpf_map_lookup_elem(&pairs, &key)) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_global_short_mem(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + 4 > end)
		return XDP_PASS;
	return gf_sum(data) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_global_ptr_for_scalar(struct xdp_md *ctx)
{
	return gf_inner((long)ctx) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_global_ret_ptr(struct xdp_md *ctx)
{
	struct pair local = { .a = ctx->rx_queue_index };

	return gf_ret_ptr(&local, ctx->ingress_ifindex) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_global_bad_body(struct xdp_md *ctx)
{
	struct pair local = { .a = ctx->rx_queue_index };

	return gf_unchecked(&local) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_global_deep_stack(struct xdp_md *ctx)
{
	volatile __u8 buf[256];

	buf[ctx->rx_queue_index & 255] = 2;
	return gf_big_stack(buf[ctx->ingress_ifindex & 255]) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
