#!/usr/bin/env bash
# make install into a temporary prefix, then use nerkit as someone who
# installed it would: a small C program built with `pkg-config nerkit`
# loads the installed model and tags a sentence; the installed nerkit-tag
# finds that model by itself; the shared libraries export only the API
# (nerkit_*) and a tagger links neither liblbfgs nor LAPACKE; the man
# pages are where man looks; make uninstall leaves nothing behind. The
# plain build (build/, bin/) is installed, whichever build runs the tests.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
P="$tmp/prefix"
make -s --no-print-directory install PREFIX="$P" B=build BIN=bin > "$tmp/install.log" 2>&1 ||
    bad "make install ($(tail -5 "$tmp/install.log"))"
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
# the soname carries the major version of the header
major=$(sed -n 's/^#define NERKIT_VERSION_MAJOR \([0-9]*\).*/\1/p' include/nerkit.h)

cat > "$tmp/tag.c" <<'C'
#include <nerkit.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    (void)argc;
    nerkit_error err;
    nerkit_model *m = nerkit_model_load(argv[1], &err);
    nerkit_tagger *t = m ? nerkit_tagger_new(m, &err) : NULL;
    const char *tok[] = {"Angela", "Merkel", "visited", "Paris", "."}, *names[5];
    size_t len[] = {6, 6, 7, 5, 1};
    uint16_t lab[5];
    if (!t || nerkit_tag_sentence(t, tok, len, 5, lab, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    nerkit_model_label_strings(m, lab, 5, NERKIT_SCHEME_IOB2, names);
    for (int i = 0; i < 5; i++)
        printf("%s %s\n", tok[i], names[i]);
    nerkit_tagger_free(t);
    nerkit_model_free(m);
    return 0;
}
C
# shellcheck disable=SC2046
check "a program builds with pkg-config nerkit" \
    cc -std=c11 -Wall -Werror -o "$tmp/tag" "$tmp/tag.c" $(pkg-config --cflags --libs nerkit)
LD_LIBRARY_PATH="$P/lib" "$tmp/tag" "$P/share/nerkit/en-conll03.nerkit" > "$tmp/out" 2> "$tmp/err"
grep -qx 'Angela B-PER' "$tmp/out" && grep -qx 'Paris B-LOC' "$tmp/out" && ok "it tags Angela Merkel and Paris" ||
    bad "it tags ($(cat "$tmp/out" "$tmp/err"))"
check "it uses the shared library" sh -c "LD_LIBRARY_PATH='$P/lib' ldd '$tmp/tag' | grep -q '$P/lib/libnerkit.so.$major'"
# shellcheck disable=SC2046
check "statically, with pkg-config --static" \
    cc -std=c11 -o "$tmp/tag-static" "$tmp/tag.c" $(pkg-config --cflags nerkit) -Wl,--as-needed \
    "$P/lib/libnerkit.a" $(pkg-config --static --libs nerkit)
check "the static program runs without the shared library" \
    sh -c "'$tmp/tag-static' '$P/share/nerkit/en-conll03.nerkit' | grep -qx 'Paris B-LOC'"
check "the installed nerkit-bench finds the installed model" \
    sh -c "echo 'Angela Merkel visited Paris.' > '$tmp/s.txt' && '$P/bin/nerkit-bench' -r 1 -j 1 '$tmp/s.txt' | grep -q '1 thread'"
check "the installed nerkit-tag finds the installed model" \
    sh -c "echo 'Angela Merkel visited Paris.' | '$P/bin/nerkit-tag' -f inline | grep -q '\[PER Angela Merkel\]'"

printf '#include <nerkit.h>\nint main(void)\n{\n    nerkit_train_opts o;\n    nerkit_train_opts_init(&o);\n    return o.epochs > 0 ? 0 : 1;\n}\n' > "$tmp/train.c"
# shellcheck disable=SC2046
check "a training program builds and runs with pkg-config nerkit-train" sh -c \
    "cc -std=c11 -Wall -Werror -o '$tmp/train' '$tmp/train.c' $(pkg-config --cflags --libs nerkit-train) &&
     LD_LIBRARY_PATH='$P/lib' '$tmp/train'"
for so in "$P/lib/libnerkit.so" "$P/lib/libnerkit-train.so"; do
    check "$(basename "$so") exports only nerkit_*" \
        sh -c "test -z \"\$(nm -D --defined-only '$so' | awk '{ print \$3 }' | grep -v '^nerkit_')\""
done
check "libnerkit.so has its soname (libnerkit.so.$major)" sh -c "objdump -p '$P/lib/libnerkit.so' | grep -q 'SONAME *libnerkit.so.$major\$'"
check "nerkit-tag loads neither liblbfgs nor LAPACKE" sh -c "! ldd '$P/bin/nerkit-tag' | grep -q -e lbfgs -e lapacke"
check "nerkit-train.pc names both libraries" sh -c "pkg-config --libs nerkit-train | grep -q -- '-lnerkit-train -lnerkit'"

for p in nerkit-tag nerkit-train nerkit-eval nerkit-bench nerkit-embed nerkit-dict; do
    check "man page of $p installed" test -f "$P/share/man/man1/$p.1"
done
check "man page of the API installed" test -f "$P/share/man/man3/nerkit.3"
if command -v man > /dev/null; then
    check "man nerkit-tag shows the page" sh -c "MANPATH='$P/share/man' man -P cat nerkit-tag 2>/dev/null | grep -q nerkit-tag"
else
    echo "skipped: man itself (no man here); the pages were checked to be in place"
fi

# the Python package, from the prefix's Python path alone: it finds the
# installed library and, through it, the installed model
PYP=$(find "$P/lib" -path '*/dist-packages/nerkit/__init__.py' | head -1)
check "the Python package is installed in the prefix's dist-packages" test -n "$PYP"
if [ -n "$PYP" ] && [ -x /usr/bin/python3 ]; then
    pyp=$(dirname "$(dirname "$PYP")")
    (cd "$tmp" && env -u NERKIT_LIBRARY -u NERKIT_MODEL PYTHONPATH="$pyp" /usr/bin/python3 -c '
import nerkit, sys
m = nerkit.Model()
print(nerkit._LIB_PATH)
print(m.path)
print(" ".join("%s:%d-%d" % (e.label, e.start, e.end) for e in m.tag("Angela Merkel visited Paris.")))
') > "$tmp/py.out" 2>&1
    check "installed Python uses the installed library" grep -qx "$P/lib/libnerkit.so.$major" "$tmp/py.out"
    check "installed Python finds the installed model" grep -qx "$P/share/nerkit/en-conll03.nerkit" "$tmp/py.out"
    check "installed Python tags" grep -qx 'PER:0-13 LOC:22-27' "$tmp/py.out"
    check "python3 -m nerkit.dask runs from the install" sh -c \
        "cd '$tmp' && PYTHONPATH='$pyp' /usr/bin/python3 -m nerkit.dask --help | grep -q -- --scheduler"
fi
make -s --no-print-directory uninstall PREFIX="$P" > /dev/null 2>&1
check "make uninstall leaves no file" test -z "$(find "$P" -type f -o -type l)"

# staged, as a package build does it: files under DESTDIR, paths without it
make -s --no-print-directory install DESTDIR="$tmp/stage" PREFIX=/usr B=build BIN=bin > /dev/null 2>&1
check "DESTDIR stages the files" test -x "$tmp/stage/usr/bin/nerkit-tag" -a -f "$tmp/stage/usr/share/nerkit/en-conll03.nerkit"
check "DESTDIR stays out of the pkg-config file" grep -qx 'prefix=/usr' "$tmp/stage/usr/lib/pkgconfig/nerkit.pc"
check "DESTDIR stages the Python package where python3 looks for /usr's" \
    test -f "$tmp/stage/usr/lib/python3/dist-packages/nerkit/__init__.py"
check "DESTDIR stays out of the Python package" \
    grep -qx "LIBDIR = '/usr/lib'" "$tmp/stage/usr/lib/python3/dist-packages/nerkit/_install.py"
finish e2e_install
