"""A grading worker: ``python -m autograder.grading.worker``.

Started with the run's settings as JSON (``--options``, see
:class:`autograder.grading.settings.Options`), which become traitlets configuration.
Reads one JSON request per line on stdin (``{"student": ...}``), autogrades that
student's submission with nbgrader's own API and preprocessors (execution swapped
for :class:`ResilientExecute`), writes its feedback, and answers one JSON line.
Runs as a module so forked kernels can re-import ``__main__`` cheaply.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.grading.settings import Options
from autograder.layout import CourseLayout


def nbgrader_config(course_root: Path, options: Options) -> Config:
    """The course's nbgrader_config.py, with the run's settings on top."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    from autograder.grading.execute import ResilientExecute
    from autograder.grading.feedback import HideHiddenTests
    from autograder.grading.intake import STAGED, PrivateWorkdir
    from autograder.grading.sanitize import (
        DropEmptyNbgraderMetadata,
        SanitizeFeedback,
        clean_html,
    )

    layout = CourseLayout(course_root)
    config = Config()
    if layout.nbgrader_config.is_file():
        config.merge(
            PyFileConfigLoader(layout.nbgrader_config.name, path=str(course_root)).load_config()
        )
    config.CourseDirectory.root = str(course_root)
    config.merge(options.nbgrader_config())
    config.WarmProvisioner.course_root = str(course_root)
    # Several workers share the gradebook: on SQLite, wait for a lock instead of failing.
    config.CourseDirectory.db_url = layout.gradebook_url(options.db_url, lock_timeout=120)
    config.Autograde.sanitize_preprocessors = [
        ClearOutput,
        DeduplicateIds,
        DropEmptyNbgraderMetadata,
        OverwriteKernelspec,
        OverwriteCells,
        CheckCellMetadata,
    ]
    # nbgrader reads the grader's staged copy of a submission and the kernel runs in a
    # scratch copy of its own (autograder.grading.intake); feedback HTML is sanitized.
    config.CourseDirectory.submitted_directory = STAGED
    config.PrivateWorkdir.course_root = str(course_root)
    config.HTMLExporter.sanitize_html = True
    config.HTMLExporter.filters = {"clean_html": clean_html}
    config.Autograde.autograde_preprocessors = [
        PrivateWorkdir,
        ResilientExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    config.GenerateFeedback.preprocessors = [
        HideHiddenTests,
        GetGrades,
        SanitizeFeedback,
        CSSHTMLHeaderPreprocessor,
    ]
    return config


def _speed_up_nbgrader() -> None:
    """nbgrader runs `alembic heads` in a subprocess every time it opens the gradebook."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)


def serve(course_root: Path, assignment: str, options: Options) -> None:
    """Answer grading requests until stdin closes."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from autograder.grading import intake, kernels
    from autograder.nbgrader_run import put_interpreter_on_path

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything printed by libraries goes to the log, not the protocol
    put_interpreter_on_path()
    _speed_up_nbgrader()
    config = nbgrader_config(course_root, options)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    kernels.warm_up(isolate=options.isolate)
    kernels.warm_up("numpy", isolate=options.isolate)  # NumPy exercises are judged there
    for line in sys.stdin:
        student = json.loads(line)["student"]
        started = time.perf_counter()
        left_out = intake.prepare(course_root, assignment, student, tuple(api.coursedir.ignore))
        result = api.autograde(assignment, student, force=True, create=True)
        intake.finish(course_root, assignment, student)
        reply = {
            "student": student,
            "ok": bool(result["success"]),
            "error": _last_error(result),
            "seconds": 0.0,
            "left_out": left_out,
        }
        if reply["ok"] and options.feedback:
            made = api.generate_feedback(assignment, student, force=True)
            if not made["success"]:
                reply["feedback_error"] = _last_error(made)
        reply["seconds"] = round(time.perf_counter() - started, 2)
        protocol.write(json.dumps(reply) + "\n")


def _last_error(result: dict) -> str:
    """The most telling line of an nbgrader failure, for the instructor's summary."""
    if result.get("success"):
        return ""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for marker in ("Error:", "Exception:", "ERROR"):
        hits = [ln for ln in lines if marker in ln and "Traceback" not in ln]
        if hits:
            return hits[-1][:300]
    return lines[-1][:300] if lines else "nbgrader failed without a message"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--course-dir", type=Path, required=True)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--options", type=Options.from_json, default=Options())
    args = parser.parse_args()
    serve(args.course_dir.resolve(), args.assignment, args.options)


if __name__ == "__main__":
    main()
