/*
 * N-API plumbing for bpfsim_native: argument readers that throw a TypeError or RangeError for bad
 * input, and a result-object builder. Every function returning bool returns false with a
 * JavaScript exception pending; a callback then returns NULL.
 */
#ifndef BPFSIM_NAPI_UTIL_H
#define BPFSIM_NAPI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <node_api.h>

enum throw_kind { PLAIN_ERROR, TYPE_ERROR, RANGE_ERROR };

/* Borrowed bytes of a Uint8Array; ptr is NULL for null, undefined or an empty array. */
struct bytes {
  uint8_t *ptr;
  size_t len;
};

/* An options object being read; `fn` prefixes error messages ("progLoad: opts.insns ..."). */
struct opts {
  napi_env env;
  const char *fn;
  napi_value obj;
};

/* A result object under construction: the first failure sticks and later calls do nothing. */
struct out {
  napi_env env;
  napi_value obj;
  bool ok;
};

/* True if `status` is napi_ok; otherwise makes sure an exception is pending. */
bool ok(napi_env env, napi_status status);
/* Throws a formatted Error, TypeError or RangeError; always returns false. */
bool throw_fmt(napi_env env, enum throw_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fetches up to `max` positional arguments, missing ones as undefined. */
bool args(napi_env env, napi_callback_info info, size_t max, napi_value *argv);
/* Whether `v` is undefined or null. */
bool is_nullish(napi_env env, napi_value v, bool *out);
/* Reads an integer in [0, 2^32). */
bool read_u32(napi_env env, napi_value v, const char *what, uint32_t *out);
/* Reads a bigint in [0, 2^64) or a non-negative safe integer. */
bool read_u64(napi_env env, napi_value v, const char *what, uint64_t *out);
/* Like read_u64, but undefined or null reads as 0. */
bool read_u64_opt(napi_env env, napi_value v, const char *what, uint64_t *out);
/* Reads a Uint8Array (or, when `nullable`, null/undefined). */
bool read_bytes(napi_env env, napi_value v, const char *what, bool nullable, struct bytes *out);

/* Starts reading `v`, which must be an object. */
bool opts_init(struct opts *o, napi_env env, const char *fn, napi_value v);
/* The opt_* readers leave *out unchanged when opts[name] is undefined or null. */
bool opt_u32(const struct opts *o, const char *name, uint32_t *out);
bool opt_u64(const struct opts *o, const char *name, uint64_t *out);
/* Sets *out to the Uint8Array opts[name], or to {NULL, 0}. */
bool opt_bytes(const struct opts *o, const char *name, struct bytes *out);
/* Copies a string into buf[cap], truncated to fit and always NUL-terminated. */
bool opt_string(const struct opts *o, const char *name, char *buf, size_t cap);
/* Sets *out to a malloc'd copy of a string (the caller frees it). */
bool opt_string_dup(const struct opts *o, const char *name, char **out);
/* Sets *out to a malloc'd copy of an Int32Array or number[], or NULL (the caller frees it). */
bool opt_fd_array(const struct opts *o, const char *name, int32_t **out);

void out_init(struct out *o, napi_env env);
void out_value(struct out *o, const char *name, napi_value v);
void out_i32(struct out *o, const char *name, int32_t n);
void out_u32(struct out *o, const char *name, uint32_t n);
/* Sets a bigint property. */
void out_u64(struct out *o, const char *name, uint64_t n);
void out_bool(struct out *o, const char *name, bool b);
/* Sets a string property from `len` bytes of UTF-8. */
void out_str(struct out *o, const char *name, const char *s, size_t len);
/* Sets a string property from a NUL-padded kernel name field of `cap` bytes. */
void out_name(struct out *o, const char *name, const char *s, size_t cap);
/* Sets a Uint8Array view of the first `len` bytes of an ArrayBuffer. */
void out_view(struct out *o, const char *name, napi_value arraybuffer, size_t len);
/* The finished object, or NULL if any step failed. */
napi_value out_done(struct out *o);

/* A new zeroed ArrayBuffer of `len` bytes that the kernel can write into; *data is NULL if len is 0. */
bool new_buffer(napi_env env, size_t len, napi_value *ab, uint8_t **data);
/* The number `err` as a JavaScript value. */
napi_value errno_value(napi_env env, int err);
/* `{ fd, errno }` from a syscall result (fd or -errno), closing the fd if the object cannot be built. */
napi_value fd_result(napi_env env, long r);

#endif
