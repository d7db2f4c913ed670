#!/usr/bin/env bash
# Checks that nerkit-eval prints exactly what conlleval.pl prints.
#
#   tests/e2e_eval_conlleval.sh [PATH_TO_NERKIT_EVAL]   (default: $BIN/nerkit-eval)
#
# Inputs: the fixtures tests/data/eval/*.txt, plus files generated here at
# run time (random label sequences, and perturbed copies of the corpora under
# $NER_DATA). The reference is $NER_DATA/eval/conlleval.pl (NER_DATA defaults
# to ../shared/data beside the repository). Without it only the fixtures are
# checked, against the NAME.expected files stored beside them; those were
# written by conlleval.pl, and an empty one means conlleval.pl rejects the
# input (nerkit-eval must then fail too).
#
# Set KEEP_TMP=1 to keep the generated files for a closer look.
set -u

if [ $# -eq 0 ] && [ -n "${BIN:-}" ]; then
    set -- "$BIN/nerkit-eval"
fi
if [ $# -ne 1 ]; then
    echo "usage: $0 PATH_TO_NERKIT_EVAL" >&2
    exit 2
fi
case $1 in
    /*) NERKIT_EVAL=$1 ;;
    *) NERKIT_EVAL=$PWD/$1 ;;
esac
if [ ! -x "$NERKIT_EVAL" ]; then
    echo "$0: $1 is not an executable" >&2
    exit 2
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIXTURES=$ROOT/tests/data/eval
NER_DATA=${NER_DATA:-$ROOT/../shared/data}
CONLLEVAL=$NER_DATA/eval/conlleval.pl
have_conlleval=0
if [ -r "$CONLLEVAL" ] && command -v perl >/dev/null 2>&1; then
    have_conlleval=1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/eval_vs_conlleval.XXXXXX") || exit 2
if [ "${KEEP_TMP:-0}" = 1 ]; then
    echo "# generated files kept in $TMP"
else
    trap 'rm -rf "$TMP"' EXIT
fi

passed=0
failed=0

# check NAME INPUT EXPECTED_OUTPUT EXPECTED_OK: runs nerkit-eval on INPUT and
# wants EXPECTED_OUTPUT on stdout, and success exactly when EXPECTED_OK is 1.
check() {
    local name=$1 input=$2 expected=$3 expected_ok=$4 got_ok=1
    "$NERKIT_EVAL" "$input" >"$TMP/got" 2>"$TMP/got.err" || got_ok=0
    if cmp -s "$expected" "$TMP/got" && [ "$expected_ok" = "$got_ok" ]; then
        echo "ok $name"
        passed=$((passed + 1))
        return
    fi
    echo "FAIL $name"
    if [ "$expected_ok" != "$got_ok" ]; then
        echo "  reference $([ "$expected_ok" = 1 ] && echo succeeds || echo fails)," \
            "nerkit-eval $([ "$got_ok" = 1 ] && echo succeeds || echo fails)"
        sed 's/^/  stderr: /' "$TMP/got.err"
    fi
    diff -u --label conlleval "$expected" --label nerkit-eval "$TMP/got" | sed 's/^/  /'
    failed=$((failed + 1))
}

# check_with_conlleval NAME INPUT: conlleval.pl's own output is the reference.
check_with_conlleval() {
    local ok=1
    perl "$CONLLEVAL" <"$2" >"$TMP/want" 2>/dev/null || ok=0
    check "$1" "$2" "$TMP/want" "$ok"
}

# ------------------------------------------------------------------ fixtures

for input in "$FIXTURES"/*.txt; do
    name=$(basename "$input" .txt)
    stored=$FIXTURES/$name.expected
    if [ "$have_conlleval" = 1 ]; then
        check_with_conlleval "$name" "$input"
        # The stored outputs are what the test falls back on; keep them honest.
        if ! cmp -s "$TMP/want" "$stored"; then
            echo "FAIL $name.expected (missing or stale; regenerate with:" \
                "perl conlleval.pl < $name.txt > $name.expected)"
            failed=$((failed + 1))
        fi
    elif [ -f "$stored" ]; then
        check "$name" "$input" "$stored" "$([ -s "$stored" ] && echo 1 || echo 0)"
    else
        echo "FAIL $name (no $name.expected and no conlleval.pl)"
        failed=$((failed + 1))
    fi
done

# --------------------------------------------------------- generated inputs

# Turns a gold-labelled column file into "columns gold guess". The gold label
# is the last field; it is rewritten into SCHEME (keep, iob1, iob2, bioes)
# sentence by sentence, and the guess is derived from it: MODE "exact" copies
# it, "allO" says O, "noisy" replaces a fraction P of the labels at random
# (new tags, new types, unknown types, odd labels) so that invalid sequences
# such as I- after O or a type switch inside a chunk appear. A -DOCSTART- line
# is a sentence break for the conversion but keeps its columns, and gets a
# guess like any other line, because conlleval counts it as a token.
# shellcheck disable=SC2016 # an awk program, expanded by awk
GEN_AWK='
function pick(a, n) { return a[int(rand() * n) + 1] }
function type_of(l) { return index(l, "-") ? substr(l, index(l, "-") + 1) : "" }
function tag_of(l) { return index(l, "-") ? substr(l, 1, index(l, "-") - 1) : l }
function note_type(t) { if (t != "" && !(t in seen)) { seen[t] = 1; types[++ntypes] = t } }
function noise(l,   r, t) {
    if (mode == "exact") return l
    if (mode == "allO") return "O"
    if (rand() >= P) return l
    r = rand()
    if (r < 0.25) return "O"
    if (r < 0.50) { t = type_of(l); if (t == "") t = pick(types, ntypes); return pick(tags, ntags) "-" t }
    if (r < 0.85) { t = tag_of(l); if (t == "O") t = pick(tags, ntags); return t "-" pick(types, ntypes) }
    return pick(odd, nodd)
}
function flush(   i, t, tg, gold, last) {
    # Chunks of the gold as read: a B or S, or an I or E that does not
    # continue a chunk of its type.
    for (i = 1; i <= n; i++) {
        t = type_of(lab[i]); tg = tag_of(lab[i])
        ty[i] = t
        begin[i] = (tg == "B" || tg == "S" || ((tg == "I" || tg == "E") && (i == 1 || ty[i-1] != t || tag_of(lab[i-1]) == "O" || tag_of(lab[i-1]) == "E" || tag_of(lab[i-1]) == "S")))
        inside[i] = (tg != "O")
    }
    for (i = 1; i <= n; i++) {
        gold = lab[i]
        if (scheme != "keep" && inside[i]) {
            last = (i == n || !inside[i+1] || begin[i+1])
            if (scheme == "iob2") gold = (begin[i] ? "B-" : "I-") ty[i]
            else if (scheme == "iob1") gold = ((begin[i] && i > 1 && inside[i-1] && ty[i-1] == ty[i]) ? "B-" : "I-") ty[i]
            else if (scheme == "bioes") gold = (begin[i] ? (last ? "S-" : "B-") : (last ? "E-" : "I-")) ty[i]
        }
        note_type(ty[i])
        print pre[i] " " gold " " noise(gold)
    }
    n = 0
}
BEGIN {
    srand(seed)
    types[ntypes = 1] = "NOVEL"; seen["NOVEL"] = 1
    if (scheme == "bioes") { ntags = split("B I E S", tags, " ") } else { ntags = split("B I", tags, " ") }
    nodd = split("B I E S O-PER B-0 I-0 [ ] [-NP ]-NP . .-LOC -PER X U-LOC L-ORG B-a-b I-creative-work", odd, " ")
}
NF == 0 { flush(); print ""; next }
$1 == "-DOCSTART-" {
    flush()
    line = $0; sub(/ [^ ]*$/, "", line)
    print line " " $NF " " noise($NF)
    next
}
{
    lab[++n] = $NF
    line = $0; sub(/ [^ ]*$/, "", line); pre[n] = line
}
END { flush() }
'

# gen OUT SEED SCHEME MODE P < gold-file
gen() {
    awk -v seed="$2" -v scheme="$3" -v mode="$4" -v P="$5" "$GEN_AWK" >"$1"
}

# Random label soup, with boundaries, -X- lines and -DOCSTART- lines: every
# rule of the chunk logic gets exercised, whatever the corpora.
random_soup() {
    awk -v seed="$1" -v lines="$2" '
    function lab(   r) {
        r = rand()
        if (r < 0.45) return "O"
        if (r < 0.90) return substr("BIIES", int(rand() * 5) + 1, 1) "-" substr("ABC", int(rand() * 3) + 1, 1)
        return odd[int(rand() * nodd) + 1]
    }
    BEGIN {
        srand(seed)
        nodd = split("B I E S . [ ] .-A [-A ]-B O-A B-0 -A X-B B-A-B I-A-B b-A", odd, " ")
        for (i = 1; i <= lines; i++) {
            r = rand()
            if (r < 0.08) print ""
            else if (r < 0.10) print "-DOCSTART- " lab() " " lab()
            else if (r < 0.11) print "-X- " lab() " " lab()
            else { g = lab(); print "w" i " " g " " (rand() < 0.6 ? g : lab()) }
        }
    }'
}

if [ "$have_conlleval" = 0 ]; then
    echo "# no conlleval.pl under NER_DATA=$NER_DATA: generated comparisons skipped"
else
    for seed in 1 2 3 4 5 6 7 8; do
        random_soup "$seed" 3000 >"$TMP/soup-$seed.txt"
        check_with_conlleval "random-soup-$seed" "$TMP/soup-$seed.txt"
    done

    # corpus NAME PATH PREP: PREP turns the corpus into space-separated
    # columns with the gold label last (tab files: "token gold").
    corpus() {
        local name=$1 path=$NER_DATA/$2 prep=$3
        if [ ! -r "$path" ]; then
            echo "# $2 not found under NER_DATA: $name skipped"
            return
        fi
        case $prep in
            space) cp "$path" "$TMP/$name.gold" ;;
            tab-token-label) awk -F'\t' 'NF == 0 { print ""; next }
                { t = $1; gsub(/ /, "_", t); print t " " $2 }' "$path" >"$TMP/$name.gold" ;;
            tab-label-token) awk -F'\t' 'NF == 0 { print ""; next }
                { t = $2; gsub(/ /, "_", t); print t " " $1 }' "$path" >"$TMP/$name.gold" ;;
        esac
        local variant scheme mode p out seed=11
        for variant in "keep noisy 0.10" "iob1 noisy 0.10" "bioes noisy 0.10" \
            "keep noisy 0.40" "keep exact 0" "keep allO 0"; do
            read -r scheme mode p <<<"$variant"
            out=$name-$scheme-$mode-$p
            gen "$TMP/$out.txt" "$seed" "$scheme" "$mode" "$p" <"$TMP/$name.gold"
            check_with_conlleval "$out" "$TMP/$out.txt"
            seed=$((seed + 1))
        done
    }
    corpus conll2003-dev conll2003/dev.txt space
    corpus conll2002-ned-testa conll2002/ned.testa space
    corpus conll2002-esp-testa conll2002/esp.testa space
    corpus wnut17-dev wnut17/emerging.dev.conll tab-token-label
    corpus gum-train gum/gum-train.conll tab-token-label
    corpus mit-movie mit_movie/engtrain.bio tab-label-token
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
