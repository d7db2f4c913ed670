"""Tagging whole files with the library's bulk tagger (nerkit_bulk_tag, the
engine of nerkit-tag), into a gzip file that appears whole or not at all.

tag_file is what a nerkit.dask task runs: it writes what `nerkit-tag
OPTIONS INPUT` writes to standard output, byte for byte, compressed, first
under a temporary name beside the output, renamed into place once whole.
A task that dies half-way leaves only its temporary file (which
nerkit.dask removes at the end), never a partial output, and a task run
twice (a lost worker's task run again elsewhere) writes the same bytes."""

import contextlib
import ctypes
import gzip
import os
import shutil
import threading
import time
import uuid

from . import _lib, Error, _LIB

INPUTS = ("text", "lines", "jsonl", "conll")
OUTPUTS = ("jsonl", "conll", "inline", "tsv")
# the suffix of each output format's files
SUFFIX = {"jsonl": ".jsonl", "conll": ".conll", "inline": ".txt", "tsv": ".tsv"}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fdopen.restype = ctypes.c_void_p
_libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
_libc.fclose.argtypes = [ctypes.c_void_p]


def options(input="text", output=None, byte_offsets=False, confidence=False, nbest=0,
            max_document=None, scheme=None, threads=1, token_col=None, label_col=None,
            tab=False):
    """The options of a run as a plain dict (it travels to the workers),
    checked and with nerkit-tag's defaults: -i conll writes CoNLL unless
    told otherwise."""
    if input not in INPUTS:
        raise Error("unknown input format %r (%s)" % (input, ", ".join(INPUTS)))
    if output is None:
        output = "conll" if input == "conll" else "jsonl"
    if output not in OUTPUTS:
        raise Error("unknown output format %r (%s)" % (output, ", ".join(OUTPUTS)))
    return dict(input=input, output=output, byte_offsets=bool(byte_offsets),
                confidence=bool(confidence), nbest=int(nbest or 0), max_document=max_document,
                scheme=scheme, threads=int(threads), token_col=token_col, label_col=label_col,
                tab=bool(tab))


def _bulk_opts(o):
    b = _lib.BulkOpts()
    _LIB.nerkit_bulk_opts_init_sized(ctypes.byref(b), ctypes.sizeof(b))
    b.input = INPUTS.index(o["input"])
    b.output = OUTPUTS.index(o["output"])
    b.threads = o["threads"]
    b.byte_offsets = o["byte_offsets"]
    b.confidence = o["confidence"]
    b.nbest = o["nbest"]
    if o["max_document"]:
        b.max_document = o["max_document"]
    if o["scheme"]:
        s = _LIB.nerkit_scheme_parse(o["scheme"].encode())
        if s <= 0:
            raise Error("unknown scheme %r (IOB1, IOB2, BIOES, BILOU)" % o["scheme"])
        b.scheme = s
    return b


def check(model, o):
    """Refuses, before any work, options the model or each other do not
    allow (nerkit_bulk_check: confidences of a model without probabilities...)."""
    b = _bulk_opts(o)
    err = _lib.CError()
    if _LIB.nerkit_bulk_check(model._handle.ptr, ctypes.byref(b), ctypes.byref(err)):
        raise Error(err.message.decode("utf-8", "replace"), err.code)


def _tag_into(model, path, o, fp, result):
    """On a thread of its own: the library writes the records into fp."""
    err = _lib.CError()
    messages = []
    stats = _lib.BulkStats()
    try:
        if o["input"] == "conll":
            rc = _tag_conll(model, path, o, fp, err, stats)
        else:
            b = _bulk_opts(o)
            # the library calls it from its writer thread, one line at a time
            cb = _lib.MESSAGE_FN(lambda line, user: messages.append(line.decode("utf-8",
                                                                               "replace")))
            b.message = cb
            paths = (ctypes.c_char_p * 1)(os.fsencode(path))
            rc = _LIB.nerkit_bulk_tag(model._handle.ptr, paths, 1, fp, ctypes.byref(b),
                                      ctypes.byref(stats), ctypes.byref(err))
    finally:
        # closing the pipe's end tells the reader the output is complete
        closed = _libc.fclose(fp)
    result.update(rc=rc, closed=closed, message=err.message.decode("utf-8", "replace"),
                  code=err.code, messages=messages, documents=stats.documents,
                  tokens=stats.tokens, warnings=stats.warnings)


def _tag_conll(model, path, o, fp, err, stats):
    ro = _lib.ReaderOpts()
    _LIB.nerkit_reader_opts_init_sized(ctypes.byref(ro), ctypes.sizeof(ro))
    if o["token_col"]:
        ro.token_col = o["token_col"]
    if o["label_col"] is not None:
        ro.label_col = o["label_col"]
    ro.tab_only = o["tab"]
    b = _bulk_opts(o)
    c = _LIB.nerkit_corpus_read_prefix(os.fsencode(path), ctypes.byref(ro), ctypes.byref(err))
    read_rc = err.code
    rc = read_rc
    if c:
        stats.documents = _LIB.nerkit_corpus_ndocuments(c)
        stats.tokens = _LIB.nerkit_corpus_ntokens(c)
        werr = _lib.CError()
        w = model._worker()
        if _LIB.nerkit_corpus_tag_write(w.tagger, c, ctypes.byref(b), fp, ctypes.byref(werr)):
            rc = werr.code
            ctypes.memmove(ctypes.byref(err), ctypes.byref(werr), ctypes.sizeof(werr))
        _LIB.nerkit_corpus_free(c)
    return rc


def is_gzip(path):
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _is_blank(line):
    # the reader's blank line (pipeline.c): nothing but spaces, tabs and \r
    return not line.strip(b" \t\r\n")


def split_points(path, input_format, size):
    """Byte offsets that cut a plain (not gzip) file into parts of about
    `size` bytes at document boundaries, so that each part holds whole
    documents and tagging the parts one after the other writes what
    tagging the file writes: after a line break for lines and JSONL,
    after a blank line for text. [0, ..., file size]."""
    total = os.path.getsize(path)
    points = [0]
    with open(path, "rb") as f:
        while points[-1] + size < total:
            f.seek(points[-1] + size)
            f.readline()  # the rest of the line the target falls in
            while input_format == "text":
                line = f.readline()
                if not line or _is_blank(line):
                    break
            at = f.tell()
            if at >= total:
                break
            points.append(at)
    points.append(total)
    return points


def _feed(path, start, end, fd):
    """On a thread of its own: bytes [start, end) of path into a pipe."""
    try:
        with open(path, "rb") as src, open(fd, "wb") as dst:
            src.seek(start)
            left = end - start
            while left > 0:
                chunk = src.read(min(left, 1 << 20))
                if not chunk:
                    break
                dst.write(chunk)
                left -= len(chunk)
    except OSError:
        pass  # the reader stopped first: its own error says why


def tag_file(model, path, out_path, o, run_id="", level=1, byte_range=None):
    """Tags the file at path into out_path (gzip, level `level`; 0: plain) as
    nerkit-tag does with options o; returns the counts. Raises nerkit.Error
    naming the file when it cannot be read whole (and then writes nothing).
    byte_range (start, end): only those bytes, whole documents (see
    split_points), which the library reads through a pipe."""
    if byte_range is None:
        return _tag_file(model, path, path, out_path, o, run_id, level)
    r, w = os.pipe()
    feeder = threading.Thread(target=_feed, args=(path, byte_range[0], byte_range[1], w),
                              daemon=True)
    feeder.start()
    name = "/dev/fd/%d" % r
    where = "%s (bytes %d-%d)" % (path, byte_range[0], byte_range[1])
    try:
        res = _tag_file(model, name, where, out_path, o, run_id, level)
    except Error as e:
        raise Error(str(e).replace(name, where), e.code) from None
    finally:
        os.close(r)
        feeder.join()
    res["path"] = path
    res["messages"] = [m.replace(name, where) for m in res["messages"]]
    return res


def _tag_file(model, path, shown, out_path, o, run_id, level):
    start = time.time()
    out_dir = os.path.dirname(out_path) or "."
    os.makedirs(out_dir, exist_ok=True)
    tmp = os.path.join(out_dir, ".%s.%s.%s.tmp" % (os.path.basename(out_path), run_id,
                                                   uuid.uuid4().hex[:12]))
    r, w = os.pipe()
    fp = _libc.fdopen(w, b"wb")
    if not fp:
        os.close(r)
        os.close(w)
        raise OSError(ctypes.get_errno(), "fdopen")
    result = {}
    t = threading.Thread(target=_tag_into, args=(model, path, o, fp, result), daemon=True)
    t.start()
    try:
        with open(r, "rb", buffering=0) as src, open(tmp, "wb") as raw:
            # no name and no time in the header: the same input gives the same bytes
            with (gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level,
                                mtime=0) if level else contextlib.nullcontext(raw)) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            raw.flush()
            os.fsync(raw.fileno())
        t.join()
        if result.get("rc") or result.get("closed"):
            msg = result.get("message") or "write error"
            raise Error("%s: %s" % (shown, msg) if path not in msg else msg, result.get("code"))
        os.replace(tmp, out_path)
    except BaseException:
        t.join()
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return {"path": path, "output": out_path, "documents": result["documents"],
            "tokens": result["tokens"], "warnings": result["warnings"],
            "messages": result["messages"], "seconds": time.time() - start}
