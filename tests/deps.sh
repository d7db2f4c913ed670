#!/bin/sh
# Installs the Debian packages nerkit builds and tests with, if any is
# missing. Needs root (or sudo) only when something has to be installed.
need=""
have_header() { [ -f "/usr/include/$1" ] || [ -f "/usr/include/x86_64-linux-gnu/$1" ] || \
                ls /usr/include/*/"$1" >/dev/null 2>&1; }
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v make >/dev/null 2>&1 || need="$need make"
command -v perl >/dev/null 2>&1 || need="$need perl"
have_header zlib.h || need="$need zlib1g-dev"
have_header cmocka.h || need="$need libcmocka-dev"
have_header lbfgs.h || need="$need liblbfgs-dev"
# OpenBLAS itself, not any cblas.h: netlib's libblas-dev ships one too,
# and nerkit's code needs OpenBLAS's (blasint, openblas_set_num_threads).
# The Makefile compiles against the include folder pkg-config names.
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists openblas || need="$need libopenblas-dev"
else
    need="$need pkgconf libopenblas-dev"
fi
have_header lapacke.h || need="$need liblapacke-dev"
[ -x /usr/bin/time ] || need="$need time"
# tests/e2e_man.sh renders the manual pages with groff
command -v groff >/dev/null 2>&1 || need="$need groff-base"
# the Python package and its tests (tests/e2e_python.sh): Debian's own
# python3, not whichever python3 comes first on PATH, with Dask
[ -x /usr/bin/python3 ] || need="$need python3"
/usr/bin/python3 -c 'import dask.distributed' >/dev/null 2>&1 ||
    need="$need python3-dask python3-distributed"
# `deps.sh fuzz` (make fuzz): clang and its libFuzzer runtime, of the
# installed clang's version
if [ "$1" = fuzz ]; then
    if command -v clang >/dev/null 2>&1; then
        rt=$(clang --print-runtime-dir 2>/dev/null)
        v=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
        [ -f "$rt/libclang_rt.fuzzer-$(uname -m).a" ] || need="$need libclang-rt-${v:+$v-}dev"
    else
        need="$need clang libclang-rt-dev"
    fi
fi
[ -z "$need" ] && exit 0
echo "nerkit: installing missing packages:$need" >&2
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq && $sudo apt-get install -y -qq $need >&2 || {
    echo "nerkit: could not install:$need (install them and run make again)" >&2
    exit 1
}
