#!/usr/bin/env bash
# The Python package (python/nerkit) with Debian's python3: its unittest
# suites in tests/python, against the plain build's libnerkit (lib/) and
# programs. Under the sanitizer build they are skipped: an ASan library
# cannot be loaded into a Python that was not started with its runtime.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
B=${B:-build}
PY=/usr/bin/python3
if [ "$B" != build ]; then
    echo "skipped: the Python tests run against the plain build only (make test)"
    exit 0
fi
if ! [ -x "$PY" ]; then
    echo "skipped: no Debian python3 at $PY"
    exit 0
fi
export NERKIT_LIBRARY="$PWD/lib/libnerkit.so.1"
unset NERKIT_MODEL
if BIN="$BIN" "$PY" -m unittest discover -s tests/python -t tests/python -v > "$tmp/log" 2>&1; then
    ok "python3 -m unittest ($(grep -o '^Ran [0-9]* tests' "$tmp/log"))"
else
    cat "$tmp/log"
    bad "python3 -m unittest"
fi
grep -i 'skipped' "$tmp/log" | sed 's/^/  /'
finish e2e_python
