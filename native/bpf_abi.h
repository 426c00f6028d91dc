/*
 * The slice of the kernel's bpf(2) ABI that bpfsim_native uses (include/uapi/linux/bpf.h).
 *
 * These are our own minimal definitions of the `union bpf_attr` members and info structs: system
 * headers are often older than the running kernel and lack fields such as log_true_size. Fields
 * past the ones declared here are zero, which the kernel accepts from a smaller attr, and older
 * kernels accept trailing zero bytes they do not know.
 */
#ifndef BPFSIM_BPF_ABI_H
#define BPFSIM_BPF_ABI_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_bpf
#error "__NR_bpf is not defined: the bpf() syscall exists only on Linux"
#endif

/* A u64 attr field, 8-byte aligned on every ABI like the kernel's __aligned_u64. */
typedef uint64_t u64a __attribute__((aligned(8)));

/* BPF_OBJ_NAME_LEN and BPF_TAG_SIZE */
enum { OBJ_NAME_LEN = 16, TAG_SIZE = 8 };

/* enum bpf_cmd */
enum {
  BPF_MAP_CREATE = 0,
  BPF_MAP_LOOKUP_ELEM = 1,
  BPF_MAP_UPDATE_ELEM = 2,
  BPF_MAP_DELETE_ELEM = 3,
  BPF_MAP_GET_NEXT_KEY = 4,
  BPF_PROG_LOAD = 5,
  BPF_PROG_ATTACH = 8,
  BPF_PROG_DETACH = 9,
  BPF_PROG_TEST_RUN = 10,
  BPF_PROG_GET_NEXT_ID = 11,
  BPF_MAP_GET_NEXT_ID = 12,
  BPF_PROG_GET_FD_BY_ID = 13,
  BPF_MAP_GET_FD_BY_ID = 14,
  BPF_OBJ_GET_INFO_BY_FD = 15,
  BPF_BTF_LOAD = 18,
  BPF_BTF_GET_FD_BY_ID = 19,
  BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21,
  BPF_MAP_FREEZE = 22,
  BPF_BTF_GET_NEXT_ID = 23,
  BPF_MAP_LOOKUP_BATCH = 24,
  BPF_MAP_LOOKUP_AND_DELETE_BATCH = 25,
  BPF_MAP_UPDATE_BATCH = 26,
  BPF_MAP_DELETE_BATCH = 27,
  BPF_LINK_CREATE = 28,
  BPF_LINK_GET_FD_BY_ID = 30,
  BPF_LINK_GET_NEXT_ID = 31,
  BPF_ENABLE_STATS = 32,
  BPF_LINK_DETACH = 34,
};

/* The enum bpf_map_type members whose syscall values hold one slot per possible CPU. */
enum {
  BPF_MAP_TYPE_PERCPU_HASH = 5,
  BPF_MAP_TYPE_PERCPU_ARRAY = 6,
  BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
  BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21,
};

struct map_create_attr {
  uint32_t map_type, key_size, value_size, max_entries, map_flags, inner_map_fd, numa_node;
  char map_name[OBJ_NAME_LEN];
  uint32_t map_ifindex, btf_fd, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id;
  u64a map_extra;
};

struct map_elem_attr {
  uint32_t map_fd;
  u64a key;
  u64a value; /* or next_key */
  u64a flags;
};

struct map_batch_attr {
  u64a in_batch, out_batch, keys, values;
  uint32_t count, map_fd;
  u64a elem_flags, flags;
};

struct prog_load_attr {
  uint32_t prog_type, insn_cnt;
  u64a insns, license;
  uint32_t log_level, log_size;
  u64a log_buf;
  uint32_t kern_version, prog_flags;
  char prog_name[OBJ_NAME_LEN];
  uint32_t prog_ifindex, expected_attach_type, prog_btf_fd, func_info_rec_size;
  u64a func_info;
  uint32_t func_info_cnt, line_info_rec_size;
  u64a line_info;
  uint32_t line_info_cnt, attach_btf_id;
  uint32_t attach_fd; /* attach_prog_fd or attach_btf_obj_fd */
  uint32_t core_relo_cnt;
  u64a fd_array, core_relos;
  uint32_t core_relo_rec_size, log_true_size;
};

struct test_run_attr {
  uint32_t prog_fd, retval, data_size_in, data_size_out;
  u64a data_in, data_out;
  uint32_t repeat, duration, ctx_size_in, ctx_size_out;
  u64a ctx_in, ctx_out;
  uint32_t flags, cpu, batch_size;
};

struct get_id_attr {
  uint32_t id; /* start_id, prog_id, map_id, btf_id or link_id */
  uint32_t next_id, open_flags;
};

struct info_attr {
  uint32_t bpf_fd, info_len;
  u64a info;
};

struct btf_load_attr {
  u64a btf, btf_log_buf;
  uint32_t btf_size, btf_log_size, btf_log_level, btf_log_true_size;
};

struct prog_attach_attr {
  uint32_t target_fd, attach_bpf_fd, attach_type, attach_flags, replace_bpf_fd;
};

struct link_create_attr {
  uint32_t prog_fd, target_fd, attach_type, flags;
  uint32_t relative_fd; /* tcx/netkit/cgroup: relative_fd or relative_id */
  u64a expected_revision;
};

struct prog_info {
  uint32_t type, id;
  uint8_t tag[TAG_SIZE];
  uint32_t jited_prog_len, xlated_prog_len;
  u64a jited_prog_insns, xlated_prog_insns, load_time;
  uint32_t created_by_uid, nr_map_ids;
  u64a map_ids;
  char name[OBJ_NAME_LEN];
  uint32_t ifindex, gpl_compatible; /* gpl_compatible is bit 0 */
  u64a netns_dev, netns_ino;
  uint32_t nr_jited_ksyms, nr_jited_func_lens;
  u64a jited_ksyms, jited_func_lens;
  uint32_t btf_id, func_info_rec_size;
  u64a func_info;
  uint32_t nr_func_info, nr_line_info;
  u64a line_info, jited_line_info;
  uint32_t nr_jited_line_info, line_info_rec_size, jited_line_info_rec_size, nr_prog_tags;
  u64a prog_tags, run_time_ns, run_cnt, recursion_misses;
  uint32_t verified_insns, attach_btf_obj_id, attach_btf_id, pad;
};

struct map_info {
  uint32_t type, id, key_size, value_size, max_entries, map_flags;
  char name[OBJ_NAME_LEN];
  uint32_t ifindex, btf_vmlinux_value_type_id;
  u64a netns_dev, netns_ino;
  uint32_t btf_id, btf_key_type_id, btf_value_type_id, btf_vmlinux_id;
  u64a map_extra;
};

struct btf_info {
  u64a btf;
  uint32_t btf_size, id;
  u64a name;
  uint32_t name_len, kernel_btf;
};

/* Offsets from include/uapi/linux/bpf.h: a typo above must not reach the kernel. */
_Static_assert(offsetof(struct map_create_attr, map_extra) == 64, "map_create layout");
_Static_assert(sizeof(struct map_elem_attr) == 32, "map_elem layout");
_Static_assert(offsetof(struct map_batch_attr, flags) == 48, "map_batch layout");
_Static_assert(offsetof(struct prog_load_attr, fd_array) == 120, "prog_load layout");
_Static_assert(offsetof(struct prog_load_attr, log_true_size) == 140, "prog_load layout");
_Static_assert(offsetof(struct test_run_attr, batch_size) == 72, "test_run layout");
_Static_assert(offsetof(struct btf_load_attr, btf_log_true_size) == 28, "btf_load layout");
_Static_assert(offsetof(struct link_create_attr, expected_revision) == 24, "link_create layout");
_Static_assert(offsetof(struct prog_info, verified_insns) == 216, "prog_info layout");
_Static_assert(sizeof(struct prog_info) == 232, "prog_info layout");
_Static_assert(offsetof(struct map_info, map_extra) == 80, "map_info layout");
_Static_assert(sizeof(struct btf_info) == 32, "btf_info layout");

static inline u64a ptr_u64(const void *p) { return (u64a)(uintptr_t)p; }

/* Runs bpf(cmd, attr, size) and returns its result, or -errno. */
static inline long sys_bpf(int cmd, void *attr, size_t size) {
  long r = syscall(__NR_bpf, cmd, attr, size);
  return r < 0 ? -errno : r;
}

/* BPF_OBJ_GET_INFO_BY_FD into `info` of `len` bytes; returns 0 or an errno. */
static inline int obj_info(uint32_t fd, void *info, uint32_t len) {
  struct info_attr a = {.bpf_fd = fd, .info_len = len, .info = ptr_u64(info)};
  long r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof a);
  return r < 0 ? (int)-r : 0;
}

#endif
