# Sourced by end-to-end scripts: a private temporary folder $tmp (removed
# at exit), pass and fail counts, and the check that a command fails with
# a given message.
BIN=${BIN:-bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# expect_error NAME PATTERN CMD...: CMD must exit non-zero and say PATTERN on stderr
expect_error() {
    local name=$1 pattern=$2
    shift 2
    if "$@" > "$tmp/out" 2> "$tmp/err"; then
        bad "$name (exit 0)"
    elif grep -q -- "$pattern" "$tmp/err"; then
        ok "$name"
    else
        bad "$name (stderr: $(head -c 300 "$tmp/err"))"
    fi
}

# finish NAME: the summary line, and the script's status
finish() {
    echo "$1: $pass passed, $fail failed"
    [ $fail = 0 ]
}
