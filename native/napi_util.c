/* N-API plumbing for bpfsim_native: argument readers, typed throws and result-object builders. */
#include "napi_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool ok(napi_env env, napi_status status) {
  if (status == napi_ok) return true;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  const char *msg = info && info->error_message ? info->error_message : "N-API call failed";
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, msg);
  return false;
}

bool throw_fmt(napi_env env, enum throw_kind kind, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (kind == TYPE_ERROR) napi_throw_type_error(env, NULL, msg);
  else if (kind == RANGE_ERROR) napi_throw_range_error(env, NULL, msg);
  else napi_throw_error(env, NULL, msg);
  return false;
}

bool is_nullish(napi_env env, napi_value v, bool *out) {
  napi_valuetype t;
  if (!ok(env, napi_typeof(env, v, &t))) return false;
  *out = t == napi_undefined || t == napi_null;
  return true;
}

bool read_u32(napi_env env, napi_value v, const char *what, uint32_t *out) {
  napi_valuetype t;
  double d;
  if (!ok(env, napi_typeof(env, v, &t))) return false;
  if (t != napi_number) return throw_fmt(env, TYPE_ERROR, "%s must be a number", what);
  if (!ok(env, napi_get_value_double(env, v, &d))) return false;
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d)
    return throw_fmt(env, RANGE_ERROR, "%s must be an integer in [0, 2^32), got %g", what, d);
  *out = (uint32_t)d;
  return true;
}

bool read_u64(napi_env env, napi_value v, const char *what, uint64_t *out) {
  napi_valuetype t;
  if (!ok(env, napi_typeof(env, v, &t))) return false;
  if (t == napi_bigint) {
    bool lossless = false;
    if (!ok(env, napi_get_value_bigint_uint64(env, v, out, &lossless))) return false;
    return lossless || throw_fmt(env, RANGE_ERROR, "%s must be a bigint in [0, 2^64)", what);
  }
  if (t != napi_number) return throw_fmt(env, TYPE_ERROR, "%s must be a number or a bigint", what);
  double d;
  if (!ok(env, napi_get_value_double(env, v, &d))) return false;
  if (!(d >= 0 && d <= 9007199254740991.0) || d != (double)(uint64_t)d)
    return throw_fmt(env, RANGE_ERROR, "%s must be a non-negative safe integer, got %g", what, d);
  *out = (uint64_t)d;
  return true;
}

bool read_bytes(napi_env env, napi_value v, const char *what, bool nullable, struct bytes *out) {
  bool nullish, is_typed = false;
  *out = (struct bytes){NULL, 0};
  if (!is_nullish(env, v, &nullish)) return false;
  if (nullish && nullable) return true;
  if (!nullish && !ok(env, napi_is_typedarray(env, v, &is_typed))) return false;
  napi_typedarray_type type = napi_int8_array;
  void *data = NULL;
  if (is_typed && !ok(env, napi_get_typedarray_info(env, v, &type, &out->len, &data, NULL, NULL)))
    return false;
  if (!is_typed || type != napi_uint8_array)
    return throw_fmt(env, TYPE_ERROR, "%s must be a Uint8Array%s", what, nullable ? " or null" : "");
  out->ptr = out->len ? data : NULL;
  return true;
}

bool opts_init(struct opts *o, napi_env env, const char *fn, napi_value v) {
  napi_valuetype t;
  o->env = env;
  o->fn = fn;
  o->obj = v;
  if (!ok(env, napi_typeof(env, v, &t))) return false;
  return t == napi_object || throw_fmt(env, TYPE_ERROR, "%s: opts must be an object", fn);
}

/* Fetches opts[name]; *present is false when it is undefined or null. */
static bool opt_get(const struct opts *o, const char *name, napi_value *v, bool *present) {
  bool nullish;
  if (!ok(o->env, napi_get_named_property(o->env, o->obj, name, v))) return false;
  if (!is_nullish(o->env, *v, &nullish)) return false;
  *present = !nullish;
  return true;
}

bool opt_u32(const struct opts *o, const char *name, uint32_t *out) {
  napi_value v;
  bool present;
  char what[96];
  if (!opt_get(o, name, &v, &present)) return false;
  snprintf(what, sizeof what, "%s: opts.%s", o->fn, name);
  return !present || read_u32(o->env, v, what, out);
}

bool opt_u64(const struct opts *o, const char *name, uint64_t *out) {
  napi_value v;
  bool present;
  char what[96];
  if (!opt_get(o, name, &v, &present)) return false;
  snprintf(what, sizeof what, "%s: opts.%s", o->fn, name);
  return !present || read_u64(o->env, v, what, out);
}

bool opt_bytes(const struct opts *o, const char *name, struct bytes *out) {
  napi_value v;
  char what[96];
  if (!ok(o->env, napi_get_named_property(o->env, o->obj, name, &v))) return false;
  snprintf(what, sizeof what, "%s: opts.%s", o->fn, name);
  return read_bytes(o->env, v, what, true, out);
}

bool opt_string(const struct opts *o, const char *name, char *buf, size_t cap) {
  napi_value v;
  bool present;
  napi_valuetype t;
  if (!opt_get(o, name, &v, &present)) return false;
  if (!present) return true;
  if (!ok(o->env, napi_typeof(o->env, v, &t))) return false;
  if (t != napi_string) return throw_fmt(o->env, TYPE_ERROR, "%s: opts.%s must be a string", o->fn, name);
  return ok(o->env, napi_get_value_string_utf8(o->env, v, buf, cap, NULL));
}

bool opt_string_dup(const struct opts *o, const char *name, char **out) {
  napi_value v;
  bool present;
  napi_valuetype t;
  size_t len;
  if (!opt_get(o, name, &v, &present)) return false;
  if (!present) return true;
  if (!ok(o->env, napi_typeof(o->env, v, &t))) return false;
  if (t != napi_string) return throw_fmt(o->env, TYPE_ERROR, "%s: opts.%s must be a string", o->fn, name);
  if (!ok(o->env, napi_get_value_string_utf8(o->env, v, NULL, 0, &len))) return false;
  char *s = malloc(len + 1);
  if (!s) return throw_fmt(o->env, PLAIN_ERROR, "%s: out of memory copying opts.%s", o->fn, name);
  if (!ok(o->env, napi_get_value_string_utf8(o->env, v, s, len + 1, NULL))) {
    free(s);
    return false;
  }
  *out = s;
  return true;
}

/* Allocates *out for n ints, copied from `src` when given; *out stays NULL when n is 0. */
static bool copy_ints(const struct opts *o, const char *name, const void *src, size_t n, int32_t **out) {
  *out = NULL;
  if (n == 0) return true;
  if (!(*out = malloc(n * sizeof(int32_t))))
    return throw_fmt(o->env, PLAIN_ERROR, "%s: out of memory copying opts.%s", o->fn, name);
  if (src) memcpy(*out, src, n * sizeof(int32_t));
  return true;
}

bool opt_fd_array(const struct opts *o, const char *name, int32_t **out) {
  napi_value v;
  bool present, is_typed, is_array;
  if (!opt_get(o, name, &v, &present)) return false;
  if (!present) return true;
  if (!ok(o->env, napi_is_typedarray(o->env, v, &is_typed)) || !ok(o->env, napi_is_array(o->env, v, &is_array)))
    return false;
  if (is_typed) {
    napi_typedarray_type type;
    size_t len;
    void *data;
    if (!ok(o->env, napi_get_typedarray_info(o->env, v, &type, &len, &data, NULL, NULL))) return false;
    if (type == napi_int32_array) return copy_ints(o, name, data, len, out);
  }
  if (!is_array)
    return throw_fmt(o->env, TYPE_ERROR, "%s: opts.%s must be an Int32Array or number[]", o->fn, name);
  uint32_t n;
  if (!ok(o->env, napi_get_array_length(o->env, v, &n)) || !copy_ints(o, name, NULL, n, out)) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    char what[96];
    uint32_t fd;
    snprintf(what, sizeof what, "%s: opts.%s[%u]", o->fn, name, i);
    if (!ok(o->env, napi_get_element(o->env, v, i, &item)) || !read_u32(o->env, item, what, &fd)) {
      free(*out);
      *out = NULL;
      return false;
    }
    (*out)[i] = (int32_t)fd;
  }
  return true;
}

void out_init(struct out *o, napi_env env) {
  o->env = env;
  o->ok = ok(env, napi_create_object(env, &o->obj));
}

void out_value(struct out *o, const char *name, napi_value v) {
  o->ok = o->ok && ok(o->env, napi_set_named_property(o->env, o->obj, name, v));
}

void out_i32(struct out *o, const char *name, int32_t n) {
  napi_value v;
  o->ok = o->ok && ok(o->env, napi_create_int32(o->env, n, &v));
  out_value(o, name, v);
}

void out_u32(struct out *o, const char *name, uint32_t n) {
  napi_value v;
  o->ok = o->ok && ok(o->env, napi_create_uint32(o->env, n, &v));
  out_value(o, name, v);
}

void out_u64(struct out *o, const char *name, uint64_t n) {
  napi_value v;
  o->ok = o->ok && ok(o->env, napi_create_bigint_uint64(o->env, n, &v));
  out_value(o, name, v);
}

void out_bool(struct out *o, const char *name, bool b) {
  napi_value v;
  o->ok = o->ok && ok(o->env, napi_get_boolean(o->env, b, &v));
  out_value(o, name, v);
}

void out_str(struct out *o, const char *name, const char *s, size_t len) {
  napi_value v;
  o->ok = o->ok && ok(o->env, napi_create_string_utf8(o->env, s, len, &v));
  out_value(o, name, v);
}

void out_name(struct out *o, const char *name, const char *s, size_t cap) {
  out_str(o, name, s, strnlen(s, cap));
}

void out_view(struct out *o, const char *name, napi_value arraybuffer, size_t len) {
  napi_value v;
  o->ok = o->ok && ok(o->env, napi_create_typedarray(o->env, napi_uint8_array, len, arraybuffer, 0, &v));
  out_value(o, name, v);
}

napi_value out_done(struct out *o) { return o->ok ? o->obj : NULL; }

bool new_buffer(napi_env env, size_t len, napi_value *ab, uint8_t **data) {
  void *p = NULL;
  if (!ok(env, napi_create_arraybuffer(env, len, &p, ab))) return false;
  if (len) memset(p, 0, len);
  *data = len ? p : NULL;
  return true;
}

napi_value errno_value(napi_env env, int err) {
  napi_value v;
  return ok(env, napi_create_int32(env, err, &v)) ? v : NULL;
}

napi_value fd_result(napi_env env, long r) {
  struct out o;
  out_init(&o, env);
  out_i32(&o, "fd", r < 0 ? -1 : (int32_t)r);
  out_i32(&o, "errno", r < 0 ? (int32_t)-r : 0);
  if (!o.ok && r >= 0) close((int)r);
  return out_done(&o);
}

bool args(napi_env env, napi_callback_info info, size_t max, napi_value *argv) {
  size_t argc = max;
  return ok(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
}

bool read_u64_opt(napi_env env, napi_value v, const char *what, uint64_t *out) {
  bool nullish;
  *out = 0;
  if (!is_nullish(env, v, &nullish)) return false;
  return nullish || read_u64(env, v, what, out);
}
