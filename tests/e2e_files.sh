#!/usr/bin/env bash
# Files that are not what a program expects them to be: an output that is
# one of the inputs, a device or FIFO as an output, folders whose links lead
# back up, FIFOs where a model or vectors should be, and compressions that
# are not read. Each must end in a clear message or do the right thing,
# never in a lost input, a replaced device, a hang or an endless loop.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# unchanged NAME FILE COPY: FILE still has the content of COPY (else it is
# put back, so that one failure does not spoil the checks after it)
unchanged() {
    if cmp -s "$2" "$3"; then ok "$1"; else bad "$1 (the input was changed)" && cp "$3" "$2"; fi
}

for i in 1 2 3 4 5 6; do
    printf 'Maria B-PER\nLopez I-PER\nflew O\nto O\nMadrid B-LOC\n. O\n\n'
    printf 'IBM B-ORG\nhired O\nJohn B-PER\nin O\nBoston B-LOC\n. O\n\n'
done > "$tmp/x.conll"
cp "$tmp/x.conll" "$tmp/x.copy"
cp "$tmp/x.conll" "$tmp/dev.conll"
"$BIN/nerkit-train" -q -t "$tmp/x.conll" -o "$tmp/m.nerkit" --hash-bits 12 -e 2 ||
    bad "train a small model"
printf '4 3\nsmith 0.1 0.2 0.3\nparis 0.3 0.1 0.2\nanna 0.2 0.2 0.1\noslo 0.1 0.3 0.3\n' \
    > "$tmp/v.vec"
cp "$tmp/v.vec" "$tmp/v.copy"
printf 'Anna Berg lives in Oslo.\n\nMr Smith went to Paris.\n' > "$tmp/u.txt"
cp "$tmp/u.txt" "$tmp/u.copy"
for f in 1 2 3 4 5 6 7 8; do cat "$tmp/u.txt"; echo; done > "$tmp/big.txt"
cp "$tmp/big.txt" "$tmp/big.copy"
printf '0\tsmith\n1\tparis\n' > "$tmp/c.txt"
cp "$tmp/c.txt" "$tmp/c.copy"
T="$BIN/nerkit-train -q --hash-bits 12"
# a memory cap for the runs that a regression would let fill the memory;
# none under ASan, whose shadow memory the cap would refuse
if ldd "$BIN/nerkit-train" 2> /dev/null | grep libasan > /dev/null; then cap=; else cap='ulimit -v 2000000;'; fi

# ---- an output that is one of the inputs is refused before anything is written
expect_error "train -o the training corpus" "output .*x.conll is the same file as input" \
    $T -t "$tmp/x.conll" -o "$tmp/x.conll"
unchanged "train -o the training corpus leaves it whole" "$tmp/x.conll" "$tmp/x.copy"
expect_error "train -o the dev corpus" "same file as input .*dev.conll" \
    $T -t "$tmp/x.conll" -d "$tmp/dev.conll" -o "$tmp/dev.conll"
unchanged "train -o the dev corpus leaves it whole" "$tmp/dev.conll" "$tmp/x.copy"
ln -s x.conll "$tmp/link.conll"
expect_error "train -o a link to the corpus" "same file as input" \
    $T -t "$tmp/x.conll" -o "$tmp/link.conll"
ln "$tmp/x.conll" "$tmp/hard.conll"
expect_error "train -o a hard link to the corpus" "same file as input" \
    $T -t "$tmp/x.conll" -o "$tmp/hard.conll"
expect_error "train --checkpoint the corpus" "output .*x.conll is the same file as input" \
    $T -t "$tmp/x.conll" --checkpoint "$tmp/x.conll" -o "$tmp/out.nerkit"
unchanged "train --checkpoint the corpus leaves it whole" "$tmp/x.conll" "$tmp/x.copy"
expect_error "train -o the --embeddings file" "same file as input .*v.vec" \
    $T -t "$tmp/x.conll" --embeddings "$tmp/v.vec" -o "$tmp/v.vec"
unchanged "train -o the --embeddings file leaves it whole" "$tmp/v.vec" "$tmp/v.copy"
expect_error "train -o the --clusters file" "same file as input .*c.txt" \
    $T -t "$tmp/x.conll" --clusters "$tmp/c.txt" -o "$tmp/c.txt"
unchanged "train -o the --clusters file leaves it whole" "$tmp/c.txt" "$tmp/c.copy"
# going on from a checkpoint and saving to it again is the normal use
$T -t "$tmp/x.conll" --checkpoint "$tmp/ck2" -o "$tmp/out.nerkit" || bad "write a checkpoint"
check "train --resume F --checkpoint F is allowed" \
    ${T% -e 1} -t "$tmp/x.conll" -e 2 --resume "$tmp/ck2" --checkpoint "$tmp/ck2" -o "$tmp/out.nerkit"
cp "$tmp/ck2" "$tmp/ck2.copy"
expect_error "train -o the --resume file" "same file as input .*ck2" \
    ${T% -e 1} -t "$tmp/x.conll" -e 3 --resume "$tmp/ck2" -o "$tmp/ck2"
expect_error "train -o the --checkpoint file" "same file as input .*ck2" \
    $T -t "$tmp/x.conll" --checkpoint "$tmp/ck2" -o "$tmp/ck2"
unchanged "train -o the --checkpoint file leaves it whole" "$tmp/ck2" "$tmp/ck2.copy"

expect_error "embed -o its text" "output .*u.txt is the same file as input" \
    "$BIN/nerkit-embed" -q --min-count 1 --dim 2 -o "$tmp/u.txt" "$tmp/u.txt"
unchanged "embed -o its text leaves it whole" "$tmp/u.txt" "$tmp/u.copy"
mkdir -p "$tmp/texts/sub"
cp "$tmp/u.txt" "$tmp/texts/sub/u.txt"
expect_error "embed -o a file of its input folder" "same file as input .*texts/sub/u.txt" \
    "$BIN/nerkit-embed" -q --min-count 1 --dim 2 -o "$tmp/texts/sub/u.txt" "$tmp/texts"
unchanged "embed -o a file of its input folder leaves it whole" "$tmp/texts/sub/u.txt" \
    "$tmp/u.copy"
expect_error "embed --clusters -o its vectors" "same file as input .*v.vec" \
    "$BIN/nerkit-embed" -q --clusters 2 -o "$tmp/v.vec" "$tmp/v.vec"
unchanged "embed --clusters -o its vectors leaves them whole" "$tmp/v.vec" "$tmp/v.copy"
expect_error "embed --neighbors >> its vectors" "standard output is the same file as input" \
    sh -c '"$0" --neighbors paris "$1" >> "$1"' "$BIN/nerkit-embed" "$tmp/v.vec"
unchanged "embed --neighbors >> its vectors leaves them whole" "$tmp/v.vec" "$tmp/v.copy"

# standard output appended to an input: the input would grow while it is read
expect_error "tag >> an input" "standard output is the same file as input .*big.txt" \
    timeout 30 sh -c '"$0" -q -m "$1" -f inline "$2" >> "$2"' "$BIN/nerkit-tag" "$tmp/m.nerkit" \
    "$tmp/big.txt"
unchanged "tag >> an input leaves it whole" "$tmp/big.txt" "$tmp/big.copy"
expect_error "tag < F >> F" "standard output is the same file as input <stdin>" \
    timeout 30 sh -c '"$0" -q -m "$1" < "$2" >> "$2"' "$BIN/nerkit-tag" "$tmp/m.nerkit" \
    "$tmp/big.txt"
unchanged "tag < F >> F leaves it whole" "$tmp/big.txt" "$tmp/big.copy"
expect_error "tag -i conll >> an input" "standard output is the same file as input" \
    timeout 30 sh -c '"$0" -q -m "$1" -i conll "$2" >> "$2"' "$BIN/nerkit-tag" "$tmp/m.nerkit" \
    "$tmp/x.conll"
unchanged "tag -i conll >> an input leaves it whole" "$tmp/x.conll" "$tmp/x.copy"
check "tag > a file that is no input still works" \
    sh -c '"$0" -q -m "$1" "$2" > "$3"' "$BIN/nerkit-tag" "$tmp/m.nerkit" "$tmp/big.txt" \
    "$tmp/tagged.jsonl"
awk 'NF {print $0, $NF; next} {print}' "$tmp/x.conll" > "$tmp/pair.conll"
cp "$tmp/pair.conll" "$tmp/pair.copy"
expect_error "eval >> its input" "standard output is the same file as input" \
    sh -c '"$0" "$1" >> "$1"' "$BIN/nerkit-eval" "$tmp/pair.conll"
unchanged "eval >> its input leaves it whole" "$tmp/pair.conll" "$tmp/pair.copy"
expect_error "bench >> its input" "standard output is the same file as input" \
    sh -c '"$0" -m "$1" -r 1 -j 1 "$2" >> "$2"' "$BIN/nerkit-bench" "$tmp/m.nerkit" "$tmp/big.txt"
unchanged "bench >> its input leaves it whole" "$tmp/big.txt" "$tmp/big.copy"

# ---- special files as outputs are written in place, never replaced
if [ "$(id -u)" = 0 ] && mknod "$tmp/null" c 1 3 2> /dev/null; then
    check "train -o a character device" $T -t "$tmp/x.conll" -o "$tmp/null"
    check "the device is still a character device" test -c "$tmp/null"
    check "embed -o /dev/null" "$BIN/nerkit-embed" -q --clusters 2 -o /dev/null "$tmp/v.vec"
    if [ -c /dev/null ]; then
        ok "/dev/null is still a character device"
    else
        bad "/dev/null is still a character device (restored)"
        rm -f /dev/null && mknod -m 666 /dev/null c 1 3
    fi
else
    echo "skipped: device nodes as outputs (not root)"
fi
mkfifo "$tmp/fifo"
timeout 60 cat "$tmp/fifo" > "$tmp/from-fifo" &
reader=$!
check "embed -o a FIFO" timeout 60 "$BIN/nerkit-embed" -q --clusters 2 -o "$tmp/fifo" "$tmp/v.vec"
wait $reader
check "the FIFO is still a FIFO" test -p "$tmp/fifo"
check "what was written went through the FIFO" grep -q '^#nerkit-clusters' "$tmp/from-fifo"
mkdir "$tmp/outdir"
expect_error "embed -o a folder" "outdir:\? is a folder" \
    "$BIN/nerkit-embed" -q --clusters 2 -o "$tmp/outdir" "$tmp/v.vec"
# an output that cannot be written is refused before the long run, not after
expect_error "train -o a folder, before training" "^nerkit-train: output .*outdir is a folder" \
    "$BIN/nerkit-train" -t "$tmp/x.conll" --hash-bits 12 -e 1 -o "$tmp/outdir"
check "train -o a folder: nothing was trained" sh -c '! grep -q "^epoch" "$0"' "$tmp/err"
expect_error "train -o into a missing folder" "output .*nodir/m.nerkit: its folder .*nodir does not exist" \
    $T -t "$tmp/x.conll" -o "$tmp/nodir/m.nerkit"
expect_error "train --checkpoint into a missing folder" "its folder .*nodir does not exist" \
    $T -t "$tmp/x.conll" --checkpoint "$tmp/nodir/ck" -o "$tmp/out.nerkit"
expect_error "embed -o into a missing folder" "its folder .*nodir does not exist" \
    "$BIN/nerkit-embed" -q --min-count 1 --dim 2 -o "$tmp/nodir/u.vec" "$tmp/u.txt"

# an endless device as a corpus: refused at its first NUL byte, not read into memory for ever
expect_error "train -t /dev/zero" "/dev/zero:1: NUL byte at byte offset 0" \
    timeout 20 sh -c "$cap"' exec "$@"' sh $T -t /dev/zero -o "$tmp/out.nerkit"
expect_error "bench on /dev/urandom" "/dev/urandom:[0-9]*: NUL byte" \
    timeout 20 sh -c "$cap"' exec "$@"' sh "$BIN/nerkit-bench" -m "$tmp/m.nerkit" \
    -r 1 /dev/urandom
expect_error "eval /dev/zero" "/dev/zero:1: NUL byte at byte offset 0" \
    timeout 20 sh -c "$cap"' exec "$@"' sh "$BIN/nerkit-eval" /dev/zero
expect_error "eval GOLD /dev/zero" "/dev/zero:1: NUL byte at byte offset 0" \
    timeout 20 sh -c "$cap"' exec "$@"' sh "$BIN/nerkit-eval" "$tmp/x.conll" /dev/zero

# ---- folders whose links lead back up are read once, and say what they skip
mkdir -p "$tmp/loop/a" "$tmp/loop/b"
cp "$tmp/u.txt" "$tmp/loop/a/one.txt"
printf 'Oslo is in Norway.\n' > "$tmp/loop/b/two.txt"
ln -s .. "$tmp/loop/a/up"
ln -s .. "$tmp/loop/b/up"
ln -s . "$tmp/loop/self"
ln -s ../a/one.txt "$tmp/loop/b/again.txt"
check "tag a folder with links back up ends" \
    sh -c 'timeout 60 "$0" -q -m "$1" -f tsv "$2" > "$3" 2> "$4"' "$BIN/nerkit-tag" \
    "$tmp/m.nerkit" "$tmp/loop" "$tmp/loop.tsv" "$tmp/loop.err"
"$BIN/nerkit-tag" -q -m "$tmp/m.nerkit" -f tsv "$tmp/loop/a/one.txt" "$tmp/loop/b/two.txt" \
    > "$tmp/once.tsv"
check "each file of the folder is tagged once" \
    test "$(cut -f2- "$tmp/loop.tsv" | sort)" = "$(cut -f2- "$tmp/once.tsv" | sort)"
check "the link back up is named as skipped" grep -q "loop/self: skipped" "$tmp/loop.err"
check "the second link to a file is named as skipped" \
    grep -q "loop/b/again.txt: skipped: the same file as .*one.txt" "$tmp/loop.err"
check "embed a folder with links back up ends" \
    sh -c 'timeout 60 "$0" -q --min-count 1 --dim 2 -o "$1" "$2" 2> "$3"' "$BIN/nerkit-embed" \
    "$tmp/loop.vec" "$tmp/loop" "$tmp/loop.err"
check "embed names the link back up as skipped" grep -q "loop/self: skipped" "$tmp/loop.err"
mkdir "$tmp/loop/empty"
check "a folder with an empty folder in it" \
    sh -c '"$0" -q -m "$1" -f tsv "$2" > /dev/null 2>&1' "$BIN/nerkit-tag" "$tmp/m.nerkit" "$tmp/loop"
mkfifo "$tmp/loop/pipe"
check "a FIFO inside a folder is skipped, not waited on" \
    sh -c 'timeout 60 "$0" -q -m "$1" -f tsv "$2" > /dev/null 2> "$3"' "$BIN/nerkit-tag" \
    "$tmp/m.nerkit" "$tmp/loop" "$tmp/loop.err"
check "the FIFO is named as skipped" grep -q "loop/pipe: skipped: not a regular file" \
    "$tmp/loop.err"

# ---- a FIFO where a model, vectors or clusters should be: refused at once
mkfifo "$tmp/mfifo"
expect_error "tag -m a FIFO" "mfifo: not a regular file" \
    timeout 20 "$BIN/nerkit-tag" -q -m "$tmp/mfifo" "$tmp/u.txt"
expect_error "eval -m a FIFO" "mfifo: not a regular file" \
    timeout 20 "$BIN/nerkit-eval" -m "$tmp/mfifo" "$tmp/x.conll"
expect_error "bench -m a FIFO" "mfifo: not a regular file" \
    timeout 20 "$BIN/nerkit-bench" -m "$tmp/mfifo" -r 1 "$tmp/u.txt"
expect_error "train --embeddings a FIFO" "mfifo: not a regular file" \
    timeout 20 $T -t "$tmp/x.conll" --embeddings "$tmp/mfifo" -o "$tmp/out.nerkit"
expect_error "train --clusters a FIFO" "mfifo: not a regular file" \
    timeout 20 $T -t "$tmp/x.conll" --clusters "$tmp/mfifo" -o "$tmp/out.nerkit"
expect_error "train --resume a FIFO" "mfifo: not a regular file" \
    timeout 20 $T -t "$tmp/x.conll" --resume "$tmp/mfifo" -o "$tmp/out.nerkit"
expect_error "embed --clusters of a FIFO" "mfifo: not a regular file" \
    timeout 20 "$BIN/nerkit-embed" -q --clusters 2 -o "$tmp/k.txt" "$tmp/mfifo"
mkdir -p "$tmp/outdir"
expect_error "tag -m a folder" "outdir: not a regular file" \
    "$BIN/nerkit-tag" -q -m "$tmp/outdir" "$tmp/u.txt"
# a folder where a file is read is not walked (think of -m /): the reader
# says what is wrong, not the walk
mkdir -p "$tmp/deep/$(printf 'd/%.0s' $(seq 70))"
expect_error "tag -m a deep folder" "deep: not a regular file" \
    "$BIN/nerkit-tag" -q -m "$tmp/deep" "$tmp/u.txt"
expect_error "train -t a deep folder" "deep: read error after 0 bytes: Is a directory" \
    $T -t "$tmp/deep" -o "$tmp/out.nerkit"
expect_error "eval a deep folder" "deep: read error after 0 bytes: Is a directory" \
    "$BIN/nerkit-eval" "$tmp/deep"
expect_error "embed --clusters of a deep folder" "deep: not a regular file" \
    "$BIN/nerkit-embed" -q --clusters 2 -o "$tmp/k.txt" "$tmp/deep"

# ---- compressions nerkit does not read are named, not taken for binary text
xz -k "$tmp/big.txt"
bzip2 -k "$tmp/big.txt"
zstd -q -k "$tmp/big.txt"
(cd "$tmp" && zip -q big.txt.zip big.txt)
for k in "xz:xz-compressed input" "bz2:bzip2-compressed input" "zst:zstd-compressed input" \
    "zip:a zip archive"; do
    ext=${k%%:*} what=${k#*:}
    expect_error "tag .$ext input" "big.txt.$ext: $what is not supported (decompress it" \
        "$BIN/nerkit-tag" -q -m "$tmp/m.nerkit" "$tmp/big.txt.$ext"
done
xz -k "$tmp/x.conll"
expect_error "train on an xz corpus" "x.conll.xz: xz-compressed input is not supported" \
    $T -t "$tmp/x.conll.xz" -o "$tmp/out.nerkit"
expect_error "tag -i conll an xz corpus" "x.conll.xz: xz-compressed input is not supported" \
    "$BIN/nerkit-tag" -q -m "$tmp/m.nerkit" -i conll "$tmp/x.conll.xz"
zstd -q -k "$tmp/v.vec"
expect_error "embed --clusters of zstd vectors" "v.vec.zst: zstd-compressed input is not supported" \
    "$BIN/nerkit-embed" -q --clusters 2 -o "$tmp/k.txt" "$tmp/v.vec.zst"
bzip2 -k "$tmp/c.txt"
expect_error "train --clusters bzip2 clusters" "c.txt.bz2: bzip2-compressed input is not supported" \
    $T -t "$tmp/x.conll" --clusters "$tmp/c.txt.bz2" -o "$tmp/out.nerkit"
xz -k "$tmp/pair.conll"
expect_error "eval an xz file" "pair.conll.xz: xz-compressed input is not supported" \
    "$BIN/nerkit-eval" "$tmp/pair.conll.xz"
gzip -k "$tmp/big.txt"
check "gzip input is still read" \
    sh -c '"$0" -q -m "$1" "$2" > /dev/null' "$BIN/nerkit-tag" "$tmp/m.nerkit" "$tmp/big.txt.gz"

finish e2e_files
