/*
 * The JavaScript-visible functions of bpfsim_native, one N-API callback each, and the little
 * per-environment state they share. See src/kernel/addon.ts for their typed signatures.
 */
#ifndef BPFSIM_OPS_H
#define BPFSIM_OPS_H

#include <stdint.h>

#include <node_api.h>

/* Verifier and BTF log buffer size when a log is requested without a size. */
enum { DEFAULT_LOG_SIZE = 16 << 20 };

/* Number of possible CPUs, as the kernel sizes per-CPU map values. */
uint32_t possible_cpus(void);
/* possible_cpus(), as computed once when the addon was loaded into this environment. */
uint32_t state_ncpus(napi_env env);

/* map_ops.c */
napi_value map_create(napi_env env, napi_callback_info info);
napi_value map_lookup(napi_env env, napi_callback_info info);
napi_value map_update(napi_env env, napi_callback_info info);
napi_value map_delete(napi_env env, napi_callback_info info);
napi_value map_get_next_key(napi_env env, napi_callback_info info);
napi_value map_lookup_and_delete(napi_env env, napi_callback_info info);
napi_value map_freeze(napi_env env, napi_callback_info info);
napi_value map_lookup_batch(napi_env env, napi_callback_info info);
napi_value map_lookup_and_delete_batch(napi_env env, napi_callback_info info);
napi_value map_update_batch(napi_env env, napi_callback_info info);
napi_value map_delete_batch(napi_env env, napi_callback_info info);
napi_value map_get_info(napi_env env, napi_callback_info info);

/* prog_ops.c */
napi_value prog_load(napi_env env, napi_callback_info info);
napi_value prog_test_run(napi_env env, napi_callback_info info);
napi_value prog_get_info(napi_env env, napi_callback_info info);
napi_value prog_get_xlated(napi_env env, napi_callback_info info);

/* obj_ops.c */
napi_value btf_load(napi_env env, napi_callback_info info);
napi_value btf_get_info(napi_env env, napi_callback_info info);
napi_value link_create(napi_env env, napi_callback_info info);
napi_value link_detach(napi_env env, napi_callback_info info);
napi_value prog_attach(napi_env env, napi_callback_info info);
napi_value prog_detach(napi_env env, napi_callback_info info);
napi_value enable_stats(napi_env env, napi_callback_info info);
napi_value obj_get_next_id(napi_env env, napi_callback_info info);
napi_value get_fd_by_id(napi_env env, napi_callback_info info);
napi_value close_fd(napi_env env, napi_callback_info info);
napi_value ncpus(napi_env env, napi_callback_info info);
napi_value if_name_to_index(napi_env env, napi_callback_info info);

#endif
