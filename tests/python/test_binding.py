"""The Python binding against nerkit-tag and the library's own behaviour."""

import json
import os
import pickle
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from common import BIN, MODEL, ROOT, nerkit, nerkit_tag
import corpus


class Spans(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = nerkit.Model(MODEL)
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_spans_equal_nerkit_tag(self):
        """400 documents, most with non-ASCII names, emoji and normalized
        punctuation: the same entities, offsets, labels, texts and
        (rounded as nerkit-tag prints them) probabilities."""
        with open(os.path.join(ROOT, "data", "sample.txt"), encoding="utf-8") as f:
            docs = [d for d in f.read().split("\n\n") if d.strip()]
        docs += corpus.documents(400 - len(docs))
        path = os.path.join(self.tmp, "docs.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
        lines = nerkit_tag("-i", "jsonl", "--confidence", path).decode("utf-8").splitlines()
        self.assertEqual(len(lines), len(docs))
        total = non_ascii = 0
        for d, line in zip(docs, lines):
            want = [(e["start"], e["end"], e["label"], e["text"], "%.4f" % e["prob"])
                    for e in json.loads(line)["entities"]]
            got = [(e.start, e.end, e.label, e.text, "%.4f" % e.confidence)
                   for e in self.model.tag(d, confidence=True)]
            self.assertEqual(got, want, d)
            plain = [(e.start, e.end, e.label, e.text) for e in self.model.tag(d)]
            self.assertEqual(plain, [w[:4] for w in want])
            for e in got:
                self.assertEqual(d[e[0]:e[1]], e[3])
            total += len(got)
            non_ascii += sum(1 for e in got if not e[3].isascii() or not d[:e[0]].isascii())
        # the comparison must have covered something: many entities, many
        # of them with non-ASCII text or after non-ASCII characters
        self.assertGreater(total, 1000)
        self.assertGreater(non_ascii, 500)

    def test_tag_many_in_order(self):
        docs = corpus.documents(150, seed=2)
        want = [self.model.tag(d) for d in docs]
        for threads in (1, 2, 3):
            got = list(self.model.tag_many(iter(docs), threads=threads, chunk=7))
            self.assertEqual(got, want)

    def test_tag_many_threads_share_one_model(self):
        docs = corpus.documents(60, seed=3)
        want = [self.model.tag(d) for d in docs]
        results = [None] * 4

        def run(k):
            results[k] = [self.model.tag(d) for d in docs]
        ts = [threading.Thread(target=run, args=(k,)) for k in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(results, [want] * 4)

    def test_gil_released_while_c_tags(self):
        """Python code runs on another thread while one thread is in the
        tagger's C code: what lets tag_many's threads tag in parallel. A
        counting thread keeps about half its pace even when the machine
        gives this process one core (0.49-0.51 of it here); with the GIL
        held through the C call (the library loaded with ctypes.PyDLL) it
        kept 0.06-0.08, the tagging thread's few Python steps."""
        # sentences without names: the time is the C code's, not that of
        # making Python objects for the entities
        text = "the small dog ran to the old house and ate some bread . " * 20000
        count = [0]
        running = [True]

        def counter():
            while running[0]:
                count[0] += 1
        t = threading.Thread(target=counter)
        t.start()
        try:
            time.sleep(0.2)
            c0, t0 = count[0], time.perf_counter()
            time.sleep(0.3)  # sleeping releases the GIL: the counter's own pace
            rate = (count[0] - c0) / (time.perf_counter() - t0)
            self.model.tag(text)  # the tagger's memory grows once, before timing
            c0, t0 = count[0], time.perf_counter()
            for _ in range(3):
                self.model.tag(text)
            during = (count[0] - c0) / (time.perf_counter() - t0)
        finally:
            running[0] = False
            t.join()
        self.assertGreater(during, 0.25 * rate, "counted %.0f/s while tagging, %.0f/s alone"
                           % (during, rate))

    def test_tag_tokens_equals_nerkit_tag_conll(self):
        """tag_tokens on each CoNLL document gives the labels nerkit-tag -i
        conll appends to it."""
        path = os.path.join(ROOT, "data", "sample.conll")
        out = nerkit_tag("-i", "conll", path).decode("utf-8")
        docs, sent = [], []
        for line in out.splitlines():
            cols = line.split()
            if not cols or cols[0] == "-DOCSTART-":
                if sent:
                    docs[-1].append(sent)
                sent = []
                if cols:
                    docs.append([])
                continue
            sent.append((cols[0], cols[-1]))
        if sent:
            docs[-1].append(sent)
        self.assertTrue(docs and docs[0])
        for doc in docs:
            labels = self.model.tag_tokens([[t for t, _ in s] for s in doc])
            self.assertEqual(labels, [[lab for _, lab in s] for s in doc])
        first = [t for t, _ in docs[0][0]]
        self.assertEqual(self.model.tag_tokens(first, scheme="IOB2"),
                         self.model.tag_tokens([first], scheme="IOB2")[0])

    def test_empty_and_whitespace(self):
        self.assertEqual(self.model.tag(""), [])
        self.assertEqual(self.model.tag(" \n\n\t "), [])
        self.assertEqual(self.model.tag_tokens([]), [])


class Model(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)
        nerkit.clear_cache()

    def test_info(self):
        m = nerkit.Model(MODEL)
        self.assertEqual(m.labels, ["LOC", "MISC", "ORG", "PER"])
        self.assertEqual(m.info["algorithm"], "perceptron")
        self.assertIn("word", m.info["features"])
        self.assertIn("vectors", m.info["features"])
        self.assertTrue(m.info["probabilities"])
        self.assertEqual(len(m.info["sha256"]), 64)

    def test_default_model_as_nerkit_tag(self):
        self.assertEqual(os.path.realpath(nerkit.default_model()), os.path.realpath(MODEL))
        env = dict(os.environ, NERKIT_MODEL=os.path.join(self.tmp, "elsewhere.nerkit"),
                   PYTHONPATH=os.path.join(ROOT, "python"))
        r = subprocess.run(["/usr/bin/python3", "-c", "import nerkit; nerkit.Model()"],
                           env=env, stderr=subprocess.PIPE)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"elsewhere.nerkit", r.stderr)

    def test_pickle_loads_once_per_process(self):
        m = nerkit.Model(MODEL)
        data = pickle.dumps(m)
        self.assertLess(len(data), 500)  # the path and checksum, not the weights
        a, b = pickle.loads(data), pickle.loads(data)
        self.assertIs(a, b)
        self.assertEqual(a.tag("Angela Merkel visited Paris."),
                         m.tag("Angela Merkel visited Paris."))

    def test_pickle_refuses_a_changed_file(self):
        path = os.path.join(self.tmp, "m.nerkit")
        shutil.copy(MODEL, path)
        data = pickle.dumps(nerkit.Model(path))
        shutil.copy(os.path.join(ROOT, "models", "es-conll02.nerkit"), path)
        with self.assertRaisesRegex(nerkit.Error, "not the model that was pickled"):
            pickle.loads(data)

    def test_errors_carry_the_library_message(self):
        bad = os.path.join(self.tmp, "bad.nerkit")
        with open(bad, "wb") as f:
            f.write(b"not a model at all")
        with self.assertRaisesRegex(nerkit.Error, "bad.nerkit: not a nerkit model") as c:
            nerkit.Model(bad)
        self.assertEqual(c.exception.code, 3)  # NERKIT_ERR_MODEL
        with open(MODEL, "rb") as f:
            head = f.read(4096)
        with open(bad, "wb") as f:
            f.write(head)
        with self.assertRaisesRegex(nerkit.Error, "bad.nerkit"):
            nerkit.Model(bad)
        with self.assertRaisesRegex(nerkit.Error, "missing.nerkit"):
            nerkit.Model(os.path.join(self.tmp, "missing.nerkit"))
        m = nerkit.Model(MODEL)
        with self.assertRaisesRegex(nerkit.Error, "unknown scheme"):
            m.tag_tokens(["Paris"], scheme="XYZ")
        with self.assertRaises(nerkit.Error):
            m.tag("lone \ud800 surrogate")
        with self.assertRaises(TypeError):
            m.tag(b"bytes")

    def test_confidence_needs_probabilities(self):
        conll = os.path.join(self.tmp, "train.conll")
        with open(conll, "w") as f:
            f.write("Anna B-PER\nBerg I-PER\nlives O\nin O\nOslo B-LOC\n. O\n\n" * 6)
        path = os.path.join(self.tmp, "small.nerkit")
        subprocess.run([os.path.join(BIN, "nerkit-train"), "-q", "-t", conll, "-o", path,
                        "--hash-bits", "12", "-e", "2"], check=True)
        m = nerkit.Model(path)
        self.assertFalse(m.info["probabilities"])
        self.assertTrue(m.tag("Anna Berg lives in Oslo."))
        with self.assertRaisesRegex(nerkit.Error, "no confidences") as c:
            m.tag("Anna Berg lives in Oslo.", confidence=True)
        self.assertEqual(c.exception.code, 7)  # NERKIT_ERR_UNSUPPORTED



class Dicts(unittest.TestCase):
    """Dictionaries: the same entities as nerkit-tag --dict, for each
    policy and a matching option."""

    @classmethod
    def setUpClass(cls):
        cls.model = nerkit.Model(MODEL)
        cls.tmp = tempfile.mkdtemp()
        with open(os.path.join(ROOT, "data", "sample.txt"), encoding="utf-8") as f:
            docs = [d for d in f.read().split("\n\n") if d.strip()]
        cls.docs = docs + corpus.documents(200)
        cls.docs_path = os.path.join(cls.tmp, "docs.jsonl")
        with open(cls.docs_path, "w", encoding="utf-8") as f:
            for d in cls.docs:
                f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
        # phrases the model finds, every third as an entry of the list, some
        # with ids, plus entries that are no entity of the model's
        seen, lines = set(), []
        for d in cls.docs[:120]:
            for k, e in enumerate(cls.model.tag(d)):
                if e.text not in seen and len(seen) % 3 == 0:
                    lines.append("%s\tKB%s" % (e.text, "\tQ%d" % len(seen) if k % 2 else ""))
                seen.add(e.text)
        lines += ["the\tFUNCTION\tF1", "and\tFUNCTION", "Zürich Straße\tPLACE\tZS1",
                  "東京\tPLACE"]
        cls.list_path = os.path.join(cls.tmp, "list.tsv")
        with open(cls.list_path, "w", encoding="utf-8") as f:
            f.write("# test list\n" + "\n".join(lines) + "\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def compare(self, d, cli_opts, policy):
        lines = nerkit_tag("-i", "jsonl", "--dict", self.list_path, "--dict-policy", policy,
                           *cli_opts, self.docs_path).decode("utf-8").splitlines()
        self.assertEqual(len(lines), len(self.docs))
        sources = set()
        for doc, line in zip(self.docs, lines):
            want = [(e["start"], e["end"], e["label"], e["text"], e["source"], e.get("id"))
                    for e in json.loads(line)["entities"]]
            got = [(e.start, e.end, e.label, e.text, e.source, e.id)
                   for e in self.model.tag(doc, dicts=[d], dict_policy=policy)]
            self.assertEqual(got, want, doc)
            sources.update((e[4], e[5] is not None) for e in got)
        return sources

    def test_policies_equal_nerkit_tag(self):
        d = nerkit.Dictionary(self.list_path)
        self.assertGreater(d.entries, 20)
        for policy in nerkit.POLICIES:
            sources = self.compare(d, [], policy)
            # each policy's comparison saw matches with and without ids
            self.assertIn(("dict", True), sources, policy)
            self.assertIn(("dict", False), sources, policy)
            if policy != "only":
                self.assertIn(("model", False), sources, policy)

    def test_case_option_equals_nerkit_tag(self):
        d = nerkit.Dictionary(self.list_path, case="ignore")
        self.compare(d, ["--dict-case", "ignore"], "override")

    def test_pickle_and_errors(self):
        d = pickle.loads(pickle.dumps(nerkit.Dictionary(self.list_path)))
        self.assertEqual(d.entries, nerkit.Dictionary(self.list_path).entries)
        compiled = os.path.join(self.tmp, "list.nkd")
        subprocess.run([os.path.join(BIN, "nerkit-dict"), "compile", "-q", self.list_path,
                        "-o", compiled], check=True)
        self.assertEqual(nerkit.Dictionary(compiled).entries, d.entries)
        with self.assertRaises(nerkit.Error) as cm:
            nerkit.Dictionary(compiled, case="ignore")  # compiled exact: not silently ignored
        self.assertIn("compiled with other case", str(cm.exception))
        nerkit.Dictionary(compiled, case="exact")
        with open(compiled, "r+b") as f:
            f.seek(100)
            b = f.read(1)
            f.seek(100)
            f.write(bytes([b[0] ^ 0xFF]))
        with self.assertRaises(nerkit.Error) as cm:
            nerkit.Dictionary(compiled)
        self.assertIn("list.nkd", str(cm.exception))
        with self.assertRaises(nerkit.Error):
            nerkit.Dictionary(self.list_path, case="sideways")
        with self.assertRaises(nerkit.Error):
            self.model.tag("Paris", confidence=True, dicts=[d], dict_policy="only")
        with self.assertRaises(ValueError):
            self.model.tag("Paris", dicts=[d], dict_policy="sometimes")
        with self.assertRaises(ValueError):
            self.model.tag("Paris", dict_policy="sometimes")  # refused with no dicts too
        with self.assertRaises(TypeError):
            self.model.tag("Paris", dicts=[self.list_path])
        with self.assertRaises(ValueError):
            nerkit.Dictionary(self.list_path + "\0other")
        with self.assertRaises(TypeError):
            list(self.model.tag_many("one str"))
        with self.assertRaises(TypeError):
            list(self.model.tag_many(["a"], threads="2"))

if __name__ == "__main__":
    unittest.main()
