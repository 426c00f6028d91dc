// SPDX-License-Identifier: GPL-2.0
/*
 * An sk_skb message router for the sockets of a SOCKMAP: a stream parser that takes each read as
 * one message, and a verdict that routes on the message's first byte: 'a' to 'd' onto the receive
 * queue of the socket at index 0 to 3, 'x' dropped, anything else passed. Covers:
 * sk_skb/stream_parser, sk_skb/stream_verdict and sk_skb/verdict, a SOCKMAP, bpf_skb_pull_data
 * before direct packet access (TCP hands the payload over in pages), bpf_sk_redirect_map.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} socks SEC(".maps");

SEC("sk_skb/stream_parser")
int sk_parser(struct __sk_buff *skb)
{
	return skb->len;
}

static __always_inline int route(struct __sk_buff *skb)
{
	__u8 *data, *data_end;

	if (bpf_skb_pull_data(skb, 1))
		return SK_DROP;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + 1 > data_end || *data == 'x')
		return SK_DROP;
	if (*data >= 'a' && *data <= 'd')
		return bpf_sk_redirect_map(skb, &socks, *data - 'a', BPF_F_INGRESS);
	return SK_PASS;
}

SEC("sk_skb/stream_verdict")
int sk_router(struct __sk_buff *skb)
{
	return route(skb);
}

SEC("sk_skb/verdict")
int sk_skb_router(struct __sk_buff *skb)
{
	return route(skb);
}

char LICENSE[] SEC("license") = "GPL";
