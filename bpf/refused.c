// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the kernel refuses, so that bpfsim's verdicts can be checked against its: a packet
 * read without a bounds check, and a CO-RE relocation to a field the kernel lacks, used without
 * a bpf_core_field_exists() guard (libbpf poisons the instruction: "invalid func unknown#195896080").
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include "bpfsim_core.h"

struct task_struct {
	int bpfsim_no_such_field;
} __attribute__((preserve_access_index));

SEC("xdp")
int xdp_unchecked_read(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;

	return data[0] == 0xff ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_unguarded_core(struct xdp_md *ctx)
{
	struct task_struct *task = 0;

	return bpf_core_field_size(task->bpfsim_no_such_field) == 4 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
