/* Program commands: load, test run, info and translated instructions. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_abi.h"
#include "napi_util.h"
#include "ops.h"

/* The verifier gives up with EAGAIN when a signal arrives mid-verification: retry this often. */
enum { PROG_LOAD_ATTEMPTS = 5 };

/* Reads a record array and its record size: count = bytes / rec_size. */
static bool opt_records(const struct opts *o, const char *name, const char *rec_name, struct bytes *b,
                        uint32_t *rec_size, uint32_t *cnt) {
  if (!opt_bytes(o, name, b) || !opt_u32(o, rec_name, rec_size)) return false;
  if (!b->ptr) return true;
  if (*rec_size == 0 || b->len % *rec_size != 0)
    return throw_fmt(o->env, RANGE_ERROR, "%s: opts.%s (%zu bytes) is not a whole number of %u-byte records",
                     o->fn, name, b->len, *rec_size);
  *cnt = (uint32_t)(b->len / *rec_size);
  return true;
}

napi_value prog_load(napi_env env, napi_callback_info info) {
  napi_value argv[1], result = NULL;
  struct opts o;
  struct prog_load_attr a;
  struct bytes insns, func_info, line_info;
  uint32_t attach_prog_fd = 0, attach_btf_obj_fd = 0;
  char *license = NULL, *log = NULL;
  int32_t *fd_array = NULL;
  memset(&a, 0, sizeof a);
  if (!args(env, info, 1, argv) || !opts_init(&o, env, "progLoad", argv[0])) return NULL;
  if (!opt_u32(&o, "prog_type", &a.prog_type) || !opt_u32(&o, "expected_attach_type", &a.expected_attach_type) ||
      !opt_u32(&o, "prog_flags", &a.prog_flags) || !opt_bytes(&o, "insns", &insns) ||
      !opt_u32(&o, "log_level", &a.log_level) || !opt_u32(&o, "log_size", &a.log_size) ||
      !opt_u32(&o, "kern_version", &a.kern_version) || !opt_u32(&o, "prog_btf_fd", &a.prog_btf_fd) ||
      !opt_records(&o, "func_info", "func_info_rec_size", &func_info, &a.func_info_rec_size, &a.func_info_cnt) ||
      !opt_records(&o, "line_info", "line_info_rec_size", &line_info, &a.line_info_rec_size, &a.line_info_cnt) ||
      !opt_u32(&o, "attach_btf_id", &a.attach_btf_id) || !opt_u32(&o, "attach_prog_fd", &attach_prog_fd) ||
      !opt_u32(&o, "attach_btf_obj_fd", &attach_btf_obj_fd) ||
      !opt_string(&o, "prog_name", a.prog_name, OBJ_NAME_LEN) || !opt_u32(&o, "prog_ifindex", &a.prog_ifindex))
    return NULL;
  if (insns.len % 8 != 0) {
    throw_fmt(env, RANGE_ERROR, "progLoad: opts.insns has %zu bytes, not a whole number of 8-byte slots",
              insns.len);
    return NULL;
  }
  if (attach_prog_fd && attach_btf_obj_fd) {
    throw_fmt(env, TYPE_ERROR, "progLoad: opts.attach_prog_fd and opts.attach_btf_obj_fd share one field");
    return NULL;
  }
  if (!opt_string_dup(&o, "license", &license) || !opt_fd_array(&o, "fd_array", &fd_array)) goto done;
  if (a.log_level) {
    if (!a.log_size) a.log_size = DEFAULT_LOG_SIZE;
    if (!(log = malloc(a.log_size))) {
      throw_fmt(env, PLAIN_ERROR, "progLoad: cannot allocate a %u-byte verifier log", a.log_size);
      goto done;
    }
    log[0] = '\0';
  } else {
    a.log_size = 0;
  }
  a.insn_cnt = (uint32_t)(insns.len / 8);
  a.insns = ptr_u64(insns.ptr);
  a.license = ptr_u64(license ? license : "GPL");
  a.log_buf = ptr_u64(log);
  a.func_info = ptr_u64(func_info.ptr);
  a.line_info = ptr_u64(line_info.ptr);
  a.attach_fd = attach_prog_fd ? attach_prog_fd : attach_btf_obj_fd;
  a.fd_array = ptr_u64(fd_array);
  long r;
  int attempts = PROG_LOAD_ATTEMPTS;
  do r = sys_bpf(BPF_PROG_LOAD, &a, sizeof a);
  while (r == -EAGAIN && --attempts > 0);
  struct out res;
  out_init(&res, env);
  out_i32(&res, "fd", r < 0 ? -1 : (int32_t)r);
  out_i32(&res, "errno", r < 0 ? (int32_t)-r : 0);
  out_str(&res, "log", log ? log : "", log ? strnlen(log, a.log_size) : 0);
  out_u32(&res, "logTrueSize", a.log_true_size);
  if (!res.ok && r >= 0) close((int)r);
  result = out_done(&res);
done:
  free(license);
  free(fd_array);
  free(log);
  return result;
}

napi_value prog_test_run(napi_env env, napi_callback_info info) {
  napi_value argv[1], data_ab, ctx_ab;
  struct opts o;
  struct test_run_attr a;
  struct bytes data_in, ctx_in;
  uint8_t *data_out, *ctx_out;
  memset(&a, 0, sizeof a);
  if (!args(env, info, 1, argv) || !opts_init(&o, env, "progTestRun", argv[0])) return NULL;
  if (!opt_u32(&o, "prog_fd", &a.prog_fd) || !opt_bytes(&o, "data_in", &data_in) ||
      !opt_bytes(&o, "ctx_in", &ctx_in) || !opt_u32(&o, "repeat", &a.repeat) || !opt_u32(&o, "flags", &a.flags) ||
      !opt_u32(&o, "cpu", &a.cpu) || !opt_u32(&o, "batch_size", &a.batch_size))
    return NULL;
  /* Defaults leave room for programs that grow the packet (XDP tail, skb change_tail). */
  a.data_size_out = data_in.ptr ? (uint32_t)data_in.len + 4096 : 0;
  a.ctx_size_out = (uint32_t)ctx_in.len;
  if (!opt_u32(&o, "data_size_out", &a.data_size_out) || !opt_u32(&o, "ctx_size_out", &a.ctx_size_out))
    return NULL;
  if (!new_buffer(env, a.data_size_out, &data_ab, &data_out) || !new_buffer(env, a.ctx_size_out, &ctx_ab, &ctx_out))
    return NULL;
  uint32_t data_cap = a.data_size_out, ctx_cap = a.ctx_size_out;
  a.data_size_in = (uint32_t)data_in.len;
  a.data_in = ptr_u64(data_in.ptr);
  /* A non-NULL data_out with data_size_out == 0 would let the kernel copy unbounded: never pass it. */
  a.data_out = ptr_u64(data_out);
  a.ctx_size_in = (uint32_t)ctx_in.len;
  a.ctx_in = ptr_u64(ctx_in.ptr);
  a.ctx_out = ptr_u64(ctx_out);
  /* pin_cpu: run on that CPU (the calling thread's affinity is set for the call and restored). */
  uint32_t pin_cpu = UINT32_MAX;
  if (!opt_u32(&o, "pin_cpu", &pin_cpu)) return NULL;
  cpu_set_t saved;
  bool pinned = false;
  long r;
  if (pin_cpu != UINT32_MAX) {
    cpu_set_t one;
    CPU_ZERO(&one);
    if (pin_cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof saved, &saved) != 0) {
      r = -EINVAL;
      goto ran;
    }
    CPU_SET(pin_cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
      r = -errno;
      goto ran;
    }
    pinned = true;
  }
  r = sys_bpf(BPF_PROG_TEST_RUN, &a, sizeof a);
  if (pinned) sched_setaffinity(0, sizeof saved, &saved);
ran:;
  int err = r < 0 ? (int)-r : 0;
  /* Outputs are meaningful on success and, truncated, on ENOSPC. */
  bool copied = err == 0 || err == ENOSPC;
  uint32_t data_size = copied && data_out ? a.data_size_out : 0;
  uint32_t ctx_size = copied && ctx_out ? a.ctx_size_out : 0;
  struct out res;
  out_init(&res, env);
  out_i32(&res, "errno", err);
  out_u32(&res, "retval", a.retval);
  out_view(&res, "dataOut", data_ab, data_size < data_cap ? data_size : data_cap);
  out_u32(&res, "dataSizeOut", data_size);
  out_view(&res, "ctxOut", ctx_ab, ctx_size < ctx_cap ? ctx_size : ctx_cap);
  out_u32(&res, "ctxSizeOut", ctx_size);
  out_u32(&res, "duration", a.duration);
  return out_done(&res);
}

static void hex(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

napi_value prog_get_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t fd;
  struct prog_info p;
  char tag[2 * TAG_SIZE + 1];
  if (!args(env, info, 1, argv) || !read_u32(env, argv[0], "progGetInfo: fd", &fd)) return NULL;
  memset(&p, 0, sizeof p);
  int err = obj_info(fd, &p, sizeof p);
  hex(p.tag, TAG_SIZE, tag);
  struct out res;
  out_init(&res, env);
  out_i32(&res, "errno", err);
  out_u32(&res, "type", p.type);
  out_u32(&res, "id", p.id);
  out_str(&res, "tag", tag, 2 * TAG_SIZE);
  out_u32(&res, "jitedProgLen", p.jited_prog_len);
  out_u32(&res, "xlatedProgLen", p.xlated_prog_len);
  out_u64(&res, "loadTime", p.load_time);
  out_u32(&res, "createdByUid", p.created_by_uid);
  out_u32(&res, "nrMapIds", p.nr_map_ids);
  out_name(&res, "name", p.name, OBJ_NAME_LEN);
  out_u32(&res, "ifindex", p.ifindex);
  out_bool(&res, "gplCompatible", p.gpl_compatible & 1);
  out_u32(&res, "btfId", p.btf_id);
  out_u32(&res, "nrFuncInfo", p.nr_func_info);
  out_u32(&res, "nrLineInfo", p.nr_line_info);
  out_u64(&res, "runTimeNs", p.run_time_ns);
  out_u64(&res, "runCnt", p.run_cnt);
  out_u64(&res, "recursionMisses", p.recursion_misses);
  out_u32(&res, "verifiedInsns", p.verified_insns);
  out_u32(&res, "attachBtfObjId", p.attach_btf_obj_id);
  out_u32(&res, "attachBtfId", p.attach_btf_id);
  return out_done(&res);
}

/* The kernel's rewritten ("xlated") instructions: a second info call with a buffer to fill. */
napi_value prog_get_xlated(napi_env env, napi_callback_info info) {
  napi_value argv[1], ab;
  uint32_t fd;
  uint8_t *insns = NULL;
  struct prog_info p;
  if (!args(env, info, 1, argv) || !read_u32(env, argv[0], "progGetXlated: fd", &fd)) return NULL;
  memset(&p, 0, sizeof p);
  int err = obj_info(fd, &p, sizeof p);
  uint32_t cap = err ? 0 : p.xlated_prog_len;
  if (!new_buffer(env, cap, &ab, &insns)) return NULL;
  if (cap) {
    memset(&p, 0, sizeof p);
    p.xlated_prog_len = cap;
    p.xlated_prog_insns = ptr_u64(insns);
    err = obj_info(fd, &p, sizeof p);
  }
  /* Without raw-dump permission the kernel clears the pointer and copies nothing. */
  uint32_t len = err || !p.xlated_prog_insns ? 0 : (p.xlated_prog_len < cap ? p.xlated_prog_len : cap);
  struct out res;
  out_init(&res, env);
  out_i32(&res, "errno", err);
  out_view(&res, "insns", ab, len);
  return out_done(&res);
}
