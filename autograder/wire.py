"""Values as bytes between the judge and a learner's kernel: JSON, with arrays as ``.npy``.

Only data crosses: ``None``, booleans, numbers, strings, lists, tuples, dicts, NumPy arrays
and scalars (as ``.npy`` read with ``allow_pickle=False``), arrays of Python objects
(element by element), NumPy generators (their bit-generator state and seed sequence, so that
``spawn`` gives the same children on both sides), the course's functions of
:mod:`course.functions` (by name: each side calls its own copy) and, from the learner's side,
a description of any other object (its type's name). Nothing is ever unpickled or evaluated,
and :func:`loads` refuses documents larger than :data:`MAX_BYTES` or nested deeper than
:data:`MAX_DEPTH`. An array's ``.npy`` is either in the JSON (base64) or, from
:func:`dumps_split`, one of the binary buffers that travel beside it (a kernel's results
cross as ZeroMQ frames). Imports only NumPy (and the NumPy-only :mod:`course.functions`): it
runs inside kernels where TensorFlow is absent.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_BYTES = 64 * 2**20
MAX_DEPTH = 32
#: Elements an array of Python objects may have to cross (each crosses on its own).
MAX_OBJECTS = 100_000


class WireError(ValueError):
    """A document that is not valid wire data."""


class Opaque:
    """An object of the learner's that is not data: only its type's name crossed."""

    def __init__(self, type_name: str, text: str = "") -> None:
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return self.text or f"<{self.type_name} object>"


def _npy(tag: str, array: np.ndarray, buffers: list[bytes] | None) -> dict[str, Any]:
    stream = io.BytesIO()
    np.save(stream, np.asarray(array), allow_pickle=False)
    if buffers is None:
        return {"$": tag, "npy": base64.b64encode(stream.getvalue()).decode("ascii")}
    buffers.append(stream.getvalue())
    return {"$": tag, "buffer": len(buffers) - 1}


def encode(value: Any, depth: int = 0, buffers: list[bytes] | None = None) -> Any:
    """``value`` as JSON-ready data (see the module docstring for what is kept).

    With ``buffers``, each array's ``.npy`` is appended there and the data names its index.
    """
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if isinstance(value, np.ndarray) and value.dtype != object:
        return _npy("nd", value, buffers)
    if isinstance(value, np.generic) and not isinstance(value, np.object_):
        return _npy("scalar", np.asarray(value), buffers)
    if isinstance(value, np.ndarray):  # of objects: numbers from np.frompyfunc, say
        if value.size > MAX_OBJECTS:
            raise WireError(f"an array of more than {MAX_OBJECTS:,} Python objects")
        items = [encode(v, depth + 1, buffers) for v in value.ravel().tolist()]
        return {"$": "objects", "shape": list(value.shape), "items": items}
    if value is None or isinstance(value, bool | str):
        # a str subclass (a ``(str, Enum)`` member) crosses as its value, not its str()
        return str.__str__(value) if isinstance(value, str) else value
    if isinstance(value, int):
        return int(value) if abs(value) < 2**53 else {"$": "int", "v": str(int(value))}
    if isinstance(value, float):
        value = float(value)
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if isinstance(value, np.random.Generator):
        seed = value.bit_generator.seed_seq  # what ``spawn`` derives children from
        seeds = {
            "entropy": encode(seed.entropy, depth + 1),
            "spawn_key": [int(k) for k in seed.spawn_key],
            "pool_size": int(seed.pool_size),
            "children": int(seed.n_children_spawned),
        }
        return {"$": "generator", "state": value.bit_generator.state, "seed": seeds}
    if callable(value) and getattr(value, "__module__", None) == "course.functions":
        from course.functions import name_of

        if name_of(value) is not None:
            return {"$": "function", "name": name_of(value)}
    if isinstance(value, tuple | list):
        items = [encode(v, depth + 1, buffers) for v in value]
        return {"$": "tuple", "items": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {
            "$": "dict",
            "items": [
                [encode(k, depth + 1, buffers), encode(v, depth + 1, buffers)]
                for k, v in value.items()
            ],
        }
    try:
        text = repr(value)[:300]
    except Exception:
        text = ""
    return {"$": "opaque", "type": type(value).__name__, "text": text}


def _array(data: dict[str, Any], buffers: Sequence[bytes]) -> np.ndarray:
    if "buffer" in data:
        index = data["buffer"]
        if not (type(index) is int and 0 <= index < len(buffers)):
            raise WireError(f"no buffer {index!r}")
        npy = bytes(buffers[index])
    elif isinstance(data.get("npy"), str):
        npy = base64.b64decode(data["npy"], validate=True)
    else:
        raise WireError("array data must be a string or a buffer")
    return np.load(io.BytesIO(npy), allow_pickle=False)


def _seed_sequence(seeds: Any) -> np.random.SeedSequence | None:
    """The generator's seed sequence (entropy, spawn key, children spawned), bounded."""
    if seeds is None:
        return None
    entropy = decode(seeds.get("entropy")) if isinstance(seeds, dict) else None
    numbers = [entropy] if isinstance(entropy, int) else entropy
    key, pool, children = (seeds.get(k) for k in ("spawn_key", "pool_size", "children"))
    valid = (
        isinstance(numbers, list)
        and len(numbers) <= 64
        and isinstance(key, list)
        and len(key) <= 64
        and all(type(n) is int and 0 <= n < 2**256 for n in [*numbers, *key])
        and type(pool) is int
        and 4 <= pool <= 64
        and type(children) is int
        and 0 <= children < 2**32
    )
    if not valid:
        raise WireError("invalid seed sequence")
    return np.random.SeedSequence(
        entropy, spawn_key=tuple(key), pool_size=pool, n_children_spawned=children
    )


def _generator(state: Any, seeds: Any = None) -> np.random.Generator:
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise WireError("only PCG64 generators cross the wire")
    generator = np.random.Generator(np.random.PCG64(_seed_sequence(seeds)))
    generator.bit_generator.state = state
    return generator


def decode(data: Any, depth: int = 0, buffers: Sequence[bytes] = ()) -> Any:
    """The value :func:`encode` described (its arrays in ``buffers`` if it names them)."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return [decode(item, depth + 1, buffers) for item in data]
    if not isinstance(data, dict):
        raise WireError(f"unexpected {type(data).__name__}")
    tag = data.get("$")
    if tag == "nd":
        return _array(data, buffers)
    if tag == "scalar":
        return _array(data, buffers)[()]
    if tag == "int":
        return int(str(data.get("v")))
    if tag == "float":
        return float(str(data.get("v")))
    if tag == "generator":
        return _generator(data.get("state"), data.get("seed"))
    if tag == "objects":
        return _objects(data, depth, buffers)
    if tag == "function":
        return _function(data.get("name"))
    if tag == "tuple":
        return tuple(decode(item, depth + 1, buffers) for item in data.get("items", []))
    if tag == "dict":
        return {
            _key(decode(k, depth + 1, buffers)): decode(v, depth + 1, buffers)
            for k, v in data.get("items", [])
        }
    if tag == "opaque":
        return Opaque(str(data.get("type", "object"))[:100], str(data.get("text", ""))[:300])
    raise WireError(f"unknown tag {tag!r}")


def _objects(data: dict[str, Any], depth: int, buffers: Sequence[bytes]) -> np.ndarray:
    shape, items = data.get("shape"), data.get("items")
    if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
        raise WireError("invalid shape")
    if not isinstance(items, list) or len(items) != math.prod(shape) or len(items) > MAX_OBJECTS:
        raise WireError("an object array's items do not fill its shape")
    array = np.empty(len(items), dtype=object)
    array[:] = [decode(item, depth + 1, buffers) for item in items]
    return array.reshape(shape)


def _function(name: Any) -> Any:
    from course.functions import FUNCTIONS

    if not isinstance(name, str) or name not in FUNCTIONS:
        raise WireError(f"no course function {name!r}")
    return FUNCTIONS[name]


def _key(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        raise WireError("arrays cannot be dict keys")
    return value


def dumps(value: Any) -> str:
    """``value`` as one JSON text."""
    return json.dumps(encode(value))


def dumps_split(value: Any) -> tuple[str, list[bytes]]:
    """``value`` as a JSON text and the binary buffers its arrays are in."""
    buffers: list[bytes] = []
    return json.dumps(encode(value, buffers=buffers)), buffers


def loads(text: str | bytes, buffers: Sequence[bytes] = ()) -> Any:
    """The value in a JSON text from :func:`dumps` (or :func:`dumps_split`, with its
    buffers); bounded in size and depth."""
    if len(text) + sum(len(b) for b in buffers) > MAX_BYTES:
        raise WireError(f"document larger than {MAX_BYTES // 2**20} MB")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"not JSON: {error}") from None
    try:
        return decode(data, buffers=buffers)
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise WireError(f"invalid data: {error}") from None
