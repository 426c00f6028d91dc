{
  "targets": [
    {
      "target_name": "bpfsim_native",
      "sources": ["bpfsim_native.c", "napi_util.c", "map_ops.c", "prog_ops.c", "obj_ops.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra"]
    }
  ]
}
