#!/usr/bin/env bash
# The shipped Spanish and Dutch models (make models) against bounds on
# CoNLL-2002 testa, 2 points under the F1 that models/README.md reports:
# testa chose their epoch, so this is no held-out score, only a check that
# each model loads, tags with its own representations and is the one made.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_conll02 esp.testa ned.testa

# shipped LANG FILE BOUND
shipped() {
    local m=models/$1-conll02.nerkit f1
    if ! "$BIN/nerkit-eval" -m "$m" "$D/conll2002/$2" > "$tmp/$1" 2> "$tmp/err"; then
        bad "$m scores $2 ($(head -c 300 "$tmp/err"))"
        return
    fi
    f1=$(awk '/^accuracy/ { print $NF }' "$tmp/$1")
    check "$m testa F1 ${f1:-none} >= $3" awk -v f="$f1" -v b="$3" 'BEGIN { exit !(f != "" && f >= b) }'
}
shipped es esp.testa 76.1
shipped nl ned.testa 77.7
finish e2e_conll02
