/*
 * Constants of the kernel's BPF UAPI, named and numbered exactly as in include/uapi/linux/bpf.h
 * (checked against the BTF of a 6.18 kernel), for the kernel backend and anything that talks to it.
 */

// enum bpf_prog_type
/** Program type: reserved, invalid. */
export const BPF_PROG_TYPE_UNSPEC = 0;
/** Program type: socket filters (SO_ATTACH_BPF). */
export const BPF_PROG_TYPE_SOCKET_FILTER = 1;
/** Program type: kprobes and uprobes. */
export const BPF_PROG_TYPE_KPROBE = 2;
/** Program type: tc classifiers (cls_bpf, tcx). */
export const BPF_PROG_TYPE_SCHED_CLS = 3;
/** Program type: tc actions (act_bpf). */
export const BPF_PROG_TYPE_SCHED_ACT = 4;
/** Program type: tracepoints. */
export const BPF_PROG_TYPE_TRACEPOINT = 5;
/** Program type: eXpress Data Path, at the driver RX hook. */
export const BPF_PROG_TYPE_XDP = 6;
/** Program type: perf events. */
export const BPF_PROG_TYPE_PERF_EVENT = 7;
/** Program type: cgroup ingress/egress packet filters. */
export const BPF_PROG_TYPE_CGROUP_SKB = 8;
/** Program type: cgroup socket create/release hooks. */
export const BPF_PROG_TYPE_CGROUP_SOCK = 9;
/** Program type: lightweight tunnel input. */
export const BPF_PROG_TYPE_LWT_IN = 10;
/** Program type: lightweight tunnel output. */
export const BPF_PROG_TYPE_LWT_OUT = 11;
/** Program type: lightweight tunnel transmit. */
export const BPF_PROG_TYPE_LWT_XMIT = 12;
/** Program type: TCP socket operations. */
export const BPF_PROG_TYPE_SOCK_OPS = 13;
/** Program type: sockmap stream parser/verdict. */
export const BPF_PROG_TYPE_SK_SKB = 14;
/** Program type: cgroup device access control. */
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
/** Program type: sockmap sendmsg verdict. */
export const BPF_PROG_TYPE_SK_MSG = 16;
/** Program type: raw tracepoints. */
export const BPF_PROG_TYPE_RAW_TRACEPOINT = 17;
/** Program type: cgroup bind/connect/sendmsg address hooks. */
export const BPF_PROG_TYPE_CGROUP_SOCK_ADDR = 18;
/** Program type: SRv6 local actions. */
export const BPF_PROG_TYPE_LWT_SEG6LOCAL = 19;
/** Program type: IR decoders. */
export const BPF_PROG_TYPE_LIRC_MODE2 = 20;
/** Program type: SO_REUSEPORT socket selection. */
export const BPF_PROG_TYPE_SK_REUSEPORT = 21;
/** Program type: the flow dissector. */
export const BPF_PROG_TYPE_FLOW_DISSECTOR = 22;
/** Program type: cgroup sysctl access. */
export const BPF_PROG_TYPE_CGROUP_SYSCTL = 23;
/** Program type: raw tracepoints with writable arguments. */
export const BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE = 24;
/** Program type: cgroup get/setsockopt hooks. */
export const BPF_PROG_TYPE_CGROUP_SOCKOPT = 25;
/** Program type: fentry/fexit/fmod_ret and iterators. */
export const BPF_PROG_TYPE_TRACING = 26;
/** Program type: kernel struct_ops implementations. */
export const BPF_PROG_TYPE_STRUCT_OPS = 27;
/** Program type: freplace extensions. */
export const BPF_PROG_TYPE_EXT = 28;
/** Program type: LSM hooks. */
export const BPF_PROG_TYPE_LSM = 29;
/** Program type: socket lookup. */
export const BPF_PROG_TYPE_SK_LOOKUP = 30;
/** Program type: programs that run syscalls (BPF_PROG_RUN only). */
export const BPF_PROG_TYPE_SYSCALL = 31;
/** Program type: netfilter hooks. */
export const BPF_PROG_TYPE_NETFILTER = 32;

// enum bpf_map_type
/** Map type: reserved, invalid. */
export const BPF_MAP_TYPE_UNSPEC = 0;
/** Map type: hash table. */
export const BPF_MAP_TYPE_HASH = 1;
/** Map type: array indexed by a u32. */
export const BPF_MAP_TYPE_ARRAY = 2;
/** Map type: program array for tail calls. */
export const BPF_MAP_TYPE_PROG_ARRAY = 3;
/** Map type: perf event ring buffers, one per CPU. */
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
/** Map type: hash table with a value per CPU. */
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
/** Map type: array with a value per CPU. */
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
/** Map type: stack traces. */
export const BPF_MAP_TYPE_STACK_TRACE = 7;
/** Map type: cgroup references. */
export const BPF_MAP_TYPE_CGROUP_ARRAY = 8;
/** Map type: hash table with LRU eviction. */
export const BPF_MAP_TYPE_LRU_HASH = 9;
/** Map type: LRU hash table with a value per CPU. */
export const BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
/** Map type: longest-prefix-match trie. */
export const BPF_MAP_TYPE_LPM_TRIE = 11;
/** Map type: array of inner maps. */
export const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
/** Map type: hash table of inner maps. */
export const BPF_MAP_TYPE_HASH_OF_MAPS = 13;
/** Map type: net devices for XDP redirect. */
export const BPF_MAP_TYPE_DEVMAP = 14;
/** Map type: sockets for redirect, by index. */
export const BPF_MAP_TYPE_SOCKMAP = 15;
/** Map type: CPUs for XDP redirect. */
export const BPF_MAP_TYPE_CPUMAP = 16;
/** Map type: AF_XDP sockets for XDP redirect. */
export const BPF_MAP_TYPE_XSKMAP = 17;
/** Map type: sockets for redirect, by key. */
export const BPF_MAP_TYPE_SOCKHASH = 18;
/** Map type: per-cgroup storage (legacy name). */
export const BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED = 19;
/** Map type: per-cgroup storage for cgroup programs. */
export const BPF_MAP_TYPE_CGROUP_STORAGE = 19;
/** Map type: SO_REUSEPORT socket arrays. */
export const BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20;
/** Map type: per-CPU per-cgroup storage (legacy name). */
export const BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE_DEPRECATED = 21;
/** Map type: per-CPU per-cgroup storage. */
export const BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21;
/** Map type: FIFO queue. */
export const BPF_MAP_TYPE_QUEUE = 22;
/** Map type: LIFO stack. */
export const BPF_MAP_TYPE_STACK = 23;
/** Map type: per-socket storage. */
export const BPF_MAP_TYPE_SK_STORAGE = 24;
/** Map type: net devices for XDP redirect, by key. */
export const BPF_MAP_TYPE_DEVMAP_HASH = 25;
/** Map type: struct_ops instances. */
export const BPF_MAP_TYPE_STRUCT_OPS = 26;
/** Map type: kernel-to-user ring buffer. */
export const BPF_MAP_TYPE_RINGBUF = 27;
/** Map type: per-inode storage. */
export const BPF_MAP_TYPE_INODE_STORAGE = 28;
/** Map type: per-task storage. */
export const BPF_MAP_TYPE_TASK_STORAGE = 29;
/** Map type: Bloom filter. */
export const BPF_MAP_TYPE_BLOOM_FILTER = 30;
/** Map type: user-to-kernel ring buffer. */
export const BPF_MAP_TYPE_USER_RINGBUF = 31;
/** Map type: per-cgroup storage for any program. */
export const BPF_MAP_TYPE_CGRP_STORAGE = 32;
/** Map type: sparse memory shared with user space. */
export const BPF_MAP_TYPE_ARENA = 33;

// enum bpf_attach_type
/** Attach type: cgroup inet ingress. */
export const BPF_CGROUP_INET_INGRESS = 0;
/** Attach type: cgroup inet egress. */
export const BPF_CGROUP_INET_EGRESS = 1;
/** Attach type: cgroup inet sock create. */
export const BPF_CGROUP_INET_SOCK_CREATE = 2;
/** Attach type: cgroup sock ops. */
export const BPF_CGROUP_SOCK_OPS = 3;
/** Attach type: sk skb stream parser. */
export const BPF_SK_SKB_STREAM_PARSER = 4;
/** Attach type: sk skb stream verdict. */
export const BPF_SK_SKB_STREAM_VERDICT = 5;
/** Attach type: cgroup device. */
export const BPF_CGROUP_DEVICE = 6;
/** Attach type: sk msg verdict. */
export const BPF_SK_MSG_VERDICT = 7;
/** Attach type: cgroup inet4 bind. */
export const BPF_CGROUP_INET4_BIND = 8;
/** Attach type: cgroup inet6 bind. */
export const BPF_CGROUP_INET6_BIND = 9;
/** Attach type: cgroup inet4 connect. */
export const BPF_CGROUP_INET4_CONNECT = 10;
/** Attach type: cgroup inet6 connect. */
export const BPF_CGROUP_INET6_CONNECT = 11;
/** Attach type: cgroup inet4 post bind. */
export const BPF_CGROUP_INET4_POST_BIND = 12;
/** Attach type: cgroup inet6 post bind. */
export const BPF_CGROUP_INET6_POST_BIND = 13;
/** Attach type: cgroup udp4 sendmsg. */
export const BPF_CGROUP_UDP4_SENDMSG = 14;
/** Attach type: cgroup udp6 sendmsg. */
export const BPF_CGROUP_UDP6_SENDMSG = 15;
/** Attach type: lirc mode2. */
export const BPF_LIRC_MODE2 = 16;
/** Attach type: flow dissector. */
export const BPF_FLOW_DISSECTOR = 17;
/** Attach type: cgroup sysctl. */
export const BPF_CGROUP_SYSCTL = 18;
/** Attach type: cgroup udp4 recvmsg. */
export const BPF_CGROUP_UDP4_RECVMSG = 19;
/** Attach type: cgroup udp6 recvmsg. */
export const BPF_CGROUP_UDP6_RECVMSG = 20;
/** Attach type: cgroup getsockopt. */
export const BPF_CGROUP_GETSOCKOPT = 21;
/** Attach type: cgroup setsockopt. */
export const BPF_CGROUP_SETSOCKOPT = 22;
/** Attach type: trace raw tp. */
export const BPF_TRACE_RAW_TP = 23;
/** Attach type: trace fentry. */
export const BPF_TRACE_FENTRY = 24;
/** Attach type: trace fexit. */
export const BPF_TRACE_FEXIT = 25;
/** Attach type: modify return. */
export const BPF_MODIFY_RETURN = 26;
/** Attach type: lsm mac. */
export const BPF_LSM_MAC = 27;
/** Attach type: trace iter. */
export const BPF_TRACE_ITER = 28;
/** Attach type: cgroup inet4 getpeername. */
export const BPF_CGROUP_INET4_GETPEERNAME = 29;
/** Attach type: cgroup inet6 getpeername. */
export const BPF_CGROUP_INET6_GETPEERNAME = 30;
/** Attach type: cgroup inet4 getsockname. */
export const BPF_CGROUP_INET4_GETSOCKNAME = 31;
/** Attach type: cgroup inet6 getsockname. */
export const BPF_CGROUP_INET6_GETSOCKNAME = 32;
/** Attach type: xdp devmap. */
export const BPF_XDP_DEVMAP = 33;
/** Attach type: cgroup inet sock release. */
export const BPF_CGROUP_INET_SOCK_RELEASE = 34;
/** Attach type: xdp cpumap. */
export const BPF_XDP_CPUMAP = 35;
/** Attach type: sk lookup. */
export const BPF_SK_LOOKUP = 36;
/** Attach type: xdp. */
export const BPF_XDP = 37;
/** Attach type: sk skb verdict. */
export const BPF_SK_SKB_VERDICT = 38;
/** Attach type: sk reuseport select. */
export const BPF_SK_REUSEPORT_SELECT = 39;
/** Attach type: sk reuseport select or migrate. */
export const BPF_SK_REUSEPORT_SELECT_OR_MIGRATE = 40;
/** Attach type: perf event. */
export const BPF_PERF_EVENT = 41;
/** Attach type: trace kprobe multi. */
export const BPF_TRACE_KPROBE_MULTI = 42;
/** Attach type: lsm cgroup. */
export const BPF_LSM_CGROUP = 43;
/** Attach type: struct ops. */
export const BPF_STRUCT_OPS = 44;
/** Attach type: netfilter. */
export const BPF_NETFILTER = 45;
/** Attach type: tcx ingress. */
export const BPF_TCX_INGRESS = 46;
/** Attach type: tcx egress. */
export const BPF_TCX_EGRESS = 47;
/** Attach type: trace uprobe multi. */
export const BPF_TRACE_UPROBE_MULTI = 48;
/** Attach type: cgroup unix connect. */
export const BPF_CGROUP_UNIX_CONNECT = 49;
/** Attach type: cgroup unix sendmsg. */
export const BPF_CGROUP_UNIX_SENDMSG = 50;
/** Attach type: cgroup unix recvmsg. */
export const BPF_CGROUP_UNIX_RECVMSG = 51;
/** Attach type: cgroup unix getpeername. */
export const BPF_CGROUP_UNIX_GETPEERNAME = 52;
/** Attach type: cgroup unix getsockname. */
export const BPF_CGROUP_UNIX_GETSOCKNAME = 53;
/** Attach type: netkit primary. */
export const BPF_NETKIT_PRIMARY = 54;
/** Attach type: netkit peer. */
export const BPF_NETKIT_PEER = 55;
/** Attach type: trace kprobe session. */
export const BPF_TRACE_KPROBE_SESSION = 56;
/** Attach type: trace uprobe session. */
export const BPF_TRACE_UPROBE_SESSION = 57;

// enum bpf_link_type
/** Link type: unspec. */
export const BPF_LINK_TYPE_UNSPEC = 0;
/** Link type: raw tracepoint. */
export const BPF_LINK_TYPE_RAW_TRACEPOINT = 1;
/** Link type: tracing. */
export const BPF_LINK_TYPE_TRACING = 2;
/** Link type: cgroup. */
export const BPF_LINK_TYPE_CGROUP = 3;
/** Link type: iter. */
export const BPF_LINK_TYPE_ITER = 4;
/** Link type: netns. */
export const BPF_LINK_TYPE_NETNS = 5;
/** Link type: xdp. */
export const BPF_LINK_TYPE_XDP = 6;
/** Link type: perf event. */
export const BPF_LINK_TYPE_PERF_EVENT = 7;
/** Link type: kprobe multi. */
export const BPF_LINK_TYPE_KPROBE_MULTI = 8;
/** Link type: struct ops. */
export const BPF_LINK_TYPE_STRUCT_OPS = 9;
/** Link type: netfilter. */
export const BPF_LINK_TYPE_NETFILTER = 10;
/** Link type: tcx. */
export const BPF_LINK_TYPE_TCX = 11;
/** Link type: uprobe multi. */
export const BPF_LINK_TYPE_UPROBE_MULTI = 12;
/** Link type: netkit. */
export const BPF_LINK_TYPE_NETKIT = 13;
/** Link type: sockmap. */
export const BPF_LINK_TYPE_SOCKMAP = 14;

// enum xdp_action
/** XDP verdict: drop and raise the xdp_exception tracepoint. */
export const XDP_ABORTED = 0;
/** XDP verdict: drop the packet. */
export const XDP_DROP = 1;
/** XDP verdict: pass the packet to the network stack. */
export const XDP_PASS = 2;
/** XDP verdict: bounce the packet out of the interface it came in on. */
export const XDP_TX = 3;
/** XDP verdict: redirect as set up by bpf_redirect*(). */
export const XDP_REDIRECT = 4;

// BPF_MAP_UPDATE_ELEM and element-lookup flags
/** Update flag: create the element or replace an existing one. */
export const BPF_ANY = 0;
/** Update flag: create the element only if it does not exist (else EEXIST). */
export const BPF_NOEXIST = 1;
/** Update flag: replace the element only if it exists (else ENOENT). */
export const BPF_EXIST = 2;
/** Element flag: copy the value under its bpf_spin_lock. */
export const BPF_F_LOCK = 4;

// BPF_MAP_CREATE map_flags
/** Map flag: allocate hash elements on demand instead of up front. */
export const BPF_F_NO_PREALLOC = 1 << 0;
/** Map flag: per-CPU LRU lists instead of one common list. */
export const BPF_F_NO_COMMON_LRU = 1 << 1;
/** Map flag: numa_node is valid. */
export const BPF_F_NUMA_NODE = 1 << 2;
/** Map flag: read-only from the syscall side. */
export const BPF_F_RDONLY = 1 << 3;
/** Map flag: write-only from the syscall side. */
export const BPF_F_WRONLY = 1 << 4;
/** Map flag: stack maps store build id + offset instead of addresses. */
export const BPF_F_STACK_BUILD_ID = 1 << 5;
/** Map flag: zero hash seed, for reproducible tests. */
export const BPF_F_ZERO_SEED = 1 << 6;
/** Map flag: read-only from programs. */
export const BPF_F_RDONLY_PROG = 1 << 7;
/** Map flag: write-only from programs. */
export const BPF_F_WRONLY_PROG = 1 << 8;
/** Map flag: clone socket storage into accepted sockets. */
export const BPF_F_CLONE = 1 << 9;
/** Map flag: the map can be mmap()ed. */
export const BPF_F_MMAPABLE = 1 << 10;
/** Map flag: keep perf event array elements when the map's fd is closed. */
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
/** Map flag: an inner map whose max_entries may differ between instances. */
export const BPF_F_INNER_MAP = 1 << 12;
/** Map flag: a struct_ops map registered through a bpf_link. */
export const BPF_F_LINK = 1 << 13;
/** Object flag: BPF_OBJ_PIN/BPF_OBJ_GET take a directory fd in path_fd. */
export const BPF_F_PATH_FD = 1 << 14;
/** Map flag: value_type_btf_obj_fd is valid. */
export const BPF_F_VTYPE_BTF_OBJ_FD = 1 << 15;
/** Flag: a BPF token fd is passed in the command's token_fd field. */
export const BPF_F_TOKEN_FD = 1 << 16;
/** Arena flag: user-space faults raise SIGSEGV instead of allocating pages. */
export const BPF_F_SEGV_ON_FAULT = 1 << 17;
/** Arena flag: do not translate kernel arena pointers to user pointers. */
export const BPF_F_NO_USER_CONV = 1 << 18;

// BPF_PROG_LOAD prog_flags
/** Load flag: verify alignment as strictly as on architectures without unaligned access. */
export const BPF_F_STRICT_ALIGNMENT = 1 << 0;
/** Load flag: accept any alignment (for verifier tests). */
export const BPF_F_ANY_ALIGNMENT = 1 << 1;
/** Load flag: randomise the upper 32 bits the verifier proves unused (for tests). */
export const BPF_F_TEST_RND_HI32 = 1 << 2;
/** Load flag: verifier test mode that checkpoints states more often. */
export const BPF_F_TEST_STATE_FREQ = 1 << 3;
/** Load flag: a sleepable program. */
export const BPF_F_SLEEPABLE = 1 << 4;
/** Load flag: the XDP program handles multi-buffer (fragmented) packets. */
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;
/** Load flag: a device-bound XDP program that may read hardware metadata. */
export const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
/** Load flag: verifier test mode that checks register bound invariants. */
export const BPF_F_TEST_REG_INVARIANTS = 1 << 7;

// BPF_PROG_ATTACH / BPF_LINK_CREATE attach flags
/** Attach flag: a program in a sub-cgroup overrides this one. */
export const BPF_F_ALLOW_OVERRIDE = 1 << 0;
/** Attach flag: programs of sub-cgroups run in addition to this one. */
export const BPF_F_ALLOW_MULTI = 1 << 1;
/** Attach flag: replace the program given by replace_bpf_fd. */
export const BPF_F_REPLACE = 1 << 2;
/** Attach flag: insert before the relative program or link (tcx, netkit, cgroup). */
export const BPF_F_BEFORE = 1 << 3;
/** Attach flag: insert after the relative program or link (tcx, netkit, cgroup). */
export const BPF_F_AFTER = 1 << 4;
/** Attach flag: the relative object is given by id instead of fd. */
export const BPF_F_ID = 1 << 5;
/** Attach flag: run before the programs of descendant cgroups. */
export const BPF_F_PREORDER = 1 << 6;

// BPF_PROG_QUERY and BPF_PROG_TEST_RUN flags
/** Query flag: report the effective programs, including inherited ones. */
export const BPF_F_QUERY_EFFECTIVE = 1 << 0;
/** Test-run flag: run on the CPU given in `cpu`. */
export const BPF_F_TEST_RUN_ON_CPU = 1 << 0;
/** Test-run flag: transmit XDP frames for real after the program returns. */
export const BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1;
/** Test-run flag: give the skb CHECKSUM_COMPLETE and validate its checksum. */
export const BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2;

// enum bpf_stats_type
/** BPF_ENABLE_STATS type: account run_time_ns and run_cnt of every program. */
export const BPF_STATS_RUN_TIME = 0;

// sizes
/** Bytes of a program or map name, including the terminating NUL. */
export const BPF_OBJ_NAME_LEN = 16;
/** Bytes of a program tag (a truncated SHA-1 of its instructions). */
export const BPF_TAG_SIZE = 8;

// log_level bits (include/linux/bpf_verifier.h: kernel-internal names, ABI values)
/** Log level: the instructions the verifier walks and the error. */
export const BPF_LOG_LEVEL1 = 1;
/** Log level: also the register state at every instruction. */
export const BPF_LOG_LEVEL2 = 2;
/** Log level: statistics (verification time, stack depth). */
export const BPF_LOG_STATS = 4;
/** Log level: keep the start of a log that overflows instead of rotating to its end. */
export const BPF_LOG_FIXED = 8;
