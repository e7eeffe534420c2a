"""Compare a learner's output with the reference and describe any difference.

Only NumPy functions captured in :mod:`autograder.integrity` are used, so
learner code that reassigns ``np.allclose`` or friends cannot change a verdict.
"""

from __future__ import annotations

import numbers
from typing import Any

from autograder.integrity import trusted_np as tnp


def describe(value: Any, limit: int = 12) -> str:
    """A short, precise description of a value for a failure message."""
    if isinstance(value, tnp.ndarray | tnp.generic):
        array = tnp.asarray(value)
        if array.size <= limit:
            shown = tnp.array2string(array, precision=8, separator=", ", max_line_width=10_000)
        else:
            with tnp.errstate(all="ignore"):
                shown = f"values from {array.min():.6g} to {array.max():.6g}"
        return f"{shown} (shape {array.shape}, {array.dtype})"
    if isinstance(value, list | tuple):
        if value and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
        ):
            return repr(type(value)(int(v) for v in value))  # a shape, a list of sizes
        try:
            array = tnp.asarray(value, dtype=tnp.float64)
        except (TypeError, ValueError):
            return repr(value)
        return f"{type(value).__name__} {describe(array, limit).replace(', float64)', ')')}"
    return repr(value)


def is_array_like_output(value: Any) -> bool:
    """Outputs must be NumPy arrays or scalars (NumPy or Python numbers)."""
    return isinstance(value, tnp.ndarray | tnp.generic | int | float | bool)


def array_difference(got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """None when ``got`` equals ``expected`` within tolerance, else what differs."""
    if not is_array_like_output(got):
        return (
            f"returned {type(got).__module__}.{type(got).__qualname__}; "
            "return a NumPy array (np.asarray) or a number"
        )
    if tnp.iscomplexobj(got) and not tnp.iscomplexobj(expected):
        return (
            f"returned complex values ({tnp.asarray(got).dtype}); the result is real: "
            "return real numbers (a complex number's imaginary part is never ignored)"
        )
    expected = tnp.asarray(expected, dtype=tnp.float64)
    try:
        got_array = tnp.asarray(got, dtype=tnp.float64)
    except (TypeError, ValueError) as error:
        return f"returned something that is not numeric: {error}"
    if got_array.shape != expected.shape:
        return f"shape {got_array.shape}, expected shape {expected.shape}"
    with tnp.errstate(all="ignore"):
        error = tnp.abs(tnp.subtract(got_array, expected))
        allowed = tnp.add(atol, tnp.multiply(rtol, tnp.abs(expected)))
        both_nan = tnp.logical_and(tnp.isnan(got_array), tnp.isnan(expected))
        same_inf = tnp.logical_and(
            tnp.equal(got_array, expected), tnp.logical_not(tnp.isfinite(expected))
        )
        ok = tnp.logical_or(tnp.logical_not(tnp.greater(error, allowed)), both_nan)
        ok = tnp.logical_or(ok, same_inf)
        # NaN errors compare False above: count them as failures explicitly.
        ok = tnp.logical_and(ok, tnp.logical_not(tnp.logical_and(tnp.isnan(error), ~both_nan)))
    bad = tnp.logical_not(ok)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return None
    with tnp.errstate(all="ignore"):
        # asarray: for 0-d inputs the ufuncs return NumPy scalars, which cannot be assigned to.
        excess = tnp.asarray(tnp.subtract(error, allowed))
    excess[~bad] = -1.0
    excess[tnp.isnan(excess)] = float("inf")
    worst = tnp.unravel_index(int(tnp.argmax(excess)), expected.shape) if expected.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}" if worst else ""
    return (
        f"{n_bad} of {expected.size} values differ; largest error{where}: "
        f"expected {float(expected[worst]):.8g}, got {float(got_array[worst]):.8g} "
        f"(|error| {float(error[worst]):.3g} > allowed {float(allowed[worst]):.3g})"
    )


def non_finite_where_finite(got: Any, expected: Any) -> bool:
    """True when the learner produced inf/NaN where the reference is finite."""
    if tnp.iscomplexobj(got):
        return False
    try:
        got_array = tnp.asarray(got, dtype=tnp.float64)
        expected = tnp.asarray(expected, dtype=tnp.float64)
    except (TypeError, ValueError):
        return False
    if got_array.shape != expected.shape:
        return False
    return bool(tnp.logical_and(~tnp.isfinite(got_array), tnp.isfinite(expected)).any())
