#!/usr/bin/env bash
# nerkit-tag on raw text: offsets that slice back to the entity text in
# every output format (ASCII, accented, CJK and emoji text), -j 2 output
# identical to -j 1 on folders of plain and gzip files, and bad inputs
# reported with file and offset without losing what was read before.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
TAG="$BIN/nerkit-tag"
M=models/en-conll03.nerkit

# documents in four scripts, one per line
cat > "$tmp/docs.txt" <<'T'
Steve Witkoff flew to Moscow on Tuesday to meet Vladimir Putin.
José Mourinho left Málaga for São Paulo, said Müller in Zürich.
東京 hosted Angela Merkel and Emmanuel Macron before they went to 北京 and Paris.
🚀 Elon Musk 😀 met Tim Cook at Apple in California 🎉 with Satya Nadella.
T
# every entity: slicing the text (characters, and bytes) gives its text
perl_slices='
use strict; use warnings; use JSON::PP;
my ($n, $bad) = (0, 0);
while (my $l = <STDIN>) {
    my $o = JSON::PP->new->utf8->decode($l);
    for my $e (@{$o->{entities}}) {
        $n++;
        $bad++ if substr($o->{text}, $e->{start}, $e->{end} - $e->{start}) ne $e->{text};
        if (exists $e->{byte_start}) {
            my $raw = $o->{text}; utf8::encode($raw);
            my $et = $e->{text}; utf8::encode($et);
            $bad++ if substr($raw, $e->{byte_start}, $e->{byte_end} - $e->{byte_start}) ne $et;
        }
    }
}
print "$n entities, $bad bad\n"; exit($bad || !$n ? 1 : 0);'
"$TAG" -m $M -i lines -f jsonl --byte-offsets "$tmp/docs.txt" > "$tmp/out.jsonl"
check "jsonl offsets slice back (characters and bytes)" perl -e "$perl_slices" < "$tmp/out.jsonl"
grep -q '"label":"PER","text":"Angela Merkel"' "$tmp/out.jsonl" && ok "CJK document tagged" || bad "CJK document tagged"

# JSONL input: other fields pass through, offsets index the decoded text
perl -MJSON::PP -ne 'chomp; print JSON::PP->new->canonical->encode({id => "d$.", meta => {n => $.}, text => $_}), "\n"' \
    < "$tmp/docs.txt" > "$tmp/in.jsonl"
"$TAG" -m $M -i jsonl "$tmp/in.jsonl" > "$tmp/out2.jsonl"
check "jsonl input offsets slice back" perl -e "$perl_slices" < "$tmp/out2.jsonl"
check "jsonl fields passed through" grep -q '^{"id":"d2","meta":{"n":2},"text":' "$tmp/out2.jsonl"

# TSV: doc, start, end, label, text; doc is the id (or the document number)
"$TAG" -m $M -i jsonl -f tsv "$tmp/in.jsonl" > "$tmp/out.tsv"
check "tsv offsets slice back" perl -CSD -e '
    open my $f, "<:utf8", $ARGV[0] or die; my @t = <$f>; chomp @t;
    my ($n, $bad) = (0, 0);
    open my $g, "<:utf8", $ARGV[1] or die;
    while (<$g>) { chomp; my ($d, $s, $e, $l, $x) = split /\t/; $d =~ s/^d//; $n++;
        $bad++ if substr($t[$d - 1], $s, $e - $s) ne $x; }
    print "$n entities, $bad bad\n"; exit($bad || !$n ? 1 : 0);' "$tmp/docs.txt" "$tmp/out.tsv"

# inline: removing the marks gives the text back, and each mark holds an entity
"$TAG" -m $M -i lines -f inline "$tmp/docs.txt" > "$tmp/out.inline"
check "inline marks wrap the entities" perl -CSD -e '
    open my $f, "<:utf8", $ARGV[0] or die; my @t = <$f>; chomp @t;
    open my $g, "<:utf8", $ARGV[1] or die; my @o = grep { length } map { chomp; $_ } <$g>;
    my $bad = @o != @t;
    for my $i (0 .. $#o) { (my $plain = $o[$i]) =~ s/\[(?:PER|LOC|ORG|MISC) ([^\]]*)\]/$1/g;
        $bad++ if $plain ne $t[$i]; }
    exit $bad;' "$tmp/docs.txt" "$tmp/out.inline"

# CoNLL out of raw text: token and label per line, ready for nerkit-eval
"$TAG" -m $M -i lines -f conll "$tmp/docs.txt" > "$tmp/out.conll"
check "conll output has tokens and labels" grep -q '^Witkoff I-PER$' "$tmp/out.conll"

# -j 2 is -j 1: a folder of plain and gzip files, and a gzip file named apart
mkdir -p "$tmp/corpus/b"
for i in 1 2 3 4 5 6; do cat "$tmp/docs.txt" data/sample.txt; done > "$tmp/corpus/a.txt"
for i in $(seq 60); do cat data/sample.txt "$tmp/docs.txt"; done | gzip > "$tmp/corpus/b/c.txt.gz"
cp "$tmp/docs.txt" "$tmp/corpus/b/d.txt"
gzip -c data/sample.txt > "$tmp/e.gz"
"$TAG" -m $M -j 1 -q "$tmp/corpus" "$tmp/e.gz" > "$tmp/j1"
"$TAG" -m $M -j 2 -q "$tmp/corpus" "$tmp/e.gz" > "$tmp/j2"
check "-j 2 output identical to -j 1" cmp -s "$tmp/j1" "$tmp/j2"
check "folder read in sorted order, gzip decoded" perl -e "$perl_slices" < "$tmp/j1"
[ "$(wc -l < "$tmp/j1")" -gt 30 ] && ok "one record per document" || bad "one record per document"

# default model: found beside the program, or through NERKIT_MODEL
echo "Angela Merkel visited Paris." > "$tmp/one.txt"
check "default model found beside the program" grep -q '"Angela Merkel"' <("$TAG" "$tmp/one.txt")
check "NERKIT_MODEL" grep -q '"Angela Merkel"' <(NERKIT_MODEL=$M "$TAG" - < "$tmp/one.txt")

# long documents are cut at sentence ends, nothing lost
for i in $(seq 40); do printf 'Sentence number %d is about Paris. ' "$i"; done > "$tmp/long.txt"
"$TAG" -m $M --max-doc 200 "$tmp/long.txt" > "$tmp/long.jsonl"
check "long document cut, text preserved" perl -MJSON::PP -e '
    my $all = ""; my $n = 0;
    open my $j, "<", $ARGV[1] or die;
    while (<$j>) { my $o = decode_json($_); $n++; exit 1 if length($o->{text}) > 200; $all .= $o->{text}; }
    open my $f, "<", $ARGV[0] or die; local $/; my $orig = <$f>;
    s/\s+$// for $orig, $all;
    exit !($n > 5 && $all eq $orig);' "$tmp/long.txt" "$tmp/long.jsonl"

# errors: a message with the file and offset, exit 1, earlier output complete
head -c "$(($(wc -c < "$tmp/corpus/b/c.txt.gz") / 2))" "$tmp/corpus/b/c.txt.gz" > "$tmp/trunc.gz"
"$TAG" -m $M "$tmp/docs.txt" "$tmp/trunc.gz" "$tmp/one.txt" > "$tmp/e1" 2> "$tmp/err1"; rc=$?
[ $rc = 1 ] && grep -q 'trunc.gz: truncated gzip data after [0-9]* bytes' "$tmp/err1" && ok "truncated gzip reported" ||
    bad "truncated gzip reported (rc $rc: $(cat "$tmp/err1"))"
check "output before the bad file complete" perl -e "$perl_slices" < "$tmp/e1"
# the records are docs.txt's one document, then each document of trunc.gz
# that was read whole (a blank line after it) before the cut, and nothing
# of one.txt
n=$(sed -n 's/.*truncated gzip data after \([0-9]*\) bytes.*/\1/p' "$tmp/err1")
gzip -dc "$tmp/trunc.gz" 2> /dev/null | head -c "${n:-0}" > "$tmp/prefix.txt"
check "run stops at the bad file, every document before it written" perl -MJSON::PP -e '
    sub norm { my $t = shift; $t =~ s/\s+/ /g; $t =~ s/^ | $//g; $t }
    sub slurp { local $/; open my $f, "<:utf8", $_[0] or die; <$f> }
    my @read = split /\n[ \t]*\n/, slurp($ARGV[1]), -1;
    pop @read;
    my @want = map { norm($_) } slurp($ARGV[0]), @read;
    open my $j, "<", $ARGV[2] or die;
    my @got = map { norm(JSON::PP->new->utf8->decode($_)->{text}) } <$j>;
    print STDERR "records: ", scalar @got, ", documents read whole: ", scalar @want, "\n";
    exit !(@want > 1 && "@got" eq "@want");' "$tmp/docs.txt" "$tmp/prefix.txt" "$tmp/e1"
"$TAG" -m $M --keep-going "$tmp/docs.txt" "$tmp/missing.txt" "$tmp/one.txt" > "$tmp/e2" 2> "$tmp/err2"; rc=$?
[ $rc = 1 ] && grep -q 'missing.txt: cannot open' "$tmp/err2" && grep -q '"Angela Merkel visited Paris."' "$tmp/e2" &&
    ok "--keep-going goes on and fails at the end" || bad "--keep-going (rc $rc)"
printf 'Paris \xff\xfe and Berlin.\n' > "$tmp/latin.txt"
"$TAG" -m $M "$tmp/latin.txt" > "$tmp/e3" 2> "$tmp/err3"; rc=$?
[ $rc = 1 ] && grep -q 'latin.txt:1: invalid UTF-8 at byte offset 6' "$tmp/err3" && grep -q '"Berlin"' "$tmp/e3" &&
    grep -q '"start":13,"end":19,"label":"LOC","text":"Berlin"' "$tmp/e3" && ok "invalid UTF-8: U+FFFD, offsets kept, exit 1" ||
    bad "invalid UTF-8 (rc $rc: $(cat "$tmp/err3") $(cat "$tmp/e3"))"
printf 'text\0binary' > "$tmp/bin.txt"
"$TAG" -m $M "$tmp/bin.txt" > /dev/null 2> "$tmp/err4"; rc=$?
[ $rc = 1 ] && grep -q 'bin.txt:1: NUL byte at byte offset 4' "$tmp/err4" && ok "binary input refused" || bad "binary input refused"
printf '{"text": "a"}\n{"id": 1}\n' > "$tmp/notext.jsonl"
"$TAG" -m $M -i jsonl "$tmp/notext.jsonl" > "$tmp/e5" 2> "$tmp/err5"; rc=$?
[ $rc = 1 ] && grep -q 'notext.jsonl:2: no "text" string' "$tmp/err5" && [ "$(wc -l < "$tmp/e5")" = 1 ] &&
    ok "JSONL without text" || bad "JSONL without text"
if [ -w /dev/full ]; then
    "$TAG" -m $M "$tmp/corpus" > /dev/full 2> "$tmp/err6"; rc=$?
    [ $rc = 1 ] && grep -q 'write error' "$tmp/err6" && ok "write error reported" || bad "write error reported"
fi

finish tag-text
