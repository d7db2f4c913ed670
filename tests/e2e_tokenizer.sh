#!/usr/bin/env bash
# The tokenizer against the CoNLL-2003 dev tokenization: each document's
# tokens joined by single spaces into one paragraph, tokenized again. At
# least 98% of the original tokens must come back with the same span.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_conll03 dev.txt
"$BIN/tokenizer_agreement" "$D/conll2003/dev.txt" 98
