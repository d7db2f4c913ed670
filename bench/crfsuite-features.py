#!/usr/bin/python3
"""CoNLL-2003 column file -> CRFsuite item file, for bench/crfsuite.sh.

    bench/crfsuite-features.py [FILE...] > out.crfsuite   (stdin when no FILE)

Input: one token a line, "word POS chunk NER" (the first column is the word,
the last the label); blank lines end sentences, -DOCSTART- lines break
documents. Output: one line a token, "label TAB attr TAB attr ...", a blank
line after each sentence. Every token gets the same 17 word attributes, so
the feature extraction is the same work for any token. ':' and '\\' in
attribute names are escaped as CRFsuite's reader requires.
"""
import sys


def esc(s):
    return s.replace("\\", "\\\\").replace(":", "\\:")


def shape(w):
    """Xxxx-style shape with runs of one class collapsed: "McDonald's" -> Xx'."""
    out = []
    for ch in w:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdigit():
            c = "d"
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def features(words, i):
    def w(k):
        j = i + k
        if j < 0:
            return "__BOS__"
        if j >= len(words):
            return "__EOS__"
        return words[j]

    w0 = w(0)
    return [
        "w[0]=" + w0,
        "w[-1]=" + w(-1),
        "w[1]=" + w(1),
        "w[-2]=" + w(-2),
        "w[2]=" + w(2),
        "lw[0]=" + w0.lower(),
        "p1=" + w0[:1],
        "p2=" + w0[:2],
        "p3=" + w0[:3],
        "s1=" + w0[-1:],
        "s2=" + w0[-2:],
        "s3=" + w0[-3:],
        "shape=" + shape(w0),
        "cap=" + ("1" if w0[:1].isupper() else "0"),
        "digit=" + ("1" if w0.isdigit() else "0"),
        "w[-1]|w[0]=" + w(-1) + "|" + w0,
        "w[0]|w[1]=" + w0 + "|" + w(1),
    ]


def flush(sent, out):
    if not sent:
        return
    words = [t[0] for t in sent]
    for i, tok in enumerate(sent):
        out.write(esc(tok[-1]))
        for f in features(words, i):
            out.write("\t")
            out.write(esc(f))
        out.write("\n")
    out.write("\n")
    sent.clear()


def convert(stream, out):
    sent = []
    for line in stream:
        cols = line.split()
        if not cols:
            flush(sent, out)
        elif cols[0] == "-DOCSTART-":
            flush(sent, out)
        else:
            sent.append(cols)
    flush(sent, out)


def main():
    out = open(sys.stdout.fileno(), "w", encoding="utf-8",
               errors="surrogateescape", newline="\n", buffering=1 << 20,
               closefd=False)
    paths = sys.argv[1:] or ["-"]
    for p in paths:
        if p == "-":
            f = open(sys.stdin.fileno(), encoding="utf-8",
                     errors="surrogateescape", closefd=False)
        else:
            f = open(p, encoding="utf-8", errors="surrogateescape")
        with f:
            convert(f, out)
    out.flush()


if __name__ == "__main__":
    main()
