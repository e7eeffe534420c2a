"""Preloaded once by each worker's "numpy" fork server: NumPy, SciPy, matplotlib, never TensorFlow.

NumPy exercises are judged in kernels forked from it. In the sandbox the server's filesystem
view holds no TensorFlow, Keras, tf_keras, TensorBoard, JAX or PyTorch at all (see
:func:`autograder.grading.sandbox.build_view`), so importing them fails whatever learner code
does. On top of that, this module makes the failure say why: importing one of
:data:`~autograder.runner.NOT_NUMPY` raises :class:`~autograder.runner.NumPyOnlyError` (the
only barrier where the grader runs without the sandbox).
"""

from __future__ import annotations

import importlib.abc
import os
import sys

from autograder.runner import NOT_NUMPY, NumPyOnlyError

os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in NOT_NUMPY:
            message = f"{name} is not available: this exercise must be NumPy only"
            raise NumPyOnlyError(message, name=name)


sys.meta_path.insert(0, _Blocker())

import ipykernel.kernelapp  # noqa: E402, F401
import matplotlib.pyplot  # noqa: E402, F401
import numpy  # noqa: E402, F401
import scipy.special  # noqa: E402, F401
