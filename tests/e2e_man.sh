#!/usr/bin/env bash
# The manual pages: each renders without a warning, each program's page
# lists exactly the options its --help lists (long names and letters), and
# nerkit.3 names every function of nerkit.h, so that a page cannot drift
# from what it documents without a failure here.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
MANDIR=${MANDIR:-man}
PROGRAMS="nerkit-tag nerkit-train nerkit-eval nerkit-bench nerkit-embed nerkit-dict"

# render PAGE: the formatter's warnings, if any, on stdout
if command -v groff > /dev/null 2>&1; then
    render() { groff -man -Tutf8 -ww -z "$1" 2>&1; }
elif command -v mandoc > /dev/null 2>&1; then
    render() { mandoc -Tlint "$1" 2>&1; }
else
    echo "skipped: no groff (nor mandoc): the pages are not rendered"
    render() { :; }
fi
for page in "$MANDIR"/nerkit-*.1 "$MANDIR"/nerkit.3; do
    check "$page exists" test -f "$page"
    warnings=$(render "$page")
    [ -z "$warnings" ] && ok "$page renders without warnings" ||
        bad "$page renders without warnings: $(echo "$warnings" | head -3)"
done

# the options named in option lines, one per line, sorted: --long names
# and -x letters (not the - of a --long one)
options_in() {
    grep -oE -- '(^|[ ,"])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[ ,"]//' |
        grep -E -- '^--[a-z]|^-[a-zA-Z]$' | sort -u
}
# the option column of --help: lines that start with an option, up to the
# gap before its description
help_options() {
    "$BIN/$1" --help | grep -E '^ {2,6}-' | sed -E 's/^ +//; s/   .*//' | options_in
}
# the tags of the OPTIONS section of a page (the line after each .TP)
man_options() {
    sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' |
        sed 's/\\-/-/g; s/\\f[A-Z]//g' | options_in
}
for p in $PROGRAMS; do
    page="$MANDIR/$p.1"
    help_options "$p" > "$tmp/help"
    man_options "$page" > "$tmp/man"
    check "$p --help lists options" test -s "$tmp/help"
    missing=$(comm -23 "$tmp/help" "$tmp/man" | tr '\n' ' ')
    extra=$(comm -13 "$tmp/help" "$tmp/man" | tr '\n' ' ')
    [ -z "$missing" ] && ok "$page has every option of $p --help" ||
        bad "$page lacks what $p --help lists: $missing"
    [ -z "$extra" ] && ok "$p --help has every option of $page" ||
        bad "$page lists what $p --help does not: $extra"
done

# functions and function-like macros: a name right before its parenthesis
grep -oE '\bnerkit_[a-z0-9_]+\(' include/nerkit.h | sed 's/($//' | sort -u > "$tmp/api"
missing=$(while read -r f; do grep -qw -- "$f" "$MANDIR/nerkit.3" || printf '%s ' "$f"; done < "$tmp/api")
[ -z "$missing" ] && ok "nerkit.3 names every function of nerkit.h ($(wc -l < "$tmp/api"))" ||
    bad "nerkit.3 lacks: $missing"
finish e2e_man
