"""The part of the Keras repository's ``conftest.py`` that its test files import.

The wheel does not ship that file; ``random_initializers_test.py`` imports
``skip_if_backend`` from it. The plugin installs this module as ``conftest``.
"""

from __future__ import annotations

import pytest
from keras.src.backend import backend


def skip_if_backend(given_backend: str, reason: str) -> pytest.MarkDecorator:
    """Skip a test on one Keras backend, as Keras's own conftest.py does."""
    return pytest.mark.skipif(backend() == given_backend, reason=reason)
