// SPDX-License-Identifier: GPL-2.0
/*
 * kfuncs resolved against the kernel's BTF: bpf_rcu_read_lock/unlock and the open-coded number
 * iterator (bpf_iter_num_new/next/destroy), called from tc; a weak kfunc the kernel does not have,
 * guarded by bpf_ksym_exists (its call is poisoned and dead), a weak kfunc the kernel has
 * (bpf_ksym_exists gives its BTF id), and weak kernel variables the kernel lacks, typed and
 * typeless (resolved by address from kallsyms): their addresses load as 0.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include <linux/pkt_cls.h>

struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;
extern void bpfsim_kfunc_not_in_kernel(int x) __ksym __weak;
extern const int bpfsim_var_not_in_kernel __ksym __weak;
extern const void bpfsim_typeless_sym __ksym __weak;

SEC("tc")
int tc_kfuncs(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int sum = 0, *v;

	bpf_rcu_read_lock();
	bpf_iter_num_new(&it, 0, skb->len & 15);
	while ((v = bpf_iter_num_next(&it)))
		sum += *v;
	bpf_iter_num_destroy(&it);
	bpf_rcu_read_unlock();
	if (bpf_ksym_exists(bpfsim_kfunc_not_in_kernel))
		bpfsim_kfunc_not_in_kernel(sum);
	skb->mark = sum;
	if (bpf_ksym_exists(bpf_rcu_read_lock))
		skb->priority = 7;
	if (&bpfsim_var_not_in_kernel)
		skb->priority = bpfsim_var_not_in_kernel;
	if (&bpfsim_typeless_sym)
		skb->cb[0] = 1;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
