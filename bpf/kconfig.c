// SPDX-License-Identifier: GPL-2.0
/*
 * .kconfig externs of each kind libbpf supports: an integer (LINUX_KERNEL_VERSION, CONFIG_HZ), a
 * bool, a tristate, a char, a string, and a weak option that is not set. The loader lays them
 * out in the frozen .kconfig map; the program copies them to .bss.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"

extern __u32 LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern _Bool CONFIG_BPF_JIT __kconfig;
extern enum libbpf_tristate CONFIG_NET_CLS_BPF __kconfig;
extern char CONFIG_SMP __kconfig;
extern char CONFIG_LOCALVERSION[16] __kconfig __weak;
extern _Bool CONFIG_BPFSIM_NOT_SET __kconfig __weak;

struct kconfig_out {
	__u32 version;
	int hz;
	__u32 jit;
	__u32 cls_bpf;
	__u32 smp;
	__u32 not_set;
	char localversion[16];
};

struct kconfig_out out;

SEC("xdp")
int xdp_kconfig(struct xdp_md *ctx)
{
	out.version = LINUX_KERNEL_VERSION;
	out.hz = CONFIG_HZ;
	out.jit = CONFIG_BPF_JIT;
	out.cls_bpf = CONFIG_NET_CLS_BPF;
	out.smp = CONFIG_SMP;
	out.not_set = CONFIG_BPFSIM_NOT_SET;
	__builtin_memcpy(out.localversion, CONFIG_LOCALVERSION, sizeof(out.localversion));
	return LINUX_KERNEL_VERSION >= KERNEL_VERSION(5, 10, 0) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
