"""What every Python test needs: the nerkit package of the build tree, the
programs ($BIN) and the default model."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
BIN = os.path.join(ROOT, os.environ.get("BIN", "bin"))
MODEL = os.path.join(ROOT, "models", "en-conll03.nerkit")

import nerkit  # noqa: E402


def nerkit_tag(*args, **kw):
    """nerkit-tag's standard output (bytes) for these arguments."""
    return subprocess.run([os.path.join(BIN, "nerkit-tag"), "-q", "-m", MODEL] + list(args),
                          check=True, stdout=subprocess.PIPE, **kw).stdout
