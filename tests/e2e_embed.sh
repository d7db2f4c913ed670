#!/usr/bin/env bash
# nerkit-embed as a user meets it: vectors learned from a folder of plain
# and gzip text and from standard input, in every output format; the same
# vectors for -j 1 and -j 2; k-means clusters at several granularities;
# exchange classes of the text, nested, the same for -j 1 and -j 2;
# nearest neighbours that make sense; bad input reported with its file and
# offset, and no output file left behind. The part on the shared unlabelled
# corpus is skipped when $NER_DATA is missing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
E="$BIN/nerkit-embed"

# expect_exit1 NAME PATTERN CMD...: CMD must exit 1 and say PATTERN on
# stderr; stricter than lib.sh's expect_error because the README promises
# status 1, so a crash must not pass for a refusal
expect_exit1() {
    local name=$1 pattern=$2
    shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"
    local rc=$?
    if [ $rc -ne 1 ]; then
        bad "$name (exit $rc)"
    elif grep -q -- "$pattern" "$tmp/err"; then
        ok "$name"
    else
        bad "$name (stderr: $(head -c 300 "$tmp/err"))"
    fi
}

# A corpus from a little grammar: days, cities and people fill their own
# slots, so each has its kind as nearest neighbours. Documents are separated
# by blank lines; a second file is gzip.
mkdir -p "$tmp/corpus/sub"
perl -e '
    srand(7);
    my @day = qw(Monday Tuesday Wednesday Thursday Friday);
    my @city = qw(Paris London Berlin Madrid Rome Vienna);
    my @name = qw(John Mary Peter Anna David Laura);
    my @verb = qw(rose fell climbed slipped);
    sub p { $_[int(rand(@_))] }
    for my $d (1 .. $ARGV[0]) {
        for (1 .. 6) {
            print "Shares in ", p(@city), " ", p(@verb), " ", 1 + int(rand(9)), " percent on ", p(@day), ".\n";
            print p(@name), " said on ", p(@day), " that ", p(@name), " would fly to ", p(@city), ".\n";
        }
        print "\n";
    }' 300 > "$tmp/corpus/a.txt"
sed -n '1,2000p' "$tmp/corpus/a.txt" | gzip > "$tmp/corpus/sub/b.txt.gz"

"$E" -q --dim 12 -w 3 --min-count 3 -o "$tmp/v.vec" "$tmp/corpus" 2> "$tmp/err" || bad "learn: $(cat "$tmp/err")"
read -r V DIM < "$tmp/v.vec"
check "word2vec text: header and one line per word" \
    test "$DIM" = 12 -a "$(($(wc -l < "$tmp/v.vec") - 1))" = "$V" -a "$(awk 'NR > 1 && NF != 13' "$tmp/v.vec" | wc -l)" = 0
check "no temporary file left beside the output" test "$(ls "$tmp" | grep -c tmp)" = 0

"$E" --neighbors Monday,Paris,John -n 2 "$tmp/v.vec" > "$tmp/nn"
check "nearest to a day is a day" grep -qE '^Monday	(Tuesday|Wednesday|Thursday|Friday) ' "$tmp/nn"
check "nearest to a city is a city" grep -qE '^Paris	(London|Berlin|Madrid|Rome|Vienna) ' "$tmp/nn"
check "nearest to a name is a name" grep -qE '^John	(Mary|Peter|Anna|David|Laura) ' "$tmp/nn"

"$E" -q -j 1 --dim 12 -w 3 --min-count 3 -o "$tmp/j1.vec" "$tmp/corpus"
"$E" -q -j 2 --dim 12 -w 3 --min-count 3 -o "$tmp/j2.vec" "$tmp/corpus"
check "-j 1 and -j 2 write the same vectors" cmp -s "$tmp/j1.vec" "$tmp/j2.vec"

# standard input is read twice (copied to a temporary file on the first pass)
cat "$tmp/corpus/a.txt" | "$E" -q --dim 12 -w 3 --min-count 3 -o "$tmp/stdin.vec" - 2> "$tmp/err"
"$E" -q --dim 12 -w 3 --min-count 3 -o "$tmp/file.vec" "$tmp/corpus/a.txt"
check "standard input gives what the file gives" cmp -s "$tmp/stdin.vec" "$tmp/file.vec"

# every format, read back by k-means (which detects the format)
for f in binary glove; do
    "$E" -q --dim 12 -w 3 --min-count 3 -f $f -o "$tmp/v.$f" "$tmp/corpus/a.txt" &&
        "$E" -q --clusters 4 -o "$tmp/c.$f" "$tmp/v.$f" &&
        ok "$f vectors written and read" || bad "$f vectors written and read"
done
check "glove has no header line" test "$(head -1 "$tmp/v.glove" | awk '{print NF}')" = 13

"$E" -q --clusters 3,8,30 -o "$tmp/v.clusters" "$tmp/v.vec"
check "clusters: header with every k" test "$(head -1 "$tmp/v.clusters")" = "$(printf '#nerkit-clusters\t3\t8\t30')"
check "clusters: one line per word, ids below k" test "$(awk -F'\t' 'NR > 1 && NF == 4 && $2 < 3 && $3 < 8 && $4 < 30' "$tmp/v.clusters" | wc -l)" = "$V"
# the days share a cluster at k = 8 (fine enough to split the kinds apart)
check "the days share a cluster" test "$(awk -F'\t' '$1 ~ /^(Monday|Tuesday|Wednesday|Thursday|Friday)$/ {print $3}' "$tmp/v.clusters" | sort -u | wc -l)" = 1

# exchange classes of the same text: nested levels, the same for -j 1 and
# -j 2, the days one class at the finer level
"$E" -q --exchange 4,12 --min-count 3 -j 1 -o "$tmp/x1.classes" "$tmp/corpus" 2> "$tmp/err" || bad "exchange: $(cat "$tmp/err")"
"$E" -q --exchange 4,12 --min-count 3 -j 2 -o "$tmp/x2.classes" "$tmp/corpus"
check "exchange: header with every k" test "$(head -1 "$tmp/x1.classes")" = "$(printf '#nerkit-clusters\t4\t12')"
check "exchange: -j 1 and -j 2 write the same classes" cmp -s "$tmp/x1.classes" "$tmp/x2.classes"
check "exchange: the days share a class" test "$(awk -F'\t' '$1 ~ /^(Monday|Tuesday|Wednesday|Thursday|Friday)$/ {print $3}' "$tmp/x1.classes" | sort -u | wc -l)" = 1
check "exchange: each class of 12 within one of 4" test "$(awk -F'\t' 'NR > 1 {print $3, $2}' "$tmp/x1.classes" | sort -u | awk '{print $1}' | uniq -d | wc -l)" = 0
expect_exit1 "exchange: more classes than words" "fewer than 100000 classes" "$E" -q --exchange 100000 -o "$tmp/x.classes" "$tmp/corpus"
expect_exit1 "exchange: unreadable input" "nope.txt: cannot open" "$E" -q --exchange 4 -o "$tmp/x.classes" "$tmp/nope.txt"
"$E" -q --exchange 4 --dim 10 -o "$tmp/x.classes" "$tmp/corpus" 2> /dev/null
check "exchange: --dim is a usage error" test $? = 2

# bad input: the file and where in it, exit 1, no output
head -c 3000 "$tmp/corpus/sub/b.txt.gz" > "$tmp/cut.gz"
expect_exit1 "truncated gzip" "cut.gz: truncated gzip data after" "$E" -q -o "$tmp/x.vec" "$tmp/cut.gz"
printf 'good text here\nbinary\0data\n' > "$tmp/nul.txt"
expect_exit1 "binary input" "nul.txt:2: NUL byte at byte offset 21" "$E" -q -o "$tmp/x.vec" "$tmp/nul.txt"
expect_exit1 "missing input" "nope.txt: cannot open" "$E" -q -o "$tmp/x.vec" "$tmp/corpus" "$tmp/nope.txt"
expect_exit1 "too few words for --dim" "fewer than --dim 500" "$E" -q --dim 500 -o "$tmp/x.vec" "$tmp/corpus"
check "no output after a failure" test ! -e "$tmp/x.vec"
printf '2 3\nthe 1 2 3\nof 1 2\n' > "$tmp/bad.vec"
expect_exit1 "bad vector file" "bad.vec:3: number 3 of the vector of 'of' is missing" \
    "$E" -q --clusters 2 -o "$tmp/x.clusters" "$tmp/bad.vec"
expect_exit1 "more clusters than words" "clusters of" "$E" -q --clusters 100000 -o "$tmp/x.clusters" "$tmp/v.vec"
printf 'caf\xe9 au lait\n' > "$tmp/latin1.txt"
"$E" -q --dim 1 --min-count 1 -o "$tmp/l.vec" "$tmp/latin1.txt" 2> "$tmp/err"
check "invalid UTF-8: one warning with line and offset" \
    test "$(grep -c 'latin1.txt:1: invalid UTF-8 at byte offset 3' "$tmp/err")" = 1

# the shared unlabelled corpus: a slice of it, and words that must come out close
if [ -f "$D/unlabeled/wsj_conll2000_tokenized.txt" ]; then
    "$E" -q --dim 50 -o "$tmp/wsj.vec" "$D/unlabeled/wsj_conll2000_tokenized.txt"
    "$E" --neighbors Friday,shares -n 5 "$tmp/wsj.vec" > "$tmp/nn"
    check "WSJ: a weekday near Friday" grep -qE '^Friday	.*(Monday|Tuesday|Wednesday|Thursday) ' "$tmp/nn"
    check "WSJ: stock near shares" grep -qE '^shares	.*(stock|common) ' "$tmp/nn"
else
    echo "skipped: no $D/unlabeled (set NER_DATA)"
fi

finish embed
