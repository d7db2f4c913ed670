"""Bulk tagging on a Dask cluster, one task per input file (or per part of
a large plain one):

    python3 -m nerkit.dask INPUT... -o OUTDIR [--scheduler ADDRESS | --workers N]
                           [-m MODEL] [nerkit-tag's input and output options]

Each input file (folders are walked, as nerkit-tag walks them) becomes
OUTDIR/<its name, less .gz><format suffix>.gz: .jsonl.gz by default, whose
content is byte for byte what `nerkit-tag OPTIONS FILE` writes. --workers N
starts a local cluster of N processes; --scheduler joins a running one
(`dask-scheduler`, and `dask-worker ADDRESS` on each machine), so the same
command tags on many machines. Every worker process loads the model once
(nerkit.Model pickles to its path and checksum) and tags as many files at
once as it has threads. A task whose worker is lost is run again by Dask on
another; outputs are written under temporary names and renamed once whole,
so OUTDIR never holds a partial output. Inputs and OUTDIR must be paths
every worker can open (one machine, or a shared file system), and so must
the model, the same file everywhere. A plain (not gzip) input larger than
--split-size is cut at document boundaries into parts, one task each,
whose outputs are joined in order (gzip members one after another).
"""

import argparse
import os
import shutil
import sys
import time
import uuid

import nerkit
from nerkit import bulk

PROG = "nerkit.dask"


def _strip_gz(name):
    return name[:-3] if name.endswith(".gz") else name


def plan(inputs, outdir, output_format, gzip=True):
    """(input path, output path) pairs: files as given, the files of
    folders in sorted order with their paths below the folder kept; the
    outputs end in .gz unless gzip is false. Raises nerkit.Error for a
    missing input or two inputs that would write the same output."""
    pairs, seen = [], {}
    suffix = bulk.SUFFIX[output_format] + (".gz" if gzip else "")
    real_out = os.path.realpath(outdir)
    for arg in inputs:
        if os.path.isdir(arg):
            files = []
            for root, dirs, names in os.walk(arg, followlinks=False):
                # an output folder inside an input folder: its files are outputs
                dirs[:] = sorted(d for d in dirs
                                 if os.path.realpath(os.path.join(root, d)) != real_out)
                files += [os.path.join(root, n) for n in sorted(names)
                          if not n.startswith(".") and os.path.isfile(os.path.join(root, n))]
            named = [(f, os.path.relpath(f, arg)) for f in files]
        elif os.path.exists(arg):
            named = [(arg, os.path.basename(arg))]
        else:
            raise nerkit.Error("%s: no such file or folder" % arg)
        for f, rel in named:
            out = os.path.join(outdir, _strip_gz(rel) + suffix)
            if out in seen:
                raise nerkit.Error("%s and %s would both be written to %s: give them apart"
                                   % (seen[out], f, out))
            seen[out] = f
            pairs.append((os.path.abspath(f), os.path.abspath(out)))
    return pairs


def _task(model, path, out, opts, run_id, level, byte_range=None):
    """Runs on a worker: the model comes unpickled from the process's cache."""
    r = bulk.tag_file(model, path, out, opts, run_id, level, byte_range)
    try:
        from distributed import get_worker
        r["worker"] = get_worker().address
    except (ImportError, ValueError):
        r["worker"] = "local"
    return r


def _bar(done, total, docs, tokens, seconds):
    width = 30
    fill = width * done // total if total else width
    rate = tokens / seconds if seconds > 0 else 0
    return "\r\033[K[%s%s] %d/%d tasks  %d docs  %.0f tokens/s" % (
        "#" * fill, " " * (width - fill), done, total, docs, rate)


def _remove_temporaries(outdir, run_id):
    """Temporary files this run's lost tasks left behind."""
    for root, _, names in os.walk(outdir):
        for n in names:
            if n.startswith(".") and n.endswith(".tmp") and (".%s." % run_id) in n:
                try:
                    os.unlink(os.path.join(root, n))
                except OSError:
                    pass


def splits(pairs, opts, split_size):
    """The tasks: (pair index, byte range or None). A plain file larger
    than split_size is cut into parts of whole documents, one task each
    (not gzip, which cannot be entered in the middle; not TSV output, which
    numbers the documents; not CoNLL input, read whole)."""
    tasks = []
    for k, (path, _) in enumerate(pairs):
        if (split_size and opts["input"] != "conll" and opts["output"] != "tsv"
                and os.path.getsize(path) > split_size and not bulk.is_gzip(path)):
            points = bulk.split_points(path, opts["input"], split_size)
            tasks += [(k, (a, b)) for a, b in zip(points, points[1:])]
        else:
            tasks.append((k, None))
    return tasks


def _join(parts, out, run_id):
    """A file's parts, in order, into its output: gzip members one after
    the other are one gzip stream. Written whole, then renamed."""
    tmp = os.path.join(os.path.dirname(out), ".%s.%s.join.tmp" % (os.path.basename(out), run_id))
    with open(tmp, "wb") as dst:
        for p in parts:
            with open(p, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, out)
    for p in parts:
        os.unlink(p)


def run(client, model, pairs, opts, level=1, progress=None, split_size=0):
    """Tags every (input, output) pair on the client's cluster. Returns
    (results of the tasks that succeeded, [(input, error message)] of the
    files that failed); progress(done, total, results) is called as tasks
    finish. split_size: see splits()."""
    from distributed import as_completed
    run_id = uuid.uuid4().hex[:8]
    outdirs = {os.path.dirname(o) for _, o in pairs}
    tasks = splits(pairs, opts, split_size)
    parts = {}  # pair index -> the part files of a split input, in order
    futures = []
    for t, (k, byte_range) in enumerate(tasks):
        path, out = pairs[k]
        if byte_range is not None:
            out = os.path.join(os.path.dirname(out), ".%s.%s.part%05d.tmp"
                               % (os.path.basename(out), run_id, len(parts.setdefault(k, []))))
            parts[k].append(out)
        futures.append(client.submit(_task, model, path, out, opts, run_id, level, byte_range,
                                     key="nerkit-%s-%d" % (run_id, t), pure=False))
    index = {f.key: t for t, f in enumerate(futures)}
    left = {k: len(v) for k, v in parts.items()}
    results, failures, failed = [], [], set()
    try:
        for f in as_completed(futures):
            k = tasks[index[f.key]][0]
            try:
                results.append(f.result())
                if k in left:
                    left[k] -= 1
                    if left[k] == 0 and k not in failed:
                        _join(parts[k], pairs[k][1], run_id)
            except Exception as e:  # nerkit.Error, a worker lost too often (KilledWorker)...
                msg = str(e) if isinstance(e, nerkit.Error) else "%s: %s" % (type(e).__name__, e)
                if k not in failed:
                    failures.append((pairs[k][0], msg))
                failed.add(k)
            if progress:
                progress(len(results) + len(failures), len(tasks), results)
    finally:
        for d in outdirs:
            _remove_temporaries(d, run_id)
    return results, failures


def summary(results, seconds):
    """The lines of the end-of-run report: totals, then each worker's share."""
    docs = sum(r["documents"] for r in results)
    tokens = sum(r["tokens"] for r in results)
    files = len({r["path"] for r in results})
    lines = ["%d files, %d documents, %d tokens in %.1f s: %.0f tokens/s"
             % (files, docs, tokens, seconds, tokens / seconds if seconds > 0 else 0)]
    workers = {}
    for r in results:
        w = workers.setdefault(r["worker"], [0, 0, 0.0])
        w[0] += 1
        w[1] += r["tokens"]
        w[2] += r["seconds"]
    for name in sorted(workers):
        n, t, s = workers[name]
        lines.append("  worker %s: %d tasks, %d tokens, %.0f tokens/s"
                     % (name, n, t, t / s if s > 0 else 0))
    return lines


def _parser():
    p = argparse.ArgumentParser(
        prog="python3 -m " + PROG,
        description="Tags each input file on a Dask cluster into OUTDIR/<name>.<format>.gz "
                    "(.<format> with --gzip-level 0), "
                    "each identical to nerkit-tag on that file.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders")
    p.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="ADDRESS", help="join a running Dask scheduler")
    g.add_argument("--workers", type=int, metavar="N",
                   help="start a local cluster of N worker processes (default: one per core)")
    p.add_argument("--threads-per-worker", type=int, default=1, metavar="N",
                   help="local cluster: files each worker tags at once (1)")
    p.add_argument("-m", "--model", help="the model (default: as nerkit-tag finds it)")
    p.add_argument("-i", "--input", default="text", choices=bulk.INPUTS)
    p.add_argument("-f", "--format", choices=bulk.OUTPUTS)
    p.add_argument("-j", "--threads", type=int, default=1, metavar="N",
                   help="tagging threads of each task (1)")
    p.add_argument("--byte-offsets", action="store_true")
    p.add_argument("--confidence", action="store_true")
    p.add_argument("--nbest", type=int, default=0, metavar="K")
    p.add_argument("--max-doc", type=int, metavar="BYTES")
    p.add_argument("--scheme")
    p.add_argument("--token-col", type=int, metavar="N")
    p.add_argument("--label-col", type=int, metavar="N")
    p.add_argument("--tab", action="store_true")
    # level 1: compressing at 6 cost 28% of the tagging time of one core
    # (0.30 s against 1.07 s for BBC news), at 1 about 7%, for 18% more bytes
    # 0: plain outputs, for a job whose next step reads them at once: the
    # compression of JSONL output costs about a tenth of the tagging's CPU
    p.add_argument("--gzip-level", type=int, default=1, choices=range(0, 10), metavar="0-9",
                   help="compression of the outputs (1; 0: none, no .gz)")
    p.add_argument("--split-size", type=int, default=256 << 20, metavar="BYTES",
                   help="cut plain (not gzip) inputs larger than this into parts of whole "
                        "documents, one task each (256 MiB; 0: never)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def main(argv=None):
    a = _parser().parse_args(argv)
    err = sys.stderr
    if a.workers is not None and a.workers < 1:
        print("%s: --workers wants 1 or more" % PROG, file=err)
        return 2
    if os.path.exists(a.output_dir) and not os.path.isdir(a.output_dir):
        print("%s: %s: not a folder (the outputs go in a folder)" % (PROG, a.output_dir),
              file=err)
        return 2
    try:
        opts = bulk.options(a.input, a.format, a.byte_offsets, a.confidence, a.nbest,
                            a.max_doc, a.scheme, a.threads, a.token_col, a.label_col, a.tab)
        pairs = plan(a.inputs, os.path.abspath(a.output_dir), opts["output"], a.gzip_level > 0)
        model = nerkit.Model(a.model)
        bulk.check(model, opts)
    except nerkit.Error as e:
        print("%s: %s" % (PROG, e), file=err)
        # as nerkit-tag: 2 for a usage error, 1 for a file or model that fails
        return 2 if e.code in (None, nerkit._lib.NERKIT_ERR_ARG) else 1
    if not pairs:
        print("%s: no input files" % PROG, file=err)
        return 2
    os.makedirs(a.output_dir, exist_ok=True)

    import logging
    from distributed import Client, LocalCluster
    cluster = None
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        n = a.workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=a.threads_per_worker,
                               processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
    show = not a.quiet and err.isatty()
    start = time.time()

    def progress(done, total, results):
        if show:
            err.write(_bar(done, total, sum(r["documents"] for r in results),
                           sum(r["tokens"] for r in results), time.time() - start))
            err.flush()
    try:
        if show:
            progress(0, len(pairs), [])
        results, failures = run(client, model, pairs, opts, a.gzip_level, progress,
                                a.split_size)
    finally:
        if show:
            err.write("\n")
        client.close()
        if cluster:
            cluster.close()
    seconds = time.time() - start
    rc = 0
    for r in sorted(results, key=lambda r: r["path"]):
        for m in r["messages"]:
            print("%s: %s" % (PROG, m), file=err)
        if r["warnings"]:
            rc = 1  # as nerkit-tag: tagged, but the output lacks the input's bytes
    for path, msg in sorted(failures):
        print("%s: %s" % (PROG, msg if path in msg else "%s: %s" % (path, msg)), file=err)
        rc = 1
    for line in summary(results, seconds):
        print(line)
    if failures:
        print("%d of %d files failed (see above); their outputs were not written"
              % (len(failures), len(pairs)))
    return rc


if __name__ == "__main__":
    # run the copy imported as nerkit.dask, whose task function the workers
    # import by name, rather than this __main__ one, which would be pickled whole
    from nerkit.dask import main as _main
    sys.exit(_main())
