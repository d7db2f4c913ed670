#!/bin/sh
# How model.nerkit was made: a model of format version 1, by nerkit 136b9c1
# (the last build that wrote version 1), from the synthetic files here, so
# that the tests keep reading what users' version 1 models hold: float rows
# (WGHT), a lexicon of 8-bit vectors and 32-bit cluster ids (LEXN).
#   sh tests/data/v1/make.sh /path/to/nerkit-136b9c1/bin
set -e
BIN=$1
dir=$(dirname "$0")
"$BIN/nerkit-train" -q -t "$dir/train.conll" --embeddings "$dir/vectors.txt" \
    --clusters "$dir/brown.txt" --hash-bits 12 -e 5 --features all -o "$dir/model.nerkit"
