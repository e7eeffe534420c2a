"""Preloaded once by each worker's "full" fork server, so that forked kernels start warm.

Only imports: no TensorFlow op may run here (a process that has run TF ops
cannot fork safely), and no ZeroMQ context or thread may be created.
"""

import os

os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

from autograder.quiet import import_tensorflow  # noqa: E402

import_tensorflow()

import ipykernel.kernelapp  # noqa: E402, F401
import matplotlib.pyplot  # noqa: E402, F401
import numpy  # noqa: E402, F401
import scipy.special  # noqa: E402, F401
