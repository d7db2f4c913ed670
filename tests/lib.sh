# Sourced by end-to-end scripts: a private temporary folder $tmp (removed
# at exit), pass and fail counts, checks of a command's success or failure,
# and the skip of a script whose shared data is missing.
BIN=${BIN:-bin}
# the shared corpora live outside the repository, beside it by default
D=${NER_DATA:-../shared/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
# check NAME CMD...: one test per command, counted without stopping the script
check() { if "${@:2}"; then ok "$1"; else bad "$1"; fi; }

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

# need_corpus DIR NAME FILE...: the shared corpora are not in the
# repository, so without FILE under $D/DIR the script is skipped (status 0)
# rather than failed
# expect_status STATUS NAME PATTERN CMD...: exactly that exit status, and
# PATTERN on stderr (2 a usage error, 1 a refusal, never a crash)
expect_status() {
    local want=$1 name=$2 pattern=$3
    shift 3
    "$@" > "$tmp/out" 2> "$tmp/err"
    local rc=$?
    if [ $rc -eq "$want" ] && grep -q -- "$pattern" "$tmp/err"; then
        ok "$name"
    else
        bad "$name (exit $rc: $(head -c 300 "$tmp/err"))"
    fi
}

need_corpus() {
    local dir=$1 name=$2 f
    shift 2
    for f in "$@"; do
        if [ ! -f "$D/$dir/$f" ]; then
            echo "skipped: no $name data under $D (set NER_DATA)"
            exit 0
        fi
    done
}
need_conll03() { need_corpus conll2003 CoNLL-2003 "$@"; }
need_conll02() { need_corpus conll2002 CoNLL-2002 "$@"; }

# small_model: the five programs as $TAG $TRAIN $EVAL $BENCH $EMBED, a tiny
# corpus $tmp/train.conll and a model $M trained on it in a blink
small_model() {
    TAG="$BIN/nerkit-tag" TRAIN="$BIN/nerkit-train" EVAL="$BIN/nerkit-eval"
    BENCH="$BIN/nerkit-bench" EMBED="$BIN/nerkit-embed"
    for i in 1 2 3 4 5 6; do printf 'Anna B-PER\nBerg I-PER\nlives O\nin O\nOslo B-LOC\n. O\n\n'; done > "$tmp/train.conll"
    "$TRAIN" -q -t "$tmp/train.conll" -o "$tmp/m.nerkit" --hash-bits 12 -e 2 || bad "train a small model"
    M=$tmp/m.nerkit
}

# finish NAME: the summary line, and the script's status
finish() {
    echo "$1: $pass passed, $fail failed"
    [ $fail = 0 ]
}
