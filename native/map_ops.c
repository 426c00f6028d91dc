/* Map commands: create, element and batch operations, info. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf_abi.h"
#include "napi_util.h"
#include "ops.h"

/* Whether `fd` is a BPF map, by the anon-inode name the kernel gives it. */
static bool is_map_fd(uint32_t fd) {
  char path[64], target[64];
  snprintf(path, sizeof path, "/proc/self/fd/%u", fd);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) return true; /* no /proc: let the caller's size error stand */
  target[n] = '\0';
  return strcmp(target, "anon_inode:bpf-map") == 0;
}

/* Key and value sizes of a map as the syscall side sees them (per-CPU values for every CPU). */
struct map_geom {
  size_t key_size, value_size;
};

static int map_geom(napi_env env, uint32_t fd, struct map_geom *g) {
  struct map_info info;
  memset(&info, 0, sizeof info);
  int err = obj_info(fd, &info, sizeof info);
  if (err) return err;
  g->key_size = info.key_size;
  g->value_size = info.value_size;
  switch (info.type) {
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
      g->value_size = (((size_t)info.value_size + 7) & ~(size_t)7) * state_ncpus(env);
      break;
    default:
      break;
  }
  return 0;
}

/*
 * Checks that `b` holds at least `need` bytes. Returns 0 if so; EINVAL (the kernel's answer) if
 * `fd` is not a map at all, so the geometry was meaningless; -1 after throwing a RangeError.
 */
static int fit(napi_env env, const char *fn, const char *what, uint32_t fd, const struct bytes *b,
               size_t need) {
  if (b->len >= need) return 0;
  if (!is_map_fd(fd)) return EINVAL;
  if (!b->ptr) throw_fmt(env, RANGE_ERROR, "%s: %s is missing, the map needs %zu bytes", fn, what, need);
  else throw_fmt(env, RANGE_ERROR, "%s: %s has %zu bytes, the map needs %zu", fn, what, b->len, need);
  return -1;
}

/* One single-element map command, described for map_elem(). */
struct elem_call {
  const char *fn;
  int cmd;
  uint32_t fd;
  struct bytes key;
  bool key_optional;      /* a null key asks for the first key (GET_NEXT_KEY) */
  const char *value_name; /* NULL when the command takes no value */
  struct bytes value;
  bool value_is_key;      /* the value buffer receives a key (GET_NEXT_KEY) */
  uint64_t flags;
};

/* Shared body of the single-element map commands: checks buffer sizes, then runs the command. */
static napi_value map_elem(napi_env env, const struct elem_call *c) {
  struct map_geom g;
  int err = map_geom(env, c->fd, &g);
  if (!err && !(c->key_optional && !c->key.ptr)) err = fit(env, c->fn, "key", c->fd, &c->key, g.key_size);
  if (!err && c->value_name)
    err = fit(env, c->fn, c->value_name, c->fd, &c->value, c->value_is_key ? g.key_size : g.value_size);
  if (err < 0) return NULL;
  if (!err) {
    struct map_elem_attr a = {
        .map_fd = c->fd, .key = ptr_u64(c->key.ptr), .value = ptr_u64(c->value.ptr), .flags = c->flags};
    long r = sys_bpf(c->cmd, &a, sizeof a);
    err = r < 0 ? (int)-r : 0;
  }
  return errno_value(env, err);
}

napi_value map_create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct opts o;
  struct map_create_attr a;
  memset(&a, 0, sizeof a);
  uint64_t map_extra = 0;
  if (!args(env, info, 1, argv) || !opts_init(&o, env, "mapCreate", argv[0])) return NULL;
  if (!opt_u32(&o, "map_type", &a.map_type) || !opt_u32(&o, "key_size", &a.key_size) ||
      !opt_u32(&o, "value_size", &a.value_size) || !opt_u32(&o, "max_entries", &a.max_entries) ||
      !opt_u32(&o, "map_flags", &a.map_flags) || !opt_u32(&o, "inner_map_fd", &a.inner_map_fd) ||
      !opt_u32(&o, "numa_node", &a.numa_node) || !opt_string(&o, "map_name", a.map_name, OBJ_NAME_LEN) ||
      !opt_u32(&o, "btf_fd", &a.btf_fd) || !opt_u32(&o, "btf_key_type_id", &a.btf_key_type_id) ||
      !opt_u32(&o, "btf_value_type_id", &a.btf_value_type_id) ||
      !opt_u32(&o, "btf_vmlinux_value_type_id", &a.btf_vmlinux_value_type_id) ||
      !opt_u64(&o, "map_extra", &map_extra))
    return NULL;
  a.map_extra = map_extra;
  return fd_result(env, sys_bpf(BPF_MAP_CREATE, &a, sizeof a));
}

/* Reads (fd, key, value, flags) for one element command; the value and flags are optional per command. */
static bool elem_args(napi_env env, napi_callback_info info, struct elem_call *c) {
  napi_value argv[4];
  char what[96];
  if (!args(env, info, 4, argv)) return false;
  snprintf(what, sizeof what, "%s: fd", c->fn);
  if (!read_u32(env, argv[0], what, &c->fd)) return false;
  snprintf(what, sizeof what, "%s: key", c->fn);
  if (!read_bytes(env, argv[1], what, true, &c->key)) return false;
  if (!c->value_name) return true;
  snprintf(what, sizeof what, "%s: %s", c->fn, c->value_name);
  if (!read_bytes(env, argv[2], what, false, &c->value)) return false;
  snprintf(what, sizeof what, "%s: flags", c->fn);
  return c->value_is_key || read_u64_opt(env, argv[3], what, &c->flags);
}

napi_value map_lookup(napi_env env, napi_callback_info info) {
  struct elem_call c = {.fn = "mapLookup", .cmd = BPF_MAP_LOOKUP_ELEM, .value_name = "valueOut"};
  return elem_args(env, info, &c) ? map_elem(env, &c) : NULL;
}

napi_value map_update(napi_env env, napi_callback_info info) {
  struct elem_call c = {.fn = "mapUpdate", .cmd = BPF_MAP_UPDATE_ELEM, .value_name = "value"};
  return elem_args(env, info, &c) ? map_elem(env, &c) : NULL;
}

napi_value map_delete(napi_env env, napi_callback_info info) {
  struct elem_call c = {.fn = "mapDelete", .cmd = BPF_MAP_DELETE_ELEM};
  return elem_args(env, info, &c) ? map_elem(env, &c) : NULL;
}

napi_value map_get_next_key(napi_env env, napi_callback_info info) {
  struct elem_call c = {.fn = "mapGetNextKey", .cmd = BPF_MAP_GET_NEXT_KEY, .key_optional = true,
                        .value_name = "nextKeyOut", .value_is_key = true};
  return elem_args(env, info, &c) ? map_elem(env, &c) : NULL;
}

napi_value map_lookup_and_delete(napi_env env, napi_callback_info info) {
  struct elem_call c = {.fn = "mapLookupAndDelete", .cmd = BPF_MAP_LOOKUP_AND_DELETE_ELEM, .value_name = "valueOut"};
  return elem_args(env, info, &c) ? map_elem(env, &c) : NULL;
}

napi_value map_freeze(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t fd;
  if (!args(env, info, 1, argv) || !read_u32(env, argv[0], "mapFreeze: fd", &fd)) return NULL;
  struct map_elem_attr a = {.map_fd = fd};
  long r = sys_bpf(BPF_MAP_FREEZE, &a, sizeof a);
  return errno_value(env, r < 0 ? (int)-r : 0);
}

/* Shared body of the four batch commands: `{ errno, count }`. */
static napi_value map_batch(napi_env env, napi_callback_info info, int cmd, const char *fn) {
  napi_value argv[2];
  struct opts o;
  struct bytes in_batch, out_batch, keys, values;
  uint32_t fd, count = 0;
  uint64_t elem_flags = 0, flags = 0;
  if (!args(env, info, 2, argv)) return NULL;
  char what[64];
  snprintf(what, sizeof what, "%s: fd", fn);
  if (!read_u32(env, argv[0], what, &fd) || !opts_init(&o, env, fn, argv[1])) return NULL;
  if (!opt_bytes(&o, "in_batch", &in_batch) || !opt_bytes(&o, "out_batch", &out_batch) ||
      !opt_bytes(&o, "keys", &keys) || !opt_bytes(&o, "values", &values) || !opt_u32(&o, "count", &count) ||
      !opt_u64(&o, "elem_flags", &elem_flags) || !opt_u64(&o, "flags", &flags))
    return NULL;
  struct map_geom g = {0, 0};
  int err = map_geom(env, fd, &g);
  /* Hash maps keep a u32 bucket cursor, array maps a key: size batch buffers for both. */
  size_t token = g.key_size > 4 ? g.key_size : 4;
  const struct { const char *name; const struct bytes *b; size_t need; } checks[] = {
      {"opts.in_batch", &in_batch, token},
      {"opts.out_batch", &out_batch, token},
      {"opts.keys", &keys, (size_t)count * g.key_size},
      {"opts.values", &values, (size_t)count * g.value_size},
  };
  for (size_t i = 0; i < sizeof checks / sizeof checks[0] && !err; i++)
    if (checks[i].b->ptr) err = fit(env, fn, checks[i].name, fd, checks[i].b, checks[i].need);
  if (err < 0) return NULL;
  if (!err) {
    struct map_batch_attr a = {.in_batch = ptr_u64(in_batch.ptr), .out_batch = ptr_u64(out_batch.ptr),
                               .keys = ptr_u64(keys.ptr), .values = ptr_u64(values.ptr), .count = count,
                               .map_fd = fd, .elem_flags = elem_flags, .flags = flags};
    long r = sys_bpf(cmd, &a, sizeof a);
    err = r < 0 ? (int)-r : 0;
    count = a.count;
  } else {
    count = 0;
  }
  struct out res;
  out_init(&res, env);
  out_i32(&res, "errno", err);
  out_u32(&res, "count", count);
  return out_done(&res);
}

napi_value map_lookup_batch(napi_env env, napi_callback_info info) {
  return map_batch(env, info, BPF_MAP_LOOKUP_BATCH, "mapLookupBatch");
}

napi_value map_lookup_and_delete_batch(napi_env env, napi_callback_info info) {
  return map_batch(env, info, BPF_MAP_LOOKUP_AND_DELETE_BATCH, "mapLookupAndDeleteBatch");
}

napi_value map_update_batch(napi_env env, napi_callback_info info) {
  return map_batch(env, info, BPF_MAP_UPDATE_BATCH, "mapUpdateBatch");
}

napi_value map_delete_batch(napi_env env, napi_callback_info info) {
  return map_batch(env, info, BPF_MAP_DELETE_BATCH, "mapDeleteBatch");
}

napi_value map_get_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t fd;
  struct map_info m;
  if (!args(env, info, 1, argv) || !read_u32(env, argv[0], "mapGetInfo: fd", &fd)) return NULL;
  memset(&m, 0, sizeof m);
  int err = obj_info(fd, &m, sizeof m);
  struct out res;
  out_init(&res, env);
  out_i32(&res, "errno", err);
  out_u32(&res, "type", m.type);
  out_u32(&res, "id", m.id);
  out_u32(&res, "keySize", m.key_size);
  out_u32(&res, "valueSize", m.value_size);
  out_u32(&res, "maxEntries", m.max_entries);
  out_u32(&res, "mapFlags", m.map_flags);
  out_name(&res, "name", m.name, OBJ_NAME_LEN);
  out_u32(&res, "ifindex", m.ifindex);
  out_u32(&res, "btfId", m.btf_id);
  out_u32(&res, "btfKeyTypeId", m.btf_key_type_id);
  out_u32(&res, "btfValueTypeId", m.btf_value_type_id);
  out_u32(&res, "btfVmlinuxValueTypeId", m.btf_vmlinux_value_type_id);
  out_u64(&res, "mapExtra", m.map_extra);
  return out_done(&res);
}
