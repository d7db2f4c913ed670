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
have_header cblas.h || need="$need libopenblas-dev"
[ -x /usr/bin/time ] || need="$need time"
[ -z "$need" ] && exit 0
echo "nerkit: installing missing packages:$need" >&2
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq && $sudo apt-get install -y -qq $need >&2 || {
    echo "nerkit: could not install:$need (install them and run make again)" >&2
    exit 1
}
