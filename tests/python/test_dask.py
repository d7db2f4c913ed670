"""nerkit.dask on a local cluster of two worker processes: outputs identical
to nerkit-tag's, errors that name the file, and a worker killed in the
middle of the run."""

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from common import BIN, MODEL, ROOT, nerkit, nerkit_tag
import corpus

try:
    import distributed
except ImportError:
    distributed = None


def write_gzip(path, docs, jsonl=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for d in docs:
            if jsonl:
                f.write(json.dumps({"id": len(d), "text": d}, ensure_ascii=False) + "\n")
            else:
                f.write(d.strip("\n") + "\n\n")


def cli(*args):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run(["/usr/bin/python3", "-m", "nerkit.dask"] + list(args), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)


def temporaries(folder):
    return [n for _, _, names in os.walk(folder) for n in names if n.endswith(".tmp")]


@unittest.skipIf(distributed is None, "no python3-distributed")
class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.inp = os.path.join(self.tmp, "in")
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def assertSameAsNerkitTag(self, src, out, *opts):
        want = nerkit_tag(*opts, src)
        with (gzip.open(out, "rb") if out.endswith(".gz") else open(out, "rb")) as f:
            got = f.read()
        self.assertTrue(want)
        self.assertEqual(got, want, "%s differs from nerkit-tag %s" % (out, src))

    def test_folder_of_gzip_files_on_two_workers(self):
        files = []
        for k in range(6):
            sub = "sub" if k >= 4 else ""
            p = os.path.join(self.inp, sub, "part%d.txt.gz" % k)
            write_gzip(p, corpus.documents(80, seed=10 + k))
            files.append((p, os.path.join(self.out, sub, "part%d.txt.jsonl.gz" % k)))
        r = cli(self.inp, "-o", self.out, "--workers", "2", "-m", MODEL)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        docs = 0
        for src, out in files:
            self.assertSameAsNerkitTag(src, out)
            docs += nerkit_tag(src).count(b"\n")
        self.assertIn(b"6 files, %d documents" % docs, r.stdout)
        self.assertEqual(r.stdout.count(b"  worker "), 2, r.stdout)  # both took files
        self.assertEqual(temporaries(self.out), [])

    def test_bad_input_named_and_others_written(self):
        good = [os.path.join(self.inp, "a.jsonl.gz"), os.path.join(self.inp, "b.jsonl.gz")]
        for k, p in enumerate(good):
            write_gzip(p, corpus.documents(40, seed=20 + k), jsonl=True)
        bad = os.path.join(self.inp, "bad.jsonl")
        with open(bad, "w") as f:
            f.write('{"text": "Angela Merkel visited Paris."}\n{"text": oops}\n')
        r = cli(self.inp, "-o", self.out, "--workers", "2", "-m", MODEL, "-i", "jsonl",
                "--confidence", "-f", "jsonl")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr.decode(), r"bad\.jsonl:2: invalid JSON")
        self.assertIn(b"1 of 3 files failed", r.stdout)
        for p in good:
            out = os.path.join(self.out, os.path.basename(p)[:-3] + ".jsonl.gz")
            self.assertSameAsNerkitTag(p, out, "-i", "jsonl", "--confidence")
        self.assertFalse(os.path.exists(os.path.join(self.out, "bad.jsonl.jsonl.gz")))
        self.assertEqual(temporaries(self.out), [])

    def test_conll_input(self):
        """-i conll goes through the corpus reader, as in nerkit-tag; and
        --gzip-level 0 writes the outputs plain, without .gz"""
        with open(os.path.join(ROOT, "data", "sample.conll"), "rb") as f:
            sample = f.read()
        srcs = []
        for k in range(2):
            p = os.path.join(self.inp, "s%d.conll" % k)
            os.makedirs(self.inp, exist_ok=True)
            with open(p, "wb") as f:
                f.write(sample * (k + 1))
            srcs.append(p)
        r = cli(self.inp, "-o", self.out, "--workers", "2", "-m", MODEL, "-i", "conll",
                "--scheme", "BIOES", "--gzip-level", "0")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        for p in srcs:
            self.assertSameAsNerkitTag(p, os.path.join(self.out, os.path.basename(p) +
                                                       ".conll"), "-i", "conll",
                                       "--scheme", "BIOES")
        self.assertEqual(sorted(os.listdir(self.out)), ["s0.conll.conll", "s1.conll.conll"])

    def test_large_plain_file_in_parts(self):
        """A plain file over --split-size is tagged in parts of whole
        documents by several tasks, and its output is still nerkit-tag's;
        a bad line in a part fails the whole file, named with the part's
        bytes, and leaves nothing behind."""
        os.makedirs(self.inp)
        big = os.path.join(self.inp, "big.txt")
        with open(big, "w", encoding="utf-8") as f:
            # documents of many lines: a cut must fall between documents
            docs = [d.replace(". ", ".\n") for d in corpus.documents(600, seed=40)]
            f.write("\n\n".join(docs) + "\n")
        size = os.path.getsize(big)
        r = cli(big, "-o", self.out, "--workers", "2", "-m", MODEL,
                "--split-size", str(size // 6))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertSameAsNerkitTag(big, os.path.join(self.out, "big.txt.jsonl.gz"))
        tasks = sum(int(m) for m in re.findall(rb": (\d+) tasks", r.stdout))
        self.assertGreaterEqual(tasks, 5, r.stdout)
        self.assertEqual(temporaries(self.out), [])
        lines = os.path.join(self.inp, "lines.jsonl")
        with open(lines, "w", encoding="utf-8") as f:
            for k, d in enumerate(corpus.documents(300, seed=41)):
                f.write(json.dumps({"text": d}) + "\n" if k != 250 else "{oops\n")
        r = cli(lines, "-o", self.out, "--workers", "2", "-m", MODEL, "-i", "jsonl",
                "--split-size", str(os.path.getsize(lines) // 5))
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr.decode(), r"lines\.jsonl \(bytes \d+-\d+\):\d+: invalid JSON")
        self.assertFalse(os.path.exists(os.path.join(self.out, "lines.jsonl.jsonl.gz")))
        self.assertEqual(temporaries(self.out), [])

    def test_usage_errors_before_any_work(self):
        write_gzip(os.path.join(self.inp, "x.txt.gz"), ["Paris."])
        write_gzip(os.path.join(self.tmp, "other", "x.txt.gz"), ["Oslo."])
        r = cli(os.path.join(self.inp, "missing.txt"), "-o", self.out)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"missing.txt: no such file", r.stderr)
        r = cli(self.inp, os.path.join(self.tmp, "other"), "-o", self.out)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"would both be written to", r.stderr)
        bad = os.path.join(self.tmp, "bad.nerkit")
        with open(bad, "wb") as f:
            f.write(b"nope")
        r = cli(self.inp, "-o", self.out, "-m", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"bad.nerkit: not a nerkit model", r.stderr)
        self.assertFalse(os.path.exists(self.out))
        with open(self.out, "w") as f:
            f.write("a file, not a folder")
        r = cli(self.inp, "-o", self.out)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"not a folder", r.stderr)
        os.unlink(self.out)
        r = cli(self.inp, "-o", self.out, "--workers", "0")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--workers wants 1 or more", r.stderr)


@unittest.skipIf(distributed is None, "no python3-distributed")
class KilledWorker(unittest.TestCase):
    def test_worker_killed_mid_run(self):
        """SIGKILL to a worker process while it tags: Dask runs its task
        again on the restarted worker, every output ends complete and equal
        to nerkit-tag's, and no temporary file is left."""
        from distributed import Client, LocalCluster
        import logging
        from nerkit import bulk, dask as nd
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        inp, out = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        for k in range(6):
            write_gzip(os.path.join(inp, "f%d.txt.gz" % k), corpus.documents(4000, seed=30 + k))
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
        self.addCleanup(cluster.close)
        self.addCleanup(client.close)
        opts = bulk.options()
        pairs = nd.plan([inp], out, "jsonl")
        done = {}
        t = threading.Thread(target=lambda: done.update(
            r=nd.run(client, nerkit.Model(MODEL), pairs, opts)))
        t.start()
        killed = None
        deadline = time.time() + 120
        while killed is None and time.time() < deadline and t.is_alive():
            busy = [w for w, keys in client.processing().items() if keys]
            if busy and os.path.isdir(out) and os.listdir(out):
                # a worker tagging a file now, after at least one file was written
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                cut = {pairs[int(k.rsplit("-", 1)[1])][0] for k in client.processing()[busy[0]]}
                os.kill(pid, signal.SIGKILL)
                killed = pid
            time.sleep(0.05)
        t.join(300)
        self.assertIsNotNone(killed, "the run ended before a worker could be killed")
        results, failures = done["r"]
        self.assertEqual(failures, [])
        self.assertEqual(len(results), 6)
        pids = set(client.run(os.getpid).values())
        self.assertNotIn(killed, pids)  # it was killed, and replaced
        # the file it was tagging was tagged again, by another worker
        for r in results:
            if r["path"] in cut:
                self.assertNotEqual(r["worker"], busy[0], r["path"])
        for src, dst in pairs:
            with gzip.open(dst, "rb") as f:
                self.assertEqual(f.read(), nerkit_tag(src), dst)
        self.assertEqual(temporaries(out), [])


if __name__ == "__main__":
    unittest.main()
