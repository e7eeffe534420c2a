"""nbgrader's call of ``alembic heads``, answered in process.

nbgrader runs ``alembic heads`` when it creates a gradebook, as each private course does:
a Python process that imports nbgrader, 3 s of a worker's first submission.
:func:`cache_alembic_head` makes nbgrader read the revision here instead, once.
"""

from __future__ import annotations

import functools
from pathlib import Path


def alembic_head() -> str:
    """The gradebook schema's revision, as `alembic heads` prints it for nbgrader's scripts."""
    import nbgrader
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head()


def cache_alembic_head() -> None:
    """Make nbgrader read the revision with :func:`alembic_head`, once per process."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = functools.cache(alembic_head)
