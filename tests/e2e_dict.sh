#!/usr/bin/env bash
# Entity dictionaries (nerkit-dict, nerkit-tag --dict): each policy against
# a model's entities, each matching option, leftmost-longest overlaps,
# entries at sentence edges and longer than a sentence, non-ASCII entries,
# the output formats, list errors with file and line, duplicates, and
# damaged dictionary files refused cleanly.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
small_model
DICT="$BIN/nerkit-dict"

# ents FILE: label:text:source[:id] of every entity of JSONL output, one line
ents() {
    grep -o '"label":"[^"]*","text":"[^"]*"\(,"source":"[^"]*"\)\?\(,"id":"[^"]*"\)\?' "$1" |
        sed 's/"label":"\([^"]*\)","text":"\([^"]*\)"/\1:\2/; s/,"source":"\([^"]*\)"/:\1/; s/,"id":"\([^"]*\)"/:\1/' |
        paste -sd' ' -
}
# same NAME WANT GOT
same() { [ "$2" = "$3" ] && ok "$1" || bad "$1: want '$2', got '$3'"; }

# ---- policies: the small model tags "Anna Berg" PER, "Oslo" LOC and
# (wrongly) "Bergen is" PER here
printf 'Anna Berg lives in Oslo. Bergen is far from Oslo.\n' > "$tmp/p.txt"
"$TAG" -q -m "$M" "$tmp/p.txt" > "$tmp/model.jsonl"
same "the model's own entities" "PER:Anna Berg LOC:Oslo PER:Bergen is LOC:Oslo" \
    "$(ents "$tmp/model.jsonl")"
printf '# policies\nBerg lives\tTHING\tT1\nBergen\tCITY\tQ26793\nfar\tWORD\n' > "$tmp/p.tsv"
check "compile a list" "$DICT" compile -q "$tmp/p.tsv" -o "$tmp/p.nkd"
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" "$tmp/p.txt" > "$tmp/o.jsonl"
same "override (default): matches replace the model entities they overlap" \
    "THING:Berg lives:dict:T1 LOC:Oslo:model CITY:Bergen:dict:Q26793 WORD:far:dict LOC:Oslo:model" \
    "$(ents "$tmp/o.jsonl")"
# a list from a pipe or a FIFO is read once, whole: telling a list from a
# compiled file must not eat its first bytes (here the first entry of a list
# of more than 4 KB), nor wait on a FIFO it has drained
{ printf 'Berg lives\tTHING\n'; for i in $(seq 400); do printf 'Filler%d\tMISC\n' "$i"; done; } \
    > "$tmp/long.tsv"
"$TAG" -q -m "$M" --dict <(cat "$tmp/long.tsv") --dict-policy only "$tmp/p.txt" > "$tmp/pipe.jsonl"
same "a list from a pipe: its first entry kept" "THING:Berg lives:dict" "$(ents "$tmp/pipe.jsonl")"
mkfifo "$tmp/list.fifo"
timeout 60 cat "$tmp/long.tsv" > "$tmp/list.fifo" &
timeout 60 "$TAG" -q -m "$M" --dict "$tmp/list.fifo" --dict-policy only "$tmp/p.txt" > "$tmp/fifo.jsonl"
same "a list from a FIFO: read once, whole" "THING:Berg lives:dict" "$(ents "$tmp/fifo.jsonl")"
wait
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" --dict-policy fill "$tmp/p.txt" > "$tmp/f.jsonl"
same "fill: matches only where the model found nothing" \
    "PER:Anna Berg:model LOC:Oslo:model PER:Bergen is:model WORD:far:dict LOC:Oslo:model" \
    "$(ents "$tmp/f.jsonl")"
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" --dict-policy only "$tmp/p.txt" > "$tmp/y.jsonl"
same "only: the matches alone" "THING:Berg lives:dict:T1 CITY:Bergen:dict:Q26793 WORD:far:dict" \
    "$(ents "$tmp/y.jsonl")"
"$TAG" -q -m "$M" --dict "$tmp/p.tsv" "$tmp/p.txt" > "$tmp/o2.jsonl"
check "a list given to --dict is compiled on the fly, to the same result" cmp "$tmp/o.jsonl" "$tmp/o2.jsonl"
gzip -c "$tmp/p.tsv" > "$tmp/p.tsv.gz"
"$DICT" compile -q "$tmp/p.tsv.gz" -o "$tmp/pz.nkd"
check "a gzip list compiles to the same file" cmp "$tmp/p.nkd" "$tmp/pz.nkd"
"$TAG" -q -m "$M" "$tmp/p.txt" > "$tmp/none.jsonl"
check "without --dict, no source member (output as before)" cmp "$tmp/model.jsonl" "$tmp/none.jsonl"

# ---- other output formats
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" -f tsv "$tmp/p.txt" > "$tmp/o.tsv"
same "TSV: source and id columns" "0	5	15	THING	Berg lives	dict	T1|0	19	23	LOC	Oslo	model	" \
    "$(head -2 "$tmp/o.tsv" | paste -sd'|' -)"
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" -f conll "$tmp/p.txt" > "$tmp/o.conll"
same "CoNLL: the match's label in the column" "Anna O|Berg B-THING|lives I-THING|in O|Oslo B-LOC" \
    "$(sed -n '3,7p' "$tmp/o.conll" | tr ' ' ' ' | paste -sd'|' -)"
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" -f conll --scheme BIOES "$tmp/p.txt" > "$tmp/o.bioes"
same "CoNLL BIOES: E- and S- for matches too" "Berg B-THING|lives E-THING|in O|Oslo S-LOC" \
    "$(sed -n '4,7p' "$tmp/o.bioes" | paste -sd'|' -)"
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" -f inline "$tmp/p.txt" > "$tmp/o.inline"
same "inline: the match's label" "Anna [THING Berg lives] in [LOC Oslo]. [CITY Bergen] is [WORD far] from [LOC Oslo]." \
    "$(head -1 "$tmp/o.inline")"
printf 'Anna B-PER\nBerg I-PER\nlives O\nin O\nOslo B-LOC\n. O\n' > "$tmp/in.conll"
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" -i conll "$tmp/in.conll" > "$tmp/in.out"
same "-i conll: the match's labels appended" "Berg I-PER B-THING|lives O I-THING" \
    "$(sed -n '2,3p' "$tmp/in.out" | paste -sd'|' -)"

# ---- matching options
printf 'Zurich\tLOC\tZ1\nWHO\tORG\tW1\nJean-Paul Sartre\tPER\tJ1\nOslo\tCITY\n' > "$tmp/m.tsv"
printf 'Zurich, ZURICH, zurich and Z\xc3\xbcrich. WHO and who. Jean\xe2\x80\x91Paul Sartre. OSLO.\n' > "$tmp/m.txt"
m_run() { "$TAG" -q -m "$M" --dict "$tmp/m.tsv" --dict-policy only "$@" "$tmp/m.txt" > "$tmp/m.jsonl"; ents "$tmp/m.jsonl"; }
same "exact case (default)" "LOC:Zurich:dict:Z1 ORG:WHO:dict:W1" "$(m_run)"
same "--dict-case ignore" \
    "LOC:Zurich:dict:Z1 LOC:ZURICH:dict:Z1 LOC:zurich:dict:Z1 ORG:WHO:dict:W1 ORG:who:dict:W1 CITY:OSLO:dict" \
    "$(m_run --dict-case ignore)"
same "--dict-case acronyms: an entry in capitals only as written" \
    "LOC:Zurich:dict:Z1 LOC:ZURICH:dict:Z1 LOC:zurich:dict:Z1 ORG:WHO:dict:W1 CITY:OSLO:dict" \
    "$(m_run --dict-case acronyms)"
same "--dict-normalize accents" "LOC:Zurich:dict:Z1 LOC:Zürich:dict:Z1 ORG:WHO:dict:W1" \
    "$(m_run --dict-normalize accents)"
same "--dict-normalize punct: any dash is -" "LOC:Zurich:dict:Z1 ORG:WHO:dict:W1 PER:Jean‑Paul Sartre:dict:J1" \
    "$(m_run --dict-normalize punct)"
"$DICT" compile -q --case acronyms --normalize punct,accents "$tmp/m.tsv" -o "$tmp/m.nkd"
"$DICT" info "$tmp/m.nkd" > "$tmp/info"
check "info: the options it was compiled with" grep -q '^case	acronyms' "$tmp/info"
check "info: normalization" grep -q '^normalize	punct,accents' "$tmp/info"
check "info: entries and labels" grep -q '^entries	4' "$tmp/info"

# ---- overlaps, sentence edges, entries longer than a sentence, non-ASCII
printf 'New York\tLOC\tA\nYork City\tLOC\tB\nNew York City\tLOC\tC\nCity Hall\tFAC\tD\nHall\tX\tE\n' > "$tmp/ov.tsv"
printf 'New York City Hall opened. York City Hall too.\n' > "$tmp/ov.txt"
"$TAG" -q -m "$M" --dict "$tmp/ov.tsv" --dict-policy only "$tmp/ov.txt" > "$tmp/ov.jsonl"
same "leftmost-longest, never overlapping" "LOC:New York City:dict:C X:Hall:dict:E LOC:York City:dict:B X:Hall:dict:E" \
    "$(ents "$tmp/ov.jsonl")"
printf 'Oslo\tCITY\tO1\nthe end\tPHRASE\nOslo . Bergen\tLONG\nAnna Berg lives in Oslo and Bergen and Trondheim\tLONGER\n' > "$tmp/e.tsv"
printf 'Oslo is the end. Oslo\n\nAnna Berg lives in Oslo.\n' > "$tmp/e.txt"
"$TAG" -q -m "$M" --dict "$tmp/e.tsv" --dict-policy only -f conll "$tmp/e.txt" > "$tmp/e.conll"
same "entries at the first and last tokens of sentences and documents" \
    "Oslo B-CITY|the B-PHRASE|end I-PHRASE|Oslo B-CITY|Oslo B-CITY" \
    "$(awk 'NF == 2 && $2 != "O" { print }' "$tmp/e.conll" | paste -sd'|' -)"
check "no match across a sentence end, none longer than the sentence" \
    test "$(grep -c 'LONG' "$tmp/e.conll")" = 0
printf '東京\tLOC\tJP13\nΕλλάδα\tLOC\tGR\nKøbenhavn\tLOC\tDK\nМосква\tLOC\tRU\n' > "$tmp/u.tsv"
printf 'From 東京 to Ελλάδα, København and Москва and москва.\n' > "$tmp/u.txt"
"$TAG" -q -m "$M" --dict "$tmp/u.tsv" --dict-policy only --dict-case ignore "$tmp/u.txt" > "$tmp/u.jsonl"
same "non-ASCII entries, case folded beyond ASCII" \
    "LOC:東京:dict:JP13 LOC:Ελλάδα:dict:GR LOC:København:dict:DK LOC:Москва:dict:RU LOC:москва:dict:RU" \
    "$(ents "$tmp/u.jsonl")"
check "character offsets of non-ASCII matches" grep -q '"start":5,"end":7,"label":"LOC","text":"東京"' "$tmp/u.jsonl"

# ---- several dictionaries: the longest match of any, the first on a tie
printf 'New York\tCITY\tfirst\n' > "$tmp/d1.tsv"
printf 'New York\tSTATE\tsecond\nNew York City\tCITY\tlonger\nHall\tROOM\n' > "$tmp/d2.tsv"
"$TAG" -q -m "$M" --dict "$tmp/d1.tsv" --dict "$tmp/d2.tsv" --dict-policy only "$tmp/ov.txt" > "$tmp/dd.jsonl"
same "two dictionaries: longest of any, first on a tie" \
    "CITY:New York City:dict:longer ROOM:Hall:dict CITY:New York:dict:first" \
    "$(printf 'New York City Hall. New York.\n' > "$tmp/dd.txt"
       "$TAG" -q -m "$M" --dict "$tmp/d1.tsv" --dict "$tmp/d2.tsv" --dict-policy only "$tmp/dd.txt" | ents /dev/stdin)"

# ---- threads: the same records, in the same order
for i in $(seq 300); do printf 'Anna Berg lives in Oslo %d. Bergen is far.\n\n' "$i"; done > "$tmp/many.txt"
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" -j 1 "$tmp/many.txt" > "$tmp/j1.jsonl"
"$TAG" -q -m "$M" --dict "$tmp/p.nkd" -j 2 "$tmp/many.txt" > "$tmp/j2.jsonl"
check "-j 2 writes what -j 1 writes" cmp "$tmp/j1.jsonl" "$tmp/j2.jsonl"
check "every document has its matches" test "$(grep -c '"id":"Q26793"' "$tmp/j1.jsonl")" = 300
many=()
for i in $(seq 17); do many+=(--dict "$tmp/p.nkd"); done
expect_status 2 "at most 16 dictionaries" "at most 16" "$TAG" -q -m "$M" "${many[@]}" "$tmp/p.txt"

# ---- list errors: file and line, status 1, no dictionary written
lerr() { # NAME CONTENT PATTERN
    printf "$2" > "$tmp/bad.tsv"
    expect_status 1 "$1" "$3" "$DICT" compile -q "$tmp/bad.tsv" -o "$tmp/bad.nkd"
    check "$1: nothing written" test ! -e "$tmp/bad.nkd"
}
lerr "a line without a label" 'Oslo\tCITY\nBergen\n' "$tmp/bad.tsv:2: no label"
lerr "an empty label" 'Oslo\t\n' "$tmp/bad.tsv:1: empty label"
lerr "an empty phrase" '# x\n\tCITY\n' "$tmp/bad.tsv:2: empty phrase"
lerr "a phrase of punctuation-free blanks" '   \tCITY\n' "$tmp/bad.tsv:1: empty phrase"
lerr "invalid UTF-8" 'Oslo\tCITY\nBerg\xffen\tCITY\n' "$tmp/bad.tsv:2: invalid UTF-8"
lerr "four fields" 'Oslo\tCITY\tQ1\tmore\n' "$tmp/bad.tsv:1: more than three fields"
lerr "a label with a space" 'Oslo\tCITY\nBergen\tBIG CITY\n' "$tmp/bad.tsv:2: the label 'BIG CITY' has a space"
lerr "comments only" '# nothing\n\n' "$tmp/bad.tsv: no entries"
lerr "a conflicting duplicate names both lines" 'Oslo\tCITY\tQ1\nBergen\tCITY\nOslo\tPER\tQ2\n' \
    "$tmp/bad.tsv:3: the phrase of $tmp/bad.tsv:1 again"
printf 'Oslo\tCITY\tQ1\nOslo\tCITY\tQ1\n' > "$tmp/dup.tsv"
check "an exact repeat is merged" "$DICT" compile -q "$tmp/dup.tsv" -o "$tmp/dup.nkd"
printf 'Oslo\tCITY\tQ1\nOslo\tPER\tQ2\nOslo\tORG\tQ3\n' > "$tmp/dup.tsv"
"$DICT" compile -q --duplicates first "$tmp/dup.tsv" -o "$tmp/first.nkd" 2> /dev/null
"$DICT" compile -q --duplicates last "$tmp/dup.tsv" -o "$tmp/last.nkd" 2> /dev/null
printf 'Oslo.\n' > "$tmp/o.txt"
same "--duplicates first keeps the first" "CITY:Oslo:dict:Q1" \
    "$("$TAG" -q -m "$M" --dict "$tmp/first.nkd" --dict-policy only "$tmp/o.txt" | ents /dev/stdin)"
same "--duplicates last keeps the last" "ORG:Oslo:dict:Q3" \
    "$("$TAG" -q -m "$M" --dict "$tmp/last.nkd" --dict-policy only "$tmp/o.txt" | ents /dev/stdin)"
expect_status 1 "the conflict count is reported" "1 conflicting duplicates resolved" \
    sh -c "'$DICT' compile --duplicates first '$tmp/dup.tsv' -o '$tmp/first2.nkd' && exit 1"
"$DICT" compile --duplicates last "$tmp/dup.tsv" -o "$tmp/last2.nkd" 2> "$tmp/dup.err"
check "each entry given way is named with the line kept" \
    grep -q "$tmp/dup.tsv:1: the phrase of $tmp/dup.tsv:3 with another label or id, which is kept (duplicates: last)" "$tmp/dup.err"
check "one line each" test "$(grep -c 'which is kept' "$tmp/dup.err")" = 2
for i in $(seq 30); do printf 'Oslo\tL%d\n' "$i"; done > "$tmp/dup30.tsv"
"$DICT" compile -q --duplicates first "$tmp/dup30.tsv" -o "$tmp/first30.nkd" 2> "$tmp/dup30.err"
check "twenty lines at most, then a count" grep -q '\.\.\. and 9 more entries given way' "$tmp/dup30.err"
expect_status 2 "a bad --case" "--case: case 'upper'" "$DICT" compile --case upper "$tmp/p.tsv" -o "$tmp/x.nkd"
expect_status 2 "a bad --dict-policy" "dict-policy" "$TAG" -q -m "$M" --dict "$tmp/p.nkd" --dict-policy most "$tmp/p.txt"
expect_status 2 "--dict-policy without --dict" "without --dict" "$TAG" -q -m "$M" --dict-policy only "$tmp/p.txt"
expect_status 2 "--dict - (standard input)" "not standard input" "$TAG" -q -m "$M" --dict - "$tmp/p.txt"
expect_status 2 "--dict-case other than a compiled file's" "compiled with other --case" \
    "$TAG" -q -m "$M" --dict "$tmp/p.nkd" --dict-case acronyms "$tmp/p.txt"
expect_status 2 "n-best lists are the model's" "not with dictionaries" \
    "$TAG" -q -m "$M" --dict "$tmp/p.nkd" --nbest 2 -f jsonl "$tmp/p.txt"
expect_status 2 "compile refuses to overwrite a list" "refusing to overwrite" \
    "$DICT" compile -q "$tmp/p.tsv" -o "$tmp/p.tsv"

# ---- damaged dictionary files: a clean error naming the file, status 1,
# nothing on standard output
derr() { # NAME FILE PATTERN
    expect_status 1 "$1" "$3" "$TAG" -q -m "$M" --dict "$2" "$tmp/p.txt"
    check "$1: no output" test ! -s "$tmp/out"
    expect_status 1 "$1 (nerkit-dict info)" "$3" "$DICT" info "$2"
}
size=$(stat -c %s "$tmp/p.nkd")
cp "$tmp/p.nkd" "$tmp/flip.nkd"
printf '\x55' | dd of="$tmp/flip.nkd" bs=1 seek=$((size - 20)) conv=notrunc 2> /dev/null
derr "a flipped byte" "$tmp/flip.nkd" "$tmp/flip.nkd: corrupted dictionary: payload checksum mismatch"
head -c $((size / 2)) "$tmp/p.nkd" > "$tmp/half.nkd"
derr "a truncated file" "$tmp/half.nkd" "$tmp/half.nkd: truncated dictionary"
head -c 20 "$tmp/p.nkd" > "$tmp/short.nkd"
derr "a file shorter than the header" "$tmp/short.nkd" "$tmp/short.nkd: truncated dictionary"
derr "a model given as a dictionary" "$M" "$M: a nerkit model, not a dictionary"
expect_status 1 "a dictionary given as a model" "$tmp/p.nkd: a nerkit dictionary (for nerkit-tag --dict), not a model" \
    "$TAG" -q -m "$tmp/p.nkd" "$tmp/p.txt"
: > "$tmp/empty.nkd"
expect_status 1 "an empty file" "$tmp/empty.nkd: empty file" "$DICT" info "$tmp/empty.nkd"
cp "$tmp/p.nkd" "$tmp/v2.nkd"
printf '\x02' | dd of="$tmp/v2.nkd" bs=1 seek=8 conv=notrunc 2> /dev/null
derr "a damaged header" "$tmp/v2.nkd" "$tmp/v2.nkd: damaged dictionary: header checksum"
expect_status 1 "a missing dictionary" "$tmp/none.nkd" "$TAG" -q -m "$M" --dict "$tmp/none.nkd" "$tmp/p.txt"
finish dict
