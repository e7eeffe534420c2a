"""Keep TensorFlow's and NumPy's chatter off stderr.

nbgrader gives a test cell zero points when it writes anything to stderr, and
TensorFlow's C++ runtime logs there on import even with TF_CPP_MIN_LOG_LEVEL set.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class Captured:
    """What was written to stderr (Python and native) while capturing."""

    def __init__(self) -> None:
        self.text = ""


@contextlib.contextmanager
def captured_stderr() -> Iterator[Captured]:
    """Send both ``sys.stderr`` and file descriptor 2 to a buffer for the duration."""
    captured = Captured()
    python_buffer = io.StringIO()
    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as native:
        os.dup2(native.fileno(), 2)
        try:
            with contextlib.redirect_stderr(python_buffer):
                yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            native.seek(0)
            captured.text = python_buffer.getvalue() + native.read().decode(errors="replace")


def import_tensorflow() -> ModuleType:
    """Import TensorFlow with its start-up logging swallowed."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with captured_stderr():
        import keras  # noqa: F401  (Keras 3 registers itself on first import)
        import tensorflow
    return tensorflow
