#!/bin/sh
# Compiles bpfsim's own BPF C programs (bpf/*.c) into the fixtures the tests load
# (test/fixtures/bpf/*.o), so that tests and CI need no clang. Run it after editing bpf/.
#   CLANG=clang-19 scripts/build-bpf.sh       # pick a compiler (default: the newest clang found)
# legacy_maps.c is also built without -g, as legacy_maps_nobtf.o (maps without BTF).
set -eu
cd "$(dirname "$0")/.."
if [ -z "${CLANG:-}" ]; then
  for c in clang-22 clang-21 clang-20 clang-19 clang-18 clang-17 clang-16 clang-15 clang; do
    if command -v "$c" >/dev/null 2>&1; then CLANG=$c; break; fi
  done
fi
: "${CLANG:?no clang found: apt-get install clang, or set CLANG}"
ARCH_INC="/usr/include/$(uname -m)-linux-gnu"
OUT=test/fixtures/bpf
mkdir -p "$OUT"
FLAGS="-O2 -target bpf -mcpu=v3 -Wall -Werror -Wno-unused-function -Ibpf/include -I$ARCH_INC"
for src in bpf/*.c; do
  name=$(basename "$src" .c)
  echo "$CLANG $name.c"
  # shellcheck disable=SC2086
  "$CLANG" $FLAGS -g -c "$src" -o "$OUT/$name.o"
done
# shellcheck disable=SC2086
"$CLANG" $FLAGS -c bpf/legacy_maps.c -o "$OUT/legacy_maps_nobtf.o"
echo "built with $("$CLANG" --version | head -n 1)"
