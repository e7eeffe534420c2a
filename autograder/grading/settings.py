"""The settings of one grading run, with their defaults written once.

``autograder grade`` builds :class:`Options` from its command line, hands it whole to
each worker inside the assignment's package, and the worker turns it into nbgrader/traitlets
configuration of the classes that use it
(:func:`autograder.grading.configuration.run_settings`), the way
nbgrader's own preprocessors take their settings.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """Knobs of a grading run."""

    #: worker processes of the local cluster
    workers: int = max(1, os.cpu_count() or 1)
    force: bool = False
    #: seconds each submission may run in total
    timeout: float = 300.0
    #: seconds per cell; None: c.Execute.timeout of nbgrader_config.py
    cell_timeout: float | None = None
    #: memory per kernel, on top of what the warm process maps
    memory_mb: int = 2048
    #: kernels in their own network and mount namespaces
    isolate: bool = True
    feedback: bool = True
    #: draw figures; they are never graded and drawing them is most of a chapter's run time
    figures: bool = False
    #: run every code cell, as nbgrader does; else only those the grades depend on
    every_cell: bool = False
    #: output a submission may stream before the grader truncates it
    output_bytes: int = 1_000_000
    #: the gradebook's SQLAlchemy URL; "": nbgrader_config.py's, else SQLite in the course
    db_url: str = ""
    #: the Dask scheduler to grade on; "": $DASK_SCHEDULER_ADDRESS, else a local cluster
    scheduler: str = ""

    def to_json(self) -> str:
        """These settings as one line of JSON (what a worker receives)."""
        return json.dumps(dataclasses.asdict(self))
