#!/usr/bin/env bash
# The build finds OpenBLAS's own cblas.h even when another BLAS's header
# comes first on the include path (CPATH), as on a machine where netlib's
# libblas-dev is installed too: every file that includes cblas.h compiles.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
objs=""
for o in src/core/dense.o src/embed/svd.o src/embed/kmeans.o cli/nerkit-embed.o bench/dense_bench.o; do
    objs="$objs $tmp/b/$o"
done
# shellcheck disable=SC2086
check "build with a foreign cblas.h first on CPATH" \
    env CPATH="$PWD/tests/data/netlib-cblas" make -s --no-print-directory B="$tmp/b" $objs
finish e2e_deps
