"""tag_many's speed-up on 2 threads: the BBC news of $NER_DATA/unlabeled
(2,225 documents, 5 M characters) tagged by nerkit.Model.tag_many on 1
thread, then on 2, alternately, RUNS times (5). On a machine shared with
other work the second core is not always free, so each round also times
nerkit-tag -j 1 and -j 2 on the same text, as the yardstick of what the
machine gave at that moment. Prints each round and the medians. Run by
bench/python.sh."""

import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import nerkit  # noqa: E402

data = os.environ.get("NER_DATA", "../shared/data")
src = os.path.join(data, "unlabeled", "bbc_news_2004_2005.txt")
with open(src, encoding="utf-8") as f:
    docs = [d for d in f.read().split("\n\n") if d.strip()]
model = nerkit.Model(os.environ.get("MODEL"))
tag = os.path.join(os.environ.get("BIN", "bin"), "nerkit-tag")
runs = int(os.environ.get("RUNS", "5"))
times = {}


def timed(key, fn):
    start = time.perf_counter()
    fn()
    times.setdefault(key, []).append(time.perf_counter() - start)
    return times[key][-1]


with tempfile.TemporaryFile() as sink:
    for r in range(runs):
        line = []
        for threads in (1, 2):
            t = timed(("py", threads), lambda: sum(1 for _ in model.tag_many(docs, threads=threads)))
            line.append("tag_many %d: %.2f s" % (threads, t))
            t = timed(("c", threads), lambda: subprocess.run(
                [tag, "-q", "-m", model.path, "-j", str(threads), src], stdout=sink, check=True))
            line.append("nerkit-tag -j %d: %.2f s" % (threads, t))
        print("round %d: %s" % (r + 1, ", ".join(line)), flush=True)
med = {k: statistics.median(v) for k, v in times.items()}
print("%d documents, %.1f M characters, medians of %d rounds:" % (len(docs),
      sum(map(len, docs)) / 1e6, runs))
print("  tag_many:   %.2f s on 1 thread, %.2f s on 2: %.2fx"
      % (med["py", 1], med["py", 2], med["py", 1] / med["py", 2]))
print("  nerkit-tag: %.2f s with -j 1, %.2f s with -j 2: %.2fx (what the machine gave)"
      % (med["c", 1], med["c", 2], med["c", 1] / med["c", 2]))
ratios = sorted(times["py", 1][k] / times["py", 2][k] for k in range(runs))
print("  tag_many's speed-up per round: " + " ".join("%.2f" % x for x in ratios))

# The share of tag() that holds the GIL (all but its two C calls), in CPU
# time on one thread: what bounds the speed-up of threads, whatever the load.
lib, w = nerkit._LIB, model._worker()
in_c = 0.0
start = time.process_time()
for d in docs:
    data = d.encode()
    a = time.process_time()
    lib.nerkit_tokenize(w.tokens, data, len(data), ctypes.byref(w.err))
    w.reserve(lib.nerkit_tokens_count(w.tokens) + 1)
    lib.nerkit_tag_text(w.tagger, w.tokens, 0, w.labels, w.ents, ctypes.byref(w.count),
                        ctypes.byref(w.err))
    in_c += time.process_time() - a
c_loop = time.process_time() - start
start = time.process_time()
for d in docs:
    model.tag(d)
whole = time.process_time() - start
print("  tag() holds the GIL for %.1f%% of its CPU time (%.2f s in its C calls, %.2f s in all)"
      % (100 * (whole - in_c) / whole, in_c, whole))
