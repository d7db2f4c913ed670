"""nerkit: named-entity recognition, over the C library libnerkit (ctypes).

    import nerkit
    model = nerkit.Model()                  # the default model, found as nerkit-tag finds it
    for e in model.tag("Angela Merkel visited Paris."):
        print(e.start, e.end, e.label, e.text)
    for ents in model.tag_many(texts, threads=4):   # in order, on 4 threads
        ...

Offsets are in code points of the text, end exclusive, the very numbers
nerkit-tag's JSONL gives: text[e.start:e.end] == e.text.

Threads. A Model is read-only once loaded and any number of threads share
it; each thread that tags gets its own tagger (made on its first call), and
ctypes releases the GIL while C tags, so threads tag in parallel.

Pickling. A Model pickles to its path and the SHA-256 of the file. Where it
is unpickled (a Dask or multiprocessing worker) the file at that path is
loaded once per process, checked against the checksum, and kept: every
later unpickling of the same model in that process gets the same Model.
So give tasks the Model itself; each worker process loads it once:

    futures = client.map(lambda text, m=model: m.tag(text), texts)

Errors from the library raise nerkit.Error with its message.
"""

import collections
import concurrent.futures
import ctypes
import hashlib
import itertools
import os
import threading
from typing import NamedTuple, Optional

from . import _lib

_LIB, _LIB_PATH = _lib.load()

__version__ = _LIB.nerkit_version().decode()

DEFAULT_MODEL = "en-conll03.nerkit"

# NERKIT_FEAT_* bits, lowest first (include/nerkit.h)
FEATURE_NAMES = ("word", "lower", "affix", "shape", "flags", "window", "bigram", "position",
                 "document", "clusters", "vectors", "gazetteer", "caseless", "nonlocal")

SCHEMES = ("AUTO", "IOB1", "IOB2", "BIOES", "BILOU")


class Error(Exception):
    """A failure the library reports: .code is its nerkit_status, the
    message is the library's."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


def _fail(err):
    raise Error(err.message.decode("utf-8", "replace"), err.code)


if int(__version__.split(".")[0]) != _lib.MAJOR:
    raise ImportError("nerkit: %s is version %s; this package needs major version %d"
                      % (_LIB_PATH, __version__, _lib.MAJOR))


def _blas_one_thread():
    """Tagging threads each run their own small matrix products: OpenBLAS's
    own threads would only spin beside them (the library never changes this
    process-wide setting; nerkit-tag sets it the same way)."""
    try:
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(1)
    except (OSError, AttributeError):
        pass


_blas_one_thread()


def default_model():
    """The model nerkit-tag uses without -m: $NERKIT_MODEL, else
    en-conll03.nerkit in ../models/ or ../share/nerkit/ beside the library
    (the build tree's lib/, an install's PREFIX/lib). None when there is none."""
    env = os.environ.get("NERKIT_MODEL")
    if env:
        return env
    libdir = _lib.library_dir(_LIB, _LIB_PATH)
    if libdir:
        for place in ("models", os.path.join("share", "nerkit")):
            p = os.path.join(libdir, "..", place, DEFAULT_MODEL)
            if os.access(p, os.R_OK):
                return os.path.normpath(p)
    return None


class Entity(NamedTuple):
    """An entity: code points [start, end) of the text, its type, its text,
    its probability under the model when asked (else None), where it came
    from ("model", or "dict" for a dictionary's match) and a match's id
    (None when its list gave none)."""
    start: int
    end: int
    label: str
    text: str
    confidence: Optional[float] = None
    source: str = "model"
    id: Optional[str] = None


# nerkit_dict_policy, in its order
POLICIES = ("override", "fill", "only")


class Dictionary:
    """Entity lists found in every text, beside or instead of the model
    (nerkit-tag --dict): Dictionary(path) loads a file nerkit-dict compiled,
    or compiles a list of phrase<TAB>LABEL[<TAB>ID] lines with case
    ("exact", "ignore", "acronyms"), normalize ("none", "punct", "accents",
    "punct,accents") and duplicates ("error", "first", "last"), as
    nerkit-dict's options. Read-only: threads share it. It pickles to its
    path and options, and is loaded again where it is unpickled."""

    def __init__(self, path, case=None, normalize=None, duplicates=None):
        self._args = (path, case, normalize, duplicates)
        o = _lib.DictOpts()
        _LIB.nerkit_dict_opts_init_sized(ctypes.byref(o), ctypes.sizeof(o))
        err = _lib.CError()
        for name, value in (("case", case), ("normalize", normalize),
                            ("duplicates", duplicates)):
            if value is not None and not isinstance(value, str):
                raise TypeError("%s: a str, not %s" % (name, type(value).__name__))
            if value is not None and _LIB.nerkit_dict_opts_set(
                    ctypes.byref(o), name.encode(), value.encode(), ctypes.byref(err)):
                _fail(err)
        if "\0" in os.fsdecode(os.fspath(path)):
            raise ValueError("embedded null byte")
        self.path = os.path.abspath(os.fspath(path))
        ptr = _LIB.nerkit_dict_open(os.fsencode(path), ctypes.byref(o), ctypes.byref(err))
        if not ptr:
            _fail(err)
        self._handle = _Handle(ptr, _LIB.nerkit_dict_free)
        self.entries = _LIB.nerkit_dict_nentries(ptr)
        # a compiled file keeps its own matching: other asked for is an error
        have = _lib.DictOpts()
        _LIB.nerkit_dict_opts_init_sized(ctypes.byref(have), ctypes.sizeof(have))
        _LIB.nerkit_dict_options(ptr, ctypes.byref(have))
        if ((case is not None and have.casing != o.casing) or
                (normalize is not None and have.normalize != o.normalize)):
            raise Error("%s: compiled with other case or normalize settings (nerkit-dict info "
                        "shows them); they apply to lists compiled here" % path,
                        _lib.NERKIT_ERR_ARG)

    def __repr__(self):
        return "nerkit.Dictionary(%r)" % self.path

    def __reduce__(self):
        return (Dictionary, self._args)


class _Handle:
    """Owns a C object (a model, a dictionary) and frees it once nothing
    holds the handle: taggers hold their model's, so it outlives them."""

    def __init__(self, ptr, free):
        self.ptr = ptr
        self._free = free

    def __del__(self):
        if self.ptr:
            self._free(self.ptr)
            self.ptr = None


class _Worker:
    """One thread's tagger, token buffer and result arrays (they only grow)."""

    def __init__(self, handle):
        self.handle = handle
        self.tagger = self.tokens = None
        err = _lib.CError()
        self.tagger = _LIB.nerkit_tagger_new(handle.ptr, ctypes.byref(err))
        if not self.tagger:
            _fail(err)
        self.tokens = _LIB.nerkit_tokens_new()
        if not self.tokens:
            raise Error("out of memory making a token buffer", _lib.NERKIT_ERR_NOMEM)
        self.cap = 0
        self.labels = self.ents = None
        self.count = ctypes.c_size_t()
        self.err = err

    def reserve(self, n):
        if n > self.cap:
            self.cap = max(n, 2 * self.cap, 256)
            self.labels = (ctypes.c_uint16 * self.cap)()
            self.ents = (_lib.TextEntity * self.cap)()

    def __del__(self):
        # the tagger first: it points to the model, which the handle keeps alive
        if self.tagger:
            _LIB.nerkit_tagger_free(self.tagger)
        if self.tokens:
            _LIB.nerkit_tokens_free(self.tokens)


def _checksum(data):
    return hashlib.sha256(data).hexdigest()


# Models unpickled in this process, by (real path, checksum): a worker
# loads each model once, whatever number of tasks bring it.
_cache = {}
_cache_lock = threading.Lock()


def _unpickle(path, checksum):
    key = (os.path.realpath(path), checksum)
    with _cache_lock:
        m = _cache.get(key)
        if m is None:
            m = Model(path)
            if m.checksum != checksum:
                raise Error("%s: not the model that was pickled (its SHA-256 is %s, the "
                            "pickled one's %s): give every machine the same file"
                            % (path, m.checksum, checksum))
            _cache[key] = m
        return m


def clear_cache():
    """Forgets the models unpickled in this process (they are freed once
    nothing else uses them)."""
    with _cache_lock:
        _cache.clear()


class Model:
    """A model file, loaded: Model(path), or Model() for the default one."""

    def __init__(self, path=None):
        if path is None:
            path = default_model()
            if path is None:
                raise Error("no model: give a path, set NERKIT_MODEL, or install models/%s "
                            "beside the library" % DEFAULT_MODEL)
        path = os.fspath(path)
        self.path = os.path.abspath(path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise Error("cannot open %s: %s" % (path, e.strerror), _lib.NERKIT_ERR_IO) from None
        # loaded from the very bytes hashed: the checksum is of what was loaded
        self.checksum = _checksum(data)
        err = _lib.CError()
        ptr = _LIB.nerkit_model_load_buffer(data, len(data), os.fsencode(path), ctypes.byref(err))
        if not ptr:
            _fail(err)
        self._handle = _Handle(ptr, _LIB.nerkit_model_free)
        self.labels = [_LIB.nerkit_model_type(ptr, t).decode()
                       for t in range(_LIB.nerkit_model_ntypes(ptr))]
        mask = _LIB.nerkit_model_features(ptr)
        self.info = {
            "algorithm": _LIB.nerkit_model_algorithm(ptr).decode(),
            "scheme": _LIB.nerkit_scheme_name(_LIB.nerkit_model_scheme(ptr)).decode(),
            "features": [n for b, n in enumerate(FEATURE_NAMES) if mask >> b & 1],
            "labels": _LIB.nerkit_model_nlabels(ptr),
            "probabilities": bool(_LIB.nerkit_model_has_probabilities(ptr)),
            "prob_scale": _LIB.nerkit_model_prob_scale(ptr),
            "path": self.path,
            "sha256": self.checksum,
        }
        self._local = threading.local()

    def __repr__(self):
        return "nerkit.Model(%r)" % self.path

    def __reduce__(self):
        return (_unpickle, (self.path, self.checksum))

    def _worker(self):
        w = getattr(self._local, "w", None)
        if w is None:
            w = self._local.w = _Worker(self._handle)
        return w

    def tag(self, text, confidence=False, dicts=(), dict_policy="override"):
        """The entities of text (a str, one document), in order, exactly as
        nerkit-tag finds them in a document of that text. confidence: each
        with its probability (models with probabilities; else nerkit.Error).
        dicts: Dictionary objects whose matches join the model's entities
        as dict_policy says (nerkit-tag --dict-policy: "override", "fill",
        "only")."""
        if dict_policy not in POLICIES:
            raise ValueError("dict_policy must be one of %s" % ", ".join(POLICIES))
        if dicts:
            return self._tag_with_dicts(text, confidence, list(dicts), dict_policy)
        w, _ = self._tokenize(text)
        err = w.err
        if _LIB.nerkit_tag_text(w.tagger, w.tokens, 1 if confidence else 0, w.labels, w.ents,
                                ctypes.byref(w.count), ctypes.byref(err)):
            _fail(err)
        labels = self.labels
        out = []
        for k in range(w.count.value):
            e = w.ents[k]
            s, t = e.start, e.end
            out.append(Entity(s, t, labels[e.type], text[s:t],
                              e.prob if confidence else None))
        return out

    def _tokenize(self, text):
        """This thread's worker, holding text's tokens, and their count."""
        data = self._encode(text)
        w = self._worker()
        if _LIB.nerkit_tokenize(w.tokens, data, len(data), ctypes.byref(w.err)):
            _fail(w.err)
        n = _LIB.nerkit_tokens_count(w.tokens)
        w.reserve(n + 1)
        return w, n

    @staticmethod
    def _encode(text):
        if not isinstance(text, str):
            raise TypeError("tag() takes a str, not %s" % type(text).__name__)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise Error("text is not valid Unicode at character %d: %s" % (e.start, e.reason))

    def _tag_with_dicts(self, text, confidence, dicts, policy):
        if policy == "only" and confidence:
            raise Error("confidences come from the model, which dict_policy 'only' does not run",
                        _lib.NERKIT_ERR_ARG)
        for d in dicts:
            if not isinstance(d, Dictionary):
                raise TypeError("dicts: nerkit.Dictionary objects, not %s" % type(d).__name__)
        if len(dicts) > 16:
            raise ValueError("dicts: at most 16 dictionaries, not %d" % len(dicts))
        w, n = self._tokenize(text)
        err = w.err
        nents = 0
        if policy != "only":
            if _LIB.nerkit_tag_text(w.tagger, w.tokens, 1 if confidence else 0, w.labels,
                                    w.ents, ctypes.byref(w.count), ctypes.byref(err)):
                _fail(err)
            nents = w.count.value
        ents = (_lib.CEntity * (nents + 1))()
        for k in range(nents):
            e = w.ents[k]
            ents[k] = _lib.CEntity(e.token_start, e.token_end, e.type, e.prob)
        doc = _lib.Document()
        _LIB.nerkit_tokens_document(w.tokens, ctypes.byref(doc))
        out = (_lib.DictEntity * (2 * n + 1))()
        ptrs = (ctypes.c_void_p * len(dicts))(*[d._handle.ptr for d in dicts])
        got = _LIB.nerkit_dict_combine(self._handle.ptr, ptrs, len(dicts),
                                       POLICIES.index(policy), ctypes.byref(doc), ents, nents,
                                       out)
        result = []
        for k in range(got):
            e = out[k]
            s = _LIB.nerkit_tokens_span(w.tokens, e.start).char_start
            t = _LIB.nerkit_tokens_span(w.tokens, e.end - 1).char_end
            if e.from_dict:
                ident = (ctypes.string_at(e.id, e.id_len).decode("utf-8", "replace")
                         if e.id else None)
                result.append(Entity(s, t, e.label.decode(), text[s:t], None, "dict", ident))
            else:
                result.append(Entity(s, t, e.label.decode(), text[s:t],
                                     e.prob if confidence else None))
        return result

    def tag_many(self, texts, threads=1, confidence=False, chunk=32):
        """Tags an iterable of texts and yields each one's entities, in
        order, as they are ready, on `threads` threads; at most a few chunks
        of `chunk` texts per thread are read ahead of what was yielded."""
        if isinstance(texts, (str, bytes)):
            raise TypeError("tag_many() takes an iterable of str, not one %s"
                            % type(texts).__name__)
        for name, v in (("threads", threads), ("chunk", chunk)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError("%s: an int, not %s" % (name, type(v).__name__))
            if v < 1:
                raise ValueError("%s must be at least 1" % name)
        it = iter(texts)
        if threads == 1:
            for text in it:
                yield self.tag(text, confidence)
            return

        def work(batch):
            return [self.tag(t, confidence) for t in batch]

        pending = collections.deque()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            try:
                while True:
                    while len(pending) < 2 * threads:
                        batch = list(itertools.islice(it, chunk))
                        if not batch:
                            break
                        pending.append(pool.submit(work, batch))
                    if not pending:
                        break
                    yield from pending.popleft().result()
            finally:
                for f in pending:
                    f.cancel()

    def tag_tokens(self, tokens, scheme=None):
        """Labels for pre-tokenized text: a list of token strings (one
        sentence) or a list of such lists (the sentences of one document,
        tagged together as nerkit-tag -i conll tags a document). Returns the
        labels in the same shape, in scheme ("IOB1", "IOB2", "BIOES",
        "BILOU"; default the model's)."""
        nested = bool(tokens) and not isinstance(tokens[0], str)
        sentences = tokens if nested else [tokens]
        code = 0
        if scheme is not None:
            if not isinstance(scheme, str):
                raise TypeError("scheme: a str, not %s" % type(scheme).__name__)
            code = _LIB.nerkit_scheme_parse(scheme.encode())
            if code <= 0:
                raise Error("unknown scheme %r (IOB1, IOB2, BIOES, BILOU)" % scheme)
        flat = []
        for s in sentences:
            if isinstance(s, str) or not all(isinstance(t, str) for t in s):
                raise TypeError("tag_tokens() takes a list of str, or a list of lists of str")
            flat.extend(t.encode("utf-8") for t in s)
        n = len(flat)
        if n == 0:
            return [[] for _ in sentences] if nested else []
        toks = (ctypes.c_char_p * n)(*flat)
        lens = (ctypes.c_size_t * n)(*[len(t) for t in flat])
        slen = (ctypes.c_size_t * len(sentences))(*[len(s) for s in sentences])
        doc = _lib.Document(toks, lens, n, slen, len(sentences))
        labels = (ctypes.c_uint16 * n)()
        w = self._worker()
        if _LIB.nerkit_tag_document(w.tagger, ctypes.byref(doc), labels, ctypes.byref(w.err)):
            _fail(w.err)
        out, first = [], 0
        for s in sentences:
            names = (ctypes.c_char_p * max(len(s), 1))()
            part = ctypes.cast(ctypes.byref(labels, first * 2), ctypes.POINTER(ctypes.c_uint16))
            _LIB.nerkit_model_label_strings(self._handle.ptr, part, len(s), code, names)
            out.append([names[i].decode() for i in range(len(s))])
            first += len(s)
        return out if nested else out[0]
