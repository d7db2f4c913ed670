#!/usr/bin/env bash
# nerkit-train --lexicon-from as a user meets it: a new entity type trained
# on the shipped model's vectors and clusters, whose model carries them (it
# tags without the shipped model, and tells unseen dishes from unseen
# animals, which a model without them cannot); a gazetteer beside them; and
# the refusals: options that make the same parts, a model without a
# lexicon, a damaged or missing model, each with status and no model.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
small_model
SHIPPED=models/en-conll03.nerkit

# DISH, a type the shipped model does not have: dishes after "ate", and
# animals, never an entity, after "saw a"; the test words are new, in a new
# context, and all lower case, so only their representations tell them apart
dishes="pizza pasta sushi soup salad steak burger sandwich noodles curry omelette lasagna pancakes risotto dumplings"
animals="dog cat horse cow sheep goat rabbit mouse tiger lion elephant monkey bear wolf fox"
new_dishes="spaghetti tacos burrito kebab chowder ravioli waffles"
new_animals="donkey zebra giraffe deer camel leopard squirrel"
for round in 1 2 3; do
    for w in $dishes; do printf 'we O\nate O\n%s B-DISH\n. O\n\n' "$w"; done
    for w in $animals; do printf 'we O\nsaw O\na O\n%s O\n. O\n\n' "$w"; done
done > "$tmp/dishes.conll"
for w in $new_dishes $new_animals; do echo "they like $w ."; done > "$tmp/doc.txt"
{ for w in $new_dishes; do echo B-DISH; done; for w in $new_animals; do echo O; done; } > "$tmp/want"
# right MODEL: how many of the 14 new words MODEL tags as they should be
right() {
    "$TAG" -m "$1" -f conll "$tmp/doc.txt" |
        awk 'NF == 2 && $1 != "they" && $1 != "like" && $1 != "." && $1 != "-DOCSTART-" { print $2 }' |
        paste - "$tmp/want" | awk '$1 == $2' | wc -l
}

cp "$SHIPPED" "$tmp/source.nerkit"
check "train DISH with the shipped model's lexicon" "$TRAIN" -q -t "$tmp/dishes.conll" \
    -o "$tmp/lf.nerkit" --hash-bits 14 -e 5 --lexicon-from "$tmp/source.nerkit"
check "train DISH without" "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/plain.nerkit" \
    --hash-bits 14 -e 5
rm "$tmp/source.nerkit"
lf_size=$(wc -c < "$tmp/lf.nerkit") plain_size=$(wc -c < "$tmp/plain.nerkit")
check "the model carries the lexicon ($lf_size bytes, $plain_size without)" \
    test "$lf_size" -gt 5000000 -a "$plain_size" -lt 100000
check "with its vectors and clusters (LEXV and DENS sections)" \
    sh -c "grep -aq LEXV '$tmp/lf.nerkit' && grep -aq DENS '$tmp/lf.nerkit'"
with=$(right "$tmp/lf.nerkit") without=$(right "$tmp/plain.nerkit")
check "it tells unseen dishes from animals ($with of 14, $without without), its source gone" \
    test "$with" -ge 11 -a "$without" -le 8
check "its labels are the corpus's" sh -c "'$TAG' -m '$tmp/lf.nerkit' -f conll '$tmp/doc.txt' | grep -q B-DISH"

# a gazetteer beside a lexicon that has none; not beside one that has one
printf 'spaghetti\tPASTA\nravioli\tPASTA\n' > "$tmp/g.tsv"
check "--gazetteer with a model that has none" "$TRAIN" -q -t "$tmp/dishes.conll" \
    -o "$tmp/lfg.nerkit" --hash-bits 14 -e 5 --lexicon-from "$SHIPPED" --gazetteer "$tmp/g.tsv"
check "the gazetteer goes along with --lexicon-from" "$TRAIN" -q -t "$tmp/dishes.conll" \
    -o "$tmp/again.nerkit" --hash-bits 14 -e 5 --lexicon-from "$tmp/lfg.nerkit"
check "the same gazetteer (GAZT section)" grep -aq GAZT "$tmp/again.nerkit"
expect_error "--gazetteer with a model that has one" "$tmp/lfg.nerkit: the model has gazetteer lists of its own" \
    "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/x.nerkit" --lexicon-from "$tmp/lfg.nerkit" --gazetteer "$tmp/g.tsv"

echo "pasta 2" > "$tmp/c.txt"
expect_status 2 "not with --clusters" "--clusters does not apply to --lexicon-from" \
    "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/x.nerkit" --lexicon-from "$SHIPPED" --clusters "$tmp/c.txt"
expect_status 2 "not with --embeddings" "--embeddings does not apply to --lexicon-from" \
    "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/x.nerkit" --lexicon-from "$SHIPPED" --embeddings "$tmp/c.txt"
expect_status 2 "the output may not be the source model" "refusing to overwrite an input" \
    "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/lf.nerkit" --lexicon-from "$tmp/lf.nerkit"

expect_status 1 "a model without a lexicon" "$tmp/plain.nerkit: the model has no lexicon" \
    "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/x.nerkit" --lexicon-from "$tmp/plain.nerkit"
head -c 100000 "$SHIPPED" > "$tmp/cut.nerkit"
expect_status 1 "a damaged model: the loader's message" "$tmp/cut.nerkit: truncated model" \
    "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/x.nerkit" --lexicon-from "$tmp/cut.nerkit"
expect_status 1 "a corpus is no model" "$tmp/dishes.conll: not a nerkit model" \
    "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/x.nerkit" --lexicon-from "$tmp/dishes.conll"
expect_status 1 "a missing model" "$tmp/none.nerkit" \
    "$TRAIN" -q -t "$tmp/dishes.conll" -o "$tmp/x.nerkit" --lexicon-from "$tmp/none.nerkit"
check "no model after the refusals" test ! -e "$tmp/x.nerkit"
finish lexicon_from
