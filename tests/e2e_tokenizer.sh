#!/usr/bin/env bash
# The tokenizer against the CoNLL-2003 dev tokenization: each document's
# tokens joined by single spaces into one paragraph, tokenized again. At
# least 98% of the original tokens must come back with the same span.
set -euo pipefail
BIN=${BIN:-bin}
D=${NER_DATA:-../shared/data}
if [ ! -f "$D/conll2003/dev.txt" ]; then
    echo "skipped: no CoNLL-2003 data under $D (set NER_DATA)"
    exit 0
fi
"$BIN/tokenizer_agreement" "$D/conll2003/dev.txt" 98
