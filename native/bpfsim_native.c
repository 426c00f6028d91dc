/*
 * bpfsim_native: a thin N-API binding of the bpf(2) syscall, so that bpfsim can use the running
 * Linux kernel as a backend and as the oracle for its simulator.
 *
 * Every function is synchronous. Kernel failures are never thrown: they come back as an `errno`
 * number (0 = success) so that the TypeScript layer can build typed errors. Wrong argument types
 * throw a TypeError, and buffers too small for what the kernel would write throw a RangeError
 * (the kernel would otherwise read or write past the end of a JavaScript buffer).
 */
#include <stdlib.h>

#include "napi_util.h"
#include "ops.h"

/* Per-environment state, computed once when the addon is loaded. */
struct addon_state {
  uint32_t ncpus;
};

uint32_t state_ncpus(napi_env env) {
  struct addon_state *st = NULL;
  napi_get_instance_data(env, (void **)&st);
  return st ? st->ncpus : possible_cpus();
}

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  static const struct { const char *name; napi_callback fn; } fns[] = {
      {"progLoad", prog_load},
      {"progTestRun", prog_test_run},
      {"progGetInfo", prog_get_info},
      {"progGetXlated", prog_get_xlated},
      {"progAttach", prog_attach},
      {"progDetach", prog_detach},
      {"mapCreate", map_create},
      {"mapLookup", map_lookup},
      {"mapUpdate", map_update},
      {"mapDelete", map_delete},
      {"mapGetNextKey", map_get_next_key},
      {"mapLookupAndDelete", map_lookup_and_delete},
      {"mapFreeze", map_freeze},
      {"mapLookupBatch", map_lookup_batch},
      {"mapLookupAndDeleteBatch", map_lookup_and_delete_batch},
      {"mapUpdateBatch", map_update_batch},
      {"mapDeleteBatch", map_delete_batch},
      {"mapGetInfo", map_get_info},
      {"btfLoad", btf_load},
      {"btfGetInfo", btf_get_info},
      {"linkCreate", link_create},
      {"linkDetach", link_detach},
      {"enableStats", enable_stats},
      {"objGetNextId", obj_get_next_id},
      {"getFdById", get_fd_by_id},
      {"close", close_fd},
      {"ncpus", ncpus},
      {"ifNameToIndex", if_name_to_index},
  };
  struct addon_state *st = malloc(sizeof *st);
  if (!st) {
    napi_throw_error(env, NULL, "bpfsim_native: out of memory");
    return NULL;
  }
  st->ncpus = possible_cpus();
  if (!ok(env, napi_set_instance_data(env, st, free_state, NULL))) {
    free(st);
    return NULL;
  }
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (!ok(env, napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f)) ||
        !ok(env, napi_set_named_property(env, exports, fns[i].name, f)))
      return NULL;
  }
  return exports;
}
