"""The C library, libnerkit, through ctypes: where it is found, and the
prototypes of the calls the package makes.

ctypes.CDLL releases the GIL for every foreign call, so threads that tag
with their own tagger run in parallel while C works."""

import ctypes
import os

MAJOR = 1  # the soname's major version this package was written against

# nerkit_status codes the package raises itself
NERKIT_ERR_IO = 1
NERKIT_ERR_NOMEM = 5
NERKIT_ERR_ARG = 6


class CError(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


class TextEntity(ctypes.Structure):
    """nerkit_text_entity"""
    _fields_ = [("start", ctypes.c_size_t), ("end", ctypes.c_size_t),
                ("byte_start", ctypes.c_size_t), ("byte_end", ctypes.c_size_t),
                ("token_start", ctypes.c_size_t), ("token_end", ctypes.c_size_t),
                ("type", ctypes.c_size_t), ("prob", ctypes.c_double)]


class CEntity(ctypes.Structure):
    """nerkit_entity"""
    _fields_ = [("start", ctypes.c_size_t), ("end", ctypes.c_size_t),
                ("type", ctypes.c_size_t), ("prob", ctypes.c_double)]


class DictEntity(ctypes.Structure):
    """nerkit_dict_entity"""
    _fields_ = [("start", ctypes.c_size_t), ("end", ctypes.c_size_t),
                ("label", ctypes.c_char_p), ("type", ctypes.c_size_t),
                ("from_dict", ctypes.c_int), ("dict", ctypes.c_size_t),
                ("id", ctypes.c_void_p), ("id_len", ctypes.c_size_t),
                ("prob", ctypes.c_double)]


class Span(ctypes.Structure):
    """nerkit_span"""
    _fields_ = [("byte_start", ctypes.c_size_t), ("byte_end", ctypes.c_size_t),
                ("char_start", ctypes.c_size_t), ("char_end", ctypes.c_size_t)]


class DictOpts(ctypes.Structure):
    """nerkit_dict_opts as version 1.0 of the header has it (see BulkOpts)"""
    _fields_ = [("size", ctypes.c_size_t), ("casing", ctypes.c_int),
                ("normalize", ctypes.c_uint), ("duplicates", ctypes.c_int),
                ("message", ctypes.c_void_p), ("user", ctypes.c_void_p)]


class Document(ctypes.Structure):
    """nerkit_document"""
    _fields_ = [("tokens", ctypes.POINTER(ctypes.c_char_p)),
                ("token_len", ctypes.POINTER(ctypes.c_size_t)),
                ("ntokens", ctypes.c_size_t),
                ("sentence_len", ctypes.POINTER(ctypes.c_size_t)),
                ("nsentences", ctypes.c_size_t)]


class BulkStats(ctypes.Structure):
    """nerkit_bulk_stats (fixed within a major version)"""
    _fields_ = [("bytes_read", ctypes.c_uint64), ("bytes_total", ctypes.c_uint64),
                ("files_done", ctypes.c_size_t), ("files_total", ctypes.c_size_t),
                ("documents", ctypes.c_uint64), ("tokens", ctypes.c_uint64),
                ("failures", ctypes.c_size_t), ("seconds", ctypes.c_double),
                ("warnings", ctypes.c_size_t)]


MESSAGE_FN = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_void_p)
PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(BulkStats), ctypes.c_void_p)


class BulkOpts(ctypes.Structure):
    """nerkit_bulk_opts as version 1.0 of the header has it. The library
    takes a struct of an older (smaller) header and gives the members it
    lacks their defaults, so this one keeps working with newer libraries;
    nerkit_bulk_opts_init_sized fills it in."""
    _fields_ = [("size", ctypes.c_size_t), ("input", ctypes.c_int), ("output", ctypes.c_int),
                ("threads", ctypes.c_int), ("byte_offsets", ctypes.c_int),
                ("keep_going", ctypes.c_int), ("max_document", ctypes.c_size_t),
                ("max_line", ctypes.c_size_t), ("scheme", ctypes.c_int),
                ("confidence", ctypes.c_int), ("nbest", ctypes.c_size_t),
                ("message", MESSAGE_FN), ("progress", PROGRESS_FN), ("user", ctypes.c_void_p),
                ("stop", ctypes.c_void_p)]


class ReaderOpts(ctypes.Structure):
    """nerkit_reader_opts, as BulkOpts"""
    _fields_ = [("size", ctypes.c_size_t), ("token_col", ctypes.c_int),
                ("label_col", ctypes.c_int), ("tab_only", ctypes.c_int), ("scheme", ctypes.c_int)]


def _candidates():
    """Where libnerkit may be, most specific first: $NERKIT_LIBRARY, the
    prefix `make install` wrote into the installed package, the build tree
    this package sits in (python/nerkit -> lib/), then the loader's own
    search (ldconfig, LD_LIBRARY_PATH)."""
    name = "libnerkit.so.%d" % MAJOR
    env = os.environ.get("NERKIT_LIBRARY")
    if env:
        return [env], True
    found = []
    try:
        from . import _install  # written by make install
        found.append(os.path.join(_install.LIBDIR, name))
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    found.append(os.path.join(here, "..", "..", "lib", name))
    found.append(name)
    return found, False


def load():
    paths, forced = _candidates()
    errors = []
    for p in paths:
        if os.sep in p and not os.path.exists(p) and not forced:
            continue
        try:
            lib = ctypes.CDLL(p)
        except OSError as e:
            errors.append(str(e))
            continue
        _declare(lib)
        return lib, p
    raise OSError("nerkit: cannot load libnerkit (build it with make, install it with make "
                  "install, or set NERKIT_LIBRARY): " + "; ".join(errors or paths))


def library_dir(lib, path):
    """The folder the loaded library is in, whichever way it was found."""
    if os.sep in path:
        return os.path.dirname(os.path.realpath(path))
    # found by the loader: ask it where (dladdr of one of its symbols)
    class DlInfo(ctypes.Structure):
        _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                    ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]
    libc = ctypes.CDLL(None)
    info = DlInfo()
    addr = ctypes.cast(lib.nerkit_version, ctypes.c_void_p)
    if libc.dladdr(addr, ctypes.byref(info)) and info.fname:
        return os.path.dirname(os.path.realpath(os.fsdecode(info.fname)))
    return None


def _declare(lib):
    P, S, I, U32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_uint32
    E = ctypes.POINTER(CError)
    C = ctypes.c_char_p
    protos = {
        "nerkit_version": (C, []),
        "nerkit_model_load_buffer": (P, [C, S, C, E]),
        "nerkit_model_free": (None, [P]),
        "nerkit_model_ntypes": (S, [P]),
        "nerkit_model_type": (C, [P, S]),
        "nerkit_model_nlabels": (S, [P]),
        "nerkit_model_algorithm": (C, [P]),
        "nerkit_model_scheme": (I, [P]),
        "nerkit_model_features": (U32, [P]),
        "nerkit_model_has_probabilities": (I, [P]),
        "nerkit_model_prob_scale": (ctypes.c_double, [P]),
        "nerkit_scheme_name": (C, [I]),
        "nerkit_scheme_parse": (I, [C]),
        "nerkit_tagger_new": (P, [P, E]),
        "nerkit_tagger_free": (None, [P]),
        "nerkit_tokens_new": (P, []),
        "nerkit_tokens_free": (None, [P]),
        "nerkit_tokenize": (I, [P, C, S, E]),
        "nerkit_tokens_count": (S, [P]),
        "nerkit_tag_text": (I, [P, P, I, ctypes.POINTER(ctypes.c_uint16),
                                ctypes.POINTER(TextEntity), ctypes.POINTER(S), E]),
        "nerkit_tag_document": (I, [P, ctypes.POINTER(Document),
                                    ctypes.POINTER(ctypes.c_uint16), E]),
        "nerkit_model_label_strings": (None, [P, ctypes.POINTER(ctypes.c_uint16), S, I,
                                              ctypes.POINTER(ctypes.c_char_p)]),
        "nerkit_bulk_opts_init_sized": (None, [ctypes.POINTER(BulkOpts), S]),
        "nerkit_bulk_check": (I, [P, ctypes.POINTER(BulkOpts), E]),
        "nerkit_bulk_tag": (I, [P, ctypes.POINTER(ctypes.c_char_p), S, P,
                                ctypes.POINTER(BulkOpts), ctypes.POINTER(BulkStats), E]),
        "nerkit_reader_opts_init_sized": (None, [ctypes.POINTER(ReaderOpts), S]),
        "nerkit_corpus_read_prefix": (P, [C, ctypes.POINTER(ReaderOpts), E]),
        "nerkit_corpus_free": (None, [P]),
        "nerkit_corpus_ntokens": (S, [P]),
        "nerkit_corpus_ndocuments": (S, [P]),
        "nerkit_corpus_tag_write": (I, [P, P, ctypes.POINTER(BulkOpts), P, E]),
        "nerkit_tokens_document": (None, [P, ctypes.POINTER(Document)]),
        "nerkit_tokens_span": (Span, [P, S]),
        "nerkit_dict_opts_init_sized": (None, [ctypes.POINTER(DictOpts), S]),
        "nerkit_dict_opts_set": (I, [ctypes.POINTER(DictOpts), C, C, E]),
        "nerkit_dict_open": (P, [C, ctypes.POINTER(DictOpts), E]),
        "nerkit_dict_free": (None, [P]),
        "nerkit_dict_nentries": (S, [P]),
        "nerkit_dict_options": (None, [P, ctypes.POINTER(DictOpts)]),
        "nerkit_dict_combine": (S, [P, ctypes.POINTER(P), S, I, ctypes.POINTER(Document),
                                    ctypes.POINTER(CEntity), S, ctypes.POINTER(DictEntity)]),
    }
    for name, (res, args) in protos.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args
