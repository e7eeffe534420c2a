"""A kernel where TensorFlow and Keras cannot be imported (`python -m` this module).

NumPy exercises are judged in such a kernel, so a function that calls TensorFlow or
Keras fails with :class:`NumPyOnlyError` instead of being caught by a watch it could switch off.
"""

from __future__ import annotations

import importlib.abc
import sys

BLOCKED = ("tensorflow", "keras", "tf_keras", "tensorboard", "jax", "torch")


class NumPyOnlyError(ImportError):
    """A NumPy exercise tried to use TensorFlow or Keras."""


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in BLOCKED:
            raise NumPyOnlyError(f"{name} is not available: this exercise must be NumPy only")


def main() -> None:
    sys.meta_path.insert(0, _Blocker())
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=sys.argv[1:])


if __name__ == "__main__":
    main()
