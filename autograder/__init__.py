"""Grade learners' NumPy reimplementations against what tf.keras computes.

``from autograder import check`` imports TensorFlow (quietly); the command-line
tools in :mod:`autograder.cli` do not, so they start fast.
"""

from typing import Any

__all__ = ["check", "CheckFailed"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from autograder import checker

        return getattr(checker, name)
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
