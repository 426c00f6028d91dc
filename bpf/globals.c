// SPDX-License-Identifier: GPL-2.0
/*
 * Global data of every kind: initialized (.data), zero (.bss), constant (.rodata, settable before
 * load and frozen), custom sections (.data.custom, .rodata.custom), static variables, arrays and
 * structs, and string literals (.rodata.str1.1). Covers global data maps reached through LD_IMM64
 * map-value references, and constant folding by the verifier on frozen .rodata.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

struct config {
	__u32 weight;
	__u16 port;
	__u8 mac[6];
};

int packets = 1;
__u64 total_bytes;
static __u32 calls;
__u32 histogram[8];
const volatile __u32 drop_above = 1500;
const volatile __u8 debug = 0;
struct config cfg SEC(".data.custom") = { .weight = 7, .port = 8080, .mac = { 2, 0, 0, 0, 0, 1 } };
const volatile __u32 salt SEC(".rodata.custom") = 0xabcd;
char last_tag[8];

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	__u32 bucket = len / 64;

	packets++;
	calls++;
	total_bytes += len;
	if (bucket > 7)
		bucket = 7;
	histogram[bucket]++;
	cfg.weight += salt & 0xff;
	if (debug)
		bpf_printk("len %llu calls %u", len, calls);
	__builtin_memcpy(last_tag, bpf_strncmp(last_tag, 5, "seen!") ? "seen!" : "again", 6);
	if (len > drop_above)
		return XDP_DROP;
	return calls == 1 ? XDP_TX : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
