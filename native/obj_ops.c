/* BTF, links, attachment, object ids, stats and small system queries. */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_abi.h"
#include "napi_util.h"
#include "ops.h"

napi_value btf_get_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t fd;
  struct btf_info b;
  char name[64] = "";
  if (!args(env, info, 1, argv) || !read_u32(env, argv[0], "btfGetInfo: fd", &fd)) return NULL;
  memset(&b, 0, sizeof b);
  b.name = ptr_u64(name);
  b.name_len = sizeof name;
  int err = obj_info(fd, &b, sizeof b);
  struct out res;
  out_init(&res, env);
  out_i32(&res, "errno", err);
  out_u32(&res, "id", b.id);
  out_u32(&res, "btfSize", b.btf_size);
  out_name(&res, "name", name, sizeof name);
  out_bool(&res, "kernelBtf", b.kernel_btf != 0);
  return out_done(&res);
}

napi_value btf_load(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  struct bytes btf;
  uint32_t log_level = 0, log_size = 0;
  bool nullish;
  char *log = NULL;
  if (!args(env, info, 3, argv) || !read_bytes(env, argv[0], "btfLoad: btf", false, &btf)) return NULL;
  if (!is_nullish(env, argv[1], &nullish) || (!nullish && !read_u32(env, argv[1], "btfLoad: logLevel", &log_level)))
    return NULL;
  if (!is_nullish(env, argv[2], &nullish) || (!nullish && !read_u32(env, argv[2], "btfLoad: logSize", &log_size)))
    return NULL;
  if (log_level) {
    if (!log_size) log_size = DEFAULT_LOG_SIZE;
    if (!(log = malloc(log_size))) {
      throw_fmt(env, PLAIN_ERROR, "btfLoad: cannot allocate a %u-byte log", log_size);
      return NULL;
    }
    log[0] = '\0';
  } else {
    log_size = 0;
  }
  struct btf_load_attr a = {.btf = ptr_u64(btf.ptr), .btf_log_buf = ptr_u64(log), .btf_size = (uint32_t)btf.len,
                            .btf_log_size = log_size, .btf_log_level = log_level};
  long r = sys_bpf(BPF_BTF_LOAD, &a, sizeof a);
  struct out res;
  out_init(&res, env);
  out_i32(&res, "fd", r < 0 ? -1 : (int32_t)r);
  out_i32(&res, "errno", r < 0 ? (int32_t)-r : 0);
  out_str(&res, "log", log ? log : "", log ? strnlen(log, log_size) : 0);
  out_u32(&res, "logTrueSize", a.btf_log_true_size);
  if (!res.ok && r >= 0) close((int)r);
  free(log);
  return out_done(&res);
}

napi_value link_create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct opts o;
  struct link_create_attr a;
  uint32_t target_fd = 0, target_ifindex = 0, relative_fd = 0, relative_id = 0;
  uint64_t expected_revision = 0;
  memset(&a, 0, sizeof a);
  if (!args(env, info, 1, argv) || !opts_init(&o, env, "linkCreate", argv[0])) return NULL;
  if (!opt_u32(&o, "prog_fd", &a.prog_fd) || !opt_u32(&o, "target_fd", &target_fd) ||
      !opt_u32(&o, "target_ifindex", &target_ifindex) || !opt_u32(&o, "attach_type", &a.attach_type) ||
      !opt_u32(&o, "flags", &a.flags) || !opt_u32(&o, "relative_fd", &relative_fd) ||
      !opt_u32(&o, "relative_id", &relative_id) || !opt_u64(&o, "expected_revision", &expected_revision))
    return NULL;
  if ((target_fd && target_ifindex) || (relative_fd && relative_id)) {
    throw_fmt(env, TYPE_ERROR, "linkCreate: target_fd/target_ifindex and relative_fd/relative_id each share one field");
    return NULL;
  }
  a.target_fd = target_fd ? target_fd : target_ifindex;
  a.relative_fd = relative_fd ? relative_fd : relative_id;
  a.expected_revision = expected_revision;
  return fd_result(env, sys_bpf(BPF_LINK_CREATE, &a, sizeof a));
}

/* Shared body of BPF_PROG_ATTACH and BPF_PROG_DETACH. */
static napi_value prog_attach_cmd(napi_env env, napi_callback_info info, int cmd, const char *fn) {
  napi_value argv[1];
  struct opts o;
  struct prog_attach_attr a;
  memset(&a, 0, sizeof a);
  if (!args(env, info, 1, argv) || !opts_init(&o, env, fn, argv[0])) return NULL;
  if (!opt_u32(&o, "target_fd", &a.target_fd) || !opt_u32(&o, "attach_bpf_fd", &a.attach_bpf_fd) ||
      !opt_u32(&o, "attach_type", &a.attach_type) || !opt_u32(&o, "attach_flags", &a.attach_flags) ||
      !opt_u32(&o, "replace_bpf_fd", &a.replace_bpf_fd))
    return NULL;
  long r = sys_bpf(cmd, &a, sizeof a);
  return errno_value(env, r < 0 ? (int)-r : 0);
}

napi_value prog_attach(napi_env env, napi_callback_info info) {
  return prog_attach_cmd(env, info, BPF_PROG_ATTACH, "progAttach");
}

napi_value prog_detach(napi_env env, napi_callback_info info) {
  return prog_attach_cmd(env, info, BPF_PROG_DETACH, "progDetach");
}

napi_value link_detach(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t fd;
  if (!args(env, info, 1, argv) || !read_u32(env, argv[0], "linkDetach: fd", &fd)) return NULL;
  uint32_t a = fd; /* struct { __u32 link_fd; } link_detach */
  long r = sys_bpf(BPF_LINK_DETACH, &a, sizeof a);
  return errno_value(env, r < 0 ? (int)-r : 0);
}

napi_value enable_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t type;
  if (!args(env, info, 1, argv) || !read_u32(env, argv[0], "enableStats: type", &type)) return NULL;
  uint32_t a = type; /* struct { __u32 type; } enable_stats */
  return fd_result(env, sys_bpf(BPF_ENABLE_STATS, &a, sizeof a));
}

/* Maps an object kind ('prog', 'map', 'btf', 'link') to its GET_NEXT_ID and GET_FD_BY_ID commands. */
static bool id_cmds(napi_env env, napi_value v, const char *fn, int *next_id, int *fd_by_id) {
  static const struct { const char *kind; int next_id, fd_by_id; } table[] = {
      {"prog", BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID},
      {"map", BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID},
      {"btf", BPF_BTF_GET_NEXT_ID, BPF_BTF_GET_FD_BY_ID},
      {"link", BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID},
  };
  char kind[8] = "";
  napi_valuetype t;
  if (!ok(env, napi_typeof(env, v, &t))) return false;
  if (t == napi_string && !ok(env, napi_get_value_string_utf8(env, v, kind, sizeof kind, NULL))) return false;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(kind, table[i].kind) == 0) {
      *next_id = table[i].next_id;
      *fd_by_id = table[i].fd_by_id;
      return true;
    }
  }
  return throw_fmt(env, TYPE_ERROR, "%s: kind must be 'prog', 'map', 'btf' or 'link'", fn);
}

napi_value obj_get_next_id(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int next_cmd, fd_cmd;
  struct get_id_attr a;
  memset(&a, 0, sizeof a);
  if (!args(env, info, 2, argv) || !id_cmds(env, argv[0], "objGetNextId", &next_cmd, &fd_cmd) ||
      !read_u32(env, argv[1], "objGetNextId: startId", &a.id))
    return NULL;
  long r = sys_bpf(next_cmd, &a, sizeof a);
  struct out res;
  out_init(&res, env);
  out_i32(&res, "errno", r < 0 ? (int32_t)-r : 0);
  out_u32(&res, "nextId", r < 0 ? 0 : a.next_id);
  return out_done(&res);
}

napi_value get_fd_by_id(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int next_cmd, fd_cmd;
  struct get_id_attr a;
  memset(&a, 0, sizeof a);
  if (!args(env, info, 2, argv) || !id_cmds(env, argv[0], "getFdById", &next_cmd, &fd_cmd) ||
      !read_u32(env, argv[1], "getFdById: id", &a.id))
    return NULL;
  return fd_result(env, sys_bpf(fd_cmd, &a, sizeof a));
}

napi_value close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t fd;
  if (!args(env, info, 1, argv) || !read_u32(env, argv[0], "close: fd", &fd)) return NULL;
  if (fd > INT32_MAX) return errno_value(env, EBADF);
  return errno_value(env, close((int)fd) < 0 ? errno : 0);
}

napi_value ncpus(napi_env env, napi_callback_info info) {
  napi_value v;
  (void)info;
  return ok(env, napi_create_uint32(env, state_ncpus(env), &v)) ? v : NULL;
}

napi_value if_name_to_index(napi_env env, napi_callback_info info) {
  napi_value argv[1], v;
  napi_valuetype t;
  char name[IF_NAMESIZE + 1];
  size_t len;
  if (!args(env, info, 1, argv) || !ok(env, napi_typeof(env, argv[0], &t))) return NULL;
  if (t != napi_string) {
    throw_fmt(env, TYPE_ERROR, "ifNameToIndex: name must be a string");
    return NULL;
  }
  if (!ok(env, napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len))) return NULL;
  /* A name that does not fit IFNAMSIZ names no interface. */
  unsigned index = len < IF_NAMESIZE ? if_nametoindex(name) : 0;
  return ok(env, napi_create_uint32(env, index, &v)) ? v : NULL;
}

/* Number of possible CPUs, as the kernel sizes per-CPU values: the weight of cpu_possible_mask. */
uint32_t possible_cpus(void) {
  char buf[1024];
  FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  uint32_t count = 0;
  for (char *p = buf; *p >= '0' && *p <= '9';) {
    unsigned long lo = strtoul(p, &p, 10), hi = lo;
    if (*p == '-') hi = strtoul(p + 1, &p, 10);
    if (hi >= lo) count += (uint32_t)(hi - lo + 1);
    if (*p == ',') p++;
  }
  if (count == 0) {
    long conf = sysconf(_SC_NPROCESSORS_CONF);
    count = conf > 0 ? (uint32_t)conf : 1;
  }
  return count;
}
