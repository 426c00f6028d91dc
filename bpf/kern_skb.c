// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's struct sk_buff behind a tc program's __sk_buff, through bpf_cast_to_kern_ctx: one
 * field, chosen by cb[4] of ctx_in, read through the sk_buff (cb[3] = 1) or through __sk_buff
 * (cb[3] = 0), after an action chosen by cb[2] (stores into __sk_buff before the cast, or a helper
 * that changes the packet after it). The sk_buff members are CO-RE relocated, so the same object
 * reads the kernel's layout on Linux and bpfsim's on the simulator; both must give one answer.
 */
#include "bpfsim.h"
#include "bpfsim_helpers.h"
#include "bpfsim_core.h"

static long (* const skb_vlan_push)(struct __sk_buff *skb, __be16 proto, __u16 tci) = (void *) 18;
static long (* const set_hash)(struct __sk_buff *skb, __u32 hash) = (void *) 48;
static long (* const skb_adjust_room)(struct __sk_buff *skb, __s32 len_diff, __u32 mode, __u64 flags) = (void *) 50;

struct net_device {
	int ifindex;
	unsigned int mtu;
} __attribute__((preserve_access_index));

struct sk_buff {
	struct net_device *dev;
	long long tstamp;
	char cb[48];
	unsigned int len;
	unsigned int data_len;
	__u16 queue_mapping;
	__u8 pkt_type:3;
	__u16 tc_index;
	__u32 priority;
	__u32 hash;
	__be16 vlan_proto;
	__u16 vlan_tci;
	__u32 mark;
	__be16 protocol;
	unsigned char *head;
	unsigned char *data;
} __attribute__((preserve_access_index));

#define barrier() asm volatile("" ::: "memory")

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

enum field {
	F_LEN, F_PROTOCOL, F_MARK, F_PRIORITY, F_PKT_TYPE, F_IFINDEX, F_QUEUE_MAPPING, F_TC_INDEX, F_HASH,
	F_VLAN_TCI, F_VLAN_PROTO, F_CB0, F_TSTAMP, F_WIRE_LEN, F_LINEAR, F_HEADROOM, F_MTU,
};

enum action { A_NONE, A_STORES, A_CHANGE_TAIL, A_VLAN_PUSH, A_SET_HASH, A_ADJUST_ROOM };

static __always_inline __u32 kern_field(struct sk_buff *k, __u32 f)
{
	switch (f) {
	case F_LEN: return k->len;
	case F_PROTOCOL: return k->protocol;
	case F_MARK: return k->mark;
	case F_PRIORITY: return k->priority;
	case F_PKT_TYPE: return BPF_CORE_READ_BITFIELD(k, pkt_type);
	case F_IFINDEX: return k->dev->ifindex;
	case F_QUEUE_MAPPING: return k->queue_mapping;
	case F_TC_INDEX: return k->tc_index;
	case F_HASH: return k->hash;
	case F_VLAN_TCI: return k->vlan_tci;
	case F_VLAN_PROTO: return k->vlan_proto;
	case F_CB0: return *(__u32 *)&k->cb[8];
	case F_TSTAMP: return k->tstamp;
	case F_WIRE_LEN: return *(__u32 *)&k->cb[0];
	case F_LINEAR: return k->len - k->data_len;
	case F_HEADROOM: return k->data - k->head;
	case F_MTU: return k->dev->mtu;
	}
	return -1;
}

static __always_inline __u32 md_field(struct __sk_buff *skb, __u32 f)
{
	switch (f) {
	case F_LEN: return skb->len;
	case F_PROTOCOL: return skb->protocol;
	case F_MARK: return skb->mark;
	case F_PRIORITY: return skb->priority;
	case F_PKT_TYPE: return skb->pkt_type;
	case F_IFINDEX: return skb->ifindex;
	case F_QUEUE_MAPPING: return skb->queue_mapping;
	case F_TC_INDEX: return skb->tc_index;
	case F_HASH: return skb->hash;
	case F_VLAN_TCI: return skb->vlan_tci;
	case F_VLAN_PROTO: return skb->vlan_proto;
	case F_CB0: return skb->cb[0];
	case F_TSTAMP: return skb->tstamp;
	case F_WIRE_LEN: return skb->wire_len;
	case F_LINEAR: return skb->data_end - skb->data;
	}
	return -1;
}

SEC("tc")
int tc_kern_skb(struct __sk_buff *skb)
{
	__u32 action = skb->cb[2], kern = skb->cb[3], f = skb->cb[4];
	struct sk_buff *k;

	if (action == A_STORES) {
		/* The barriers keep clang from merging neighbouring stores into one the context refuses. */
		skb->mark = 77;
		barrier();
		skb->priority = 9;
		barrier();
		skb->queue_mapping = 3;
		barrier();
		skb->tc_index = 5;
		barrier();
		skb->cb[0] = 0xc0ffee;
	}
	k = bpf_cast_to_kern_ctx(skb);
	if (action == A_CHANGE_TAIL && bpf_skb_change_tail(skb, 100, 0))
		return -2;
	if (action == A_VLAN_PUSH && skb_vlan_push(skb, __builtin_bswap16(0x88a8), 42))
		return -2;
	if (action == A_SET_HASH && set_hash(skb, 0x1234))
		return -2;
	if (action == A_ADJUST_ROOM && skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0))
		return -2;
	return kern ? kern_field(k, f) : md_field(skb, f);
}

char LICENSE[] SEC("license") = "GPL";
