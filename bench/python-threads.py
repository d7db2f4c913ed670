"""tag_many's speed-up on 2 threads: the BBC news of $NER_DATA/unlabeled
(2,225 documents, 5 M characters) tagged by nerkit.Model.tag_many on 1
thread, then on 2, alternately, RUNS times (5); prints each run and the
medians. Run by bench/python.sh."""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import nerkit  # noqa: E402

data = os.environ.get("NER_DATA", "../shared/data")
with open(os.path.join(data, "unlabeled", "bbc_news_2004_2005.txt"), encoding="utf-8") as f:
    docs = [d for d in f.read().split("\n\n") if d.strip()]
model = nerkit.Model(os.environ.get("MODEL"))
runs = int(os.environ.get("RUNS", "5"))
times = {1: [], 2: []}
tokens = None
for r in range(runs):
    for threads in (1, 2):
        start = time.perf_counter()
        n = sum(len(ents) for ents in model.tag_many(docs, threads=threads))
        times[threads].append(time.perf_counter() - start)
        print("run %d, %d thread%s: %.2f s (%d entities)" % (r + 1, threads,
              "s" if threads > 1 else "", times[threads][-1], n), flush=True)
one, two = statistics.median(times[1]), statistics.median(times[2])
print("tag_many, %d documents, %.1f M characters: median %.2f s on 1 thread, %.2f s on 2: "
      "%.2fx" % (len(docs), sum(map(len, docs)) / 1e6, one, two, one / two))
