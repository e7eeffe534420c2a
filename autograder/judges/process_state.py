"""The judge process's global state, saved before a submission is judged and put back after.

A grading worker judges many submissions in one process, and Keras keeps settings there
that change what later computations give: ``keras.config``'s float type, epsilon, image
data format, dtype policy, unsafe deserialization, ... and the random generators
(``keras.utils.set_random_seed`` seeds Python's, NumPy's and the backend's). Nothing a
submission hands back should reach them (:mod:`autograder.judges.allowlist` refuses what
could); :func:`kept` puts them back all the same, as the process first had them, and
checks that they are back. Each submission also starts from the same random states.
"""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograder.references import keras


class StateLeak(RuntimeError):
    """A setting could not be put back: the worker must not judge another submission."""


def _global(name: str) -> Any:
    from keras.src.backend.common import global_state

    return global_state.get_global_attribute(name)


def _set_global(name: str) -> Any:
    from keras.src.backend.common import global_state

    return lambda value: global_state.set_global_attribute(name, value)


#: Each setting: how to read it and how to set it back.
SETTINGS: dict[str, tuple[Any, Any]] = {
    "floatx": (keras.config.floatx, keras.config.set_floatx),
    "epsilon": (keras.config.epsilon, keras.config.set_epsilon),
    "image_data_format": (keras.config.image_data_format, keras.config.set_image_data_format),
    "dtype_policy": (
        lambda: keras.config.dtype_policy().name,
        keras.config.set_dtype_policy,
    ),
    "safe_mode": (lambda: _global("safe_mode_saving"), _set_global("safe_mode_saving")),
    "max_epochs": (keras.config.max_epochs, keras.config.set_max_epochs),
    "max_steps_per_epoch": (keras.config.max_steps_per_epoch, keras.config.set_max_steps_per_epoch),
    "traceback_filtering": (
        keras.config.is_traceback_filtering_enabled,
        lambda on: (
            keras.config.enable_traceback_filtering()
            if on
            else keras.config.disable_traceback_filtering()
        ),
    ),
    "interactive_logging": (
        keras.config.is_interactive_logging_enabled,
        lambda on: (
            keras.config.enable_interactive_logging()
            if on
            else keras.config.disable_interactive_logging()
        ),
    ),
    "flash_attention": (
        keras.config.is_flash_attention_enabled,
        lambda on: (
            keras.config.enable_flash_attention() if on else keras.config.disable_flash_attention()
        ),
    ),
}


def snapshot() -> dict[str, Any]:
    """Every setting's value, and the random generators' states."""
    saved: dict[str, Any] = {name: read() for name, (read, _) in SETTINGS.items()}
    saved["python_random"] = random.getstate()
    saved["numpy_random"] = np.random.get_state(legacy=False)
    return saved


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    plain = (str, int, float, bool, type(None))
    return isinstance(a, plain) and type(a) is type(b) and a == b


def restore(saved: dict[str, Any]) -> list[str]:
    """Put every setting back; the names of those that had changed. Raises :class:`StateLeak`
    when one cannot be put back."""
    changed = [name for name, value in snapshot().items() if not _same(value, saved[name])]
    for name in changed:
        if name in SETTINGS:
            try:
                SETTINGS[name][1](saved[name])
            except Exception as error:
                raise StateLeak(f"{name} could not be put back: {error}") from None
    random.setstate(saved["python_random"])
    np.random.set_state(saved["numpy_random"])
    still = [name for name, value in snapshot().items() if not _same(value, saved[name])]
    if still:
        raise StateLeak(f"not put back: {', '.join(still)}")
    return changed


@functools.cache
def pristine() -> dict[str, Any]:
    """The settings as this process first had them (taken on first use, before any judging)."""
    saved = snapshot()
    odd = [name for name in SETTINGS if not _same(saved[name], saved[name])]
    if odd:
        raise StateLeak(f"settings that are not plain values: {', '.join(odd)}")
    return saved


@contextlib.contextmanager
def kept() -> Iterator[list[str]]:
    """Run the block, then put the process's settings back as they first were (see
    :func:`pristine`); the list names what had changed."""
    saved = pristine()
    changed: list[str] = []
    try:
        yield changed
    finally:
        changed += restore(saved)
