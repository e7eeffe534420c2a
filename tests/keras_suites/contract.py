"""What of Keras lies outside the course's contract: named categories, and the rules that use them.

An adapter calls :func:`outside` the moment a Keras test reaches a feature the course does
not teach (an untaught class, an option the course's function does not take, ``get_config``,
...): the test is skipped there, with the category in its reason. Assertions the test made
before that point have run and passed. :data:`BY_TEST` lists the few tests that no feature
rule can express, each with its reason. Nothing is ever decided by catching a failure.
"""

from __future__ import annotations

import inspect
import re
import unittest
from collections.abc import Callable
from typing import Any, NoReturn

CATEGORIES = {
    "untaught": "functions and classes the course does not teach",
    "serialization": "configuration and serialization (name, get_config, from_config)",
    "dtype": "dtype policy (dtype=...)",
    "reduction": "reduction modes the course does not teach (only 'sum_over_batch_size')",
    "options": "options the course's functions do not take",
    "rng": "Keras seed generators (the course's samplers take a NumPy Generator)",
    "messages": "the wording of Keras's own error messages",
    "graph": "compiled training (a tf.function): the course's NumPy code runs eagerly",
    "backend": "backend-specific (skipped by Keras's own marks on TensorFlow)",
    "keras-only": "never calls the course's code (exercises Keras alone)",
}

#: Which category an untaught option of a Keras class or function belongs to.
OPTION_CATEGORIES = {"name": "serialization", "dtype": "dtype", "reduction": "reduction"}

#: Tests no feature rule can express: "<TestClass>::<test>" -> (category, why).
BY_TEST = {
    f"RandomInitializersTest::test_variance_scaling_invalid_{argument}": (
        "messages",
        f"Keras's constructor raises ValueError with its own text for a bad `{argument}`; the "
        "course's variance_scaling raises ValueError in its own words when called",
    )
    for argument in ("scale", "mode", "distribution")
}

_PREFIX = "outside the contract"
_REASON = re.compile(rf"{_PREFIX} \[([a-z-]+)\]")

#: How many times the course's code has been called (read by the plugin around each test).
calls = 0


def outside(category: str, detail: str) -> NoReturn:
    """Skip the running Keras test: it reached ``detail``, which belongs to ``category``."""
    if category not in CATEGORIES:
        raise KeyError(f"unknown category {category!r}")
    raise unittest.SkipTest(f"{_PREFIX} [{category}]: {detail}")


def reason(category: str, detail: str) -> str:
    """The skip reason :func:`outside` would give."""
    return f"{_PREFIX} [{category}]: {detail}"


def category_of(skip_reason: str) -> str | None:
    """The category named in a skip reason, or None for a skip that is not ours."""
    found = _REASON.search(skip_reason)
    return found.group(1) if found else None


def course(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a course solution), counted each time it is called."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        global calls
        calls += 1
        return function(*args, **kwargs)

    return counted


def taught_options(
    keras_signature: inspect.Signature,
    course_parameters: tuple[str, ...],
    what: str,
    /,
    *args: Any,
    **kwargs: Any,
) -> dict[str, Any]:
    """The arguments of a Keras call that the course's function takes.

    An argument left at Keras's default is dropped; any other argument the course's
    function does not take ends the test as outside the contract, in its category.
    """
    bound = keras_signature.bind(*args, **kwargs)
    options = {}
    for key, value in sorted(bound.arguments.items(), key=lambda kv: _priority(kv[0])):
        default = keras_signature.parameters[key].default
        if key in course_parameters:
            options[key] = value
        elif not _is_default(value, default):
            outside(OPTION_CATEGORIES.get(key, "options"), f"{what}({key}={value!r})")
    return options


def _priority(option: str) -> int:
    order = list(OPTION_CATEGORIES)
    return order.index(option) if option in order else len(order)


def _is_default(value: Any, default: Any) -> bool:
    if default is inspect.Parameter.empty:
        return False
    plain = (str, int, float, bool, type(None))
    return isinstance(value, plain) and isinstance(default, plain) and value == default
